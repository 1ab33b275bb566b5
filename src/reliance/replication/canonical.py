"""Refuse, before anything is applied, every change that automerge would not give back as it came.

Automerge keeps a received change's bytes and hashes them; `save()` keeps only the operations it stored,
and `load()` rebuilds every change from them and checks the rebuilt hashes against the saved heads. A
change that does not come back byte for byte makes the saved document unloadable ("mismatching heads",
"changes out of order"), on every node that holds it, at its next compaction. A change comes back as it
came only if

- its bytes are automerge's own encoding of its operations (`changecheck.check_change`);
- its author's changes are numbered 1, 2, 3… in the order they are applied, and the counters of their
  operations increase from one to the next (`load()` finds a change's operations by its last counter);
- everything its operations name (an object, an element, a predecessor) has a smaller counter than the
  operation naming it, as automerge numbers them (`load()` reads an object after the one it sits in);
- automerge stores every operation as the change says: the object it writes into exists; its key is of
  the object's kind (a string in a map, an element of that very list or text otherwise: anything else
  makes automerge panic); every predecessor it names is an operation on the same key of the same object,
  earlier in Lamport order (automerge records only those, and `load()` rebuilds predecessors from what
  it recorded); a deletion names at least one predecessor (it is saved only as that link); an insertion
  names none.

The last two need the document: `_History` knows each author's changes in the document (from automerge,
without reading their bytes) and reads a change's operations only when a new change names one of them,
keeping the most recent ones. A batch is judged change by change in the order it would be applied, each
seeing the operations of the ones before it. Every node judges a change against its own history only,
which holds the change's dependencies, so a change is judged the same everywhere it can be applied.
"""

from __future__ import annotations

import threading
import weakref
from bisect import bisect_right
from collections.abc import Collection, Sequence
from typing import Final, NamedTuple

from reliance.automerge import changecheck, ops
from reliance.automerge.changecheck import UsualChange
from reliance.automerge.changecodec import (
    DELETE,
    HEAD,
    MAKE_LIST,
    MAKE_TEXT,
    MAKES,
    MARK,
    DecodedChange,
    NonCanonical,
    OpRef,
    change_body,
)
from reliance.automerge.crdt import ChangeInfo, HistoryEntry
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.store.repository import SignedChange, StoredDoc

OpId = tuple[int, bytes]  # (counter, actor)
_SEQUENCES = (MAKE_LIST, MAKE_TEXT)
# Automerge numbers a new operation after every operation its author has seen, so anything an honest
# operation names has a smaller counter; `load()` relies on it (an object's operations are read after
# the operation that made it, in counter order).
_NOT_EARLIER = "it names an operation whose counter is not smaller than its own"
_RECENT_CHANGES = 2048  # changes whose operations are kept read, per document
_RECENT_OPS = 1 << 16  # operations kept read, and operations of the last batches that passed, per document


class Refusal(NamedTuple):
    reason: str
    change: bytes  # its hash


# What a document holds of an operation: (object (None: the root map), the map key or the element it is
# on (its own id for an insertion), action, whether it is an insertion, the hash of its change when it
# comes from a batch judged lately, b"" when read from the document).
_OpInfo = tuple[OpId | None, str | OpId, int, bool, bytes]
_OBJ: Final = 0
_GROUP: Final = 1
_ACTION: Final = 2
_INSERT: Final = 3
_CHANGE: Final = 4


def _short(change_hash: bytes) -> str:
    return change_hash.hex()[:12]


def _op_infos(change: DecodedChange) -> list[_OpInfo]:
    actors = change.actors
    infos: list[_OpInfo] = []
    for index, op in enumerate(change.ops):
        obj = None if op.obj is None else (op.obj[0], actors[op.obj[1]])
        key = op.key
        group: str | OpId
        if op.insert:
            group = (change.start_op + index, change.actor)
        elif isinstance(key, str):
            group = key
        elif key == HEAD:
            group = (0, b"")  # never stored by automerge; matches nothing
        else:
            group = (key[0], actors[key[1]])
        infos.append((obj, group, op.action, op.insert, b""))
    return infos


