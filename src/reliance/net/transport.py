"""Authenticated, encrypted message transport: Noise XX over asyncio TCP.

Every connection runs the Noise handshake ``Noise_XX_25519_ChaChaPoly_SHA256`` (library: ``noiseprotocol``;
no cryptography is written here). The Noise static key is a fresh X25519 key per connection; a node's
long-term identity is an Ed25519 key, bound to the Noise static key by a signature carried in the handshake
payload (the libp2p approach)::

    payload = msgpack {"v": protocol version, "key": Ed25519 public key (32 bytes),
                       "sig": Ed25519 signature over b"reliance-noise-static-v1" + Noise static public key,
                       "name": display name (<= 64 characters), "port": listening port or None}

Wire format (everything big-endian)::

    handshake:  [u16 length][Noise handshake message]            x3   (XX: -> e / <- e,ee,s,es / -> s,se)
    transport:  [u16 length][Noise transport message = ChaChaPoly(plaintext) + 16-byte tag]
    plaintext:  [u8 header][body]     header = FLAG_MORE (0x80) | kind (low 7 bits)

Frame kinds: ``DATA`` (0), ``PING`` (1), ``PONG`` (2), ``CLOSE`` (3), ``REFUSE`` (4), ``ACCEPT`` (5).
An application message of ``n`` bytes (``0 <= n <= max_message``) is sent as DATA fragments: the first
one carries ``[u32 n]`` then up to 65,514 bytes of the message, the following ones up to 65,518 bytes each;
every fragment but the last has ``FLAG_MORE``. The receiver rejects a declared ``n`` above its
``max_message`` before buffering anything, and checks that the fragments add up exactly to ``n``.
PING/PONG (body <= 8 bytes, the PONG echoes the PING's body) may arrive between the fragments of a
message; control frames never carry ``FLAG_MORE``. CLOSE carries an optional UTF-8 reason.

After the three handshake messages the responder sends one transport frame: ``ACCEPT`` (empty body) or
``REFUSE`` (UTF-8 reason, e.g. an incompatible protocol version, a malformed or unsigned hello, a blocked
peer), then closes if it refused.
The initiator payload's identity is checked (signature over the static key Noise authenticated) before the
responder decides; the initiator checks the responder's identity (and the pinned key, if any) before it sends
its own.

Liveness: each side sends a PING every ``heartbeat_interval`` and answers PINGs with PONGs; a peer from
which no complete frame arrives for ``3 * heartbeat_interval`` (or ``read_timeout``, whichever is shorter)
is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import statistics
import struct
import time
import unicodedata
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final

import msgpack
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from noise.connection import Keypair, NoiseConnection

from reliance.display import REPLACEMENT, clean
from reliance.limits import DEFAULT_LIMITS, Limits

__all__ = [
    "PROTOCOL_VERSION",
    "ConnectFailed",
    "ConnectionClosed",
    "ConnectionLost",
    "FrameTooLarge",
    "HandshakeFailed",
    "HandshakeRefused",
    "PeerMismatch",
    "ReceiveBudget",
    "SecureConnection",
    "Server",
    "TransportConfig",
    "TransportError",
    "connect",
    "measure_handshake_ms",
    "serve",
]

log = logging.getLogger(__name__)

PROTOCOL_VERSION: Final = 1
NOISE_PROTOCOL_NAME: Final = b"Noise_XX_25519_ChaChaPoly_SHA256"
PROLOGUE: Final = b"reliance-transport"
STATIC_KEY_CONTEXT: Final = b"reliance-noise-static-v1"

MAX_NAME_LENGTH: Final = 64
MAX_REASON_BYTES: Final = 512

# Frame header.
FLAG_MORE: Final = 0x80
KIND_DATA: Final = 0
KIND_PING: Final = 1
KIND_PONG: Final = 2
KIND_CLOSE: Final = 3
KIND_REFUSE: Final = 4
KIND_ACCEPT: Final = 5

_MAX_NOISE_MESSAGE = 65535
_TAG_LEN = 16
_MAX_PLAINTEXT = _MAX_NOISE_MESSAGE - _TAG_LEN  # 65,519
_FIRST_CHUNK = _MAX_PLAINTEXT - 1 - 4  # header byte + u32 total length
_NEXT_CHUNK = _MAX_PLAINTEXT - 1  # header byte
_MAX_HANDSHAKE_MESSAGE = 2048  # ours are < 600 bytes
_MAX_PAYLOAD = 1024
_MAX_PING_BODY = 8
_SILENCE_INTERVALS = 3
_INBOX_MAX_MESSAGES = 64
_CONTROL_BUFFER_LIMIT = 256 * 1024  # skip PING/PONG while this much is waiting to be written
_CLOSE_GRACE = 2.0
_HELLO_KEYS = frozenset({"v", "key", "sig", "name", "port"})
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")


# ------------------------------------------------------------------------------------------------- errors


class TransportError(Exception):
    """Base class of every error raised by this module."""


class ConnectFailed(TransportError):
    """The TCP connection could not be established (refused, unreachable, timed out)."""


class HandshakeFailed(TransportError):
    """The handshake did not complete: malformed or unauthenticated messages, timeout, connection dropped."""


class HandshakeRefused(HandshakeFailed):
    """The handshake completed but the connection was refused; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PeerMismatch(HandshakeFailed):
    """The peer authenticated with another Ed25519 key than the expected (pinned) one."""


class ConnectionLost(TransportError):
    """The connection is gone: peer silent, connection reset, protocol violation."""


