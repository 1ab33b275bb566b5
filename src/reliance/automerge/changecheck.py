"""The canonical check of a change, as the node calls it: `check_change`, `check_chunk` and `usual_change`,
and the one-operation road they try first, before the full check (`fullcheck`) that gives every verdict.

Most changes are one operation on one dependency, without a message: a put, an insertion, a deletion.
`_check_one_op` takes those through a shorter road: their column bytes, key string and value left out, name
a template (the one `fullcheck.template_of` reads, remembered), and only the key string and the value are
read per change. It only ever *accepts*: anything else, or anything unusual, goes to `fullcheck`, which
gives the verdict (and the reason). `tests/sync/test_changecodec.py` holds the two to the same verdict and
the same result on real and mutated changes.

This module never imports automerge.
"""

from __future__ import annotations

from itertools import pairwise
from typing import NamedTuple

from reliance.automerge import wire
from reliance.automerge.changecodec import (
    COUNTER_LIMIT,
    DEFAULT_MAX_OPS,
    KEY_STR,
    V_COUNTER,
    V_INT,
    V_TIMESTAMP,
    V_UINT,
    VAL_RAW,
    ChangeOp,
    DecodedChange,
    NonCanonical,
    OpRef,
    change_body,
)
from reliance.automerge.fullcheck import (
    CACHE_LIMIT,
    CACHEABLE_SHAPE,
    check_full,
    check_value_bytes,
    read_table,
    template_of,
)
from reliance.automerge.wire import read_sleb128, read_uleb128
from reliance.limits import DEFAULT_LIMITS

__all__ = ["UsualChange", "as_decoded", "check_change", "check_chunk", "usual_change"]

_LEB_CODES = (V_UINT, V_INT, V_COUNTER, V_TIMESTAMP)  # values written as LEB128


def check_change(body: bytes, *, max_ops: int = DEFAULT_MAX_OPS) -> DecodedChange:
    """Read a change body, making sure it is byte for byte what automerge writes for what it says;
    raise :class:`NonCanonical` (with the part that differs) otherwise."""
    found = _check_one_op(body, 0, max_ops)
    if found is not None:
        return as_decoded(found)
    return check_full(body, max_ops)


def usual_change(chunk: bytes, max_ops: int = DEFAULT_MAX_OPS) -> UsualChange | None:
    """`check_change(change_body(chunk))` of the usual change (uncompressed, shorter than 16 KiB; one
    dependency, no message, one operation), read where it lies, as a `UsualChange`; None for any other
    change, or anything unusual: `check_chunk(chunk, usual=False)` gives the verdict then."""
    at = _plain_body_at(chunk)
    return _check_one_op(chunk, at, max_ops) if at else None


def _plain_body_at(chunk: bytes) -> int:
    """Where the body of an uncompressed change chunk shorter than 16 KiB starts (0: not such a chunk)."""
    if len(chunk) < 12 or chunk[8] != 1 or not chunk.startswith(wire.CHUNK_MAGIC):
        return 0
    length = chunk[9]
    if length < 0x80:
        return 10 if length == len(chunk) - 10 else 0
    second = chunk[10]
    return 11 if 0 < second < 0x80 and (length & 0x7F | second << 7) == len(chunk) - 11 else 0


def check_chunk(
    chunk: bytes,
    max_inflated: int = DEFAULT_LIMITS.max_change_bytes,
    max_ops: int = DEFAULT_MAX_OPS,
    *,
    usual: bool = True,
) -> DecodedChange:
    """`check_change(change_body(chunk))`. `usual=False`: `usual_change` was tried and gave None."""
    if usual:
        found = usual_change(chunk, max_ops)
        if found is not None:
            return as_decoded(found)
    at = _plain_body_at(chunk)
    if at:
        return check_full(chunk[at:], max_ops)
    return check_change(change_body(chunk, max_inflated=max_inflated), max_ops=max_ops)


