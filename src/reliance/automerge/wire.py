"""Pure byte parsing and encoding of Automerge sync messages and storage chunks.

This module never imports automerge: it reads the wire format written by the Rust crate (0.5.x, as bundled
by the ``automerge==1.0.0rc1`` Python binding) so that a node can list, hash and check every change carried
by a sync message *before* handing anything to automerge.

Sync message (a session's first message is v1 ``0x42``; once both peers advertised v2, ``0x43``)::

    version:u8  heads:hashes  need:hashes  have:count*(last_sync:hashes, bloom:uleb-len+bytes)
    changes:count*(uleb-len+entry)  trailer (capabilities: uleb count + one byte each; kept verbatim)

where ``hashes`` is a ULEB128 count followed by that many 32-byte SHA-256 hashes. v1 and v2 share this
layout; they differ in what an entry holds: v1 puts one change chunk per entry, v2 concatenates all the
change chunks it sends into a single entry, or, when answering an empty peer that spoke first, sends one
entry holding the output of ``save()`` (a document chunk).

Storage chunk::

    magic 85 6f 4a 83 | checksum:4 | type:u8 (0 document, 1 change, 2 deflated change) | uleb len | body

The chunk hash is ``SHA-256(type byte + uleb len + body)`` and the checksum is its first four bytes. For a
deflated change (raw deflate, no zlib header) hash and checksum are those of the equivalent *uncompressed*
change chunk (type 1, inflated length, inflated body); the checksum in the compressed header is that same
value. A change body starts with: deps (uleb count + 32-byte hashes, sorted), actor (uleb length + bytes),
seq (uleb), start op (uleb, non-zero), time (signed LEB128, milliseconds since the epoch), message (uleb
length + UTF-8, empty meaning none), then other actors and the op columns, which this module does not read.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from reliance.limits import DEFAULT_LIMITS

__all__ = [
    "CHUNK_MAGIC",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ENTRIES",
    "HASH_LEN",
    "MESSAGE_V1",
    "MESSAGE_V2",
    "ChangeHeader",
    "ChunkKind",
    "Have",
    "RawChunk",
    "SyncMessage",
    "WireError",
    "apply_message",
    "build_chunk",
    "change_size",
    "changes_in_message",
    "check_document_chunk",
    "chunk_hash",
    "decode_sync_message",
    "encode_sync_message",
    "parse_change",
    "read_sleb128",
    "read_sleb128_fast",
    "read_uleb128",
    "read_uleb128_fast",
    "split_chunks",
    "write_sleb128",
    "write_uleb128",
]

MESSAGE_V1 = 0x42
MESSAGE_V2 = 0x43
HASH_LEN = 32
CHUNK_MAGIC = b"\x85\x6f\x4a\x83"
DEFAULT_MAX_BYTES = DEFAULT_LIMITS.max_frame
DEFAULT_MAX_ENTRIES = 1_000_000

#: Largest Bloom filter parameters accepted. Automerge writes 10 bits per entry and 7 probes; a zero makes its
#: probe computation divide by zero (a panic) and a huge probe count makes it allocate without bound.
MAX_BLOOM_BITS_PER_ENTRY = 64
MAX_BLOOM_PROBES = 64

ChunkKind = Literal["document", "change", "compressed"]

_CHUNK_TYPES: dict[int, ChunkKind] = {0: "document", 1: "change", 2: "compressed"}
_CHUNK_TYPE_BYTES: dict[ChunkKind, int] = {kind: byte for byte, kind in _CHUNK_TYPES.items()}
_U64_LIMIT = 1 << 64
_I64_MIN = -(1 << 63)
_I64_LIMIT = 1 << 63
_U32_LIMIT = 1 << 32
_MIN_CHUNK_LEN = len(CHUNK_MAGIC) + 4 + 1 + 1


class WireError(ValueError):
    """Malformed, truncated, oversized or otherwise unacceptable bytes."""


# --------------------------------------------------------------------------------------------------- LEB128


def read_uleb128(data: bytes, pos: int = 0, what: str = "ULEB128") -> tuple[int, int]:
    """Read an unsigned LEB128 integer at ``pos``; return ``(value, position after it)``.

    Rejects truncated input, overlong encodings (a redundant final zero byte) and values of 2**64 or more,
    as automerge does.
    """
    result = 0
    shift = 0
    end = len(data)
    while True:
        if pos >= end:
            raise WireError(f"truncated {what}")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            if byte == 0 and shift > 7:
                raise WireError(f"overlong {what}")
            if result >= _U64_LIMIT:
                raise WireError(f"{what} larger than 64 bits")
            return result, pos
        if shift >= 70:
            raise WireError(f"{what} larger than 64 bits")


def write_uleb128(value: int) -> bytes:
    """Encode ``0 <= value < 2**64`` as unsigned LEB128 (canonical, shortest form)."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < _U64_LIMIT:
        raise WireError(f"ULEB128 value out of range: {value!r}")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read_sleb128(data: bytes, pos: int = 0, what: str = "SLEB128") -> tuple[int, int]:
    """Read a signed LEB128 integer (64-bit range) at ``pos``; return ``(value, position after it)``."""
    result = 0
    shift = 0
    prev = 0
    end = len(data)
    while True:
        if pos >= end:
            raise WireError(f"truncated {what}")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            if shift > 7 and ((byte == 0 and not prev & 0x40) or (byte == 0x7F and prev & 0x40)):
                raise WireError(f"overlong {what}")
            if byte & 0x40:
                result -= 1 << shift
            if not _I64_MIN <= result < _I64_LIMIT:
                raise WireError(f"{what} outside the 64-bit range")
            return result, pos
        if shift >= 70:
            raise WireError(f"{what} outside the 64-bit range")
        prev = byte


