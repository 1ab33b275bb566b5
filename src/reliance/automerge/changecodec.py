"""The operations of an Automerge change chunk, column by column, and automerge's own encoding of them.

Automerge (Rust 0.5.x, bundled by ``automerge==1.0.0rc1``) reads many encodings of the same operations: a run
of one value written as a literal, an empty column written out, a delta column restarted, a value with a
longer LEB128 than needed. It keeps a received change's bytes as they came, and its hash is the hash of those
bytes. But ``save()`` keeps only the operations, and ``load()`` rebuilds every change by encoding them again
(``storage::change::ChangeBuilder``): a change that was not written the way automerge writes it comes back
with other bytes, so another hash, and the saved document no longer loads ("mismatching heads").

:func:`decode_change` reads every part of a change body, as automerge reads it, and refuses anything it does
not understand; :func:`encode_change` writes a decoded change exactly as automerge's ``ChangeBuilder`` does.
:func:`check_change` reads a body and makes sure, as it reads, that every part is written the way automerge
writes it (it accepts exactly the bodies ``encode_change(decode_change(body))`` gives back, checked by the
tests on real and mutated changes). It also refuses what automerge would store differently from what the
change says (a value on an operation that cannot hold one, mark data on an operation that is not a mark,
predecessors out of order, actors listed but not used): those too would come back with other bytes.

Layout of a change body (after the chunk header), as written by ``ChangeBuilder::build``::

    deps (uleb count, 32-byte hashes, sorted)  actor (uleb len + bytes)  seq (uleb)  start op (uleb, > 0)
    time (sleb)  message (uleb len + UTF-8)  other actors (uleb count, each uleb len + bytes: every actor the
    operations name besides the author, sorted, nothing else)  columns (uleb count, each: uleb spec, uleb
    length; sorted by spec; empty columns left out)  column data  (nothing after it)

Columns of the operations (spec = column id << 4 | type; deflated columns are never written in a change)::

    0x01 object actor (RLE uint)   0x02 object counter (RLE uint)   0x11 key actor (RLE uint)
    0x13 key counter (delta)       0x15 key string (RLE string)     0x34 insert (boolean)
    0x42 action (RLE uint)         0x56 value metadata (RLE uint)   0x57 values (raw)
    0x70 predecessor count (RLE uint)  0x71 predecessor actor (RLE uint)  0x73 predecessor counter (delta)
    0x94 expand (boolean, only if one is true)  0xA5 mark name (RLE string, only if one is set)

This module never imports automerge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import NamedTuple, cast

from reliance.automerge import wire
from reliance.automerge.wire import read_sleb128, read_uleb128, write_sleb128, write_uleb128
from reliance.automerge.wire import read_uleb128_fast as _uleb_fast
from reliance.limits import DEFAULT_LIMITS

__all__ = [
    "DEFAULT_MAX_OPS",
    "HEAD",
    "ChangeOp",
    "DecodedChange",
    "NonCanonical",
    "OpRef",
    "UsualChange",
    "as_decoded",
    "change_body",
    "check_change",
    "check_chunk",
    "decode_change",
    "encode_change",
    "usual_change",
]

#: Most operations one change may hold (the run-length columns could otherwise announce billions in a few
#: bytes). The node passes ``Limits.change_ops``.
DEFAULT_MAX_OPS = 1 << 18

OpRef = tuple[int, int]  # (counter, index into the change's actors: 0 is the author)
HEAD: OpRef = (0, -1)  # the start of a list or text, as a key

# action numbers, as automerge writes them
MAKE_MAP, PUT, MAKE_LIST, DELETE, MAKE_TEXT, INCREMENT, MAKE_TABLE, MARK = range(8)
MAKES = frozenset((MAKE_MAP, MAKE_LIST, MAKE_TEXT, MAKE_TABLE))

# value type codes (low four bits of the value metadata; the rest is the length in bytes)
V_NULL, V_FALSE, V_TRUE, V_UINT, V_INT, V_F64, V_STR, V_BYTES, V_COUNTER, V_TIMESTAMP = range(10)

# column specifications
OBJ_ACTOR, OBJ_CTR, KEY_ACTOR, KEY_CTR, KEY_STR = 0x01, 0x02, 0x11, 0x13, 0x15
INSERT, ACTION, VAL_META, VAL_RAW = 0x34, 0x42, 0x56, 0x57
PRED_NUM, PRED_ACTOR, PRED_CTR, EXPAND, MARK_NAME = 0x70, 0x71, 0x73, 0x94, 0xA5
COLUMN_NAMES = {
    OBJ_ACTOR: "object actor",
    OBJ_CTR: "object counter",
    KEY_ACTOR: "key actor",
    KEY_CTR: "key counter",
    KEY_STR: "key string",
    INSERT: "insert",
    ACTION: "action",
    VAL_META: "value metadata",
    VAL_RAW: "values",
    PRED_NUM: "predecessor count",
    PRED_ACTOR: "predecessor actor",
    PRED_CTR: "predecessor counter",
    EXPAND: "expand",
    MARK_NAME: "mark name",
}
_COUNTER_LIMIT = 1 << 32  # automerge refuses a start op beyond u32; no honest counter comes near it
_I64_LIMIT = 1 << 63


class NonCanonical(ValueError):
    """The change is not automerge's own encoding of its operations, or cannot be read at all."""


class ChangeOp(NamedTuple):
    """One operation, its references given as (counter, actor index) into the change's actors."""

    obj: OpRef | None  # None: the root map
    key: str | OpRef  # a map key, an element (counter, actor index), or HEAD
    insert: bool
    action: int
    value: tuple[int, bytes]  # (type code, the value's bytes as stored)
    pred: tuple[OpRef, ...]
    expand: bool
    mark_name: str | None


