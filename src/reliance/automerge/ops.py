"""Reading a change's operations from its columns, before (or without) automerge.

Automerge's change format stores each operation's object, key, action and value as columns. The project
door (`auth`) judges most changes from these alone, and the authority index (`authority`) classifies
stored changes with them. The reader may fail (return None) on encodings it does not know: callers then
fall back to automerge's own diff, never to a guess.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from reliance.automerge import wire
from reliance.automerge.changecodec import DecodedChange
from reliance.automerge.crdt import ChangeInfo
from reliance.automerge.wire import read_sleb128_fast as _sleb
from reliance.automerge.wire import read_uleb128_fast as _uleb

if TYPE_CHECKING:
    from reliance.automerge.changecheck import UsualChange

MAX_OPS = 65_536
ObjKey = tuple[int, bytes]  # (counter, actor) of the operation that made an object
MAKES = frozenset({0, 2, 4, 6})  # make map, make list, make text, make table


class Op(NamedTuple):
    obj: ObjKey | None  # None: the root map
    key: str | None  # map key; None for list and text positions
    action: int  # 0 make map, 1 put, 2 make list, 3 delete, 4 make text, 6 make table (5, 7: not here)
    value_type: int  # 0 null … 7 bytes, 8 counter, 9 timestamp, 10+ unknown


ChangeOps = tuple[int, list[Op]]  # a change's start op and its operations


def obj_key(obj: bytes) -> ObjKey | None:
    """Parse the binding's object id: 0x10, actor length, actor, actor index, counter."""
    try:
        if obj[0] != 0x10:
            return None
        length, pos = wire.read_uleb128(obj, 1)
        actor = obj[pos : pos + length]
        _index, pos = wire.read_uleb128(obj, pos + length)
        counter, pos = wire.read_uleb128(obj, pos)
    except (IndexError, wire.WireError):
        return None
    return (counter, actor) if pos == len(obj) and len(actor) == length else None


def rle(data: bytes, strings: bool, limit: int) -> list[int | str | None]:
    """Automerge's run-length column: runs of one value, literal runs, and runs of nulls."""
    end = len(data)
    if end >= 2 and data[0] == 0x7F:  # the usual column of a one-operation change: one literal
        if not strings and end == 2 and data[1] < 0x80:
            return [data[1]]
        if strings and data[1] < 0x80 and end == 2 + data[1]:
            return [data[2:].decode("utf-8")]
    out: list[int | str | None] = []
    count_out = 0
    pos = 0
    while pos < end:
        run, pos = _sleb(data, pos)
        if run == 0:
            nulls, pos = _uleb(data, pos)
            count_out += nulls
            if count_out > limit:
                raise wire.WireError("column too long")
            out.extend([None] * nulls)
            continue
        count = run if run > 0 else -run
        count_out += count
        if count_out > limit:
            raise wire.WireError("column too long")
        for _ in range(1 if run > 0 else count):
            value: int | str
            if strings:
                length, pos = _uleb(data, pos)
                if pos + length > end:
                    raise wire.WireError("truncated string")
                value = data[pos : pos + length].decode("utf-8")
                pos += length
            else:
                value, pos = _uleb(data, pos)
            if run > 0:
                out.extend([value] * count)
            else:
                out.append(value)
    return out


def booleans(data: bytes, limit: int) -> list[bool]:
    out: list[bool] = []
    pos = 0
    value = False
    while pos < len(data):
        run, pos = _uleb(data, pos)
        if len(out) + run > limit:
            raise wire.WireError("column too long")
        out.extend([value] * run)
        value = not value
    return out


def change_body(info: ChangeInfo) -> bytes:
    """The change's body, inflated if the chunk is compressed."""
    if info.chunk[8] == 1:
        length, pos = _uleb(info.chunk, 9)
        return info.chunk[pos : pos + length]
    return wire.split_chunks(info.chunk)[0].change_body