def write_sleb128(value: int) -> bytes:
    """Encode ``-2**63 <= value < 2**63`` as signed LEB128 (canonical, shortest form)."""
    if not isinstance(value, int) or isinstance(value, bool) or not _I64_MIN <= value < _I64_LIMIT:
        raise WireError(f"SLEB128 value out of range: {value!r}")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40):
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def read_uleb128_fast(data: bytes, pos: int) -> tuple[int, int]:
    """:func:`read_uleb128` for hot loops: one- and two-byte values inline, longer ones by the strict reader.

    Raises IndexError rather than :class:`WireError` when ``data`` ends within the first two bytes.
    """
    byte = data[pos]
    if byte < 0x80:
        return byte, pos + 1
    second = data[pos + 1]
    if 0 < second < 0x80:  # two bytes, canonical
        return (byte & 0x7F) | (second << 7), pos + 2
    return read_uleb128(data, pos)


def read_sleb128_fast(data: bytes, pos: int) -> tuple[int, int]:
    """:func:`read_sleb128` for hot loops: one-byte values inline (IndexError when ``data`` ends there)."""
    byte = data[pos]
    if byte < 0x40:
        return byte, pos + 1
    if byte < 0x80:
        return byte - 0x80, pos + 1
    return read_sleb128(data, pos)