class DecodedChange(NamedTuple):
    deps: tuple[bytes, ...]
    actor: bytes
    seq: int
    start_op: int
    time: int
    message: bytes
    others: tuple[bytes, ...]
    ops: list[ChangeOp]

    @property
    def actors(self) -> tuple[bytes, ...]:
        """The change's actor table: the author, then the others."""
        return (self.actor, *self.others)


# ---------------------------------------------------------------------------------------------- reading


def change_body(chunk: bytes, *, max_inflated: int = DEFAULT_LIMITS.max_change_bytes) -> bytes:
    """The (inflated) body of one change chunk. An uncompressed chunk is only cut (its checksum was
    checked when it was read off the wire or the disk); a compressed one is inflated and checked."""
    if chunk[8:9] == b"\x01" and chunk[:4] == wire.CHUNK_MAGIC:
        length = chunk[9] if len(chunk) > 9 else 0x80
        at = 10
        if length >= 0x80:
            try:
                length, at = read_uleb128(chunk, 9)
            except wire.WireError as exc:
                raise NonCanonical(f"unreadable chunk: {exc}") from None
        if at + length == len(chunk):
            return chunk[at:]
    try:
        parts = wire.split_chunks(chunk, max_inflated=max_inflated)
    except wire.WireError as exc:
        raise NonCanonical(f"unreadable chunk: {exc}") from None
    if len(parts) != 1 or parts[0].kind == "document":
        raise NonCanonical("not exactly one change chunk")
    return parts[0].change_body


def _uleb(data: bytes, pos: int, what: str) -> tuple[int, int]:
    try:
        return read_uleb128(data, pos, what)
    except wire.WireError as exc:
        raise NonCanonical(str(exc)) from None


def _sleb(data: bytes, pos: int, what: str) -> tuple[int, int]:
    try:
        return read_sleb128(data, pos, what)
    except wire.WireError as exc:
        raise NonCanonical(str(exc)) from None


def _take(data: bytes, pos: int, n: int, what: str) -> tuple[bytes, int]:
    end = pos + n
    if end > len(data):
        raise NonCanonical(f"truncated {what}")
    return data[pos:end], end


def _rle(
    data: bytes, read: Callable[[bytes, int], tuple[object, int]], limit: int, what: str
) -> list[object]:
    """A run-length column: runs (count > 0, one value), literals (count < 0, that many values) and nulls
    (0, then a uleb count). At most `limit` values."""
    out: list[object] = []
    pos, end = 0, len(data)
    while pos < end:
        run, pos = _sleb(data, pos, what)
        if run == 0:
            count, pos = _uleb(data, pos, what)
            if count == 0 or len(out) + count > limit:
                raise NonCanonical(f"bad null run in the {what} column")
            out.extend([None] * count)
        elif run > 0:
            if len(out) + run > limit:
                raise NonCanonical(f"the {what} column holds too many values")
            value, pos = read(data, pos)
            out.extend([value] * run)
        else:
            if len(out) - run > limit:
                raise NonCanonical(f"the {what} column holds too many values")
            for _ in range(-run):
                value, pos = read(data, pos)
                out.append(value)
    return out


def _read_uint(data: bytes, pos: int) -> tuple[object, int]:
    return _uleb(data, pos, "column value")


def _read_int(data: bytes, pos: int) -> tuple[object, int]:
    return _sleb(data, pos, "column value")


def _read_str(data: bytes, pos: int) -> tuple[object, int]:
    length, pos = _uleb(data, pos, "string length")
    raw, pos = _take(data, pos, length, "string")
    try:
        return raw.decode("utf-8"), pos
    except UnicodeDecodeError:
        raise NonCanonical("a string column holds invalid UTF-8") from None


def _delta(data: bytes, limit: int, what: str) -> list[int | None]:
    values: list[int | None] = []
    absolute = 0
    for delta in _rle(data, _read_int, limit, what):
        if delta is None:
            values.append(None)
            continue
        assert isinstance(delta, int)
        absolute += delta
        values.append(absolute)
    return values


def _booleans(data: bytes, limit: int, what: str) -> list[bool]:
    out: list[bool] = []
    pos, end = 0, len(data)
    value = False
    while pos < end:
        count, pos = _uleb(data, pos, what)
        if len(out) + count > limit:
            raise NonCanonical(f"the {what} column holds too many values")
        out.extend([value] * count)
        value = not value
    return out


def _pad(values: list[object], n: int, default: object, what: str) -> list[object]:
    """A column automerge may leave out (all its values are `default`)."""
    if not values:
        return [default] * n
    if len(values) != n:
        raise NonCanonical(f"the {what} column holds {len(values)} values for {n} operations")
    return values