class _Layout(NamedTuple):
    """Where a column table puts the key strings and the values, from the start of the table; a column
    left out is an empty range where it would be, so that the two cut the columns in three."""

    end: int  # the end of the last column
    strings: int  # the key string column: start and end
    strings_end: int
    raw: int  # the values column: start and end
    raw_end: int


# (object, element key or None for a string key, insert, action, value type code, value length,
# predecessors): a template operation without expand or mark name
_OneOp = tuple[OpRef | None, OpRef | None, bool, int, int, int, tuple[OpRef, ...]]
#: What the one-operation road reads of the usual change: (its dependency, actor, seq, start op, time,
#: other actors, and its operation's object, key, insert, action, value type code, value bytes,
#: predecessors). A plain tuple: it costs less to make than the named ones (`as_decoded` makes those).
UsualChange = tuple[
    bytes,
    bytes,
    int,
    int,
    int,
    tuple[bytes, ...],
    OpRef | None,
    str | OpRef,
    bool,
    int,
    int,
    bytes,
    tuple[OpRef, ...],
]
_LAYOUTS: dict[bytes, _Layout] = {}
# by the column bytes of a one-operation change, key string and value left out: its operation (as in
# `Template.ops`), or None when that shape is not one `_check_one_op` takes
_ONE_OP: dict[bytes, _OneOp | None] = {}


def _layout(body: bytes, pos: int) -> _Layout | None:
    """The layout of the (valid, one byte per spec and length) column table at `pos`."""
    try:
        table, end = read_table(body, pos)
    except (NonCanonical, IndexError, wire.WireError):
        return None
    if end != pos + 1 + 2 * len(table):
        return None
    at = end - pos
    found: dict[int, tuple[int, int]] = {}
    for spec, length in table:
        for missing in (KEY_STR, VAL_RAW):
            if spec >= missing and missing not in found:
                found[missing] = (at, at) if spec > missing else (at, at + length)
        at += length
    strings, strings_end = found.get(KEY_STR, (at, at))
    raw, raw_end = found.get(VAL_RAW, (at, at))
    layout = _Layout(at, strings, strings_end, raw, raw_end)
    if len(_LAYOUTS) >= CACHE_LIMIT:
        _LAYOUTS.clear()
    _LAYOUTS[body[pos:end]] = layout
    return layout


def _one_op_template(body: bytes, pos: int, shape: bytes, max_ops: int, n_actors: int) -> _OneOp | None:
    """Read and remember the operation of a one-operation shape (None: not one, or not canonical)."""
    table, at = read_table(body, pos)
    columns: dict[int, bytes] = {}
    for spec, length in table:
        if spec not in (KEY_STR, VAL_RAW):
            columns[spec] = body[at : at + length]
        at += length
    try:
        template = template_of(columns, max_ops, n_actors)
    except NonCanonical:
        return None  # not remembered: `check_full` refuses it, with its reason
    op: _OneOp | None = None
    if template.n == 1 and not template.pred_ties:
        obj, elem, insert, action, code, size, preds, expand, mark = template.ops[0]
        if not expand and mark is None:
            op = (obj, elem, insert, action, code, size, preds)
    if len(shape) <= CACHEABLE_SHAPE:
        if len(_ONE_OP) >= CACHE_LIMIT:
            _ONE_OP.clear()
        _ONE_OP[shape] = op
    return op


