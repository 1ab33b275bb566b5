"""Changes that say the same as a real automerge change in other bytes, re-signed by their author.

Automerge reads them and applies them; its next `save()` writes their operations the canonical way, so
the saved document names hashes that no longer exist and does not load ("mismatching heads").
"""

from __future__ import annotations

from collections.abc import Callable

from reliance.automerge import changecodec as codec
from reliance.automerge import wire
from reliance.automerge.crdt import ChangeInfo, CrdtDoc, Writer
from reliance.automerge.wire import write_sleb128, write_uleb128
from reliance.identity import Identity
from reliance.store.records import change_info
from reliance.store.repository import SignedChange, StoredDoc

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


# -- a run-length column written another way automerge reads the same --------------------------------------

Segment = tuple[str, list[object]]  # ("run", [value, count]) | ("literal", values) | ("nulls", [count])
_KINDS = {
    codec.OBJ_ACTOR: "uint",
    codec.OBJ_CTR: "uint",
    codec.KEY_ACTOR: "uint",
    codec.KEY_CTR: "delta",
    codec.KEY_STR: "str",
    codec.ACTION: "uint",
    codec.VAL_META: "uint",
    codec.PRED_NUM: "uint",
    codec.PRED_ACTOR: "uint",
    codec.PRED_CTR: "delta",
    codec.MARK_NAME: "str",
}


def _segments(values: list[object]) -> list[Segment]:
    """The canonical pieces of a run-length column."""
    out: list[Segment] = []
    i = 0
    while i < len(values):
        j = i
        while j < len(values) and values[j] == values[i]:
            j += 1
        if values[i] is None:
            out.append(("nulls", [j - i]))
        elif j - i >= 2:
            out.append(("run", [values[i], j - i]))
        elif out and out[-1][0] == "literal":
            out[-1][1].append(values[i])
        else:
            out.append(("literal", [values[i]]))
        i = j
    return out


def _write(segments: list[Segment], kind: str, overlong_first: bool = False) -> bytes:
    def value(v: object) -> bytes:
        if kind == "str":
            assert isinstance(v, str)
            raw = v.encode()
            return write_uleb128(len(raw)) + raw
        assert isinstance(v, int)
        return write_sleb128(v) if kind == "delta" else write_uleb128(v)

    out = bytearray()
    for index, (what, items) in enumerate(segments):
        count = -len(items) if what == "literal" else (items[1] if what == "run" else 0)
        assert isinstance(count, int)
        head = write_sleb128(count)
        if overlong_first and index == 0:
            head = bytes([head[0] | 0x80]) + (b"\x7f" if count < 0 else b"\x00")  # same number, one byte more
        out += head
        if what == "nulls":
            out += write_uleb128(items[0])  # type: ignore[arg-type]
        elif what == "run":
            out += value(items[0])
        else:
            for item in items:
                out += value(item)
    return bytes(out)


def _values(spec: int, data: bytes) -> list[object]:
    """A column's values (a delta column's deltas)."""
    kind = _KINDS[spec]
    reader = codec._read_str if kind == "str" else codec._read_int if kind == "delta" else codec._read_uint
    return codec._rle(data, reader, 1 << 20, "column")


def recoded(variant: str, specs: tuple[int, ...] = tuple(_KINDS)) -> Callable[[Columns], Columns]:
    """Rewrite the first of `specs` the variant applies to, in another encoding of the same values:
    - "run of one": a lone value as a run of one instead of a literal;
    - "literal pair": a run of two as a literal of two equal values;
    - "split run": a run of n as a run of n - 1 and a literal of one;
    - "zero nulls": a null run of length zero in front;
    - "overlong": the first count with one byte more than needed.
    (For a delta column, the same applies to its deltas.)"""

    def rewrite(columns: Columns) -> Columns:
        out = list(columns)
        for index, (spec, data) in enumerate(out):
            if spec not in specs or spec not in _KINDS:
                continue
            segments = _segments(_values(spec, data))
            kind = _KINDS[spec]
            changed: list[Segment] | None = None
            if variant == "run of one":
                lone = [
                    i for i, (what, items) in enumerate(segments) if what == "literal" and len(items) == 1
                ]
                if lone:
                    changed = list(segments)
                    changed[lone[0]] = ("run", [segments[lone[0]][1][0], 1])
            elif variant == "literal pair":
                pairs = [i for i, (what, items) in enumerate(segments) if what == "run" and items[1] == 2]
                if pairs:
                    changed = list(segments)
                    item = segments[pairs[0]][1][0]
                    changed[pairs[0]] = ("literal", [item, item])
            elif variant == "split run":
                runs = [i for i, (what, _) in enumerate(segments) if what == "run"]
                if runs:
                    item, count = segments[runs[0]][1]
                    assert isinstance(count, int)
                    changed = list(segments)
                    changed[runs[0] : runs[0] + 1] = [("literal", [item]), ("run", [item, count - 1])]
            elif variant == "zero nulls":
                changed = [("nulls", [0]), *segments]
            elif variant == "overlong":
                out[index] = (spec, _write(segments, kind, overlong_first=True))
                return out
            if changed is not None:
                out[index] = (spec, _write(changed, kind))
                return out
        raise AssertionError(f"no column to write as {variant!r}")

    return rewrite


def delta_restarted(columns: Columns) -> Columns:
    """A delta column whose run of equal deltas is written as a literal of them."""
    return recoded("literal pair", (codec.KEY_CTR, codec.PRED_CTR))(columns)


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