def decode_change(body: bytes, *, max_ops: int = DEFAULT_MAX_OPS) -> DecodedChange:
    """Read every part of a change body; raise :class:`NonCanonical` on anything not understood."""
    pos = 0
    n_deps, pos = _uleb(body, pos, "dependency count")
    if n_deps * 32 > len(body) - pos:
        raise NonCanonical("truncated dependencies")
    deps = tuple(body[pos + 32 * i : pos + 32 * (i + 1)] for i in range(n_deps))
    pos += 32 * n_deps
    length, pos = _uleb(body, pos, "actor length")
    actor, pos = _take(body, pos, length, "actor")
    if not actor:
        raise NonCanonical("empty actor")
    seq, pos = _uleb(body, pos, "seq")
    start_op, pos = _uleb(body, pos, "start op")
    time, pos = _sleb(body, pos, "time")
    length, pos = _uleb(body, pos, "message length")
    message, pos = _take(body, pos, length, "message")
    try:
        message.decode("utf-8")
    except UnicodeDecodeError:
        raise NonCanonical("the message is not UTF-8") from None
    n_others, pos = _uleb(body, pos, "actor count")
    if n_others > len(body) - pos:
        raise NonCanonical("truncated actors")
    others: list[bytes] = []
    for _ in range(n_others):
        length, pos = _uleb(body, pos, "actor length")
        other, pos = _take(body, pos, length, "actor")
        others.append(other)
    n_columns, pos = _uleb(body, pos, "column count")
    if n_columns > len(COLUMN_NAMES):
        raise NonCanonical(f"{n_columns} columns: automerge writes at most {len(COLUMN_NAMES)}")
    specs: list[tuple[int, int]] = []
    for _ in range(n_columns):
        spec, pos = _uleb(body, pos, "column spec")
        length, pos = _uleb(body, pos, "column length")
        specs.append((spec, length))
    columns: dict[int, bytes] = {}
    previous = -1
    for spec, length in specs:
        if spec not in COLUMN_NAMES:
            deflated = " (deflated)" if spec < _COUNTER_LIMIT and spec & 0x08 else ""
            raise NonCanonical(f"column 0x{spec:x}{deflated} is not one automerge writes in a change")
        if spec <= previous:
            raise NonCanonical("columns out of order or repeated")
        if length == 0:
            raise NonCanonical(f"empty {COLUMN_NAMES[spec]} column written out")
        previous = spec
        columns[spec], pos = _take(body, pos, length, f"{COLUMN_NAMES[spec]} column")
    if pos != len(body):
        raise NonCanonical(f"{len(body) - pos} bytes after the last column")
    if not 0 < start_op < _COUNTER_LIMIT:
        raise NonCanonical("start op out of range")
    return DecodedChange(
        deps, actor, seq, start_op, time, message, tuple(others), _decode_ops(columns, max_ops)
    )


def _decode_ops(columns: dict[int, bytes], max_ops: int) -> list[ChangeOp]:
    get = columns.get
    actions = _rle(get(ACTION, b""), _read_uint, max_ops, "action")
    n = len(actions)
    if None in actions:
        raise NonCanonical("an operation without an action")
    obj_actor = _pad(_rle(get(OBJ_ACTOR, b""), _read_uint, n, "object actor"), n, None, "object actor")
    obj_ctr = _pad(_rle(get(OBJ_CTR, b""), _read_uint, n, "object counter"), n, None, "object counter")
    key_actor = _pad(_rle(get(KEY_ACTOR, b""), _read_uint, n, "key actor"), n, None, "key actor")
    key_ctr = _pad(list(_delta(get(KEY_CTR, b""), n, "key counter")), n, None, "key counter")
    key_str = _pad(_rle(get(KEY_STR, b""), _read_str, n, "key string"), n, None, "key string")
    inserts = _pad(list(_booleans(get(INSERT, b""), n, "insert")), n, False, "insert")
    metas = _pad(_rle(get(VAL_META, b""), _read_uint, n, "value metadata"), n, None, "value metadata")
    pred_num = _pad(
        _rle(get(PRED_NUM, b""), _read_uint, n, "predecessor count"), n, None, "predecessor count"
    )
    expands = _pad(list(_booleans(get(EXPAND, b""), n, "expand")), n, False, "expand")
    marks = _pad(_rle(get(MARK_NAME, b""), _read_str, n, "mark name"), n, None, "mark name")
    total_preds = 0
    for count in pred_num:
        if not isinstance(count, int):
            raise NonCanonical("an operation without a predecessor count")
        total_preds += count
        if total_preds > 16 * max_ops:
            raise NonCanonical("too many predecessors")
    pred_actor = _rle(get(PRED_ACTOR, b""), _read_uint, total_preds, "predecessor actor")
    pred_ctr = _delta(get(PRED_CTR, b""), total_preds, "predecessor counter")
    if len(pred_actor) != total_preds or len(pred_ctr) != total_preds:
        raise NonCanonical("the predecessor columns do not match their counts")
    raw = get(VAL_RAW, b"")
    raw_pos = 0
    ops: list[ChangeOp] = []
    pred_pos = 0
    for i in range(n):
        oa, oc = obj_actor[i], obj_ctr[i]
        if oa is None and oc is None:
            obj: OpRef | None = None
        elif isinstance(oa, int) and isinstance(oc, int) and oc > 0:
            obj = (oc, oa)
        else:
            raise NonCanonical("an object reference automerge would read otherwise")
        ka, kc, ks = key_actor[i], key_ctr[i], key_str[i]
        key: str | OpRef
        if isinstance(ks, str) and ka is None and kc is None:
            key = ks
        elif ks is None and ka is None and kc == 0:
            key = HEAD
        elif ks is None and isinstance(ka, int) and isinstance(kc, int) and kc > 0:
            key = (kc, ka)
        else:
            raise NonCanonical("a key automerge would read otherwise")
        meta = metas[i]
        if not isinstance(meta, int):
            raise NonCanonical("an operation without value metadata")
        code, length = meta & 0x0F, meta >> 4
        if code in (V_NULL, V_FALSE, V_TRUE):
            if length:
                raise NonCanonical("a null or boolean value with a length")
            value_bytes = b""
        else:
            value_bytes, raw_pos = _take(raw, raw_pos, length, "values column")
        count = pred_num[i]
        assert isinstance(count, int)
        preds: list[OpRef] = []
        for j in range(pred_pos, pred_pos + count):
            pa, pc = pred_actor[j], pred_ctr[j]
            if not isinstance(pa, int) or not isinstance(pc, int) or pc <= 0:
                raise NonCanonical("a predecessor automerge would read otherwise")
            preds.append((pc, pa))
        pred_pos += count
        action = actions[i]
        assert isinstance(action, int)
        mark = marks[i]
        ops.append(
            ChangeOp(
                obj,
                key,
                bool(inserts[i]),
                action,
                (code, value_bytes),
                tuple(preds),
                bool(expands[i]),
                mark if isinstance(mark, str) else None,
            )
        )
    if raw_pos != len(raw):
        raise NonCanonical("the values column holds bytes no operation uses")
    return ops