def _columns(info: ChangeInfo, read: frozenset[int]) -> tuple[int, list[bytes], dict[int, bytes]] | None:
    """(start op, actors, the wanted columns) of a change; None for an encoding this reader does not know.
    Raises IndexError, UnicodeDecodeError or WireError on truncated input."""
    body = change_body(info)
    n_deps, pos = _uleb(body, 0)
    pos += 32 * n_deps
    actor_len, pos = _uleb(body, pos)
    actors = [body[pos : pos + actor_len]]
    pos += actor_len
    _seq, pos = _uleb(body, pos)
    start_op, pos = _uleb(body, pos)
    while body[pos] & 0x80:  # the time (SLEB128): skipped
        pos += 1
    message_len, pos = _uleb(body, pos + 1)
    pos += message_len
    n_others, pos = _uleb(body, pos)
    if n_others > 1024:
        return None
    for _ in range(n_others):
        length, pos = _uleb(body, pos)
        actors.append(body[pos : pos + length])
        pos += length
    n_columns, pos = _uleb(body, pos)
    if n_columns > 64:
        return None
    raw_specs = body[pos : pos + 2 * n_columns]
    if len(raw_specs) == 2 * n_columns and max(raw_specs, default=0) < 0x80:
        specs = list(zip(raw_specs[0::2], raw_specs[1::2], strict=True))  # all one-byte LEB128
        pos += 2 * n_columns
    else:
        specs = []
        for _ in range(n_columns):
            spec, pos = _uleb(body, pos)
            length, pos = _uleb(body, pos)
            specs.append((spec, length))
    columns: dict[int, bytes] = {}
    end = len(body)
    for spec, length in specs:
        following = pos + length
        if spec & 0x08 or following > end or spec not in _KNOWN_COLUMNS:
            return None  # a deflated or unknown column, or a truncated one
        if spec in read:
            columns[spec] = body[pos:following]
        pos = following
    return start_op, actors, columns


def change_ops(info: ChangeInfo) -> tuple[int, list[Op]] | None:
    """(start op, operations) of a change, or None if its encoding is not one this reader knows."""
    try:
        parsed = _columns(info, _READ_COLUMNS)
        if parsed is None:
            return None
        start_op, actors, columns = parsed
        limit = MAX_OPS
        actions = rle(columns.get(0x42, b""), False, limit)
        n = len(actions)
        obj_actor = rle(columns.get(0x01, b""), False, limit) or [None] * n
        obj_ctr = rle(columns.get(0x02, b""), False, limit) or [None] * n
        key_str = rle(columns.get(0x15, b""), True, limit) or [None] * n
        meta = rle(columns.get(0x56, b""), False, limit) or [0] * n
        if columns.get(0x94) and any(booleans(columns[0x94], limit)):  # marks that expand: not here
            return None
        if not (len(obj_actor) == len(obj_ctr) == len(key_str) == len(meta) == n):
            return None
    except (IndexError, UnicodeDecodeError, wire.WireError):
        return None
    ops: list[Op] = []
    for action, a, c, k, m in zip(actions, obj_actor, obj_ctr, key_str, meta, strict=True):
        if not isinstance(action, int) or not isinstance(m, int):
            return None
        if a is None and c is None:
            obj: ObjKey | None = None
        elif isinstance(a, int) and isinstance(c, int) and a < len(actors):
            obj = (c, actors[a])
        else:
            return None
        ops.append(Op(obj, k if isinstance(k, str) else None, action, m & 0x0F))
    return start_op, ops


def checked_ops(change: DecodedChange) -> ChangeOps | None:
    """`change_ops` of a change the canonical check read already (`changecodec.check_change`), without
    reading its columns again: the same answer for every change that check accepts."""
    operations = change.ops
    if len(operations) > MAX_OPS:
        return None
    actors = change.actors
    found: list[Op] = []
    for op in operations:
        if op.expand:
            return None  # marks that expand: not here (as `change_ops`)
        ref = op.obj
        key = op.key
        obj = None if ref is None else (ref[0], actors[ref[1]])
        # (tuple.__new__: what Op(...) does, without its Python-level call)
        found.append(_new(Op, (obj, key if key.__class__ is str else None, op.action, op.value[0])))
    return change.start_op, found


