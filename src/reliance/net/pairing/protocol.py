"""The link exchange, sans-IO: an inviter (the device that has the identity) and a joiner (the new device)
turn bytes into events and events into bytes; the transport (`transport.py`) only moves them.

Every message is ``[u32 length][msgpack map]``, the length checked against what the state allows before a
byte of the body is kept (`Limits.link_max_message`; the grant: `device_grant_bytes`), the map checked
field by field before use. In order (docs/identity.md, "Linking a device")::

    joiner  -> inviter  hello    {t, v, n: invitation number, pake: SPAKE2 B message}
    inviter -> joiner   pake     {t, pake: SPAKE2 A message, confirm: inviter's key confirmation}
    joiner  -> inviter  request  {t, confirm: joiner's key confirmation, box: AEAD({name, key})}
    inviter -> joiner   grant    {t, box: AEAD(grant)}
    joiner  -> inviter  done     {t, box: AEAD(b"")}
    either  -> other    refuse   {t, why}          (then the connection ends)

SPAKE2 (the `spake2` package) runs on the whole code; its key K is known only to someone who used the
same code. From K, HKDF-SHA256 derives the two key confirmations and one ChaCha20-Poly1305 key per
direction (`cryptography`); each direction's nonces count up from 0, so a message replayed, reordered or
taken from another run does not open.

The invitation (`Invitation`) is shared by every connection of the inviter: the first hello that carries a
well-formed SPAKE2 message for its number *claims* it, and a claimed invitation is spent whatever comes
next: one try per invitation, right or wrong. A hello to a claimed or expired invitation is refused.
Garbage before a claim (not a guess at the code) drops that connection only.

States, per side (`INVITER_TABLE`, `JOINER_TABLE`): the message each state accepts, and where it goes.
"""

from __future__ import annotations

import hmac
import struct
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from hashlib import sha256
from typing import Any, Final

import msgpack
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from spake2 import SPAKE2_A, SPAKE2_B

from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.net.pairing.codes import Code
from reliance.packing import PackError, Shape, unpack

__all__ = [
    "INVITER_TABLE",
    "JOINER_TABLE",
    "PROTOCOL_VERSION",
    "DeviceRequest",
    "Event",
    "Failed",
    "Granted",
    "Invitation",
    "InvitationState",
    "InviterSession",
    "JoinerSession",
    "Linked",
    "Reason",
    "State",
]

PROTOCOL_VERSION: Final = 1
HEADER: Final = struct.Struct(">I")
PAKE_MESSAGE_BYTES: Final = 33  # the spake2 package's Ed25519 group: a side byte and a point
CONFIRM_BYTES: Final = 32
DEVICE_KEY_BYTES: Final = 32  # an Ed25519 public key
ID_INVITER: Final = b"reliance link v1 inviter"
ID_JOINER: Final = b"reliance link v1 joiner"


class Reason(Enum):
    """Why a link ended without linking; each has a line in the catalogue (`link.why.<value>`)."""

    WRONG_CODE = "wrong-code"  # the other side used another code (key confirmation failed)
    EXPIRED = "expired"  # the invitation's time ran out
    SPENT = "spent"  # the invitation was already tried (by this joiner or another)
    UNKNOWN_NUMBER = "unknown-number"  # no invitation with this number here
    VERSION = "version"  # the other side speaks another version of the exchange
    MALFORMED = "malformed"  # a message that is not what this state accepts
    TOO_LARGE = "too-large"  # a message above its limit
    CLOSED = "closed"  # the connection ended before the link did
    TIMEOUT = "timeout"  # the other side did not answer in time
    REFUSED = "refused"  # the grant could not be used (the joiner's side) or made (the inviter's)


_REFUSABLE = {
    r.value: r for r in (Reason.WRONG_CODE, Reason.EXPIRED, Reason.SPENT, Reason.UNKNOWN_NUMBER)
} | {r.value: r for r in (Reason.VERSION, Reason.MALFORMED, Reason.TOO_LARGE, Reason.REFUSED)}