def _check_one_op(data: bytes, at: int, max_ops: int) -> UsualChange | None:
    """`check_full` of the usual change (one dependency, no message, one operation) whose body is
    `data[at:]`, as a `UsualChange`; None if it is not such a change or anything about it is unusual.
    (Numbers of one or two bytes are read inline: this runs for every change received.)"""
    try:
        if data[at] != 1 or max_ops < 1:
            return None
        length = data[at + 33]
        if not 0 < length < 0x80:
            return None
        pos = at + 34 + length
        actor = data[at + 34 : pos]
        seq = data[pos]
        if seq < 0x80:
            pos += 1
        elif 0 < data[pos + 1] < 0x80:
            seq = (seq & 0x7F) | data[pos + 1] << 7
            pos += 2
        else:
            seq, pos = read_uleb128(data, pos)
        start_op = data[pos]
        if start_op < 0x80:
            pos += 1
        elif 0 < data[pos + 1] < 0x80:
            start_op = (start_op & 0x7F) | data[pos + 1] << 7
            pos += 2
        else:
            start_op, pos = read_uleb128(data, pos)
        time = data[pos]
        if time < 0x40:
            pos += 1
        else:
            time, pos = read_sleb128(data, pos)
        n_others = data[pos + 1]
        if data[pos] or n_others >= 0x80 or not 0 < start_op < COUNTER_LIMIT:
            return None  # a message (or counters out of range): the full reader
        pos += 2
        others: tuple[bytes, ...] = ()
        if n_others:
            listed = []
            for _ in range(n_others):
                length = data[pos]
                if not 0 < length < 0x80:
                    return None
                pos += 1 + length
                listed.append(data[pos - length : pos])
            others = tuple(listed)
            if actor in others or (n_others > 1 and any(a >= b for a, b in pairwise(others))):
                return None
        layout = _LAYOUTS.get(data[pos : pos + 1 + 2 * data[pos]]) or _layout(data, pos)
        if layout is None or pos + layout.end != len(data):
            return None
        strings, strings_end = pos + layout.strings, pos + layout.strings_end
        raw, raw_end = pos + layout.raw, pos + layout.raw_end
        shape = data[pos:strings] + data[strings_end:raw] + data[raw_end:]
        if n_others:
            # (0xFF: never a column count, which a shape without other actors starts with)
            shape = bytes((0xFF, n_others)) + shape
        op = _ONE_OP.get(shape)
        if op is None:
            if shape in _ONE_OP:
                return None
            op = _one_op_template(data, pos, shape, max_ops, n_others + 1)
            if op is None:
                return None
        obj, elem, insert, action, code, size, preds = op
        key: str | OpRef
        if elem is None:  # a map key: its column is one literal string
            length = strings_end - strings - 2
            if not 0 <= length < 0x80 or data[strings] != 0x7F or data[strings + 1] != length:
                return None
            key = data[strings + 2 : strings_end].decode("utf-8")
        elif strings != strings_end:
            return None
        else:
            key = elem
        if raw_end - raw != size:
            return None
        value = data[raw:raw_end]
        if size == 2 and code in _LEB_CODES:  # the usual number: two bytes, canonical unless overlong
            first, second = value
            if first < 0x80 or second >= 0x80:
                return None
            if code == V_UINT:
                if not second:
                    return None
            elif second == (0x7F if first & 0x40 else 0):
                return None
        elif size and not (size == 1 and value[0] < 0x80):  # (one byte below 0x80: always as written)
            check_value_bytes(code, value)
    except (IndexError, wire.WireError, UnicodeDecodeError, NonCanonical):
        return None
    return (
        data[at + 1 : at + 33],
        actor,
        seq,
        start_op,
        time,
        others,
        obj,
        key,
        insert,
        action,
        code,
        value,
        preds,
    )


def as_decoded(usual: UsualChange) -> DecodedChange:
    """The `DecodedChange` of a change the one-operation road read (what `check_change` gives for it)."""
    dep, actor, seq, start_op, time, others, obj, key, insert, action, code, value, preds = usual
    # (tuple.__new__: what the named tuples' own constructors do, without their Python-level call)
    return _new(
        DecodedChange,
        (
            (dep,),
            actor,
            seq,
            start_op,
            time,
            b"",
            others,
            [_new(ChangeOp, (obj, key, insert, action, (code, value), preds, False, None))],
        ),
    )


_new = tuple.__new__