class _History:
    """Each author's changes in one document, in the order automerge applied them, and the operations
    of the changes a new change has named lately."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.heads: list[bytes] = []
        self.known: Collection[bytes] = ()
        self.by_actor: dict[bytes, tuple[list[int], list[HistoryEntry]]] = {}
        self.ops_of: dict[bytes, list[_OpInfo] | None] = {}  # by change hash, oldest first
        self.ops_held = 0  # operations in ops_of
        # operations of the batches that passed lately: trusted once their change is stored
        self.recent: dict[OpId, _OpInfo] = {}

    def catch_up(self, stored: StoredDoc) -> None:
        self.known = stored.known
        heads = stored.heads()
        if heads == self.heads:
            return
        if any(h not in stored.known for h in self.heads):  # the document was read again from disk
            self.heads, self.by_actor = [], {}
        for entry in stored.crdt.history_since(self.heads):
            starts, entries = self.by_actor.setdefault(entry.actor, ([], []))
            starts.append(entry.start_op)
            entries.append(entry)
        self.heads = heads

    def numbering(self, actor: bytes) -> tuple[int, int]:
        """(how many changes `actor` has in the document, the counter of its last operation)."""
        found = self.by_actor.get(actor)
        if found is None:
            return 0, 0
        entries = found[1]
        return len(entries), entries[-1].max_op

    def op(self, op_id: OpId) -> _OpInfo | None:
        recent = self.recent.get(op_id)
        if recent is not None and recent[_CHANGE] in self.known:
            return recent
        counter, actor = op_id
        found = self.by_actor.get(actor)
        if found is None:
            return None
        starts, entries = found
        index = bisect_right(starts, counter) - 1
        if index < 0:
            return None
        entry = entries[index]
        if counter > entry.max_op:
            return None
        infos = self.ops_of.get(entry.hash, ())
        if infos == ():
            infos = self._read(entry)
        if infos is None or counter - entry.start_op >= len(infos):
            return None
        return infos[counter - entry.start_op]

    def _read(self, entry: HistoryEntry) -> list[_OpInfo] | None:
        try:
            decoded: DecodedChange | None = changecheck.check_change(
                change_body(entry.chunk()), max_ops=1 << 62
            )
        except NonCanonical:
            decoded = None  # stored before changes were checked: nothing in it can be named
        infos = _op_infos(decoded) if decoded is not None else None
        self.ops_held += len(infos or ())
        while self.ops_of and (len(self.ops_of) >= _RECENT_CHANGES or self.ops_held > _RECENT_OPS):
            self.ops_held -= len(self.ops_of.pop(next(iter(self.ops_of))) or ())
        self.ops_of[entry.hash] = infos
        return infos

    def passed(self, ops: dict[OpId, _OpInfo]) -> None:
        if len(self.recent) + len(ops) > _RECENT_OPS:
            self.recent.clear()
        self.recent.update(ops)


class _Batch:
    """The operations and numbering of the changes of a batch judged so far, over the document's."""

    def __init__(self, history: _History) -> None:
        self.history = history
        self.ops: dict[OpId, _OpInfo] = {}
        self.numbering: dict[bytes, tuple[int, int]] = {}
        self.read: dict[OpId, _OpInfo] = {}  # operations of the document found so far (many name the same)

    def lookup(self, op_id: OpId) -> _OpInfo | None:
        found = self.ops.get(op_id) or self.read.get(op_id)
        if found is None:
            found = self.history.op(op_id)
            if found is not None:
                self.read[op_id] = found
        return found

    def add(self, change: DecodedChange, change_hash: bytes) -> str | None:
        """Take `change` in, or say why automerge would not give it back as it came. (A refused change
        leaves some of its operations here: the whole batch is refused with it.)"""
        actor, start = change.actor, change.start_op
        count, last = self.numbering.get(actor) or self.history.numbering(actor)
        if change.seq != count + 1:
            return f"its author has {count} changes before it, but it is numbered {change.seq}"
        if start <= last:
            return f"its operations reuse counters (up to {last}) of its author's earlier changes"
        actors = (actor, *change.others) if change.others else (actor,)
        take = self._take
        counter = start - 1
        for op in change.ops:
            counter += 1
            problem = take(counter, actor, actors, op.obj, op.key, op.insert, op.action, op.pred, change_hash)
            if problem is not None:
                return problem
        self.numbering[actor] = (change.seq, counter)
        return None

    def add_usual(self, change: UsualChange, change_hash: bytes) -> str | None:
        """`add` of a change the one-operation road read, without making its `DecodedChange` (held
        to `add` by `tests/sync/test_canonical.py`)."""
        _dep, actor, seq, start, _time, others, obj_ref, key, insert, action, _code, _value, preds = change
        numbering = self.numbering
        count, last = numbering.get(actor) or self.history.numbering(actor)
        if seq != count + 1:
            return f"its author has {count} changes before it, but it is numbered {seq}"
        if start <= last:
            return f"its operations reuse counters (up to {last}) of its author's earlier changes"
        if obj_ref is None and key.__class__ is str and not preds and not insert and MARK != action != DELETE:
            # a put or an increment of a root map key, naming nothing: what `_take` stores for it
            self.ops[(start, actor)] = (None, key, action, False, change_hash)
        else:
            actors = (actor, *others) if others else (actor,)
            problem = self._take(start, actor, actors, obj_ref, key, insert, action, preds, change_hash)
            if problem is not None:
                return problem
        numbering[actor] = (seq, start)
        return None

    def _take(
        self,
        counter: int,
        actor: bytes,
        actors: tuple[bytes, ...],
        obj_ref: OpRef | None,
        key: str | OpRef,
        insert: bool,
        action: int,
        preds: tuple[OpRef, ...],
        change_hash: bytes,
    ) -> str | None:
        """Take in the operation numbered `counter` of a change by `actor`, or say what is wrong with it."""
        lookup = self.lookup
        me = (counter, actor)
        obj: OpId | None = None
        kind = 0
        if obj_ref is not None:
            if obj_ref[0] >= counter:
                return _NOT_EARLIER
            obj = (obj_ref[0], actors[obj_ref[1]])
            made = lookup(obj)
            if made is None or made[_ACTION] not in MAKES:
                return "it writes into an object the document does not hold"
            kind = made[_ACTION]
        group: str | OpId
        if key.__class__ is str:
            if kind in _SEQUENCES or insert or action == MARK:
                return "it writes a map key where there is no map"
            assert isinstance(key, str)
            group = key
        elif kind not in _SEQUENCES:
            return "it writes a list position where there is no list"
        elif key == HEAD:
            if not insert:
                return "it writes the start of a list as if it were an element"
            group = me
        else:
            assert isinstance(key, tuple)
            if key[0] >= counter:
                return _NOT_EARLIER
            elem = (key[0], actors[key[1]])
            element = lookup(elem)
            if element is None or not element[_INSERT] or element[_OBJ] != obj:
                return "it names an element the list does not hold"
            group = me if insert else elem
        if action == MARK and not insert:
            return "a mark that is not inserted"
        for pred_counter, pred_actor in preds:
            if pred_counter >= counter:
                return _NOT_EARLIER
            target = lookup((pred_counter, actors[pred_actor]))
            if target is None or target[_ACTION] == DELETE or target[_OBJ] != obj or target[_GROUP] != group:
                return "it overwrites an operation that is not on the same key"
        if action != DELETE:
            self.ops[me] = (obj, group, action, insert, change_hash)
        elif not preds:
            return "it deletes nothing"
        return None