class State(Enum):
    # the inviter's
    AWAIT_HELLO = "await-hello"
    AWAIT_REQUEST = "await-request"
    MAKING_GRANT = "making-grant"
    AWAIT_DONE = "await-done"
    LINKED = "linked"
    # the joiner's
    START = "start"
    AWAIT_PAKE = "await-pake"
    AWAIT_GRANT = "await-grant"
    USING_GRANT = "using-grant"
    JOINED = "joined"
    # both
    FAILED = "failed"


# state -> (the message it accepts, the state after it). A `refuse` is accepted in every waiting state and
# leads to FAILED; any other message, or bytes after the end, to FAILED as MALFORMED.
INVITER_TABLE: Final[dict[State, tuple[str, State]]] = {
    State.AWAIT_HELLO: ("hello", State.AWAIT_REQUEST),  # sends pake; claims the invitation
    State.AWAIT_REQUEST: ("request", State.MAKING_GRANT),  # emits DeviceRequest
    State.MAKING_GRANT: ("", State.AWAIT_DONE),  # send_grant(): sends grant
    State.AWAIT_DONE: ("done", State.LINKED),  # emits Linked
}
JOINER_TABLE: Final[dict[State, tuple[str, State]]] = {
    State.START: ("", State.AWAIT_PAKE),  # start(): sends hello
    State.AWAIT_PAKE: ("pake", State.AWAIT_GRANT),  # sends request
    State.AWAIT_GRANT: ("grant", State.USING_GRANT),  # emits Granted
    State.USING_GRANT: ("", State.JOINED),  # finish(): sends done
}


@dataclass(frozen=True)
class DeviceRequest:
    """The joiner proved it has the code and asks a certificate for `public_key`, named `name`."""

    name: str
    public_key: bytes


@dataclass(frozen=True)
class Granted:
    """The inviter's grant, authenticated under the code: hand it to the application, then `finish()`."""

    grant: bytes


@dataclass(frozen=True)
class Linked:
    """The joiner took its grant: the new device is linked."""

    name: str


@dataclass(frozen=True)
class Failed:
    """The link ended without linking. `sent`: this side told the other why (a `refuse` went out)."""

    reason: Reason
    from_peer: bool = False  # the other side said so (a `refuse` came in)


Event = DeviceRequest | Granted | Linked | Failed


class InvitationState(Enum):
    OPEN = "open"
    CLAIMED = "claimed"  # a joiner's try is under way
    LINKED = "linked"
    SPENT = "spent"  # tried and failed: no second try