# ---------------------------------------------------------------------------------------------- writing


def _rle_bytes(values: Sequence[object], write: Callable[[object], bytes]) -> bytes:
    """automerge's `RleEncoder`: runs of two or more equal values, literals of lone values, null runs;
    nothing at all for a column of nulls only."""
    if all(v is None for v in values):
        return b""
    out = bytearray()
    literal: list[object] = []

    def flush() -> None:
        if literal:
            out.extend(write_sleb128(-len(literal)))
            for value in literal:
                out.extend(write(value))
            literal.clear()

    i, n = 0, len(values)
    while i < n:
        value = values[i]
        j = i + 1
        while j < n and values[j] == value and type(values[j]) is type(value):
            j += 1
        count = j - i
        if value is None:
            flush()
            out.append(0)
            out.extend(write_uleb128(count))
        elif count >= 2:
            flush()
            out.extend(write_sleb128(count))
            out.extend(write(value))
        else:
            literal.append(value)
        i = j
    flush()
    return bytes(out)


def _write_uint(value: object) -> bytes:
    assert isinstance(value, int)
    return write_uleb128(value)


def _write_int(value: object) -> bytes:
    assert isinstance(value, int)
    return write_sleb128(value)


def _write_str(value: object) -> bytes:
    assert isinstance(value, str)
    raw = value.encode("utf-8")
    return write_uleb128(len(raw)) + raw


def _delta_bytes(values: Sequence[int | None]) -> bytes:
    deltas: list[object] = []
    absolute = 0
    for value in values:
        if value is None:
            deltas.append(None)
        else:
            delta = value - absolute
            if not -_I64_LIMIT <= delta < _I64_LIMIT:
                raise NonCanonical("a counter delta beyond 64 bits")
            deltas.append(delta)
            absolute = value
    return _rle_bytes(deltas, _write_int)


def _boolean_bytes(values: Sequence[bool]) -> bytes:
    out = bytearray()
    last, count = False, 0
    for value in values:
        if value == last:
            count += 1
        else:
            out.extend(write_uleb128(count))
            last, count = value, 1
    if count:
        out.extend(write_uleb128(count))
    return bytes(out)


def _value_meta(value: tuple[int, bytes]) -> int:
    code, raw = value
    return len(raw) << 4 | code


def encode_columns(ops: Sequence[ChangeOp]) -> list[tuple[int, bytes]]:
    """The non-empty columns automerge writes for `ops`, in order."""
    obj_actor: list[object] = []
    obj_ctr: list[object] = []
    key_actor: list[object] = []
    key_ctr: list[int | None] = []
    key_str: list[object] = []
    pred_actor: list[object] = []
    pred_ctr: list[int | None] = []
    for op in ops:
        if op.obj is None:
            obj_actor.append(None)
            obj_ctr.append(None)
        else:
            obj_ctr.append(op.obj[0])
            obj_actor.append(op.obj[1])
        key = op.key
        if isinstance(key, str):
            key_str.append(key)
            key_actor.append(None)
            key_ctr.append(None)
        elif key == HEAD:
            key_str.append(None)
            key_actor.append(None)
            key_ctr.append(0)
        else:
            key_str.append(None)
            key_actor.append(key[1])
            key_ctr.append(key[0])
        for counter, actor in op.pred:
            pred_actor.append(actor)
            pred_ctr.append(counter)
    columns = [
        (OBJ_ACTOR, _rle_bytes(obj_actor, _write_uint)),
        (OBJ_CTR, _rle_bytes(obj_ctr, _write_uint)),
        (KEY_ACTOR, _rle_bytes(key_actor, _write_uint)),
        (KEY_CTR, _delta_bytes(key_ctr)),
        (KEY_STR, _rle_bytes(key_str, _write_str)),
        (INSERT, _boolean_bytes([op.insert for op in ops])),
        (ACTION, _rle_bytes([op.action for op in ops], _write_uint)),
        (VAL_META, _rle_bytes([_value_meta(op.value) for op in ops], _write_uint)),
        (VAL_RAW, b"".join(op.value[1] for op in ops)),
        (PRED_NUM, _rle_bytes([len(op.pred) for op in ops], _write_uint)),
        (PRED_ACTOR, _rle_bytes(pred_actor, _write_uint)),
        (PRED_CTR, _delta_bytes(pred_ctr)),
        (EXPAND, _boolean_bytes([op.expand for op in ops]) if any(op.expand for op in ops) else b""),
        (MARK_NAME, _rle_bytes([op.mark_name for op in ops], _write_str)),
    ]
    return [(spec, data) for spec, data in columns if data]


