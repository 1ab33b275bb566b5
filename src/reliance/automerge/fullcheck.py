"""The full canonical check of a change body: every part and column read and checked, as it is read, against
the way automerge writes it, and the verdict (with the part that differs) for any change.

`check_full` reads a body the way `changecodec.decode_change` does, but checks, while reading, that each part
is written the way automerge writes it, instead of encoding everything again and comparing: it runs for
every change the one-operation road (`changecheck`) does not take, so it must cost little more than reading
the header. A run-length column is automerge's encoding of its values exactly when its pieces are: runs of
two or more equal values, literals of values each different from the next, and runs of nulls; no literal
next to a literal, no null run next to a null run, no run or literal whose first value equals the value
before it; and not nulls only (such a column is left out). `tests/sync/test_changecodec.py` checks, on real
and mutated changes, that this accepts exactly the bodies `encode_change(decode_change(body))` gives back.

This module never imports automerge.
"""

from __future__ import annotations

from itertools import pairwise
from typing import NamedTuple, cast

from reliance.automerge import wire
from reliance.automerge.changecodec import (
    ACTION,
    COLUMN_NAMES,
    COUNTER_LIMIT,
    DELETE,
    EXPAND,
    HEAD,
    INCREMENT,
    INSERT,
    KEY_ACTOR,
    KEY_CTR,
    KEY_STR,
    MAKES,
    MARK,
    MARK_NAME,
    OBJ_ACTOR,
    OBJ_CTR,
    PRED_ACTOR,
    PRED_CTR,
    PRED_NUM,
    V_COUNTER,
    V_F64,
    V_INT,
    V_NULL,
    V_STR,
    V_TIMESTAMP,
    V_TRUE,
    V_UINT,
    VAL_META,
    VAL_RAW,
    ChangeOp,
    DecodedChange,
    NonCanonical,
    OpRef,
)
from reliance.automerge.wire import read_sleb128, read_uleb128
from reliance.automerge.wire import read_uleb128_fast as _uleb_fast

_SIGNED = (V_INT, V_COUNTER, V_TIMESTAMP)
CACHE_LIMIT = 4096  # column bytes remembered per column kind (most columns repeat from change to change)
_CACHEABLE = 64  # longest column remembered
CACHEABLE_SHAPE = 512  # most column bytes of a change whose shape is remembered


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
        if len(cache) >= CACHE_LIMIT:
            cache.clear()
        cache[data] = values
    return values


_TABLES: dict[bytes, tuple[tuple[int, int], ...]] = {}  # column tables seen, read and checked


def read_table(body: bytes, pos: int) -> tuple[tuple[tuple[int, int], ...], int]:
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
        if len(_TABLES) >= CACHE_LIMIT:
            _TABLES.clear()
        _TABLES[raw] = table
    return table, pos


class Template(NamedTuple):
    """What a change's columns say, key strings and values aside, checked: many changes share it."""

    n: int
    # per operation: (object, element key or None for a string key, insert, action, value type code,
    # value length, predecessors, expand, mark name)
    ops: tuple[
        tuple[OpRef | None, OpRef | None, bool, int, int, int, tuple[OpRef, ...], bool, str | None], ...
    ]
    strings: tuple[bool, ...] | None  # per operation: is its key a string (None: no key is)
    pred_ties: bool  # predecessors of one operation share a counter: their order depends on actor bytes


_TEMPLATES: dict[tuple[object, ...], Template] = {}
_NO_OPS = Template(0, (), None, False)


def check_full(body: bytes, max_ops: int) -> DecodedChange:
    """Read a change body, making sure it is byte for byte what automerge writes for what it says; raise
    :class:`NonCanonical` (with the part that differs) otherwise."""
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
    if not 0 < start_op < COUNTER_LIMIT:
        raise NonCanonical("start op out of range")
    table, pos = read_table(body, pos)
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
        template = template_of(columns, max_ops, len(others) + 1)
        if sum(map(len, columns.values())) <= CACHEABLE_SHAPE:
            if len(_TEMPLATES) >= CACHE_LIMIT:
                _TEMPLATES.clear()
            _TEMPLATES[shape] = template
    if template.n > max_ops:
        raise NonCanonical("too many operations")
    if start_op + template.n > COUNTER_LIMIT:
        raise NonCanonical("operation counters out of range")
    ops = _assemble(template, strings_data, raw)
    actors = (actor, *others)
    if template.pred_ties:
        for op in ops:
            keys = [(counter, actors[index]) for counter, index in op.pred]
            if any(a >= b for a, b in pairwise(keys)):
                raise NonCanonical("predecessors out of order or repeated")
    return DecodedChange(deps, actor, seq, start_op, time, message, others, ops)


def _assemble(template: Template, strings_data: bytes | None, raw: bytes) -> list[ChangeOp]:
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
            check_value_bytes(code, value)
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


def check_value_bytes(code: int, value: bytes) -> None:
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


def template_of(columns: dict[int, bytes], max_ops: int, n_actors: int) -> Template:
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
                or not 0 < pc < COUNTER_LIMIT
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
    return Template(n, tuple(ops), tuple(strings) if any(strings) else None, pred_ties)


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