class ConnectionClosed(ConnectionLost):
    """The connection was closed cleanly, by this side or by the peer."""


class FrameTooLarge(TransportError):
    """A message is larger than ``max_message``."""


# ------------------------------------------------------------------------------------------------- config


@dataclass(frozen=True, slots=True)
class TransportConfig:
    """Limits and timers of the transport (seconds, bytes).

    - ``max_message``: largest application message accepted or sent (a larger declared size drops the
      connection before anything is buffered).
    - ``handshake_timeout``: TCP connect, and separately the whole handshake including ACCEPT/REFUSE.
    - ``read_timeout``: upper bound on the wait for each frame of an established connection, and on the
      grace period of a clean close.
    - ``heartbeat_interval``: PING period; a peer with no complete frame for 3 intervals is dropped.
    - ``protocol_version``: sent in the handshake payload; the responder refuses any other version.
    """

    max_message: int = DEFAULT_LIMITS.max_frame  # a node gives its own: `Limits.max_frame`, the one source
    handshake_timeout: float = 10.0
    read_timeout: float = 30.0
    heartbeat_interval: float = 5.0
    protocol_version: int = PROTOCOL_VERSION

    def __post_init__(self) -> None:
        if not 0 <= self.max_message <= 0xFFFFFFFF:
            raise ValueError("max_message must be between 0 and 2**32 - 1")
        for label, value in (
            ("handshake_timeout", self.handshake_timeout),
            ("read_timeout", self.read_timeout),
            ("heartbeat_interval", self.heartbeat_interval),
        ):
            if not value > 0:
                raise ValueError(f"{label} must be positive")
        if isinstance(self.protocol_version, bool) or not 0 <= self.protocol_version <= 0xFFFF:
            raise ValueError("protocol_version must be an integer in 0..65535")

    @property
    def frame_timeout(self) -> float:
        """Longest wait for the next complete frame of an established connection."""
        return min(self.read_timeout, _SILENCE_INTERVALS * self.heartbeat_interval)

    @property
    def close_grace(self) -> float:
        """Longest wait for the peer's end of a clean close."""
        return min(self.read_timeout, _CLOSE_GRACE)


DEFAULT_CONFIG: Final = TransportConfig()


# ------------------------------------------------------------------------------------- handshake payload


@dataclass(frozen=True, slots=True)
class _Hello:
    version: int
    key: bytes
    sig: bytes
    name: str
    port: int | None


def _check_name(name: object) -> str:
    if not isinstance(name, str) or len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"name must be a string of at most {MAX_NAME_LENGTH} characters")
    if any(unicodedata.category(ch)[0] == "C" for ch in name):
        raise ValueError("name must not contain control or format characters")
    return name


def hello_name(name: str) -> str:
    """A display name as a handshake may carry it, for a name an older version let into a profile: shown
    inert (`display.clean`: escape codes as visible symbols, bidi overrides as U+FFFD), any other character
    the handshake refuses (format, private-use, unassigned) as U+FFFD, cut to MAX_NAME_LENGTH characters."""
    shown = clean(name)
    if any(unicodedata.category(ch)[0] == "C" for ch in shown):
        shown = "".join(REPLACEMENT if unicodedata.category(ch)[0] == "C" else ch for ch in shown)
    return shown.strip()[:MAX_NAME_LENGTH]


def _check_port(port: object) -> int | None:
    if port is None:
        return None
    if type(port) is not int or not 1 <= port <= 65535:
        raise ValueError("port must be None or an integer in 1..65535")
    return port


def _public_key(identity: Ed25519PrivateKey) -> bytes:
    return identity.public_key().public_bytes_raw()


def _make_hello(
    identity: Ed25519PrivateKey, static_public: bytes, *, name: str, port: int | None, version: int
) -> bytes:
    packed = msgpack.packb(
        {
            "v": version,
            "key": _public_key(identity),
            "sig": identity.sign(STATIC_KEY_CONTEXT + static_public),
            "name": name,
            "port": port,
        },
        use_bin_type=True,
    )
    assert isinstance(packed, bytes)
    return packed


def _unpack_hello(payload: bytes) -> dict[str, Any]:
    """Decode a handshake payload far enough to read its protocol version ``v``."""
    if len(payload) > _MAX_PAYLOAD:
        raise HandshakeFailed("handshake payload too large")
    try:
        obj = msgpack.unpackb(
            payload,
            raw=False,
            strict_map_key=True,
            max_str_len=_MAX_PAYLOAD,
            max_bin_len=_MAX_PAYLOAD,
            max_array_len=16,
            max_map_len=16,
            max_ext_len=0,
        )
    except Exception:
        raise HandshakeFailed("malformed handshake payload") from None
    if not isinstance(obj, dict):
        raise HandshakeFailed("handshake payload is not a map")
    version = obj.get("v")
    if type(version) is not int or not 0 <= version <= 0xFFFF:
        raise HandshakeFailed("handshake payload has no valid protocol version")
    return obj


def _validate_hello(obj: dict[str, Any]) -> _Hello:
    """Check every field of a payload of our protocol version."""
    if set(obj) != _HELLO_KEYS:
        raise HandshakeFailed("handshake payload has unexpected fields")
    key, sig, name, port = obj["key"], obj["sig"], obj["name"], obj["port"]
    if not isinstance(key, bytes) or len(key) != 32:
        raise HandshakeFailed("handshake payload: key must be 32 bytes")
    if not isinstance(sig, bytes) or len(sig) != 64:
        raise HandshakeFailed("handshake payload: sig must be 64 bytes")
    try:
        _check_name(name)
        _check_port(port)
    except ValueError as exc:
        raise HandshakeFailed(f"handshake payload: {exc}") from None
    return _Hello(version=obj["v"], key=key, sig=sig, name=name, port=port)


