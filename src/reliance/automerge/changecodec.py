"""The operations of an Automerge change chunk, column by column, and automerge's own encoding of them.

Automerge (Rust 0.5.x, bundled by ``automerge==1.0.0rc1``) reads many encodings of the same operations: a run
of one value written as a literal, an empty column written out, a delta column restarted, a value with a
longer LEB128 than needed. It keeps a received change's bytes as they came, and its hash is the hash of those
bytes. But ``save()`` keeps only the operations, and ``load()`` rebuilds every change by encoding them again
(``storage::change::ChangeBuilder``): a change that was not written the way automerge writes it comes back
with other bytes, so another hash, and the saved document no longer loads ("mismatching heads").

:func:`decode_change` reads every part of a change body, as automerge reads it, and refuses anything it does
not understand; :func:`encode_change` writes a decoded change exactly as automerge's ``ChangeBuilder`` does.
They are the reference of the canonical check (``changecheck.check_change``, and ``fullcheck`` behind it),
which reads a body and makes sure, as it reads, that every part is written the way automerge writes it (it
accepts exactly the bodies ``encode_change(decode_change(body))`` gives back, checked by the tests on real
and mutated changes). It also refuses what automerge would store differently from what the change says (a
value on an operation that cannot hold one, mark data on an operation that is not a mark, predecessors out
of order, actors listed but not used): those too would come back with other bytes.

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
from typing import NamedTuple

from reliance.automerge import wire
from reliance.automerge.wire import read_sleb128, read_uleb128, write_sleb128, write_uleb128
from reliance.limits import DEFAULT_LIMITS

__all__ = [
    "DEFAULT_MAX_OPS",
    "HEAD",
    "ChangeOp",
    "DecodedChange",
    "NonCanonical",
    "OpRef",
    "change_body",
    "decode_change",
    "encode_change",
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
COUNTER_LIMIT = 1 << 32  # automerge refuses a start op beyond u32; no honest counter comes near it
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
            deflated = " (deflated)" if spec < COUNTER_LIMIT and spec & 0x08 else ""
            raise NonCanonical(f"column 0x{spec:x}{deflated} is not one automerge writes in a change")
        if spec <= previous:
            raise NonCanonical("columns out of order or repeated")
        if length == 0:
            raise NonCanonical(f"empty {COLUMN_NAMES[spec]} column written out")
        previous = spec
        columns[spec], pos = _take(body, pos, length, f"{COLUMN_NAMES[spec]} column")
    if pos != len(body):
        raise NonCanonical(f"{len(body) - pos} bytes after the last column")
    if not 0 < start_op < COUNTER_LIMIT:
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