class _Reader:
    """A cursor over immutable bytes whose every failure is a :class:`WireError`."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def byte(self, what: str) -> int:
        if self.pos >= len(self.data):
            raise WireError(f"truncated {what}")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def take(self, n: int, what: str) -> bytes:
        if n > self.remaining:
            raise WireError(f"truncated {what}: {n} bytes announced, {self.remaining} left")
        start = self.pos
        self.pos += n
        return self.data[start : self.pos]

    def uleb(self, what: str) -> int:
        value, self.pos = read_uleb128(self.data, self.pos, what)
        return value

    def sleb(self, what: str) -> int:
        value, self.pos = read_sleb128(self.data, self.pos, what)
        return value

    def count(self, what: str, min_item_len: int, max_entries: int) -> int:
        """Read a ULEB count and check it against ``max_entries`` and the bytes left."""
        n = self.uleb(f"{what} count")
        if n > max_entries:
            raise WireError(f"too many {what}: {n} > {max_entries}")
        if n * min_item_len > self.remaining:
            raise WireError(f"{what} count {n} exceeds the remaining {self.remaining} bytes")
        return n

    def hashes(self, what: str, max_entries: int) -> tuple[bytes, ...]:
        n = self.count(what, HASH_LEN, max_entries)
        return tuple(self.take(HASH_LEN, what) for _ in range(n))

    def length_prefixed(self, what: str) -> bytes:
        n = self.uleb(f"{what} length")
        return self.take(n, what)


def _as_bytes(data: object, what: str) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, bytearray | memoryview):
        return bytes(data)
    raise WireError(f"{what} must be bytes, not {type(data).__name__}")


# --------------------------------------------------------------------------------------------- sync message


@dataclass(frozen=True)
class Have:
    """One ``have`` entry: the hashes of the last sync point and a Bloom filter of changes since then."""

    last_sync: tuple[bytes, ...]
    bloom: bytes


@dataclass(frozen=True)
class SyncMessage:
    """A decoded Automerge sync message. ``changes`` holds each entry as carried (one or more chunks)."""

    version: int
    heads: tuple[bytes, ...]
    need: tuple[bytes, ...]
    have: tuple[Have, ...]
    changes: tuple[bytes, ...]
    trailer: bytes = b""

    @property
    def capabilities(self) -> tuple[int, ...]:
        """Capability bytes advertised in the trailer (1: v1 messages, 2: v2 messages); empty if none."""
        if not self.trailer:
            return ()
        reader = _Reader(self.trailer)
        n = reader.count("capabilities", 1, len(self.trailer))
        return tuple(reader.take(n, "capabilities"))


def _check_bloom(bloom: bytes) -> None:
    """Accept only Bloom filters automerge can use safely (empty, or well-formed with sane parameters)."""
    if not bloom:
        return
    reader = _Reader(bloom)
    num_entries = reader.uleb("Bloom entry count")
    bits_per_entry = reader.uleb("Bloom bits per entry")
    num_probes = reader.uleb("Bloom probe count")
    if num_entries == 0 or num_entries >= _U32_LIMIT:
        raise WireError("Bloom filter entry count out of range")
    if not 0 < bits_per_entry <= MAX_BLOOM_BITS_PER_ENTRY:
        raise WireError("Bloom filter bits per entry out of range")
    if not 0 < num_probes <= MAX_BLOOM_PROBES:
        raise WireError("Bloom filter probe count out of range")
    expected = (num_entries * bits_per_entry + 7) // 8
    if reader.remaining != expected:
        raise WireError(f"Bloom filter holds {reader.remaining} bytes of bits, expected {expected}")


def _check_trailer(trailer: bytes) -> None:
    # automerge reads a non-empty trailer as a ULEB count of one-byte capabilities and ignores what follows
    if trailer:
        reader = _Reader(trailer)
        n = reader.count("capabilities", 1, len(trailer))
        reader.take(n, "capabilities")


def decode_sync_message(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_entries: int = DEFAULT_MAX_ENTRIES
) -> SyncMessage:
    """Decode a sync message. The size is checked before anything else; every count is checked against
    ``max_entries`` (per list) and against the bytes left; hashes are exactly 32 bytes; Bloom filters must be
    usable. Change entries are returned as carried: use :func:`changes_in_message` to read them."""
    if isinstance(data, bytes | bytearray | memoryview) and len(data) > max_bytes:
        raise WireError(f"sync message too large: {len(data)} > {max_bytes} bytes")
    data = _as_bytes(data, "sync message")
    reader = _Reader(data)
    version = reader.byte("message type")
    if version not in (MESSAGE_V1, MESSAGE_V2):
        raise WireError(f"not a sync message: first byte 0x{version:02x}")
    heads = reader.hashes("heads", max_entries)
    need = reader.hashes("need", max_entries)
    have_list: list[Have] = []
    for _ in range(reader.count("have", 2, max_entries)):
        last_sync = reader.hashes("have last_sync", max_entries)
        bloom = reader.length_prefixed("Bloom filter")
        _check_bloom(bloom)
        have_list.append(Have(last_sync=last_sync, bloom=bloom))
    n_changes = reader.count("changes", 1, max_entries)
    changes = tuple(reader.length_prefixed("change entry") for _ in range(n_changes))
    trailer = reader.data[reader.pos :]
    _check_trailer(trailer)
    return SyncMessage(
        version=version, heads=heads, need=need, have=tuple(have_list), changes=changes, trailer=trailer
    )


def _check_hashes(hashes: object, what: str) -> tuple[bytes, ...]:
    if not isinstance(hashes, tuple | list):
        raise WireError(f"{what} must be a tuple of hashes")
    for h in hashes:
        if not isinstance(h, bytes) or len(h) != HASH_LEN:
            raise WireError(f"{what} must hold {HASH_LEN}-byte hashes")
    return tuple(hashes)


def _encode_hashes(out: bytearray, hashes: object, what: str) -> None:
    checked = _check_hashes(hashes, what)
    out += write_uleb128(len(checked))
    for h in checked:
        out += h


def encode_sync_message(msg: SyncMessage) -> bytes:
    """Encode a :class:`SyncMessage`.

    ``encode_sync_message(decode_sync_message(x)) == x`` for every message automerge produces."""
    if msg.version not in (MESSAGE_V1, MESSAGE_V2):
        raise WireError(f"unknown sync message version: {msg.version!r}")
    out = bytearray([msg.version])
    _encode_hashes(out, msg.heads, "heads")
    _encode_hashes(out, msg.need, "need")
    out += write_uleb128(len(msg.have))
    for have in msg.have:
        if not isinstance(have, Have) or not isinstance(have.bloom, bytes):
            raise WireError("have entries must be Have objects with bytes Bloom filters")
        _check_bloom(have.bloom)
        _encode_hashes(out, have.last_sync, "have last_sync")
        out += write_uleb128(len(have.bloom))
        out += have.bloom
    out += write_uleb128(len(msg.changes))
    for entry in msg.changes:  # one per change sent or applied: lengths of one or two bytes written inline
        if not isinstance(entry, bytes):
            raise WireError("change entries must be bytes")
        length = len(entry)
        if length < 0x80:
            out.append(length)
        elif length < 0x4000:
            out.append(length & 0x7F | 0x80)
            out.append(length >> 7)
        else:
            out += write_uleb128(length)
        out += entry
    if not isinstance(msg.trailer, bytes):
        raise WireError("trailer must be bytes")
    _check_trailer(msg.trailer)
    out += msg.trailer
    return bytes(out)


def apply_message(chunks: Sequence[bytes]) -> bytes:
    """A v1 message with empty heads/need/have carrying ``chunks`` (one entry each).

    Given to ``Document.receive_sync_message(SyncState(), Message.decode(...))`` it applies those changes."""
    if isinstance(chunks, bytes | bytearray):
        raise WireError("apply_message takes a sequence of chunks, not one bytes object")
    entries = tuple(_as_bytes(chunk, "chunk") for chunk in chunks)
    if any(not entry for entry in entries):
        raise WireError("empty chunk")
    return encode_sync_message(SyncMessage(version=MESSAGE_V1, heads=(), need=(), have=(), changes=entries))


# --------------------------------------------------------------------------------------------------- chunks


def chunk_hash(kind: Literal["document", "change"], body: bytes) -> bytes:
    """SHA-256 over ``type byte + ULEB length + body``: the hash; its first 4 bytes are the checksum."""
    return hashlib.sha256(bytes([_CHUNK_TYPE_BYTES[kind]]) + write_uleb128(len(body)) + body).digest()


def build_chunk(kind: Literal["document", "change"], body: bytes) -> bytes:
    """A complete uncompressed chunk (magic, checksum, type, length, body) around ``body``."""
    if kind not in ("document", "change"):
        raise WireError(f"cannot build a {kind!r} chunk")
    body = _as_bytes(body, "chunk body")
    checksum = chunk_hash(kind, body)[:4]
    return CHUNK_MAGIC + checksum + bytes([_CHUNK_TYPE_BYTES[kind]]) + write_uleb128(len(body)) + body


@dataclass(frozen=True)
class RawChunk:
    """One storage chunk, its checksum verified.

    ``data`` is the whole chunk as carried and ``body`` its body as carried (still deflated for a
    ``'compressed'`` chunk). ``hash`` is automerge's hash of the chunk (for a compressed change: of the
    equivalent uncompressed change chunk). ``inflated`` is the inflated body of a compressed change, else
    None.
    """

    kind: ChunkKind
    data: bytes
    body: bytes
    hash: bytes
    inflated: bytes | None = None

    @property
    def checksum(self) -> bytes:
        return self.data[4:8]

    @property
    def change_body(self) -> bytes:
        """The uncompressed body of a change chunk (plain or compressed)."""
        if self.kind == "change":
            return self.body
        if self.kind == "compressed" and self.inflated is not None:
            return self.inflated
        raise WireError(f"a {self.kind} chunk has no change body")

    def uncompressed(self) -> bytes:
        """This chunk without compression (same hash and checksum); document and change chunks unchanged."""
        if self.kind == "compressed":
            return build_chunk("change", self.change_body)
        return self.data


def _inflate(body: bytes, max_inflated: int, what: str = "compressed change") -> bytes:
    """Inflate a raw deflate stream, never producing more than ``max_inflated`` bytes."""
    if max_inflated < 0:
        raise WireError("negative inflate limit")
    inflater = zlib.decompressobj(wbits=-15)
    try:
        out = inflater.decompress(body, max_inflated + 1)
    except zlib.error as exc:
        raise WireError(f"invalid deflate data: {exc}") from None
    if len(out) > max_inflated or inflater.unconsumed_tail:
        raise WireError(f"{what} inflates beyond {max_inflated} bytes")
    if not inflater.eof:
        raise WireError("truncated deflate data")
    if inflater.unused_data:
        raise WireError("trailing bytes after deflate data")
    return out


def _read_chunk(reader: _Reader, max_inflated: int) -> tuple[RawChunk, int]:
    """Read one chunk at the reader's position; return it and the number of bytes inflated."""
    start = reader.pos
    if reader.take(4, "chunk magic") != CHUNK_MAGIC:
        raise WireError("bad chunk magic")
    checksum = reader.take(4, "chunk checksum")
    type_byte = reader.byte("chunk type")
    kind = _CHUNK_TYPES.get(type_byte)
    if kind is None:
        raise WireError(f"unknown chunk type {type_byte}")
    body = reader.length_prefixed("chunk body")
    data = reader.data[start : reader.pos]
    inflated: bytes | None = None
    if kind == "compressed":
        inflated = _inflate(body, max_inflated)
        digest = chunk_hash("change", inflated)
    else:
        digest = chunk_hash(kind, body)
    if digest[:4] != checksum:
        raise WireError(f"bad {kind} chunk checksum")
    chunk = RawChunk(kind=kind, data=data, body=body, hash=digest, inflated=inflated)
    return chunk, 0 if inflated is None else len(inflated)