def _verify_hello(hello: _Hello, remote_static: bytes) -> None:
    """The identity key must have signed the static key that the Noise handshake authenticated."""
    try:
        Ed25519PublicKey.from_public_bytes(hello.key).verify(hello.sig, STATIC_KEY_CONTEXT + remote_static)
    except (InvalidSignature, ValueError):
        raise HandshakeFailed(
            "identity signature does not cover the authenticated Noise static key"
        ) from None


def _compatible(remote_version: int, local_version: int) -> bool:
    return remote_version == local_version


def _incompatible_reason(remote_version: int, local_version: int) -> str:
    return f"incompatible protocol version {remote_version}, this node speaks {local_version}"


def _printable(text: str) -> str:
    return "".join("?" if unicodedata.category(ch)[0] == "C" else ch for ch in text)


def _encode_reason(reason: str) -> bytes:
    return reason.encode("utf-8")[:MAX_REASON_BYTES]


def _decode_reason(body: bytes) -> str:
    return _printable(body[:MAX_REASON_BYTES].decode("utf-8", errors="replace"))


# ------------------------------------------------------------------------------------------ low-level I/O


def _new_noise(initiator: bool) -> tuple[Any, bytes]:
    """A Noise XX state with a fresh X25519 static key; returns it and the static public key."""
    static = X25519PrivateKey.generate()
    noise = NoiseConnection.from_name(NOISE_PROTOCOL_NAME)
    if initiator:
        noise.set_as_initiator()
    else:
        noise.set_as_responder()
    noise.set_prologue(PROLOGUE)
    noise.set_keypair_from_private_bytes(Keypair.STATIC, static.private_bytes_raw())
    noise.start_handshake()
    return noise, static.public_key().public_bytes_raw()


def _noise_write(noise: Any, payload: bytes) -> bytes:
    return bytes(noise.write_message(payload))


def _noise_read(noise: Any, message: bytes) -> bytes:
    try:
        return bytes(noise.read_message(message))
    except Exception:
        raise HandshakeFailed("invalid handshake message") from None


def _remote_static(handshake_state: Any) -> bytes:
    """The remote static key from a handshake state object kept by the caller.

    noiseprotocol deletes ``noise_protocol.handshake_state`` after the last handshake message, so callers
    keep a reference to the state object before processing messages and read the key from it.
    """
    key = getattr(getattr(handshake_state, "rs", None), "public_bytes", None)
    if not isinstance(key, bytes) or len(key) != 32:
        raise HandshakeFailed("handshake did not authenticate a remote static key")
    return key


def _send_raw(writer: asyncio.StreamWriter, message: bytes) -> None:
    writer.write(_U16.pack(len(message)) + message)


async def _read_raw(reader: asyncio.StreamReader, max_size: int) -> bytes:
    size = _U16.unpack(await reader.readexactly(2))[0]
    if size == 0 or size > max_size:
        raise HandshakeFailed(f"bad handshake message length {size}")
    return await reader.readexactly(size)


def _encrypt_frame(noise: Any, header: int, body: bytes) -> bytes:
    ciphertext = bytes(noise.encrypt(bytes((header,)) + body))
    return _U16.pack(len(ciphertext)) + ciphertext


def _decrypt(noise: Any, message: bytes) -> bytes:
    try:
        return bytes(noise.decrypt(message))
    except Exception:
        raise ConnectionLost("frame failed authentication") from None


async def _wait_closed(writer: asyncio.StreamWriter, timeout: float) -> None:
    try:
        async with asyncio.timeout(timeout):
            await writer.wait_closed()
    except TimeoutError:
        writer.transport.abort()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    except Exception:
        pass


async def _abort(writer: asyncio.StreamWriter) -> None:
    writer.transport.abort()
    with contextlib.suppress(Exception):
        await writer.wait_closed()


async def _shutdown(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, grace: float) -> None:
    """Half-close, discard what the peer still sends until its EOF (so that our close sends no RST), close."""
    try:
        async with asyncio.timeout(grace):
            if writer.can_write_eof():
                writer.write_eof()
            await writer.drain()
            while await reader.read(65536):
                pass
    except Exception:  # TimeoutError, connection errors: we are closing anyway
        pass
    writer.close()
    await _wait_closed(writer, grace)


def _peer_address(writer: asyncio.StreamWriter) -> tuple[str, int]:
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        return str(peer[0]), int(peer[1])
    return ("", 0)


# ------------------------------------------------------------------------------------------ receive budget