class Invitation:
    """One invitation on the inviter's side, shared by its connections: one claim, then spent."""

    def __init__(
        self,
        code: Code,
        *,
        limits: Limits = DEFAULT_LIMITS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.code = code
        self.limits = limits
        self.clock = clock
        self.expires_at = clock() + limits.link_invitation_seconds
        self.state = InvitationState.OPEN
        self.outcome: Event | None = None  # Linked or Failed, once the invitation is over
        # Sessions may run in worker threads (SPAKE2 in pure Python takes tens of milliseconds, kept off an
        # event loop): checking that the invitation is open and claiming it happen under this lock.
        self.lock = threading.Lock()

    @property
    def expired(self) -> bool:
        return self.state is InvitationState.OPEN and self.clock() >= self.expires_at

    @property
    def over(self) -> bool:
        return self.state in (InvitationState.LINKED, InvitationState.SPENT) or self.expired

    def _end(self, outcome: Linked | Failed) -> None:
        with self.lock:
            self._end_locked(outcome)

    def _end_locked(self, outcome: Linked | Failed) -> None:
        if self.state is InvitationState.CLAIMED:
            self.state = InvitationState.LINKED if isinstance(outcome, Linked) else InvitationState.SPENT
            self.outcome = outcome


# ------------------------------------------------------------------------------------------ message codec


def _shape(limits: Limits, max_bin: int) -> Shape:
    return Shape(
        max_str=max(limits.link_device_name_chars * 4, 64),
        max_bin=max_bin,
        max_map=8,
        max_depth=2,
        memory_multiple=limits.packed_memory_multiple,
        max_array=0,
    )


def pack_map(message: dict[str, Any]) -> bytes:
    packed: bytes = msgpack.packb(message, use_bin_type=True)
    return packed


def encode(message: dict[str, Any]) -> bytes:
    body = pack_map(message)
    return HEADER.pack(len(body)) + body


class MessageReader:
    """Bytes as they come, cut anywhere, to whole message bodies; a header above `allowed` is refused
    before its body is kept."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self.buffer += data

    def next_body(self, allowed: int) -> bytes | None:
        """The next whole body, or None if it has not all come. Raises `_Refusal(TOO_LARGE)`."""
        if len(self.buffer) < HEADER.size:
            return None
        (size,) = HEADER.unpack_from(self.buffer)
        if size > allowed:
            raise _Refusal(Reason.TOO_LARGE)
        if len(self.buffer) < HEADER.size + size:
            return None
        body = bytes(self.buffer[HEADER.size : HEADER.size + size])
        del self.buffer[: HEADER.size + size]
        return body


class _Refusal(Exception):
    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.value)
        self.reason = reason


Fields = dict[str, type | tuple[type, int]]


def _decode(body: bytes, shape: Shape, kind: str, fields: Fields) -> dict[str, Any]:
    """A message of type `kind` with exactly `fields` (a bin field with its exact length), or a refusal;
    a `refuse` message is returned as it is for the caller to read."""
    try:
        message = unpack(body, shape)
    except PackError:
        raise _Refusal(Reason.MALFORMED) from None
    if not isinstance(message, dict) or not isinstance(message.get("t"), str):
        raise _Refusal(Reason.MALFORMED)
    if message["t"] == "refuse" and set(message) == {"t", "why"} and isinstance(message["why"], str):
        return message
    if message["t"] != kind or set(message) != {"t", *fields}:
        raise _Refusal(Reason.MALFORMED)
    for name, expected in fields.items():
        value: Any = message[name]
        kind_of, size = expected if isinstance(expected, tuple) else (expected, -1)
        length = len(value) if isinstance(value, bytes | str) else -1
        if type(value) is not kind_of or (size >= 0 and length != size):
            raise _Refusal(Reason.MALFORMED)
    return message


def _refusal_reason(message: dict[str, Any]) -> Reason | None:
    if message["t"] != "refuse":
        return None
    return _REFUSABLE.get(message["why"], Reason.MALFORMED)


def _check_name(name: str, limits: Limits) -> str:
    """A device name as its joiner typed it, or a refusal: never cleaned into something it did not say."""
    if not 1 <= len(name) <= limits.link_device_name_chars or name != name.strip():
        raise _Refusal(Reason.MALFORMED)
    if any(unicodedata.category(ch)[0] == "C" for ch in name):
        raise _Refusal(Reason.MALFORMED)
    return name


@dataclass(frozen=True)
class _Keys:
    inviter_confirm: bytes
    joiner_confirm: bytes
    to_joiner: ChaCha20Poly1305
    to_inviter: ChaCha20Poly1305


def _derive(shared: bytes) -> _Keys:
    def part(label: bytes) -> bytes:
        kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"reliance link v1 " + label)
        return kdf.derive(shared)

    return _Keys(
        part(b"confirm inviter"),
        part(b"confirm joiner"),
        ChaCha20Poly1305(part(b"box to joiner")),
        ChaCha20Poly1305(part(b"box to inviter")),
    )


def _nonce(counter: int) -> bytes:
    return counter.to_bytes(12, "big")


def _open(box: ChaCha20Poly1305, counter: int, sealed: bytes, label: bytes) -> bytes:
    try:
        return box.decrypt(_nonce(counter), sealed, label)
    except InvalidTag:
        raise _Refusal(Reason.MALFORMED) from None


def _finish_pake(side: SPAKE2_A | SPAKE2_B, message: bytes) -> bytes:
    """SPAKE2's shared key, or a refusal for a message that is no group element (the package raises
    several kinds of error for those)."""
    try:
        return bytes(side.finish(message))
    except Exception:  # hostile bytes inside a third-party parser: whatever it raises, it is malformed
        raise _Refusal(Reason.MALFORMED) from None


# ------------------------------------------------------------------------------------------------ sessions


class _Session:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.reader = MessageReader()
        self.outgoing = bytearray()
        self.state: State = State.FAILED
        self.keys: _Keys | None = None
        self.failure: Failed | None = None

    def data_to_send(self) -> bytes:
        data = bytes(self.outgoing)
        self.outgoing.clear()
        return data

    @property
    def finished(self) -> bool:
        return self.state in (State.FAILED, State.LINKED, State.JOINED)

    def _send(self, message: dict[str, Any]) -> None:
        self.outgoing += encode(message)

    def _fail(self, reason: Reason, *, tell: bool, from_peer: bool = False) -> Failed:
        if tell:
            self._send({"t": "refuse", "why": reason.value})
        self.state = State.FAILED
        self.failure = Failed(reason, from_peer)
        return self.failure

    def _allowed(self) -> int:
        return self.limits.link_max_message

    def receive_data(self, data: bytes) -> list[Event]:
        """Bytes from the other side; the events they make. Bytes after the end are ignored."""
        if self.finished:
            return []
        self.reader.feed(data)
        events: list[Event] = []
        while not self.finished:
            try:
                body = self.reader.next_body(self._allowed())
                if body is None:
                    break
                events.extend(self._handle(body))
            except _Refusal as refusal:
                events.append(self._refused(refusal.reason))
        return events

    def _refused(self, reason: Reason) -> Failed:
        return self._fail(reason, tell=True)

    def _handle(self, body: bytes) -> list[Event]:
        raise NotImplementedError

    def connection_lost(self) -> list[Event]:
        """The connection ended: a link not finished has failed."""
        if self.finished:
            return []
        return [self._fail(Reason.CLOSED, tell=False)]

    def patience(self) -> float:
        """Seconds the other side has for its next message (`timed_out` after that)."""
        return float(self.limits.link_step_seconds)

    def timed_out(self) -> list[Event]:
        """The other side did not send its next message in time (`patience`)."""
        if self.finished:
            return []
        return [self._fail(Reason.TIMEOUT, tell=True)]


class InviterSession(_Session):
    """One connection to the inviter. Drive it with `receive_data`; answer a `DeviceRequest` with
    `send_grant` (or `refuse_grant`); send `data_to_send()` after each call."""

    def __init__(self, invitation: Invitation) -> None:
        super().__init__(invitation.limits)
        self.invitation = invitation
        self.state = State.AWAIT_HELLO
        self.claimed = False
        self.device_name = ""

    def _allowed(self) -> int:
        return self.limits.link_max_message

    def _fail(self, reason: Reason, *, tell: bool, from_peer: bool = False) -> Failed:
        failed = super()._fail(reason, tell=tell, from_peer=from_peer)
        if self.claimed:
            self.invitation._end(failed)
        return failed

    def _handle(self, body: bytes) -> list[Event]:
        shape = _shape(self.limits, self.limits.link_max_message)
        if self.state is State.AWAIT_HELLO:
            return self._hello(_decode(body, shape, "hello", {"v": int, "n": int, "pake": bytes}))
        if self.state is State.AWAIT_REQUEST:
            fields: Fields = {"confirm": (bytes, CONFIRM_BYTES), "box": bytes}
            return self._request(_decode(body, shape, "request", fields))
        if self.state is State.AWAIT_DONE:
            return self._done(_decode(body, shape, "done", {"box": bytes}))
        raise _Refusal(Reason.MALFORMED)  # MAKING_GRANT: the joiner speaks out of turn

    def _hello(self, message: dict[str, Any]) -> list[Event]:
        if (peer_says := _refusal_reason(message)) is not None:
            return [self._fail(peer_says, tell=False, from_peer=True)]
        if message["v"] != PROTOCOL_VERSION:
            raise _Refusal(Reason.VERSION)
        if message["n"] != self.invitation.code.number:
            raise _Refusal(Reason.UNKNOWN_NUMBER)
        if len(message["pake"]) != PAKE_MESSAGE_BYTES:
            raise _Refusal(Reason.MALFORMED)
        with self.invitation.lock:
            if self.invitation.expired:
                raise _Refusal(Reason.EXPIRED)
            if self.invitation.state is not InvitationState.OPEN:
                raise _Refusal(Reason.SPENT)
            side = SPAKE2_A(self.invitation.code.password, idA=ID_INVITER, idB=ID_JOINER)
            ours = bytes(side.start())
            self.keys = _derive(_finish_pake(side, message["pake"]))  # a point off the curve claims nothing
            self.invitation.state = InvitationState.CLAIMED
            self.claimed = True
        self._send({"t": "pake", "pake": ours, "confirm": self.keys.inviter_confirm})
        self.state = State.AWAIT_REQUEST
        return []

    def _request(self, message: dict[str, Any]) -> list[Event]:
        assert self.keys is not None
        if (peer_says := _refusal_reason(message)) is not None:
            return [self._fail(peer_says, tell=False, from_peer=True)]
        if not hmac.compare_digest(message["confirm"], self.keys.joiner_confirm):
            return [self._fail(Reason.WRONG_CODE, tell=True)]
        plain = _open(self.keys.to_inviter, 0, message["box"], b"request")
        inner = _decode(
            plain,
            _shape(self.limits, DEVICE_KEY_BYTES),
            "device",
            {"name": str, "key": (bytes, DEVICE_KEY_BYTES)},
        )
        if inner["t"] != "device":
            raise _Refusal(Reason.MALFORMED)
        self.device_name = _check_name(inner["name"], self.limits)
        self.state = State.MAKING_GRANT
        return [DeviceRequest(self.device_name, inner["key"])]

    def send_grant(self, grant: bytes) -> None:
        """The application made the grant for the `DeviceRequest`: send it, sealed."""
        if self.state is not State.MAKING_GRANT or self.keys is None:
            raise RuntimeError(f"send_grant in state {self.state.value}")
        if len(grant) > self.limits.device_grant_bytes:
            self._fail(Reason.TOO_LARGE, tell=True)
            return
        self._send({"t": "grant", "box": self.keys.to_joiner.encrypt(_nonce(0), grant, b"grant")})
        self.state = State.AWAIT_DONE

    def refuse_grant(self) -> Failed:
        """The application could not make the grant: tell the joiner, and end (the invitation is spent)."""
        return self._fail(Reason.REFUSED, tell=True)

    def _done(self, message: dict[str, Any]) -> list[Event]:
        assert self.keys is not None
        if (peer_says := _refusal_reason(message)) is not None:
            return [self._fail(peer_says, tell=False, from_peer=True)]
        _open(self.keys.to_inviter, 1, message["box"], b"done")
        self.state = State.LINKED
        linked = Linked(self.device_name)
        self.invitation._end(linked)
        return [linked]


class JoinerSession(_Session):
    """The joiner's side: `start()`, then `receive_data` until `Granted`; after the application took the
    grant, `finish()` (or `refuse_grant()` if it could not)."""

    def __init__(self, code: Code, device_name: str, public_key: bytes, *, limits: Limits = DEFAULT_LIMITS):
        super().__init__(limits)
        if len(public_key) != DEVICE_KEY_BYTES:
            raise ValueError("a device key is 32 bytes")
        try:
            self.device_name = _check_name(device_name, limits)
        except _Refusal:
            raise ValueError("device name") from None
        self.code = code
        self.public_key = public_key
        self.state = State.START
        self.side = SPAKE2_B(code.password, idA=ID_INVITER, idB=ID_JOINER)

    def start(self) -> None:
        if self.state is not State.START:
            raise RuntimeError("start() twice")
        ours = bytes(self.side.start())
        self._send({"t": "hello", "v": PROTOCOL_VERSION, "n": self.code.number, "pake": ours})
        self.state = State.AWAIT_PAKE

    def patience(self) -> float:
        if self.state is State.AWAIT_GRANT:  # the inviter certifies and bundles the documents first
            return float(max(self.limits.link_grant_seconds, self.limits.link_step_seconds))
        return float(self.limits.link_step_seconds)

    def _allowed(self) -> int:
        if self.state is State.AWAIT_GRANT:  # the grant, sealed, and its message's keys
            return self.limits.device_grant_bytes + self.limits.link_max_message
        return self.limits.link_max_message

    def _handle(self, body: bytes) -> list[Event]:
        if self.state is State.AWAIT_PAKE:
            shape = _shape(self.limits, self.limits.link_max_message)
            fields: Fields = {
                "pake": (bytes, PAKE_MESSAGE_BYTES),
                "confirm": (bytes, CONFIRM_BYTES),
            }
            return self._pake(_decode(body, shape, "pake", fields))
        if self.state is State.AWAIT_GRANT:
            shape = _shape(self.limits, self.limits.device_grant_bytes + 16)
            return self._grant(_decode(body, shape, "grant", {"box": bytes}))
        raise _Refusal(Reason.MALFORMED)  # START, USING_GRANT: the inviter speaks out of turn

    def _pake(self, message: dict[str, Any]) -> list[Event]:
        if (peer_says := _refusal_reason(message)) is not None:
            return [self._fail(peer_says, tell=False, from_peer=True)]
        self.keys = _derive(_finish_pake(self.side, message["pake"]))
        if not hmac.compare_digest(message["confirm"], self.keys.inviter_confirm):
            return [self._fail(Reason.WRONG_CODE, tell=True)]
        device = pack_map({"t": "device", "name": self.device_name, "key": self.public_key})
        box = self.keys.to_inviter.encrypt(_nonce(0), device, b"request")
        self._send({"t": "request", "confirm": self.keys.joiner_confirm, "box": box})
        self.state = State.AWAIT_GRANT
        return []

    def _grant(self, message: dict[str, Any]) -> list[Event]:
        assert self.keys is not None
        if (peer_says := _refusal_reason(message)) is not None:
            return [self._fail(peer_says, tell=False, from_peer=True)]
        grant = _open(self.keys.to_joiner, 0, message["box"], b"grant")
        if len(grant) > self.limits.device_grant_bytes:
            raise _Refusal(Reason.TOO_LARGE)
        self.state = State.USING_GRANT
        return [Granted(grant)]

    def finish(self) -> None:
        """The application took the grant: tell the inviter, sealed, and end."""
        if self.state is not State.USING_GRANT or self.keys is None:
            raise RuntimeError(f"finish in state {self.state.value}")
        self._send({"t": "done", "box": self.keys.to_inviter.encrypt(_nonce(1), b"", b"done")})
        self.state = State.JOINED

    def refuse_grant(self) -> Failed:
        """The application could not use the grant: tell the inviter, and end."""
        return self._fail(Reason.REFUSED, tell=True)


def fingerprint(data: bytes) -> str:
    """A short hex digest of bytes, for logs (never the bytes themselves)."""
    return sha256(data).hexdigest()[:12]