_HISTORIES: weakref.WeakKeyDictionary[StoredDoc, _History] = weakref.WeakKeyDictionary()
_HISTORIES_LOCK = threading.Lock()


def _history_of(stored: StoredDoc) -> _History:
    with _HISTORIES_LOCK:
        history = _HISTORIES.get(stored)
        if history is None:
            history = _HISTORIES[stored] = _History()
        return history


class Verdict(NamedTuple):
    """What `check` found: why a change is refused (None: none is), and the operations of every change it
    read, by hash, as `ops.checked_ops` gives them (the door judges them next, without reading the change
    again; one that reader leaves out is read there), unless told not to keep them."""

    refusal: Refusal | None
    operations: dict[bytes, ops.ChangeOps]


def _operations(read: dict[bytes, DecodedChange]) -> dict[bytes, ops.ChangeOps]:
    checked_ops = ops.checked_ops
    return {h: found for h, change in read.items() if (found := checked_ops(change)) is not None}


def refusal(
    stored: StoredDoc, fresh: Sequence[SignedChange], *, limits: Limits = DEFAULT_LIMITS
) -> Refusal | None:
    """Why automerge would not give back one of `fresh` (new changes for `stored`) or of the buffered
    changes they complete as it came; None if it would give back every one."""
    return check(stored, fresh, limits=limits).refusal