def encode_change(change: DecodedChange) -> bytes:
    """The change body automerge's `ChangeBuilder` writes for `change` (deps sorted, as it does)."""
    out = bytearray(write_uleb128(len(change.deps)))
    for dep in sorted(change.deps):
        out += dep
    out += write_uleb128(len(change.actor)) + change.actor
    out += write_uleb128(change.seq) + write_uleb128(change.start_op) + write_sleb128(change.time)
    out += write_uleb128(len(change.message)) + change.message
    out += write_uleb128(len(change.others))
    for other in change.others:
        out += write_uleb128(len(other)) + other
    columns = encode_columns(change.ops)
    out += write_uleb128(len(columns))
    for spec, data in columns:
        out += write_uleb128(spec) + write_uleb128(len(data))
    for _, data in columns:
        out += data
    return bytes(out)


# ---------------------------------------------------------------------------------------------- checking
#
# `check_change` reads a body the way `decode_change` does, but checks, while reading, that each part is
# written the way automerge writes it, instead of encoding everything again and comparing: it runs for
# every change received, so it must cost little more than reading the header. A run-length column is
# automerge's encoding of its values exactly when its pieces are: runs of two or more equal values,
# literals of values each different from the next, and runs of nulls; no literal next to a literal, no
# null run next to a null run, no run or literal whose first value equals the value before it; and not
# nulls only (such a column is left out). `tests/sync/test_changecodec.py` checks, on real and mutated
# changes, that this accepts exactly the bodies `encode_change(decode_change(body))` gives back.

_SIGNED = (V_INT, V_COUNTER, V_TIMESTAMP)
_LEB_CODES = (V_UINT, *_SIGNED)  # values written as LEB128
_CACHE_LIMIT = 4096  # column bytes remembered per column kind (most columns repeat from change to change)
_CACHEABLE = 64  # longest column remembered
_CACHEABLE_SHAPE = 512  # most column bytes of a change whose shape is remembered


def _bad(what: str) -> NonCanonical:
    return NonCanonical(f"its {what} column is not encoded as automerge encodes it")


def _runs(data: bytes, limit: int, what: str, kind: int) -> list[object]:
    """Values of a run-length column written as automerge writes it. `kind`: 0 uint, 1 int, 2 str."""
    out: list[object] = []
    pos, end = 0, len(data)
    previous = 0  # 0: nothing yet, 1: a run, 2: a literal, 3: nulls
    last: object = None
    any_value = False
    while pos < end:
        byte = data[pos]
        if byte < 0x40:
            count, pos = byte, pos + 1
        elif byte < 0x80:
            count, pos = byte - 0x80, pos + 1
        else:
            count, pos = read_sleb128(data, pos)
        if count == 0:
            nulls, pos = read_uleb128(data, pos)
            if previous == 3 or nulls == 0 or len(out) + nulls > limit:
                raise _bad(what)
            out.extend([None] * nulls)
            previous = 3
            continue
        repeat = 1 if count < 0 else count
        values = -count if count < 0 else 1
        if count == 1 or (count < 0 and previous == 2) or len(out) + repeat * values > limit:
            raise _bad(what)
        for index in range(values):
            value: object
            if kind == 0:
                byte = data[pos]
                if byte < 0x80:
                    value, pos = byte, pos + 1
                else:
                    value, pos = read_uleb128(data, pos)
            elif kind == 1:
                byte = data[pos]
                if byte < 0x40:
                    value, pos = byte, pos + 1
                elif byte < 0x80:
                    value, pos = byte - 0x80, pos + 1
                else:
                    value, pos = read_sleb128(data, pos)
            else:
                length = data[pos]
                if length < 0x80:
                    pos += 1
                else:
                    length, pos = read_uleb128(data, pos)
                if pos + length > end:
                    raise _bad(what)
                value = data[pos : pos + length].decode("utf-8")
                pos += length
            if value == last and (index or previous in (1, 2)):
                raise _bad(what)
            last = value
            if repeat == 1:
                out.append(value)
            else:
                out.extend([value] * repeat)
        previous = 1 if count > 0 else 2
        any_value = True
    if out and not any_value:
        raise _bad(what)  # nulls only: automerge leaves such a column out
    return out


def _flags(data: bytes, limit: int, what: str) -> list[bool]:
    """A boolean column written as automerge writes it: alternating counts, falses first; only the
    first count may be zero."""
    out: list[bool] = []
    pos, end = 0, len(data)
    value = False
    while pos < end:
        byte = data[pos]
        if byte < 0x80:
            count, pos = byte, pos + 1
        else:
            count, pos = read_uleb128(data, pos)
        if (count == 0 and pos != 1) or len(out) + count > limit:
            raise _bad(what)
        out.extend([value] * count)
        value = not value
    return out


_CACHES: dict[int, dict[bytes, list[object]]] = {spec: {} for spec in COLUMN_NAMES}


def _column(columns: dict[int, bytes], spec: int, limit: int) -> list[object]:
    data = columns.get(spec)
    if data is None:
        return []
    cache = _CACHES[spec]
    found = cache.get(data)
    if found is not None:
        if len(found) > limit:
            raise _bad(COLUMN_NAMES[spec])
        return found
    what = COLUMN_NAMES[spec]
    values: list[object]
    if spec in (INSERT, EXPAND):
        values = list(_flags(data, limit, what))
    elif spec in (KEY_CTR, PRED_CTR):
        values = []
        absolute = 0
        for delta in _runs(data, limit, what, 1):
            if delta is None:
                values.append(None)
            else:
                assert isinstance(delta, int)
                absolute += delta
                values.append(absolute)
    else:
        values = _runs(data, limit, what, 2 if spec in (KEY_STR, MARK_NAME) else 0)
    if len(data) <= _CACHEABLE:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[data] = values
    return values


_TABLES: dict[bytes, tuple[tuple[int, int], ...]] = {}  # column tables seen, read and checked