def split_chunks(
    entry: bytes, *, max_inflated: int = DEFAULT_LIMITS.max_change_bytes, max_change: int | None = None
) -> list[RawChunk]:
    """Split one change entry (or a saved file) into its chunks, verifying magic, lengths and checksums.

    Compressed chunks are inflated to check their checksum; ``max_inflated`` bounds the total inflated size.
    ``max_change``, when given, bounds each change chunk: as carried, and inflated.
    """
    entry = _as_bytes(entry, "entry")
    if not entry:
        raise WireError("empty change entry")
    reader = _Reader(entry)
    chunks: list[RawChunk] = []
    budget = max_inflated
    while reader.remaining:
        if reader.remaining < _MIN_CHUNK_LEN:
            raise WireError("trailing bytes after the last chunk")
        chunk, used = _read_chunk(reader, budget if max_change is None else min(budget, max_change))
        if max_change is not None and chunk.kind != "document" and len(chunk.data) > max_change:
            raise WireError(
                f"change chunk of {len(chunk.data)} bytes is larger than the {max_change}-byte limit"
            )
        budget -= used
        chunks.append(chunk)
    return chunks


def change_size(chunk: bytes, *, max_inflated: int = DEFAULT_LIMITS.max_change_bytes) -> int:
    """What a change chunk that was checked before weighs once applied: the length of its uncompressed
    body (what ``max_change_bytes`` bounds). A deflated body is inflated, at most ``max_inflated``."""
    length, at = read_uleb128(chunk, 9, "chunk length")
    if chunk[8] != _CHUNK_TYPE_BYTES["compressed"]:
        return length
    return len(_inflate(chunk[at : at + length], max_inflated))