def check(
    stored: StoredDoc,
    fresh: Sequence[SignedChange],
    *,
    limits: Limits = DEFAULT_LIMITS,
    plan: Sequence[SignedChange] | None = None,
    keep: bool = True,
) -> Verdict:
    """`refusal`, with the changes it read (those of `fresh`, and the buffered ones they complete;
    none with `keep=False`). `plan`: `stored.plan(fresh)`, when the caller has it already."""
    if not fresh:
        return Verdict(None, {})
    if plan is None:
        plan = _plan(stored, fresh)
    if plan is fresh:
        return _check_in_order(stored, fresh, limits, keep)
    read: dict[bytes, DecodedChange] = {}
    check_chunk = changecheck.check_chunk
    max_inflated, max_ops = limits.max_change_bytes, limits.change_ops
    for change in fresh:
        info = change.info
        try:
            read[info.hash] = check_chunk(info.chunk, max_inflated, max_ops)
        except NonCanonical as exc:
            return Verdict(_not_canonical(info, exc), _operations(read) if keep else {})
    if not plan:
        return Verdict(None, _operations(read) if keep else {})
    history = _history_of(stored)
    with history.lock:
        history.catch_up(stored)
        batch = _Batch(history)
        for change in plan:
            info = change.info
            found = read.get(info.hash)
            if found is None:  # a buffered change: checked when it came, unless kept by an older version
                try:
                    found = read[info.hash] = check_chunk(info.chunk, max_inflated, max_ops)
                except NonCanonical as exc:
                    return Verdict(_not_canonical(info, exc), _operations(read) if keep else {})
            problem = batch.add(found, info.hash)
            if problem is not None:
                return Verdict(_would_not_survive(info, problem), _operations(read) if keep else {})
        history.passed(batch.ops)
    return Verdict(None, _operations(read) if keep else {})


def _check_in_order(stored: StoredDoc, fresh: Sequence[SignedChange], limits: Limits, keep: bool) -> Verdict:
    """`check` of the usual batch, applied as it comes (nothing buffered, each change after its
    dependencies): each change read and judged in one pass, the usual ones without their
    `DecodedChange` unless kept. The verdict is `check`'s: a change that is not automerge's encoding
    of itself is named before any other fault, as `check` reads every change before judging any."""
    operations: dict[bytes, ops.ChangeOps] = {}
    usual_change, usual_ops, check_chunk, checked_ops = (
        changecheck.usual_change,
        ops.usual_ops,
        changecheck.check_chunk,
        ops.checked_ops,
    )
    max_inflated, max_ops = limits.max_change_bytes, limits.change_ops
    history = _history_of(stored)
    with history.lock:
        history.catch_up(stored)
        batch = _Batch(history)
        add, add_usual = batch.add, batch.add_usual
        first_fault: Refusal | None = None
        for change in fresh:
            info = change.info
            usual = usual_change(info.chunk, max_ops)
            if usual is not None:
                if keep:
                    operations[info.hash] = usual_ops(usual)
                if first_fault is None:
                    problem = add_usual(usual, info.hash)
                    if problem is not None:
                        first_fault = _would_not_survive(info, problem)
                continue
            try:
                found = check_chunk(info.chunk, max_inflated, max_ops, usual=False)
            except NonCanonical as exc:
                return Verdict(_not_canonical(info, exc), operations)
            if keep:
                found_ops = checked_ops(found)
                if found_ops is not None:
                    operations[info.hash] = found_ops
            if first_fault is None:
                problem = add(found, info.hash)
                if problem is not None:
                    first_fault = _would_not_survive(info, problem)
        if first_fault is not None:
            return Verdict(first_fault, operations)
        history.passed(batch.ops)
    return Verdict(None, operations)


def _plan(stored: StoredDoc, fresh: Sequence[SignedChange]) -> Sequence[SignedChange]:
    """The changes that adding `fresh` would apply, in order (`StoredDoc.plan`, without its copies
    in the usual case: nothing buffered, and `fresh` in causal order)."""
    if not stored.pending:
        known = stored.known
        seen: set[bytes] = set()
        for change in fresh:
            info = change.info
            if info.hash in seen or not all(dep in known or dep in seen for dep in info.deps):
                break
            seen.add(info.hash)
        else:
            return fresh
    return stored.plan(fresh)


def _would_not_survive(info: ChangeInfo, problem: str) -> Refusal:
    return Refusal(f"change {_short(info.hash)} would not survive saving the document: {problem}", info.hash)


def _not_canonical(info: ChangeInfo, exc: NonCanonical) -> Refusal:
    return Refusal(f"change {_short(info.hash)} is not automerge's encoding of itself: {exc}", info.hash)