class ReceiveBudget:
    """Bytes received on a set of connections and not yet taken by ``recv()``, against one limit.

    A connection takes its share fragment by fragment, as the bytes arrive, and gives it back when the
    application takes the message (or the connection ends). A priority connection (a known peer's) always
    gets its share, counted all the same; the others wait for room, and are dropped if none comes in time.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.peak = 0
        self._freed = asyncio.Event()

    def take(self, size: int, *, priority: bool = False) -> bool:
        if priority or self.used == 0 or self.used + size <= self.limit:
            self.used += size
            self.peak = max(self.peak, self.used)
            return True
        return False

    def give_back(self, size: int) -> None:
        if size:
            self.used -= size
            self._freed.set()

    async def wait_and_take(self, size: int, timeout: float) -> bool:
        try:
            async with asyncio.timeout(timeout):
                while not self.take(size):
                    self._freed.clear()
                    await self._freed.wait()
        except TimeoutError:
            return False
        return True


# -------------------------------------------------------------------------------------------- connection


class SecureConnection:
    """An authenticated, encrypted, message-oriented connection. Made by :func:`connect` and :func:`serve`.

    ``recv()`` returns whole messages in order; after the connection ended it raises :class:`ConnectionClosed`
    (clean close by either side; messages that arrived before a remote close are still returned first) or
    :class:`ConnectionLost` (silence, reset, protocol violation). Always ``close()`` a connection.
    """

    remote_key: bytes
    remote_name: str
    remote_port: int | None
    remote_address: tuple[str, int]

    def __init__(
        self,
        *,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        noise: Any,
        hello: _Hello,
        config: TransportConfig,
        budget: ReceiveBudget | None = None,
        priority: bool = False,
    ) -> None:
        self.remote_key = hello.key
        self.remote_name = hello.name
        self.remote_port = hello.port
        self.remote_address = _peer_address(writer)
        self._reader = reader
        self._writer = writer
        self._noise = noise
        self._config = config
        self._send_lock = asyncio.Lock()
        self._inbox: deque[bytes] = deque()
        self._inbox_bytes = 0
        self._budget = budget
        self.priority = priority  # a known peer's: takes its share of the budget without waiting
        self._held = 0  # bytes taken from the budget: partial message and inbox
        self._readable = asyncio.Event()
        self._space = asyncio.Event()
        self._running = asyncio.Event()  # cleared by the test hook _pause_for_tests()
        self._running.set()
        self._error: TransportError | None = None
        self._partial: bytearray | None = None
        self._expected = 0
        self._reader_task: asyncio.Task[None] | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        key = self.remote_key[:8].hex()
        return f"<SecureConnection {self.remote_name!r} {key} {self.remote_address} {state}>"

    def _start(self) -> None:
        label = self.remote_key[:4].hex()
        self._reader_task = asyncio.create_task(self._read_loop(), name=f"transport-read-{label}")
        self._heartbeat_task = asyncio.create_task(self._heartbeat_loop(), name=f"transport-ping-{label}")

    @property
    def closed(self) -> bool:
        """True once the connection ended (closed by either side, or lost)."""
        return self._error is not None

    async def __aenter__(self) -> SecureConnection:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- sending

    def _raise_if_ended(self) -> None:
        error = self._error
        if error is not None:
            raise type(error)(*error.args) from error.__cause__

    def _write_frame(self, header: int, body: bytes) -> None:
        # Encryption and write happen without an await in between: Noise nonces follow the write order.
        self._writer.write(_encrypt_frame(self._noise, header, body))

    async def _drain(self) -> None:
        try:
            await self._writer.drain()
        except (ConnectionError, OSError) as exc:
            self._fail(ConnectionLost(f"connection error while sending: {type(exc).__name__}"))
        self._raise_if_ended()

    async def send(self, data: bytes) -> None:
        """Send one message (``len(data) <= max_message``); waits while the peer does not read."""
        if not isinstance(data, bytes | bytearray):
            raise TypeError("data must be bytes")
        size = len(data)
        if size > self._config.max_message:
            raise FrameTooLarge(f"message of {size} bytes exceeds max_message {self._config.max_message}")
        view = memoryview(data)
        async with self._send_lock:
            self._raise_if_ended()
            offset = min(size, _FIRST_CHUNK)
            more = FLAG_MORE if offset < size else 0
            self._write_frame(KIND_DATA | more, _U32.pack(size) + view[:offset])
            await self._drain()
            while offset < size:
                chunk = view[offset : offset + _NEXT_CHUNK]
                offset += len(chunk)
                more = FLAG_MORE if offset < size else 0
                self._write_frame(KIND_DATA | more, bytes(chunk))
                await self._drain()

    # -- receiving

    async def recv(self) -> bytes:
        """The next message. Raises ConnectionClosed / ConnectionLost once the connection has ended."""
        while True:
            if self._inbox:
                message = self._inbox.popleft()
                self._inbox_bytes -= len(message)
                self._give_back(len(message))
                self._space.set()
                return message
            self._raise_if_ended()
            self._readable.clear()
            await self._readable.wait()

    async def _read_message(self) -> bytes:
        timeout = self._config.frame_timeout
        try:
            async with asyncio.timeout(timeout):
                try:
                    prefix = await self._reader.readexactly(2)
                except asyncio.IncompleteReadError as exc:
                    if exc.partial:
                        raise ConnectionLost("truncated frame") from None
                    raise ConnectionLost("connection closed by peer without a close frame") from None
                size = _U16.unpack(prefix)[0]
                if size <= _TAG_LEN:
                    raise ConnectionLost(f"protocol violation: frame of {size} bytes")
                try:
                    message = await self._reader.readexactly(size)
                except asyncio.IncompleteReadError:
                    raise ConnectionLost("truncated frame") from None
        except TimeoutError:
            raise ConnectionLost(f"peer silent: no complete frame for {timeout:g} s") from None
        except (ConnectionError, OSError) as exc:
            raise ConnectionLost(f"connection error: {type(exc).__name__}") from None
        return _decrypt(self._noise, message)

    async def _read_loop(self) -> None:
        try:
            while True:
                if not self._running.is_set():
                    await self._running.wait()
                plaintext = await self._read_message()
                await self._handle_frame(plaintext[0], plaintext[1:])
        except asyncio.CancelledError:
            raise
        except TransportError as exc:
            self._fail(exc)
        except Exception as exc:
            log.warning("transport: unexpected error in reader: %s", type(exc).__name__, exc_info=True)
            self._fail(ConnectionLost(f"internal error: {type(exc).__name__}"))

    async def _handle_frame(self, header: int, body: bytes) -> None:
        kind, more = header & ~FLAG_MORE, bool(header & FLAG_MORE)
        if kind == KIND_DATA:
            await self._on_data(more, body)
            return
        if more:
            raise ConnectionLost(f"protocol violation: control frame {kind} with the more-fragments flag")
        if kind == KIND_PING:
            if len(body) > _MAX_PING_BODY:
                raise ConnectionLost("protocol violation: ping too long")
            if self._writer.transport.get_write_buffer_size() <= _CONTROL_BUFFER_LIMIT:
                self._write_frame(KIND_PONG, body)
        elif kind == KIND_PONG:
            if len(body) > _MAX_PING_BODY:
                raise ConnectionLost("protocol violation: pong too long")
        elif kind == KIND_CLOSE:
            reason = _decode_reason(body)
            raise ConnectionClosed(f"closed by peer: {reason}" if reason else "closed by peer")
        else:
            raise ConnectionLost(f"protocol violation: unexpected frame kind {kind}")

    async def _on_data(self, more: bool, body: bytes) -> None:
        if self._partial is None:
            if len(body) < 4:
                raise ConnectionLost("protocol violation: first fragment without a length")
            declared = _U32.unpack_from(body)[0]
            if declared > self._config.max_message:
                raise ConnectionLost("peer declared a message above max_message") from FrameTooLarge(
                    f"declared message of {declared} bytes exceeds max_message {self._config.max_message}"
                )
            # Backpressure before reading a message: what waits in the inbox plus this message stays
            # within one max_message (this message alone when the inbox is empty), so that a
            # connection never holds more than that.
            while self._error is None and (
                len(self._inbox) >= _INBOX_MAX_MESSAGES
                or (self._inbox and self._inbox_bytes + declared > self._config.max_message)
            ):
                self._space.clear()  # stop reading the socket until recv() makes room
                await self._space.wait()
            await self._take(len(body) - 4)
            self._expected = declared
            self._partial = bytearray(body[4:])
        elif not body:
            raise ConnectionLost("protocol violation: empty continuation fragment")
        else:
            await self._take(len(body))
            self._partial += body
        received = len(self._partial)
        if received > self._expected:
            raise ConnectionLost("protocol violation: fragments exceed the declared length")
        if more and received == self._expected:
            raise ConnectionLost("protocol violation: more-fragments flag on a complete message")
        if more:
            return
        if received != self._expected:
            raise ConnectionLost("protocol violation: message shorter than declared")
        message = bytes(self._partial)
        self._partial = None
        if self._error is not None:
            return
        self._inbox.append(message)
        self._inbox_bytes += len(message)
        self._readable.set()

    async def _take(self, size: int) -> None:
        """Take `size` bytes of the shared receive budget, waiting (not reading) while it is full."""
        budget = self._budget
        if budget is None or not size:
            return
        if not budget.take(size, priority=self.priority):
            if not await budget.wait_and_take(size, self._config.frame_timeout):
                raise ConnectionLost("the node's receive buffers stayed full")
            if self._error is not None:  # closed while waiting: nothing more is kept
                budget.give_back(size)
                return
        self._held += size

    def _give_back(self, size: int) -> None:
        if self._budget is not None:
            size = min(size, self._held)
            self._held -= size
            self._budget.give_back(size)

    # -- liveness

    async def _heartbeat_loop(self) -> None:
        interval = self._config.heartbeat_interval
        while self._error is None:
            await asyncio.sleep(interval)
            if not self._running.is_set():
                await self._running.wait()
                continue
            if self._error is not None or self._writer.is_closing():
                return
            if self._writer.transport.get_write_buffer_size() <= _CONTROL_BUFFER_LIMIT:
                try:
                    self._write_frame(KIND_PING, b"")
                except Exception as exc:
                    self._fail(ConnectionLost(f"cannot send heartbeat: {type(exc).__name__}"))

    # -- ending

    def _fail(self, error: TransportError) -> None:
        """End the connection with ``error`` (first error wins); called from the connection's own tasks."""
        if self._error is not None:
            return
        self._error = error
        log.debug("transport: connection with %s ended: %s", self.remote_key[:8].hex(), error)
        current = asyncio.current_task()
        for task in (self._reader_task, self._heartbeat_task):
            if task is not None and task is not current:
                task.cancel()
        if isinstance(error, ConnectionClosed):
            self._writer.close()
        else:
            self._writer.transport.abort()
        self._give_back(self._held - self._inbox_bytes)  # the partial message; the inbox is still read
        self._readable.set()
        self._space.set()

    async def close(self, reason: str = "") -> None:
        """Send a close frame (with `reason`, if any), close the socket and wait for it (idempotent)."""
        graceful = self._error is None
        self._inbox.clear()
        self._inbox_bytes = 0
        self._give_back(self._held)
        if graceful:
            self._error = ConnectionClosed("connection closed locally")
            self._readable.set()
            self._space.set()
        current = asyncio.current_task()
        tasks = [t for t in (self._reader_task, self._heartbeat_task) if t is not None and t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        grace = self._config.close_grace
        if graceful and not self._writer.is_closing():
            with contextlib.suppress(Exception):
                self._write_frame(KIND_CLOSE, _encode_reason(reason))
            await _shutdown(self._reader, self._writer, grace)
        else:
            self._writer.close()
            await _wait_closed(self._writer, grace)

    # -- test hooks

    def _pause_for_tests(self) -> None:
        """Simulate a frozen process: stop reading frames and sending heartbeats."""
        self._running.clear()

    def _resume_for_tests(self) -> None:
        self._running.set()


# --------------------------------------------------------------------------------------------- handshake


async def _read_handshake_frame(reader: asyncio.StreamReader, noise: Any) -> tuple[int, bytes]:
    """The responder's first transport frame (ACCEPT / REFUSE)."""
    size = _U16.unpack(await reader.readexactly(2))[0]
    if size <= _TAG_LEN:
        raise HandshakeFailed(f"bad frame length {size}")
    plaintext = await reader.readexactly(size)
    try:
        plaintext = bytes(noise.decrypt(plaintext))
    except Exception:
        raise HandshakeFailed("reply failed authentication") from None
    return plaintext[0], plaintext[1:]


async def _initiator_handshake(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    identity: Ed25519PrivateKey,
    *,
    name: str,
    listen_port: int | None,
    expected_key: bytes | None,
    config: TransportConfig,
) -> tuple[Any, _Hello]:
    noise, static_public = _new_noise(initiator=True)
    state = noise.noise_protocol.handshake_state  # kept: the library drops it after the last message
    _send_raw(writer, _noise_write(noise, b""))  # -> e
    await writer.drain()
    payload = _noise_read(noise, await _read_raw(reader, _MAX_HANDSHAKE_MESSAGE))  # <- e, ee, s, es
    remote_static = _remote_static(state)
    obj = _unpack_hello(payload)
    hello: _Hello | None = None
    if _compatible(obj["v"], config.protocol_version):
        hello = _validate_hello(obj)
        _verify_hello(hello, remote_static)
        if expected_key is not None and hello.key != expected_key:
            raise PeerMismatch(f"peer authenticated as {hello.key.hex()}, expected {expected_key.hex()}")
    # Otherwise we still send our payload: the responder decides, and tells us why it refuses.
    own = _make_hello(identity, static_public, name=name, port=listen_port, version=config.protocol_version)
    _send_raw(writer, _noise_write(noise, own))  # -> s, se
    await writer.drain()
    if not noise.handshake_finished:
        raise HandshakeFailed("handshake did not finish")
    header, body = await _read_handshake_frame(reader, noise)
    if header == KIND_REFUSE:
        raise HandshakeRefused(_decode_reason(body))
    if header != KIND_ACCEPT or body:
        raise HandshakeFailed(f"unexpected reply to the handshake (frame kind {header})")
    if hello is None:
        reason = _incompatible_reason(obj["v"], config.protocol_version)
        with contextlib.suppress(Exception):
            writer.write(_encrypt_frame(noise, KIND_CLOSE, _encode_reason(reason)))
        raise HandshakeRefused(reason)
    return noise, hello


async def connect(
    host: str,
    port: int,
    identity: Ed25519PrivateKey,
    *,
    name: str,
    listen_port: int | None = None,
    expected_key: bytes | None = None,
    config: TransportConfig = DEFAULT_CONFIG,
) -> SecureConnection:
    """Open a connection to ``host:port`` and authenticate both sides.

    Raises :class:`ConnectFailed`, :class:`HandshakeFailed` (or its subclasses :class:`HandshakeRefused`,
    :class:`PeerMismatch` when ``expected_key`` is given and the peer's Ed25519 key differs).
    """
    _check_name(name)
    _check_port(listen_port)
    if expected_key is not None and (not isinstance(expected_key, bytes) or len(expected_key) != 32):
        raise ValueError("expected_key must be 32 bytes")
    try:
        async with asyncio.timeout(config.handshake_timeout):
            reader, writer = await asyncio.open_connection(host, port)
    except TimeoutError:
        raise ConnectFailed(f"cannot connect to {host}:{port}: timed out") from None
    except OSError as exc:
        raise ConnectFailed(f"cannot connect to {host}:{port}: {exc.strerror or exc}") from exc
    try:
        try:
            async with asyncio.timeout(config.handshake_timeout):
                noise, hello = await _initiator_handshake(
                    reader,
                    writer,
                    identity,
                    name=name,
                    listen_port=listen_port,
                    expected_key=expected_key,
                    config=config,
                )
        except TimeoutError:
            raise HandshakeFailed(f"handshake timed out after {config.handshake_timeout:g} s") from None
        except asyncio.IncompleteReadError:
            raise HandshakeFailed("connection closed during the handshake") from None
        except (ConnectionError, OSError) as exc:
            raise HandshakeFailed(f"connection error during the handshake: {type(exc).__name__}") from None
    except HandshakeRefused:
        await _shutdown(reader, writer, config.close_grace)
        raise
    except BaseException:
        await _abort(writer)
        raise
    conn = SecureConnection(reader=reader, writer=writer, noise=noise, hello=hello, config=config)
    conn._start()
    return conn


async def _responder_handshake(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    identity: Ed25519PrivateKey,
    *,
    name: str,
    port: int | None,
    accept: Callable[[bytes], str | None],
    config: TransportConfig,
) -> tuple[Any, _Hello | None, str | None]:
    """Run the handshake; returns (noise, hello, refusal reason). Raises HandshakeFailed on garbage."""
    noise, static_public = _new_noise(initiator=False)
    state = noise.noise_protocol.handshake_state  # kept: the library drops it after the last message
    if _noise_read(noise, await _read_raw(reader, _MAX_HANDSHAKE_MESSAGE)):  # -> e
        raise HandshakeFailed("unexpected payload in the first handshake message")
    own = _make_hello(identity, static_public, name=name, port=port, version=config.protocol_version)
    _send_raw(writer, _noise_write(noise, own))  # <- e, ee, s, es
    await writer.drain()
    payload = _noise_read(noise, await _read_raw(reader, _MAX_HANDSHAKE_MESSAGE))  # -> s, se
    if not noise.handshake_finished:
        raise HandshakeFailed("handshake did not finish")
    remote_static = _remote_static(state)
    # From here the channel is authenticated and encrypted: whatever is wrong with the hello, the
    # client is told why (REFUSE with a reason) rather than seeing a silent hang-up.
    try:
        obj = _unpack_hello(payload)
    except HandshakeFailed as exc:
        return noise, None, f"handshake rejected: {exc}"
    if not _compatible(obj["v"], config.protocol_version):
        return noise, None, _incompatible_reason(obj["v"], config.protocol_version)
    try:
        hello = _validate_hello(obj)
        _verify_hello(hello, remote_static)
    except HandshakeFailed as exc:
        return noise, None, f"handshake rejected: {exc}"
    try:
        refusal = accept(hello.key)
    except Exception:
        log.warning("transport: accept callback failed", exc_info=True)
        refusal = "internal error"
    if refusal is not None:
        return noise, hello, str(refusal) or "refused"
    return noise, hello, None


# ------------------------------------------------------------------------------------------------ server


def _accept_all(key: bytes) -> str | None:
    return None


def _nobody_known(key: bytes) -> bool:
    return False


TOO_MANY_CONNECTIONS: Final = "this node serves too many connections; try again later"
TOO_MANY_FROM_ADDRESS: Final = "this node serves too many connections from your address; try again later"
MAKING_ROOM: Final = "making room for a known peer"


@dataclass(eq=False)
class _Slot:
    """An admitted incoming connection (its connection is set once the ACCEPT frame is written)."""

    address: str
    known: bool
    conn: SecureConnection | None = None


class Server:
    """A listening socket that authenticates incoming connections. Made by :func:`serve`.

    What strangers can hold is bounded (``Limits``, section "connections"): sockets still in their
    handshake (in total and per source address: the oldest is dropped for a new one), authenticated
    connections (in total and per address: refused with a reason beyond), and the bytes they sent that
    were not taken yet (:class:`ReceiveBudget`). A known peer (``known(key)``) passes the per-address
    limit, takes a stranger's place when the node is full, and its bytes are never held back.
    """

    def __init__(
        self,
        identity: Ed25519PrivateKey,
        *,
        name: str,
        on_connection: Callable[[SecureConnection], Awaitable[None]],
        accept: Callable[[bytes], str | None],
        config: TransportConfig,
        limits: Limits = DEFAULT_LIMITS,
        known: Callable[[bytes], bool] = _nobody_known,
    ) -> None:
        self._identity = identity
        self._name = name
        self._on_connection = on_connection
        self._accept = accept
        self._config = config
        self._limits = limits
        self._known = known
        self._server: asyncio.Server | None = None
        self._port = 0
        self._handlers: set[asyncio.Task[Any]] = set()
        self._closing = False
        self._handshaking: dict[asyncio.StreamWriter, str] = {}  # oldest first
        self._slots: list[_Slot] = []  # oldest first
        self._closers: set[asyncio.Future[None]] = set()
        self.budget = ReceiveBudget(limits.connections_buffer_total_bytes)

    @property
    def connections(self) -> int:
        """Authenticated incoming connections open now."""
        return len(self._slots)

    @property
    def handshaking(self) -> int:
        """Incoming sockets still in their handshake."""
        return len(self._handshaking)

    @property
    def port(self) -> int:
        """The bound TCP port (useful after binding port 0)."""
        return self._port

    async def __aenter__(self) -> Server:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop listening, close every live connection (their peers see ConnectionClosed) and wait."""
        self._closing = True
        if self._server is not None:
            self._server.close()
        while True:
            handlers = [t for t in self._handlers if not t.done()]
            for task in handlers:
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)
            for _ in range(3):  # connections accepted just before close start their handler now
                await asyncio.sleep(0)
            if not self._handlers:
                break
        if self._server is not None:
            await self._server.wait_closed()

    def _admit_socket(self, writer: asyncio.StreamWriter, host: str) -> None:
        """Room for one more socket in its handshake: the oldest one from the same address, or the oldest
        of all, is dropped when there are too many (an honest handshake takes milliseconds)."""
        limits = self._limits
        from_host = [w for w, other in self._handshaking.items() if other == host]
        if len(from_host) >= limits.handshakes_max_per_address:
            self._drop_handshake(from_host[0])
        while len(self._handshaking) >= limits.handshakes_max:
            self._drop_handshake(next(iter(self._handshaking)))
        self._handshaking[writer] = host

    def _drop_handshake(self, writer: asyncio.StreamWriter) -> None:
        del self._handshaking[writer]
        writer.transport.abort()  # its handshake fails at once and its handler ends

    def _admit(self, key: bytes, host: str) -> tuple[_Slot | None, str | None]:
        """A slot for an authenticated connection, or the reason there is none. No await in here:
        counting and taking the slot happen at once."""
        limits = self._limits
        known = self._known(key)
        if not known:
            if len(self._slots) >= limits.connections_max:
                return None, TOO_MANY_CONNECTIONS
            if sum(1 for s in self._slots if s.address == host) >= limits.connections_max_per_address:
                return None, TOO_MANY_FROM_ADDRESS
        elif len(self._slots) >= limits.connections_max:
            strangers = [s for s in self._slots if not s.known and s.conn is not None]
            if not strangers:
                return None, TOO_MANY_CONNECTIONS
            evicted = strangers[0]  # the oldest
            self._slots.remove(evicted)
            assert evicted.conn is not None
            closing = asyncio.ensure_future(evicted.conn.close(MAKING_ROOM))
            self._closers.add(closing)
            closing.add_done_callback(self._closers.discard)
        slot = _Slot(host, known)
        self._slots.append(slot)
        return slot, None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        conn: SecureConnection | None = None
        address = _peer_address(writer)
        slot: _Slot | None = None
        try:
            if self._closing:
                return
            self._admit_socket(writer, address[0])
            try:
                conn, slot = await self._handshake(reader, writer, address)
            finally:
                self._handshaking.pop(writer, None)
            if conn is not None:
                try:
                    await self._on_connection(conn)
                except TransportError as exc:
                    log.debug("transport: connection from %s ended: %s", address, exc)
                except Exception:
                    log.warning("transport: on_connection failed for %s", address, exc_info=True)
        except asyncio.CancelledError:
            pass  # Server.close(): this task is a leaf, end it normally (3.11 logs cancelled callbacks)
        except Exception:
            log.warning("transport: unexpected error with %s", address, exc_info=True)
        finally:
            if slot is not None and slot in self._slots:
                self._slots.remove(slot)
            try:
                if conn is not None:
                    await conn.close()
                elif not writer.is_closing():
                    await _abort(writer)
                else:
                    await _wait_closed(writer, _CLOSE_GRACE)
            finally:
                self._handlers.discard(task)

    async def _handshake(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, address: tuple[str, int]
    ) -> tuple[SecureConnection | None, _Slot | None]:
        config = self._config
        slot: _Slot | None = None
        try:
            async with asyncio.timeout(config.handshake_timeout):
                noise, hello, refusal = await _responder_handshake(
                    reader,
                    writer,
                    self._identity,
                    name=self._name,
                    port=self.port,
                    accept=self._accept,
                    config=config,
                )
                if refusal is None:
                    assert hello is not None
                    slot, refusal = self._admit(hello.key, address[0])
                if refusal is not None:
                    log.debug("transport: refusing %s: %s", address, refusal)
                    writer.write(_encrypt_frame(noise, KIND_REFUSE, _encode_reason(refusal)))
                    await _shutdown(reader, writer, config.close_grace)
                    return None, None
                writer.write(_encrypt_frame(noise, KIND_ACCEPT, b""))
                await writer.drain()
        except TimeoutError:
            log.debug("transport: handshake with %s timed out", address)
        except HandshakeFailed as exc:
            log.debug("transport: handshake with %s failed: %s", address, exc)
        except (asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
            log.debug("transport: handshake with %s dropped: %s", address, type(exc).__name__)
        else:
            assert hello is not None and slot is not None
            conn = SecureConnection(
                reader=reader,
                writer=writer,
                noise=noise,
                hello=hello,
                config=config,
                budget=self.budget,
                priority=slot.known,
            )
            slot.conn = conn
            conn._start()
            return conn, slot
        if slot is not None and slot in self._slots:
            self._slots.remove(slot)
        return None, None


async def serve(
    host: str | None,
    port: int,
    identity: Ed25519PrivateKey,
    *,
    name: str,
    on_connection: Callable[[SecureConnection], Awaitable[None]],
    accept: Callable[[bytes], str | None] = _accept_all,
    config: TransportConfig = DEFAULT_CONFIG,
    limits: Limits = DEFAULT_LIMITS,
    known: Callable[[bytes], bool] = _nobody_known,
) -> Server:
    """Listen on ``host:port`` (port 0: any free port, see :attr:`Server.port`).

    Each authenticated connection is handed to ``on_connection``, in its own task; the connection is closed
    when that coroutine returns. ``accept(remote_ed25519_key)`` returns None to accept or a reason to refuse,
    which the peer receives. Failures of one connection (bad handshakes, errors in ``on_connection``) are
    logged and never affect the listener. ``limits`` bound the connections (see :class:`Server`); a peer
    for which ``known(remote_ed25519_key)`` is true goes first.
    """
    _check_name(name)
    server = Server(
        identity,
        name=name,
        on_connection=on_connection,
        accept=accept,
        config=config,
        limits=limits,
        known=known,
    )
    server._server = await asyncio.start_server(server._handle, host, port)
    server._port = int(server._server.sockets[0].getsockname()[1])
    return server


# --------------------------------------------------------------------------------------------- benchmark


async def measure_handshake_ms(rounds: int = 50) -> float:
    """Median time in milliseconds of :func:`connect` (TCP connect, handshake, ACCEPT) on loopback."""
    if rounds < 1:
        raise ValueError("rounds must be positive")
    server_identity = Ed25519PrivateKey.generate()
    client_identity = Ed25519PrivateKey.generate()

    async def wait_for_close(conn: SecureConnection) -> None:
        with contextlib.suppress(TransportError):
            while True:
                await conn.recv()

    server = await serve("127.0.0.1", 0, server_identity, name="bench-server", on_connection=wait_for_close)
    samples: list[float] = []
    try:
        for _ in range(rounds):
            start = time.perf_counter()
            conn = await connect(
                "127.0.0.1",
                server.port,
                client_identity,
                name="bench-client",
                expected_key=_public_key(server_identity),
            )
            samples.append((time.perf_counter() - start) * 1000.0)
            await conn.close()
    finally:
        await server.close()
    return statistics.median(samples)
