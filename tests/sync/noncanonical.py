"""Changes that say the same as a real automerge change in other bytes, re-signed by their author.

Automerge reads them and applies them; its next `save()` writes their operations the canonical way, so
the saved document names hashes that no longer exist and does not load ("mismatching heads").
"""

from __future__ import annotations

from collections.abc import Callable

from reliance.doc.crdt import ChangeInfo, CrdtDoc, Writer
from reliance.identity import Identity
from reliance.store.repository import SignedChange, StoredDoc, change_info
from reliance.sync import changecodec as codec
from reliance.sync import wire
from reliance.sync.wire import write_sleb128, write_uleb128

Columns = list[tuple[int, bytes]]


def header_of(change: codec.DecodedChange) -> bytes:
    """A change body up to its column table, written as automerge writes it."""
    out = bytearray(write_uleb128(len(change.deps)))
    for dep in change.deps:
        out += dep
    out += write_uleb128(len(change.actor)) + change.actor
    out += write_uleb128(change.seq) + write_uleb128(change.start_op) + write_sleb128(change.time)
    out += write_uleb128(len(change.message)) + change.message
    out += write_uleb128(len(change.others))
    for other in change.others:
        out += write_uleb128(len(other)) + other
    return bytes(out)


def body_with(change: codec.DecodedChange, columns: Columns, header: bytes | None = None) -> bytes:
    """A change body with the given columns, in the given order, written as given."""
    out = bytearray(header_of(change) if header is None else header)
    out += write_uleb128(len(columns))
    for spec, data in columns:
        out += write_uleb128(spec) + write_uleb128(len(data))
    for _, data in columns:
        out += data
    return bytes(out)


def rewritten(chunk: bytes, rewrite: Callable[[Columns], Columns]) -> bytes:
    """The change in `chunk` with its columns rewritten, as a chunk with a valid checksum."""
    change = codec.decode_change(codec.change_body(chunk))
    columns = rewrite(codec.encode_columns(change.ops))
    return wire.build_chunk("change", body_with(change, columns))


def single_as_run(columns: Columns) -> Columns:
    """The first column holding one value as a literal (`7f v`) rewritten as a run of one (`01 v`):
    automerge reads both the same; it writes only the first."""
    out = list(columns)
    for index, (spec, data) in enumerate(out):
        if data[:1] == b"\x7f" and spec not in (codec.INSERT, codec.EXPAND, codec.VAL_RAW):
            out[index] = (spec, b"\x01" + data[1:])
            return out
    raise AssertionError("no one-value literal to rewrite")


def with_empty_column(columns: Columns) -> Columns:
    """An empty mark-name column written out (automerge leaves empty columns out)."""
    assert all(spec != codec.MARK_NAME for spec, _ in columns)
    return [*columns, (codec.MARK_NAME, b"")]


def swapped(columns: Columns) -> Columns:
    """Two columns out of order."""
    out = list(columns)
    out[0], out[1] = out[1], out[0]
    return out


def delta_restarted(columns: Columns) -> Columns:
    """The key-counter (delta) column of one insertion after another element written as a run of one."""
    return [
        (spec, (b"\x01" + data[1:]) if spec == codec.KEY_CTR and data[:1] == b"\x7f" else data)
        for spec, data in columns
    ]


def forge_change(
    author: Identity,
    stored: StoredDoc,
    edit: Callable[[Writer], object],
    rewrite: Callable[[Columns], Columns],
) -> SignedChange:
    """A change by `author` on top of `stored`, made by automerge, its columns rewritten, signed again."""
    doc = (
        CrdtDoc.load(stored.crdt.save(), author.public_key)
        if stored.known
        else CrdtDoc.new(author.public_key)
    )
    made = doc.change(edit)
    assert made is not None
    info: ChangeInfo = change_info(rewritten(made.chunk, rewrite))
    assert info.hash != made.hash and info.deps == made.deps and info.actor == made.actor
    return SignedChange(info, author.sign(info.hash))