_new = tuple.__new__


def usual_ops(usual: UsualChange) -> ChangeOps:
    """`checked_ops(changecheck.as_decoded(usual))` of a change the one-operation road read, without making
    its `DecodedChange` (held to it by tests/sync/test_canonical.py: one pass and two agree)."""
    _dep, actor, _seq, start_op, _time, others, obj_ref, key, _insert, action, code, _value, _preds = usual
    if obj_ref is None:
        obj: ObjKey | None = None
    else:
        at = obj_ref[1]
        obj = (obj_ref[0], actor if at == 0 else others[at - 1])
    return start_op, [_new(Op, (obj, key if key.__class__ is str else None, action, code))]


def object_counters(info: ChangeInfo) -> set[int | str | None] | None:
    """The counters of the objects a change's operations act on (None for the root map), from one column:
    enough to tell that it leaves some objects alone. None if the change is not readable here."""
    try:
        body = change_body(info)
        n_deps, pos = _uleb(body, 0)
        actor_len, pos = _uleb(body, pos + 32 * n_deps)
        _seq, pos = _uleb(body, pos + actor_len)
        _start, pos = _uleb(body, pos)
        while body[pos] & 0x80:  # the time (SLEB128)
            pos += 1
        message_len, pos = _uleb(body, pos + 1)
        n_others, pos = _uleb(body, pos + message_len)
        if n_others > 1024:
            return None
        for _ in range(n_others):
            length, pos = _uleb(body, pos)
            pos += length
        n_columns, pos = _uleb(body, pos)
        if n_columns > 64:
            return None
        offset = 0
        column = b""
        for _ in range(n_columns):
            spec, pos = _uleb(body, pos)
            length, pos = _uleb(body, pos)
            if spec & 0x08 or spec not in _KNOWN_COLUMNS:
                return None
            if spec == 0x02:
                column = b"\x00"  # found: its bytes follow the specs, at `offset`
                found_at, found_len = offset, length
            offset += length
        if column:
            column = body[pos + found_at : pos + found_at + found_len]
            if len(column) != found_len:
                return None
        return set(rle(column, False, MAX_OPS)) or {None}
    except (IndexError, UnicodeDecodeError, wire.WireError):
        return None


def root_writes(info: ChangeInfo) -> list[tuple[str | None, int, bytes | None]] | None:
    """Every operation of a change on the root map, as (key, action, the UTF-8 bytes of a string value
    or None); None if the change is not readable here."""
    try:
        parsed = _columns(info, _READ_COLUMNS | {0x57})
        if parsed is None:
            return None
        _start, _actors, columns = parsed
        limit = MAX_OPS
        actions = rle(columns.get(0x42, b""), False, limit)
        n = len(actions)
        obj_actor = rle(columns.get(0x01, b""), False, limit) or [None] * n
        key_str = rle(columns.get(0x15, b""), True, limit) or [None] * n
        meta = rle(columns.get(0x56, b""), False, limit) or [0] * n
        if not (len(obj_actor) == len(key_str) == len(meta) == n):
            return None
    except (IndexError, UnicodeDecodeError, wire.WireError):
        return None
    raw = columns.get(0x57, b"")
    pos = 0
    found: list[tuple[str | None, int, bytes | None]] = []
    for action, a, k, m in zip(actions, obj_actor, key_str, meta, strict=True):
        if not isinstance(action, int) or not isinstance(m, int):
            return None
        length = m >> 4
        value = raw[pos : pos + length]
        pos += length
        if a is None:
            found.append((k if isinstance(k, str) else None, action, value if m & 0x0F == 6 else None))
    return found if pos == len(raw) else None


_KNOWN_COLUMNS = frozenset(
    {0x01, 0x02, 0x11, 0x13, 0x15, 0x34, 0x42, 0x56, 0x57, 0x70, 0x71, 0x73, 0x94, 0xA5}
)
# object (actor, counter), key string, action, value metadata, expand
_READ_COLUMNS = frozenset({0x01, 0x02, 0x15, 0x42, 0x56, 0x94})
