"""Hostile variants of every transport message kind: the handshake hello and each `KIND_*` frame.

Each variant is what a hostile client does over a raw socket to a real node (`Attacker`), and what must
come of it:

- DROPPED: garbage before any key is agreed: the node closes the connection (no channel for a reason);
- REFUSED: the handshake ends with a REFUSE frame carrying a reason;
- VIOLATION: after the handshake, the node drops the connection and reports why (a disconnection event
  naming the violation);
- REJECTED: an authenticated message the sync protocol refuses: a `reject` back, with its reason;
- CLOSED: the peer's own close: the node ends the connection and reports the peer's reason, printable;
- SERVED: harmless: the connection stays usable (a ping is still answered).

Whatever the expectation, the node logs no unexpected error, its documents do not change, and it then
syncs with an honest peer. The variants use the seeds of tests/fuzz for their frames.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import msgpack
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reliance.net import transport
from reliance.net.transport import (
    FLAG_MORE,
    KIND_ACCEPT,
    KIND_CLOSE,
    KIND_DATA,
    KIND_PING,
    KIND_PONG,
    KIND_REFUSE,
    PROTOCOL_VERSION,
    STATIC_KEY_CONTEXT,
)
from tests.hostile.frames import Category
from tests.net.hostile import Raw, prefixed


class Outcome(StrEnum):
    DROPPED = "dropped"
    REFUSED = "refused"
    VIOLATION = "violation"
    REJECTED = "rejected"
    CLOSED = "closed"
    SERVED = "served"


@dataclass
class Attacker:
    host: str
    port: int
    key: Ed25519PrivateKey
    raws: list[Raw]
    reply: tuple[int, bytes] | None = None  # the node's answer to the handshake
    received: list[bytes] | None = None  # messages the node sent afterwards

    async def raw(self) -> Raw:
        raw = await Raw.open(self.host, self.port)
        self.raws.append(raw)
        return raw

    def fields(self, static_public: bytes) -> dict[str, Any]:
        return {
            "v": PROTOCOL_VERSION,
            "key": self.key.public_key().public_bytes_raw(),
            "sig": self.key.sign(STATIC_KEY_CONTEXT + static_public),
            "name": "mallory",
            "port": None,
        }

    async def hello(self, payload: Callable[[bytes], bytes]) -> Raw:
        raw = await self.raw()
        self.reply = await raw.handshake(payload)
        return raw

    async def accepted(self) -> Raw:
        raw = await self.hello(lambda static: _pack(self.fields(static)))
        assert self.reply == (KIND_ACCEPT, b""), self.reply
        return raw


Attack = Callable[[Attacker], Awaitable[Raw]]


@dataclass(frozen=True)
class KindVariant:
    kind: str
    category: Category
    name: str
    attack: Attack
    expect: Outcome
    known: str | None = None

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.category.value.replace(' ', '-')}/{self.name}"


def _pack(value: Any) -> bytes:
    packed: bytes = msgpack.packb(value, use_bin_type=True)
    return packed


# -- the handshake ------------------------------------------------------------------------------------------


def _payload(edit: Callable[[dict[str, Any]], Any]) -> Attack:
    """A handshake whose hello payload is the honest one edited (or replaced by what `edit` returns)."""

    async def attack(attacker: Attacker) -> Raw:
        def payload(static: bytes) -> bytes:
            fields = attacker.fields(static)
            replaced = edit(fields)
            if replaced is None:
                return _pack(fields)
            return replaced if isinstance(replaced, bytes) else _pack(replaced)

        return await attacker.hello(payload)

    return attack


def _raw_bytes(data: Callable[[], bytes], eof: bool = False) -> Attack:
    async def attack(attacker: Attacker) -> Raw:
        raw = await attacker.raw()
        raw.writer.write(data())
        if eof:
            raw.writer.write_eof()
        return raw

    return attack


async def _no_third_message(attacker: Attacker) -> Raw:
    raw = await attacker.raw()
    noise, _ = transport._new_noise(initiator=True)
    raw.writer.write(prefixed(noise.write_message(b"")))
    await raw.read_prefixed()
    return raw


async def _replayed_handshake(attacker: Attacker) -> Raw:
    """The messages of a finished handshake, sent again on a new connection (new keys on the other side)."""
    first = await attacker.raw()
    noise, static_public = transport._new_noise(initiator=True)
    message_1 = noise.write_message(b"")
    first.writer.write(prefixed(message_1))
    noise.read_message(await first.read_prefixed())
    message_3 = noise.write_message(_pack(attacker.fields(static_public)))
    first.writer.write(prefixed(message_3))
    await first.read_prefixed()  # ACCEPT
    raw = await attacker.raw()
    raw.writer.write(prefixed(message_1))
    await raw.read_prefixed()
    raw.writer.write(prefixed(message_3))
    return raw


def hello_variants() -> list[KindVariant]:
    k = "hello"
    out = [
        KindVariant(
            k,
            Category.RANDOM_BYTES,
            "instead-of-message-1",
            _raw_bytes(lambda: os.urandom(4096)),
            Outcome.DROPPED,
        ),
        KindVariant(
            k,
            Category.TRUNCATED,
            "message-1",
            _raw_bytes(lambda: struct.pack(">H", 100) + b"\0" * 10, eof=True),
            Outcome.DROPPED,
        ),
        KindVariant(k, Category.TRUNCATED, "no-message-3", _no_third_message, Outcome.DROPPED),
        KindVariant(
            k,
            Category.OVERSIZE,
            "message-1-of-65535-bytes",
            _raw_bytes(lambda: struct.pack(">H", 65535) + os.urandom(65535)),
            Outcome.DROPPED,
        ),
        KindVariant(
            k, Category.REPLAY, "handshake-of-another-connection", _replayed_handshake, Outcome.DROPPED
        ),
        KindVariant(
            k,
            Category.RANDOM_BYTES,
            "payload-not-msgpack",
            _payload(lambda f: b"\xc1" + os.urandom(64)),
            Outcome.REFUSED,
        ),
        KindVariant(
            k, Category.WRONG_TYPE, "payload-not-a-map", _payload(lambda f: list(f.values())), Outcome.REFUSED
        ),
        KindVariant(
            k,
            Category.OVERSIZE,
            "payload-1500-bytes",
            _payload(lambda f: {**f, "pad": b"\0" * 1400}),
            Outcome.REFUSED,
        ),
        KindVariant(
            k,
            Category.HUGE_COUNT,
            "map-of-2^32-entries-claimed",
            _payload(lambda f: b"\xdf\xff\xff\xff\xff"),
            Outcome.REFUSED,
        ),
        KindVariant(
            k,
            Category.HUGE_COUNT,
            "map-of-20-entries",
            _payload(lambda f: {**f, **{f"x{i}": i for i in range(15)}}),
            Outcome.REFUSED,
        ),
        KindVariant(
            k,
            Category.OVERSIZE,
            "name-of-65-characters",
            _payload(lambda f: {**f, "name": "m" * 65}),
            Outcome.REFUSED,
        ),
        KindVariant(
            k,
            Category.WRONG_TYPE,
            "name-with-escape-codes",
            _payload(lambda f: {**f, "name": "\x1b[2Jmallory"}),
            Outcome.REFUSED,
        ),
        KindVariant(
            k,
            Category.WRONG_TYPE,
            "someone-elses-key",
            _payload(lambda f: {**f, "key": Ed25519PrivateKey.generate().public_key().public_bytes_raw()}),
            Outcome.REFUSED,
        ),
        KindVariant(
            k, Category.WRONG_TYPE, "version-as-text", _payload(lambda f: {**f, "v": "1"}), Outcome.REFUSED
        ),
        KindVariant(
            k, Category.WRONG_TYPE, "other-version", _payload(lambda f: {**f, "v": 999}), Outcome.REFUSED
        ),
    ]
    wrong = {"key": b"\0" * 31, "sig": "signature", "name": 7, "port": 70_000}
    for field_name in sorted(transport._HELLO_KEYS):

        def drop(fields: dict[str, Any], name: str = field_name) -> None:
            del fields[name]

        out.append(
            KindVariant(k, Category.MISSING_FIELD, f"no-{field_name}", _payload(drop), Outcome.REFUSED)
        )
        if field_name in wrong:

            def put(fields: dict[str, Any], name: str = field_name) -> None:
                fields[name] = wrong[name]

            out.append(
                KindVariant(k, Category.WRONG_TYPE, f"{field_name}-mistyped", _payload(put), Outcome.REFUSED)
            )
    return out


# -- frames after the handshake ----------------------------------------------------------------------------


def _frames(*frames: tuple[int, bytes]) -> Attack:
    async def attack(attacker: Attacker) -> Raw:
        raw = await attacker.accepted()
        for header, body in frames:
            raw.frame(header, body)
        return raw

    return attack


def _then(write: Callable[[Raw], None]) -> Attack:
    async def attack(attacker: Attacker) -> Raw:
        raw = await attacker.accepted()
        write(raw)
        return raw

    return attack


def _cut_short(raw: Raw) -> None:
    """A frame announcing 1,000 bytes, 10 sent, then the end of the stream."""
    raw.writer.write(struct.pack(">H", 1000) + b"\0" * 10)
    raw.writer.write_eof()


def _replayed_frame(raw: Raw) -> None:
    frame = prefixed(raw.noise.encrypt(bytes((KIND_PING,)) + b"1"))
    raw.writer.write(frame + frame)


def _tampered(raw: Raw) -> None:
    frame = bytearray(prefixed(raw.noise.encrypt(bytes((KIND_DATA,)) + struct.pack(">I", 3) + b"abc")))
    frame[5] ^= 0x01
    raw.writer.write(bytes(frame))


def _message(data: bytes) -> tuple[int, bytes]:
    return (KIND_DATA, struct.pack(">I", len(data)) + data)


def data_variants() -> list[KindVariant]:
    k = "data"
    return [
        KindVariant(k, Category.MISSING_FIELD, "no-length", _frames((KIND_DATA, b"\0\0")), Outcome.VIOLATION),
        KindVariant(
            k,
            Category.TRUNCATED,
            "frame-cut-short",
            _then(_cut_short),
            Outcome.VIOLATION,
        ),
        KindVariant(
            k,
            Category.TRUNCATED,
            "message-shorter-than-declared",
            _frames((KIND_DATA, struct.pack(">I", 5) + b"abc")),
            Outcome.VIOLATION,
        ),
        KindVariant(
            k,
            Category.OVERSIZE,
            "declared-over-max-message",
            _frames((KIND_DATA | FLAG_MORE, struct.pack(">I", (64 << 20) + 1) + b"\0" * 1000)),
            Outcome.VIOLATION,
        ),
        KindVariant(
            k,
            Category.HUGE_COUNT,
            "declared-4GiB",
            _frames((KIND_DATA | FLAG_MORE, struct.pack(">I", 0xFFFFFFFF) + b"\0" * 1000)),
            Outcome.VIOLATION,
        ),
        KindVariant(
            k,
            Category.OVERSIZE,
            "fragments-beyond-declared",
            _frames((KIND_DATA | FLAG_MORE, struct.pack(">I", 4) + b"ab"), (KIND_DATA, b"cdef")),
            Outcome.VIOLATION,
        ),
        KindVariant(
            k,
            Category.WRONG_TYPE,
            "more-flag-on-complete-message",
            _frames((KIND_DATA | FLAG_MORE, struct.pack(">I", 3) + b"abc")),
            Outcome.VIOLATION,
        ),
        KindVariant(
            k,
            Category.MISSING_FIELD,
            "empty-continuation",
            _frames((KIND_DATA | FLAG_MORE, struct.pack(">I", 4) + b"ab"), (KIND_DATA | FLAG_MORE, b"")),
            Outcome.VIOLATION,
        ),
        KindVariant(k, Category.RANDOM_BYTES, "ciphertext-tampered", _then(_tampered), Outcome.VIOLATION),
        KindVariant(k, Category.REPLAY, "same-ciphertext-twice", _then(_replayed_frame), Outcome.VIOLATION),
        KindVariant(
            k,
            Category.RANDOM_BYTES,
            "message-not-a-frame",
            _frames(_message(b"\xc1" + os.urandom(500))),
            Outcome.REJECTED,
        ),
        KindVariant(
            k,
            Category.WRONG_TYPE,
            "message-a-frame-of-no-type",
            _frames(_message(_pack({"x": 1}))),
            Outcome.REJECTED,
        ),
    ]


def ping_variants() -> list[KindVariant]:
    k = "ping"
    pings = tuple((KIND_PING, i.to_bytes(8, "big")) for i in range(2000))
    return [
        KindVariant(
            k, Category.OVERSIZE, "body-of-9-bytes", _frames((KIND_PING, b"123456789")), Outcome.VIOLATION
        ),
        KindVariant(
            k, Category.WRONG_TYPE, "more-flag", _frames((KIND_PING | FLAG_MORE, b"")), Outcome.VIOLATION
        ),
        KindVariant(
            k,
            Category.TRUNCATED,
            "tag-only",
            _then(lambda raw: raw.writer.write(struct.pack(">H", 16) + b"\0" * 16)),
            Outcome.VIOLATION,
        ),
        KindVariant(k, Category.REPLAY, "2000-pings", _frames(*pings), Outcome.SERVED),
        KindVariant(
            k, Category.RANDOM_BYTES, "random-body", _frames((KIND_PING, os.urandom(8))), Outcome.SERVED
        ),
    ]


def pong_variants() -> list[KindVariant]:
    k = "pong"
    return [
        KindVariant(k, Category.REPLAY, "unasked", _frames((KIND_PONG, b"12345678")), Outcome.SERVED),
        KindVariant(
            k, Category.OVERSIZE, "body-of-9-bytes", _frames((KIND_PONG, b"123456789")), Outcome.VIOLATION
        ),
        KindVariant(
            k, Category.WRONG_TYPE, "more-flag", _frames((KIND_PONG | FLAG_MORE, b"")), Outcome.VIOLATION
        ),
    ]


def close_variants() -> list[KindVariant]:
    k = "close"
    return [
        KindVariant(
            k,
            Category.WRONG_TYPE,
            "reason-with-escape-codes",
            _frames((KIND_CLOSE, b"\x1b[2Jbye\x07")),
            Outcome.CLOSED,
        ),
        KindVariant(
            k,
            Category.OVERSIZE,
            "reason-of-60000-bytes",
            _frames((KIND_CLOSE, b"x" * 60_000)),
            Outcome.CLOSED,
        ),
        KindVariant(
            k,
            Category.RANDOM_BYTES,
            "reason-not-utf-8",
            _frames((KIND_CLOSE, b"\xff\xfe\xc1bye")),
            Outcome.CLOSED,
        ),
        KindVariant(
            k, Category.WRONG_TYPE, "more-flag", _frames((KIND_CLOSE | FLAG_MORE, b"")), Outcome.VIOLATION
        ),
    ]


def refuse_variants() -> list[KindVariant]:
    return [
        KindVariant(
            "refuse",
            Category.WRONG_TYPE,
            "from-the-initiator",
            _frames((KIND_REFUSE, b"no")),
            Outcome.VIOLATION,
        )
    ]


def accept_variants() -> list[KindVariant]:
    return [
        KindVariant(
            "accept", Category.REPLAY, "from-the-initiator", _frames((KIND_ACCEPT, b"")), Outcome.VIOLATION
        ),
        KindVariant(
            "accept", Category.WRONG_TYPE, "unknown-kind-0x7f", _frames((0x7F, b"")), Outcome.VIOLATION
        ),
    ]


FIELDLESS = "carries no fields"
KINDS: dict[str, tuple[Callable[[], list[KindVariant]], dict[Category, str]]] = {
    "hello": (hello_variants, {}),
    "data": (data_variants, {}),
    "ping": (
        ping_variants,
        {Category.MISSING_FIELD: "a ping's body is optional", Category.HUGE_COUNT: "a ping holds no count"},
    ),
    "pong": (
        pong_variants,
        {
            Category.MISSING_FIELD: "a pong's body is optional",
            Category.HUGE_COUNT: "a pong holds no count",
            Category.TRUNCATED: "as a ping (a frame of 16 bytes or less is refused before its kind is read)",
            Category.RANDOM_BYTES: "a pong's body is not read",
        },
    ),
    "close": (
        close_variants,
        {
            Category.MISSING_FIELD: "a close's reason is optional",
            Category.HUGE_COUNT: "a close holds no count",
            Category.TRUNCATED: "as a ping",
            Category.REPLAY: "nothing is read after a close",
        },
    ),
    "refuse": (
        refuse_variants,
        {c: "refused from an initiator whatever its body" for c in Category if c != Category.WRONG_TYPE},
    ),
    "accept": (
        accept_variants,
        {
            c: "refused from an initiator whatever its body"
            for c in Category
            if c not in (Category.WRONG_TYPE, Category.REPLAY)
        },
    ),
}