def check_document_chunk(chunk: bytes, *, max_inflated: int) -> int:
    """Check that a whole-document chunk inflates to at most ``max_inflated`` bytes before automerge
    loads it; return the inflated size of its columns.

    A document chunk's body: actors (count, each length + bytes), heads (count + hashes), the change
    and operation column metadata (count, each spec + length; spec bit 0x08: deflated), then the column
    data in that order, then the heads' indices. Deflated columns are inflated here, within the budget.
    """
    chunk = _as_bytes(chunk, "document chunk")
    reader = _Reader(chunk)
    if reader.take(4, "chunk magic") != CHUNK_MAGIC:
        raise WireError("bad chunk magic")
    reader.take(4, "chunk checksum")
    if reader.byte("chunk type") != _CHUNK_TYPE_BYTES["document"]:
        raise WireError("not a document chunk")
    body = _Reader(reader.length_prefixed("chunk body"))
    for _ in range(body.count("actors", 1, len(chunk))):
        body.length_prefixed("actor id")
    body.hashes("heads", len(chunk))
    columns: list[tuple[int, int]] = []
    for what in ("change columns", "operation columns"):
        for _ in range(body.count(what, 2, len(chunk))):
            spec = body.uleb("column spec")
            columns.append((spec, body.uleb("column length")))
    total = 0
    for spec, length in columns:
        data = body.take(length, "column data")
        if spec & 0x08:
            length = len(
                _inflate(data, max(0, max_inflated - total), f"document chunk of {len(chunk)} bytes")
            )
        total += length
        if total > max_inflated:
            raise WireError(f"document chunk of {len(chunk)} bytes inflates beyond {max_inflated} bytes")
    return total


