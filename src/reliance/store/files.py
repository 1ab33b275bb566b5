"""Typed readers for what the store wrote itself: a document's snapshot and its log's header.

The files are ours, but a disk, a copy by hand or a bug can change them, and a CRC only says that a
record is whole, not that it means anything. So every field is checked for type, size and agreement
with the others before it is used (nothing is allocated or packed from a number read here), and what
does not pass is `Damaged`, with the reason, for the repository to decide what may still be used.
"""

from __future__ import annotations

from dataclasses import dataclass

from reliance.certificate import is_proof
from reliance.i18n import t
from reliance.limits import Limits
from reliance.packing import PackError, Shape, unpack

SNAPSHOT_FORMAT = 1
HASH_BYTES = 32
SIGNATURE_BYTES = 64
# One more per compaction: far beyond any real count, and its successor still packs as a msgpack integer
# and is exact as a float.
MAX_GENERATION = 2**53
# A time read back (seconds since 1970) is at most this: its successor packs, and it is exact as a float.
MAX_TIME = 2**53


class Damaged(ValueError):
    """A file of the store whose content is not what the store writes; says what is wrong, as a catalogue
    key (`store.damaged.…`) and its parameters: a parameter of the error that shows it, in its language."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(t(key, "en", **params))

    def describe(self, lang: str) -> str:
        return t(self.key, lang, **self.params)


@dataclass(frozen=True, slots=True)
class LogHeader:
    """The first record of a log: the generation of the snapshot it follows."""

    generation: int


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A snapshot whose fields were checked: they have the types the store writes and agree."""

    generation: int  # 1 or more: the first compaction writes 1
    saved: bytes  # automerge's save of the document (empty: no change yet)
    known: dict[bytes, bytes | None]  # every change's hash, and its signature (None: covered)
    waiting: list[object] | None  # entries checked one by one; None: not a list (dropped alone)
    size: int | None  # uncompressed bytes of the changes; None: to be counted again


def is_count(value: object, most: int) -> bool:
    """An integer (not a boolean) from 0 to `most`."""
    return type(value) is int and 0 <= value <= most


def read_log_header(payload: bytes, doc_id: str, limits: Limits) -> LogHeader:
    try:
        header = unpack(payload, Shape.record(limits))
    except PackError as exc:
        raise Damaged("store.damaged.unpacked", detail=str(exc)) from None
    if not isinstance(header, dict):
        raise Damaged("store.damaged.not_a_map")
    generation = header.get("gen")
    if not is_count(generation, MAX_GENERATION):
        raise Damaged("store.damaged.generation", least=0, most=MAX_GENERATION)
    if header.get("doc") != doc_id:
        raise Damaged("store.damaged.other_document")
    assert type(generation) is int
    return LogHeader(generation)


def read_snapshot(data: bytes, doc_id: str, limits: Limits) -> Snapshot:
    """The fields of a snapshot, checked one by one and against each other; whether the saved document
    agrees with `known` (its heads are among them) needs automerge, and is the caller's to check."""
    try:
        snap = unpack(data, Shape.snapshot(limits, len(data)))
    except PackError as exc:
        raise Damaged("store.damaged.unpacked", detail=str(exc)) from None
    if not isinstance(snap, dict):
        raise Damaged("store.damaged.not_a_map")
    if type(snap.get("format")) is not int or snap["format"] != SNAPSHOT_FORMAT:
        raise Damaged("store.damaged.format")
    if snap.get("doc") != doc_id:
        raise Damaged("store.damaged.other_document")
    generation = snap.get("gen")
    if not is_count(generation, MAX_GENERATION) or generation == 0:
        raise Damaged("store.damaged.generation", least=1, most=MAX_GENERATION)
    assert type(generation) is int
    saved = snap.get("am")
    if not isinstance(saved, bytes):
        raise Damaged("store.damaged.saved_not_bytes")
    known = _known(snap.get("known"))
    if bool(saved) != bool(known):
        raise Damaged("store.damaged.saved_disagrees")
    waiting = snap.get("pending")
    size = snap.get("size")
    return Snapshot(
        generation,
        saved,
        known,
        waiting if isinstance(waiting, list) else None,
        size if is_count(size, limits.max_document_bytes) else None,
    )


def _known(entries: object) -> dict[bytes, bytes | None]:
    if not isinstance(entries, list):
        raise Damaged("store.damaged.list")
    known: dict[bytes, bytes | None] = {}
    for entry in entries:
        if not isinstance(entry, list) or len(entry) != 2:
            raise Damaged("store.damaged.pair")
        change_hash, signature = entry
        if not isinstance(change_hash, bytes) or len(change_hash) != HASH_BYTES:
            raise Damaged("store.damaged.hash", size=HASH_BYTES)
        if signature is not None and not is_proof(signature):
            raise Damaged("store.damaged.signature", size=SIGNATURE_BYTES)
        if change_hash in known:
            raise Damaged("store.damaged.twice")
        known[change_hash] = signature
    return known


def received_time(value: object, now: float) -> float | None:
    """When a waiting change came, as read back: a positive integer, no later than now (a time in the
    future would keep it from ever expiring); None if it is not one."""
    if not is_count(value, MAX_TIME) or value == 0:
        return None
    assert type(value) is int
    return float(min(value, now))