def _read_table(body: bytes, pos: int) -> tuple[tuple[tuple[int, int], ...], int]:
    """The column table at `pos`: ((spec, length), ...) in order, checked; and the position after it."""
    n_columns = body[pos]
    if n_columns > len(COLUMN_NAMES):
        raise NonCanonical(f"{n_columns} columns: automerge writes at most {len(COLUMN_NAMES)}")
    end = pos + 1 + 2 * n_columns
    raw = body[pos:end]
    found = _TABLES.get(raw)
    if found is not None:
        return found, end
    pos += 1
    specs: list[tuple[int, int]] = []
    for _ in range(n_columns):
        spec, pos = read_uleb128(body, pos)
        length, pos = read_uleb128(body, pos)
        specs.append((spec, length))
    previous = -1
    for spec, length in specs:
        if spec not in COLUMN_NAMES:
            raise NonCanonical(f"column 0x{spec:x} is not one automerge writes in a change")
        if spec <= previous:
            raise NonCanonical("columns out of order or repeated")
        if length == 0:
            raise NonCanonical(f"empty {COLUMN_NAMES[spec]} column written out")
        previous = spec
    table = tuple(specs)
    if pos == end:  # one byte per spec and length: the usual table, worth remembering
        if len(_TABLES) >= _CACHE_LIMIT:
            _TABLES.clear()
        _TABLES[raw] = table
    return table, pos


class _Template(NamedTuple):
    """What a change's columns say, key strings and values aside, checked: many changes share it."""

    n: int
    # per operation: (object, element key or None for a string key, insert, action, value type code,
    # value length, predecessors, expand, mark name)
    ops: tuple[
        tuple[OpRef | None, OpRef | None, bool, int, int, int, tuple[OpRef, ...], bool, str | None], ...
    ]
    strings: tuple[bool, ...] | None  # per operation: is its key a string (None: no key is)
    pred_ties: bool  # predecessors of one operation share a counter: their order depends on actor bytes


_TEMPLATES: dict[tuple[object, ...], _Template] = {}
_NO_OPS = _Template(0, (), None, False)


def check_change(body: bytes, *, max_ops: int = DEFAULT_MAX_OPS) -> DecodedChange:
    """Read a change body, making sure it is byte for byte what automerge writes for what it says;
    raise :class:`NonCanonical` (with the part that differs) otherwise."""
    found = _check_one_op(body, 0, max_ops)
    if found is not None:
        return as_decoded(found)
    return _check_full(body, max_ops)


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
        return _check_full(chunk[at:], max_ops)
    return check_change(change_body(chunk, max_inflated=max_inflated), max_ops=max_ops)


def _check_full(body: bytes, max_ops: int) -> DecodedChange:
    try:
        return _check_change(body, max_ops)
    except (IndexError, wire.WireError, UnicodeDecodeError) as exc:
        raise NonCanonical(f"unreadable change: {exc}") from None


def _check_change(body: bytes, max_ops: int) -> DecodedChange:
    end = len(body)
    n_deps = body[0]
    if n_deps == 1:
        deps: tuple[bytes, ...] = (body[1:33],)
        pos = 33
    else:
        n_deps, pos = read_uleb128(body, 0)
        if n_deps * 32 > end:
            raise NonCanonical("truncated dependencies")
        deps = tuple(body[pos + 32 * i : pos + 32 * i + 32] for i in range(n_deps))
        pos += 32 * n_deps
        if any(a >= b for a, b in pairwise(deps)):
            raise NonCanonical("dependencies out of order or repeated")
    length = body[pos]
    if length < 0x80:
        pos += 1
    else:
        length, pos = read_uleb128(body, pos)
    actor = body[pos : pos + length]
    pos += length
    if not actor or pos > end:
        raise NonCanonical("missing actor")
    seq, pos = _uleb_fast(body, pos)
    start_op, pos = _uleb_fast(body, pos)
    time = body[pos]
    if time < 0x40:
        pos += 1
    else:
        time, pos = read_sleb128(body, pos)
    length = body[pos]
    if length < 0x80:
        pos += 1
    else:
        length, pos = read_uleb128(body, pos)
    message = body[pos : pos + length]
    pos += length
    if pos > end:
        raise NonCanonical("truncated message")
    if message:
        message.decode("utf-8")
    others: tuple[bytes, ...] = ()
    if body[pos]:
        n_others, pos = read_uleb128(body, pos)
        if n_others > end - pos:
            raise NonCanonical("truncated actors")
        listed = []
        for _ in range(n_others):
            length, pos = read_uleb128(body, pos)
            listed.append(body[pos : pos + length])
            pos += length
        others = tuple(listed)
        if actor in others or any(a >= b for a, b in pairwise(others)):
            raise NonCanonical("the other actors are not sorted, or repeat the author")
    else:
        pos += 1
    if not 0 < start_op < _COUNTER_LIMIT:
        raise NonCanonical("start op out of range")
    table, pos = _read_table(body, pos)
    strings_data: bytes | None = None
    raw = b""
    parts: list[object] = [len(others), table]
    for spec, length in table:
        following = pos + length
        if spec == KEY_STR:
            strings_data = body[pos:following]
        elif spec == VAL_RAW:
            raw = body[pos:following]
        else:
            parts.append(body[pos:following])
        pos = following
    if pos != end:
        raise NonCanonical("the columns do not end where the change does")
    shape = tuple(parts)
    template = _TEMPLATES.get(shape)
    if template is None:
        specs = [spec for spec, _ in table if spec not in (KEY_STR, VAL_RAW)]
        columns = {spec: data for spec, data in zip(specs, parts[2:], strict=True) if isinstance(data, bytes)}
        template = _template(columns, max_ops, len(others) + 1)
        if sum(map(len, columns.values())) <= _CACHEABLE_SHAPE:
            if len(_TEMPLATES) >= _CACHE_LIMIT:
                _TEMPLATES.clear()
            _TEMPLATES[shape] = template
    if template.n > max_ops:
        raise NonCanonical("too many operations")
    if start_op + template.n > _COUNTER_LIMIT:
        raise NonCanonical("operation counters out of range")
    ops = _assemble(template, strings_data, raw)
    actors = (actor, *others)
    if template.pred_ties:
        for op in ops:
            keys = [(counter, actors[index]) for counter, index in op.pred]
            if any(a >= b for a, b in pairwise(keys)):
                raise NonCanonical("predecessors out of order or repeated")
    return DecodedChange(deps, actor, seq, start_op, time, message, others, ops)