# -------------------------------------------------------------------------------------------------- changes


@dataclass(frozen=True)
class ChangeHeader:
    """The header fields of a change, readable before automerge sees it.

    ``hash`` equals automerge's ``Change.hash``; ``time`` is in milliseconds since the epoch; ``message`` is
    None when empty; ``chunk`` is the chunk as received (compressed or not).
    """

    hash: bytes
    deps: tuple[bytes, ...]
    actor: bytes
    seq: int
    start_op: int
    time: int
    message: str | None
    chunk: bytes


def parse_change(
    chunk: RawChunk | bytes, *, max_inflated: int = DEFAULT_LIMITS.max_change_bytes
) -> ChangeHeader:
    """Read the header of a change chunk (type 1) or deflated change chunk (type 2).

    Given bytes, they must hold exactly one such chunk. Compressed bodies are inflated with a hard cap of
    ``max_inflated`` bytes.
    """
    if isinstance(chunk, RawChunk):
        raw = chunk
        if raw.kind == "compressed" and raw.inflated is not None and len(raw.inflated) > max_inflated:
            raise WireError(f"compressed change inflates beyond {max_inflated} bytes")
    else:
        parts = split_chunks(chunk, max_inflated=max_inflated)
        if len(parts) != 1:
            raise WireError(f"expected one change chunk, found {len(parts)} chunks")
        raw = parts[0]
    if raw.kind == "document":
        raise WireError("expected a change chunk, found a document chunk")
    body = raw.change_body
    reader = _Reader(body)
    deps = reader.hashes("deps", len(body))
    actor = reader.length_prefixed("actor id")
    if not actor:
        raise WireError("empty actor id")
    seq = reader.uleb("seq")
    start_op = reader.uleb("start op")
    if start_op == 0:
        raise WireError("start op is zero")
    time = reader.sleb("time")
    message_bytes = reader.length_prefixed("message")
    try:
        message = message_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise WireError("change message is not valid UTF-8") from None
    return ChangeHeader(
        hash=raw.hash,
        deps=deps,
        actor=actor,
        seq=seq,
        start_op=start_op,
        time=time,
        message=message or None,
        chunk=raw.data,
    )


def changes_in_message(
    msg: SyncMessage, *, max_inflated: int = DEFAULT_LIMITS.max_change_bytes, max_change: int | None = None
) -> tuple[list[ChangeHeader], list[bytes]]:
    """The headers of every change chunk in ``msg`` and the raw document chunks it carries.

    ``max_inflated`` bounds the total inflated size of all compressed chunks in the message;
    ``max_change``, when given, each change chunk as carried and inflated."""
    headers: list[ChangeHeader] = []
    documents: list[bytes] = []
    budget = max_inflated
    for entry in msg.changes:
        for chunk in split_chunks(entry, max_inflated=budget, max_change=max_change):
            if chunk.kind == "document":
                documents.append(chunk.data)
                continue
            headers.append(parse_change(chunk, max_inflated=budget))
            if chunk.inflated is not None:
                budget -= len(chunk.inflated)
    return headers, documents
