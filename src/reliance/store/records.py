"""The bytes of a document's files, change by change: a change chunk's header read within limits, the log
record of a signed change (written, and read back), a waiting change of a snapshot read back, and the
headers of the log and the snapshot a compaction writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import msgpack

from reliance.automerge import wire
from reliance.automerge.crdt import ChangeInfo
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.packing import Shape, unpack
from reliance.store import files

if TYPE_CHECKING:
    from reliance.store.repository import SignedChange


def change_info(
    chunk: bytes, limits: Limits = DEFAULT_LIMITS, actors: dict[bytes, bytes] | None = None
) -> ChangeInfo:
    """Read a change chunk's header, within the limits of a change (as carried and inflated). `actors`
    shares one bytes object per author among many changes read together."""
    if len(chunk) > limits.max_change_bytes:
        limit = limits.max_change_bytes
        raise wire.WireError(f"change chunk of {len(chunk)} bytes is larger than the {limit}-byte limit")
    header = wire.parse_change(chunk, max_inflated=limits.max_change_bytes)
    actor = header.actor if actors is None else actors.setdefault(header.actor, header.actor)
    return ChangeInfo(header.hash, chunk, header.deps, actor, header.seq)


def record(change: SignedChange, received: float) -> bytes:
    packed: bytes = msgpack.packb(
        {"c": change.info.chunk, "s": change.signature, "t": int(received)}, use_bin_type=True
    )
    return packed


def records(changes: Sequence[SignedChange], received: float) -> list[bytes]:
    """`[record(c, received) for c in changes]`, byte for byte, without msgpack's call per change (this
    runs for every change stored): the map's keys and its time are the same for all."""
    tail = b"\xa1t" + msgpack.packb(int(received))
    records = []
    for change in changes:
        chunk = change.info.chunk
        signature = change.signature
        records.append(
            b"".join(
                (
                    b"\x83\xa1c",
                    _bin_header(len(chunk)),
                    chunk,
                    b"\xa1s\xc0" if signature is None else b"\xa1s" + _bin_header(len(signature)) + signature,
                    tail,
                )
            )
        )
    return records


def _bin_header(length: int) -> bytes:
    """msgpack's header of a bin of `length` bytes."""
    if length < 0x100:
        return bytes((0xC4, length))
    if length < 0x10000:
        return b"\xc5" + length.to_bytes(2, "big")
    return b"\xc6" + length.to_bytes(4, "big")


def read_record(payload: bytes, limits: Limits, now: float) -> tuple[ChangeInfo, bytes | None, float | None]:
    """A log record: a change, its signature, and (since the buffer expires) when it was received."""
    record = unpack(payload, Shape.record(limits))
    if not isinstance(record, dict) or not isinstance(record.get("c"), bytes):
        raise ValueError("not a change record")
    signature = record.get("s")
    if not (isinstance(signature, bytes) and len(signature) == files.SIGNATURE_BYTES):
        signature = None  # the change was verified when it came: kept, as one a descendant covers
    return change_info(record["c"], limits), signature, files.received_time(record.get("t"), now)


def read_waiting(entry: object, limits: Limits, now: float) -> tuple[ChangeInfo, bytes | None, float | None]:
    """One waiting change of a snapshot: [chunk, signature or nil] and, since they expire, its time."""
    if not isinstance(entry, list) or len(entry) not in (2, 3) or not isinstance(entry[0], bytes):
        raise ValueError("malformed entry")
    signature = entry[1]
    if signature is not None and not (
        isinstance(signature, bytes) and len(signature) == files.SIGNATURE_BYTES
    ):
        raise ValueError("malformed signature")
    received = files.received_time(entry[2], now) if len(entry) == 3 else None
    return change_info(entry[0], limits), signature, received


def log_header(doc_id: str, generation: int) -> bytes:
    """The first record of a log: the generation of the snapshot it follows."""
    packed: bytes = msgpack.packb({"gen": generation, "doc": doc_id}, use_bin_type=True)
    return packed


def snapshot(
    doc_id: str,
    generation: int,
    saved: bytes,
    known: Mapping[bytes, bytes | None],
    pending: Mapping[bytes, SignedChange],
    received: Mapping[bytes, float],
    size: int,
) -> bytes:
    """A snapshot: the automerge save, the signature of every change it holds, the changes still waiting
    for their dependencies (with when they came), and the generation it starts."""
    fields: dict[str, Any] = {
        "format": files.SNAPSHOT_FORMAT,
        "doc": doc_id,
        "gen": generation,
        "am": saved,
        "known": [[h, s] for h, s in known.items()],
        "pending": [[c.info.chunk, c.signature, int(received.get(h, 0))] for h, c in pending.items()],
        "size": size,
    }
    packed: bytes = msgpack.packb(fields, use_bin_type=True)
    return packed