def _assemble(template: _Template, strings_data: bytes | None, raw: bytes) -> list[ChangeOp]:
    """The operations of a change: its template with its own key strings and values."""
    strings: list[object] = []
    if strings_data is not None:
        size = len(strings_data)
        if template.n == 1 and size >= 2 and strings_data[0] == 0x7F and strings_data[1] == size - 2 < 0x80:
            strings = [strings_data[2:].decode("utf-8")]  # one short string: the usual key column
        else:
            strings = _CACHES[KEY_STR].get(strings_data) or _column(
                {KEY_STR: strings_data}, KEY_STR, template.n
            )
        wanted = template.strings
        if wanted is None or len(strings) != template.n:
            raise _bad("key string")
        for has, string in zip(wanted, strings, strict=True):
            if has != (string is not None):
                raise NonCanonical("a key automerge would read otherwise")
    elif template.strings is not None:
        raise NonCanonical("a key automerge would read otherwise")
    ops: list[ChangeOp] = []
    raw_pos = 0
    for index, (obj, elem, insert, action, code, length, preds, expand, mark) in enumerate(template.ops):
        value = b""
        if length:
            value = raw[raw_pos : raw_pos + length]
            raw_pos += length
            _check_value_bytes(code, value)
        ops.append(
            ChangeOp(
                obj,
                elem if elem is not None else cast(str, strings[index]),
                insert,
                action,
                (code, value),
                preds,
                expand,
                mark,
            )
        )
    if raw_pos != len(raw):
        raise NonCanonical("the values column does not hold what the operations say")
    return ops


def _check_value_bytes(code: int, value: bytes) -> None:
    """A value's bytes as automerge writes them: UTF-8 strings, numbers in their shortest LEB128."""
    if code == V_STR:
        value.decode("utf-8")
    elif code == V_UINT or code in _SIGNED:
        first = value[0]
        length = len(value)
        if length == 1:
            if first >= 0x80:
                raise NonCanonical("a truncated number")
        elif length == 2 and first >= 0x80 and value[1] < 0x80:  # two bytes: canonical if not overlong
            if code == V_UINT:
                if not value[1]:
                    raise NonCanonical("a number with a needless byte")
            elif value[1] == (0x7F if first & 0x40 else 0):
                raise NonCanonical("a number with a needless byte")
        elif (read_uleb128 if code == V_UINT else read_sleb128)(value, 0)[1] != length:
            raise NonCanonical("a value with trailing bytes")


_ALWAYS_THERE = (ACTION, INSERT, VAL_META, PRED_NUM)  # never left out when there are operations


def _template(columns: dict[int, bytes], max_ops: int, n_actors: int) -> _Template:
    """Read and check every column but the key strings and the values."""
    if not columns:
        if n_actors > 1:
            raise NonCanonical("the change lists actors its operations do not name")
        return _NO_OPS
    decoded: dict[int, list[object]] = {}
    n = -1
    total_preds = 0
    for spec, data in columns.items():
        limit = total_preds if spec in (PRED_ACTOR, PRED_CTR) else max_ops
        found = _CACHES[spec].get(data)
        if found is None:
            found = _column(columns, spec, limit)
        if spec == ACTION:
            n = len(found)
            if None in found:
                raise _bad("action")
        elif spec == PRED_NUM:
            for count in found:
                if not isinstance(count, int):
                    raise _bad("predecessor count")
                total_preds += count
            if total_preds > 16 * max_ops:
                raise NonCanonical("too many predecessors")
        decoded[spec] = found
    for spec in _ALWAYS_THERE:
        if spec not in decoded:
            raise NonCanonical(f"no {COLUMN_NAMES[spec]} column")
    for spec, values in decoded.items():
        if len(values) != (total_preds if spec in (PRED_ACTOR, PRED_CTR) else n):
            raise _bad(COLUMN_NAMES[spec])
    if (OBJ_ACTOR in decoded) != (OBJ_CTR in decoded) or (PRED_ACTOR in decoded) != (PRED_CTR in decoded):
        raise NonCanonical("a column written without its pair")
    if EXPAND in decoded and True not in decoded[EXPAND]:
        raise _bad("expand")
    none: list[object] = [None] * n
    obj_actor = decoded.get(OBJ_ACTOR, none)
    obj_ctr = decoded.get(OBJ_CTR, none)
    key_actor = decoded.get(KEY_ACTOR, none)
    key_ctr = decoded.get(KEY_CTR, none)
    pred_actor = decoded.get(PRED_ACTOR, [])
    pred_ctr = decoded.get(PRED_CTR, [])
    expands = decoded.get(EXPAND, [False] * n)
    marks = decoded.get(MARK_NAME, none)
    used: set[int] = set()
    pred_ties = False
    pred_pos = 0
    ops = []
    strings: list[bool] = []
    for i in range(n):
        oa, oc = obj_actor[i], obj_ctr[i]
        obj: OpRef | None = None
        if isinstance(oa, int) and isinstance(oc, int) and oc > 0 and oa < n_actors:
            obj = (oc, oa)
            used.add(oa)
        elif oa is not None or oc is not None:
            raise NonCanonical("an object reference automerge would read otherwise")
        ka, kc = key_actor[i], key_ctr[i]
        elem: OpRef | None = None
        if kc == 0 and ka is None:
            elem = HEAD
        elif isinstance(ka, int) and isinstance(kc, int) and kc > 0 and ka < n_actors:
            elem = (kc, ka)
            used.add(ka)
        elif ka is not None or kc is not None:
            raise NonCanonical("a key automerge would read otherwise")
        strings.append(elem is None)
        meta = decoded[VAL_META][i]
        if not isinstance(meta, int):
            raise _bad("value metadata")
        code, length = meta & 0x0F, meta >> 4
        if length and code <= V_TRUE:
            raise NonCanonical("a value automerge would read otherwise")
        if not length and (V_UINT <= code <= V_F64 or code in (V_COUNTER, V_TIMESTAMP)):
            raise NonCanonical("a number without bytes")
        if code == V_F64 and length != 8:
            raise NonCanonical("a float that is not 8 bytes")
        count = decoded[PRED_NUM][i]
        assert isinstance(count, int)
        preds: list[OpRef] = []
        for j in range(pred_pos, pred_pos + count):
            pa, pc = pred_actor[j], pred_ctr[j]
            if (
                not isinstance(pa, int)
                or not isinstance(pc, int)
                or not 0 < pc < _COUNTER_LIMIT
                or pa >= n_actors
            ):
                raise NonCanonical("a predecessor automerge would read otherwise")
            if preds and pc <= preds[-1][0]:
                if pc < preds[-1][0]:
                    raise NonCanonical("predecessors out of order or repeated")
                pred_ties = True
            preds.append((pc, pa))
            used.add(pa)
        pred_pos += count
        action = decoded[ACTION][i]
        insert = decoded[INSERT][i] is True
        expand = expands[i] is True
        mark = marks[i]
        assert isinstance(action, int) and (mark is None or isinstance(mark, str))
        _check_value(action, code, insert, expand, mark)
        ops.append((obj, elem, insert, action, code, length, tuple(preds), expand, mark))
    if used - {0} != set(range(1, n_actors)):
        raise NonCanonical("the change lists actors its operations do not name")
    return _Template(n, tuple(ops), tuple(strings) if any(strings) else None, pred_ties)


def _check_value(action: int, code: int, insert: bool, expand: bool, mark: str | None) -> None:
    """The value and mark data as automerge would write them again, given what it keeps of the op."""
    if action > MARK:
        raise NonCanonical(f"unknown action {action}")
    if action in MAKES or action == DELETE or (action == MARK and mark is None):
        if code != V_NULL:
            raise NonCanonical("a value on an operation that holds none")
    elif action == INCREMENT and code != V_INT:
        raise NonCanonical("an increment by something other than a signed integer")
    if action != MARK and (expand or mark is not None):
        raise NonCanonical("mark data on an operation that is not a mark")
    if action in (DELETE, INCREMENT) and insert:
        raise NonCanonical("an insertion that deletes or increments")


# ---------------------------------------------------------------------------------------- one operation
#
# Most changes are one operation on one dependency, without a message: a put, an insertion, a deletion.
# `_check_one_op` takes those through a shorter road: their column bytes, key string and value left out,
# name a template (the one `_template` reads, remembered), and only the key string and the value are read
# per change. It only ever *accepts*: anything else, or anything unusual, goes to `_check_change`, which
# gives the verdict (and the reason). `tests/sync/test_changecodec.py` holds the two to the same verdict
# and the same result on real and mutated changes.


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
# `_Template.ops`), or None when that shape is not one `_check_one_op` takes
_ONE_OP: dict[bytes, _OneOp | None] = {}


def _layout(body: bytes, pos: int) -> _Layout | None:
    """The layout of the (valid, one byte per spec and length) column table at `pos`."""
    try:
        table, end = _read_table(body, pos)
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
    if len(_LAYOUTS) >= _CACHE_LIMIT:
        _LAYOUTS.clear()
    _LAYOUTS[body[pos:end]] = layout
    return layout


def _one_op_template(body: bytes, pos: int, shape: bytes, max_ops: int, n_actors: int) -> _OneOp | None:
    """Read and remember the operation of a one-operation shape (None: not one, or not canonical)."""
    table, at = _read_table(body, pos)
    columns: dict[int, bytes] = {}
    for spec, length in table:
        if spec not in (KEY_STR, VAL_RAW):
            columns[spec] = body[at : at + length]
        at += length
    try:
        template = _template(columns, max_ops, n_actors)
    except NonCanonical:
        return None  # not remembered: `_check_change` refuses it, with its reason
    op: _OneOp | None = None
    if template.n == 1 and not template.pred_ties:
        obj, elem, insert, action, code, size, preds, expand, mark = template.ops[0]
        if not expand and mark is None:
            op = (obj, elem, insert, action, code, size, preds)
    if len(shape) <= _CACHEABLE_SHAPE:
        if len(_ONE_OP) >= _CACHE_LIMIT:
            _ONE_OP.clear()
        _ONE_OP[shape] = op
    return op


def _check_one_op(data: bytes, at: int, max_ops: int) -> UsualChange | None:
    """`_check_change` of the usual change (one dependency, no message, one operation) whose body is
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
        if data[pos] or n_others >= 0x80 or not 0 < start_op < _COUNTER_LIMIT:
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
            _check_value_bytes(code, value)
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
