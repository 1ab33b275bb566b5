"""Authentication and authorisation of a batch of changes, before any of it is applied.

Authentication: every change either carries a valid Ed25519 signature by its actor over its hash,
or is an ancestor, through the batch's own dependency links, of a change by the same actor whose
signature is valid (that signature commits to the hash chain down to it).

Authorisation:
- participant document: every change is by the owner's key (the document id is the owner's peer id);
- project document: the author was a member in the state at the change's dependencies; only
  stewards touch members, policy, limits, distributions and meta; ledger entries and
  acknowledgements are created once, under an id carrying their author's tag, with the author's own
  peer id inside, and never modified or deleted; nothing else at the root changes after genesis.

A batch that breaks a rule raises `Rejected`; nothing of it has been applied.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from reliance.doc import project
from reliance.doc.crdt import ROOT_ID, ChangeInfo, CrdtDoc, CrdtError, CrdtPanic
from reliance.identity import decode_peer_id, encode_peer_id, verify_signature
from reliance.store.repository import (
    AddResult,
    DocKind,
    Repository,
    SignedChange,
    StoredDoc,
    change_size,
    doc_kind,
)
from reliance.sync import canonical, wire
from reliance.sync.wire import read_sleb128_fast as _sleb
from reliance.sync.wire import read_uleb128_fast as _uleb


class Rejected(Exception):
    """A batch broke a rule. `reason` is a sentence for logs and the activity feed; `change` is the
    hash of the change that broke it, when one change did."""

    def __init__(self, reason: str, change: bytes | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.change = change


@dataclass(frozen=True)
class BatchOutcome:
    doc_id: str
    applied: list[bytes]
    pending: list[bytes]
    duplicate: int
    blocked: int
    created: bool
    dropped: tuple[bytes, ...] = ()  # buffered changes found to break a rule once completed
    turned_away: int = 0  # changes that could only wait, not kept (no room, or no document to wait in)


def _short(change_hash: bytes) -> str:
    return change_hash.hex()[:12]


def covered_by_signatures(changes: Sequence[ChangeInfo], signed: Collection[bytes]) -> set[bytes]:
    """Hashes authenticated by the `signed` ones: themselves and their same-actor ancestors, following
    the dependency links inside `changes` only."""
    by_hash = {c.hash: c for c in changes}
    starts: dict[bytes, list[bytes]] = {}
    for change_hash in signed:
        change = by_hash.get(change_hash)
        if change is not None:
            starts.setdefault(change.actor, []).append(change_hash)
    covered: set[bytes] = set()
    for actor, hashes in starts.items():
        seen: set[bytes] = set()
        stack = list(hashes)
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            change = by_hash.get(current)
            if change is None:
                continue
            if change.actor == actor:
                covered.add(current)
            stack.extend(dep for dep in change.deps if dep in by_hash)
    return covered


def is_one_chain(changes: Sequence[ChangeInfo]) -> bool:
    """One author's changes, each depending on the one before it: the last one's signature covers all."""
    if not changes:
        return False
    actor = changes[0].actor
    previous: bytes | None = None
    for change in changes:
        if change.actor != actor or (previous is not None and previous not in change.deps):
            return False
        previous = change.hash
    return True


def authenticate(changes: Sequence[SignedChange]) -> list[SignedChange]:
    """Check signatures and ancestry; return the changes, each unsigned one paired with no signature."""
    signed: list[bytes] = []
    for change in changes:
        info = change.info
        if len(info.actor) != 32:
            raise Rejected(f"change {_short(info.hash)} has an actor that is not a device key")
        if change.signature is None:
            continue
        if not verify_signature(info.actor, change.signature, info.hash):
            raise Rejected(f"forged signature on change {_short(info.hash)}")
        signed.append(info.hash)
    infos = [change.info for change in changes]
    if infos and changes[-1].signature is not None and is_one_chain(infos):
        return list(changes)  # the usual batch: the verified last signature covers the whole chain
    covered = covered_by_signatures(infos, signed)
    for change in changes:
        if change.signature is None and change.info.hash not in covered:
            raise Rejected(
                f"change {_short(change.info.hash)} is neither signed nor covered by a signed later change"
            )
    return list(changes)


def authorize_participant(doc_id: str, changes: Sequence[SignedChange]) -> None:
    owner = decode_peer_id(doc_id)
    for change in changes:
        if change.info.actor != owner:
            raise Rejected(
                f"change {_short(change.info.hash)} by {encode_peer_id(change.info.actor)[:14]}… "
                f"in a document only its owner may write"
            )


def authorize_project(stored: StoredDoc, plan: Sequence[SignedChange]) -> CrdtDoc:
    """Apply `plan` to a fork, then check each change in order; return the fork if all pass.

    Each change is judged in the state at its own dependencies, read from the fork by heads, so the
    whole plan is applied at once. Most changes (new ledger entries, puts into the project's maps)
    are judged from their own operations, decoded from the change; the others through automerge's
    diff between the change's dependencies and the change, which costs time in proportion to the
    whole document.
    """
    fork = stored.crdt.fork()
    try:
        fork.apply([change.info.chunk for change in plan])
    except (CrdtError, CrdtPanic):
        fork = _apply_one_by_one(stored, plan)
    # Automerge may skip a malformed change without a word: every change of the plan must be there.
    expected = set(stored.heads()) | {c.info.hash for c in plan}
    expected -= {dep for c in plan for dep in c.info.deps}
    if set(fork.heads()) != expected:
        missing = sorted(expected - set(fork.heads()))
        culprit = missing[0] if missing else None
        raise Rejected(f"automerge did not apply every change of the batch to {stored.doc_id}", culprit)
    has_genesis = bool(stored.known)
    # The project's top-level maps, as made at its creation (read before this plan: a hostile change
    # in it may try to replace one, and is refused when its turn comes).
    containers = _containers(fork, stored.heads()) if has_genesis else {}
    created: dict[ObjKey, tuple[str, str | None]] = {}  # objects made by earlier changes of the plan
    roles = _Roles(fork)
    for change in plan:
        if containers and FAST_PATH and _fast_accept(fork, change, containers, created, roles):
            continue
        had_genesis = has_genesis
        try:
            has_genesis = _check_project_change(stored.doc_id, fork, change, has_genesis)
        except Rejected as exc:
            raise Rejected(exc.reason, change.info.hash) from None
        if not had_genesis:
            containers = _containers(fork, [change.info.hash])
    return fork


def _apply_one_by_one(stored: StoredDoc, plan: Sequence[SignedChange]) -> CrdtDoc:
    fork = stored.crdt.fork()
    for change in plan:
        try:
            fork.apply([change.info.chunk])
        except (CrdtError, CrdtPanic) as exc:
            raise Rejected(
                f"change {_short(change.info.hash)} could not be applied: {exc}", change.info.hash
            ) from None
    return fork


def _record_author(fork: CrdtDoc, top: str, record: str, at: Sequence[bytes]) -> str:
    container = fork.child(ROOT_ID, top, at)
    entry = fork.child(container, record, at) if container is not None else None
    if entry is None:
        return ""
    value = fork.scalar(entry, "author" if top == "ledger" else "by", at)
    return value if isinstance(value, str) else ""


def _check_project_change(doc_id: str, fork: CrdtDoc, change: SignedChange, has_genesis: bool) -> bool:
    info = change.info
    author = encode_peer_id(info.actor)
    at = [info.hash]
    if not info.deps:
        if has_genesis:
            raise Rejected(f"change {_short(info.hash)} starts a second history in project {doc_id}")
        meta = project.meta(fork, at)
        nonce = meta.get("nonce", "")
        try:
            nonce_bytes = bytes.fromhex(nonce)
        except ValueError:
            nonce_bytes = b""
        if (
            meta.get("creator") != author
            or project.project_id_for(info.actor, nonce_bytes) != doc_id
            or project.role_of(fork, author, at) != "steward"
        ):
            raise Rejected(f"change {_short(info.hash)} is not a valid creation of project {doc_id}")
        return True
    role = project.role_of(fork, author, info.deps)
    if role is None:
        raise Rejected(f"{author[:14]}… is not a member of project {doc_id}")
    new_records: set[tuple[str, str]] = set()
    for effect in fork.effects(list(info.deps), at):
        if effect.forbidden_scalar:
            raise Rejected(f"change {_short(info.hash)} writes a counter or unknown value type")
        if not effect.path:
            raise Rejected(f"change {_short(info.hash)} rewrites the root of project {doc_id}")
        top = effect.path[0]
        if top not in project.ROOT_KEYS or top in ("schema", "version"):
            raise Rejected(f"change {_short(info.hash)} writes an unknown part of the project: {top!r}")
        if top in project.STEWARD_KEYS and role != "steward":
            raise Rejected(f"{author[:14]}… changed '{top}' of project {doc_id} but is not a steward")
        if top in _APPEND_ONLY:
            record = effect.path[1] if len(effect.path) >= 2 else effect.key
            if len(effect.path) == 1 and effect.action != "PutMap":
                raise Rejected(f"change {_short(info.hash)} deletes from '{top}', which is append-only")
            if not isinstance(record, str) or not record.startswith(project.author_tag(author) + "-"):
                raise Rejected(
                    f"change {_short(info.hash)} writes a '{top}' record under another author's id"
                )
            if project.entry_exists(fork, top, record, info.deps):
                raise Rejected(f"change {_short(info.hash)} modifies existing '{top}' record {record}")
            new_records.add((top, record))
    for top, record in new_records:
        if top != "distributions" and _record_author(fork, top, record, at) != author:
            raise Rejected(f"record {record} in '{top}' does not name its author")
    return has_genesis


# -- judging a change from its own operations ----------------------------------------------------------------
#
# A fast path that may only *accept*: when a change's operations all land where its author may write
# (and it writes no counter), the diff would show the same and the change passes. Anything it does not
# fully understand (operations on objects made before this batch, unusual actions or columns) goes to
# `_check_project_change`, which gives the verdict and the reason. Both paths judge a change by itself
# and its history only, so every node reaches the same verdict whatever batch the change came in.

FAST_PATH = True
_APPEND_ONLY = (*project.APPEND_ONLY_KEYS, "distributions")
_MAX_OPS = 65_536
ObjKey = tuple[int, bytes]  # (counter, actor) of the operation that made an object


def _containers(fork: CrdtDoc, heads: Sequence[bytes]) -> dict[ObjKey, tuple[str, str | None]]:
    """The project's top-level maps and lists (made at its creation, never replaced)."""
    found: dict[ObjKey, tuple[str, str | None]] = {}
    for key in project.ROOT_KEYS:
        obj = fork.child(ROOT_ID, key, heads)
        ident = _obj_key(obj) if obj is not None else None
        if ident is not None:
            found[ident] = (key, None)
    return found


def _obj_key(obj: bytes) -> ObjKey | None:
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


class _Op(NamedTuple):
    obj: ObjKey | None  # None: the root map
    key: str | None  # map key; None for list and text positions
    action: int  # 0 make map, 1 put, 2 make list, 3 delete, 4 make text, 6 make table (5, 7: not here)
    value_type: int  # 0 null … 7 bytes, 8 counter, 9 timestamp, 10+ unknown


def _rle(data: bytes, strings: bool, limit: int) -> list[int | str | None]:
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


def _booleans(data: bytes, limit: int) -> list[bool]:
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


def _change_ops(info: ChangeInfo) -> tuple[int, list[_Op]] | None:
    """(start op, operations) of a change, or None if its encoding is not one this reader knows."""
    try:
        if info.chunk[8] == 1:
            length, pos = _uleb(info.chunk, 9)
            body = info.chunk[pos : pos + length]
        else:
            body = wire.split_chunks(info.chunk)[0].change_body
        n_deps, pos = _uleb(body, 0)
        pos += 32 * n_deps
        actor_len, pos = _uleb(body, pos)
        actors = [body[pos : pos + actor_len]]
        pos += actor_len
        _seq, pos = _uleb(body, pos)
        start_op, pos = _uleb(body, pos)
        while body[pos] & 0x80:  # the time (SLEB128): skipped; automerge applied this change already
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
            if spec in _READ_COLUMNS:
                columns[spec] = body[pos:following]
            pos = following
        limit = _MAX_OPS
        actions = _rle(columns.get(0x42, b""), False, limit)
        n = len(actions)
        obj_actor = _rle(columns.get(0x01, b""), False, limit) or [None] * n
        obj_ctr = _rle(columns.get(0x02, b""), False, limit) or [None] * n
        key_str = _rle(columns.get(0x15, b""), True, limit) or [None] * n
        meta = _rle(columns.get(0x56, b""), False, limit) or [0] * n
        if columns.get(0x94) and any(_booleans(columns[0x94], limit)):  # marks that expand: not here
            return None
        if not (len(obj_actor) == len(obj_ctr) == len(key_str) == len(meta) == n):
            return None
    except (IndexError, UnicodeDecodeError, wire.WireError):
        return None
    ops: list[_Op] = []
    for action, a, c, k, m in zip(actions, obj_actor, obj_ctr, key_str, meta, strict=True):
        if not isinstance(action, int) or not isinstance(m, int):
            return None
        if a is None and c is None:
            obj: ObjKey | None = None
        elif isinstance(a, int) and isinstance(c, int) and a < len(actors):
            obj = (c, actors[a])
        else:
            return None
        ops.append(_Op(obj, k if isinstance(k, str) else None, action, m & 0x0F))
    return start_op, ops


_KNOWN_COLUMNS = {0x01, 0x02, 0x11, 0x13, 0x15, 0x34, 0x42, 0x56, 0x57, 0x70, 0x71, 0x73, 0x94, 0xA5}
# object (actor, counter), key string, action, value metadata, expand
_READ_COLUMNS = {0x01, 0x02, 0x15, 0x42, 0x56, 0x94}
_MAKES = {0, 2, 4, 6}


class _Roles:
    """Roles at a change's dependencies, read once per chain of changes that leave members alone.

    The state at a change is the state at its dependencies plus its own operations: when none of
    them touches `members`, membership at the change is membership at its dependencies. A run of
    such changes, each on top of the previous one, is read at the run's first dependencies.
    """

    def __init__(self, fork: CrdtDoc) -> None:
        self.fork = fork
        self.basis: dict[bytes, tuple[bytes, ...]] = {}
        self.memo: dict[tuple[str, tuple[bytes, ...]], str | None] = {}

    def _basis_of(self, deps: tuple[bytes, ...]) -> tuple[bytes, ...]:
        if len(deps) == 1 and deps[0] in self.basis:
            return self.basis[deps[0]]
        return deps

    def role(self, author: str, deps: tuple[bytes, ...]) -> str | None:
        key = (author, self._basis_of(deps))
        if key not in self.memo:
            self.memo[key] = project.role_of(self.fork, author, list(key[1]))
        return self.memo[key]

    def passed(self, info: ChangeInfo) -> None:
        """`info` was accepted and none of its operations touched `members`."""
        self.basis[info.hash] = self._basis_of(info.deps)


_peer_id = lru_cache(maxsize=4096)(encode_peer_id)


def _fast_accept(
    fork: CrdtDoc,
    change: SignedChange,
    containers: dict[ObjKey, tuple[str, str | None]],
    created: dict[ObjKey, tuple[str, str | None]],
    roles: _Roles,
) -> bool:
    """True if the change's operations alone show it is allowed; False: let the diff decide."""
    info = change.info
    if not info.deps:
        return False
    decoded = _change_ops(info)
    if decoded is None:
        return False
    start_op, ops = decoded
    author = _peer_id(info.actor)
    role = roles.role(author, info.deps)
    if role is None:
        return False
    tag = project.author_tag(author) + "-"
    mine: dict[ObjKey, tuple[str, str | None]] = {}
    new_records: set[tuple[str, str]] = set()
    members = False
    for index, op in enumerate(ops):
        if op.action not in (0, 1, 2, 3, 4, 6) or op.value_type == 8 or op.value_type > 9 or op.obj is None:
            return False
        if op.obj in containers:
            top, record = containers[op.obj][0], op.key
        elif op.obj in mine or op.obj in created:
            top, record = mine.get(op.obj) or created[op.obj]
            if top in _APPEND_ONLY and (top, record) not in new_records:
                return False  # only records this very change creates
        else:
            return False  # an object made before this batch: the diff knows where it is
        if top not in project.ROOT_KEYS or top in ("schema", "version"):
            return False
        if top in project.STEWARD_KEYS and role != "steward":
            return False
        members = members or top == "members"
        if top in _APPEND_ONLY and op.obj in containers:
            if op.action == 3 or record is None or not record.startswith(tag):
                return False
            if project.entry_exists(fork, top, record, info.deps):
                return False
            new_records.add((top, record))
        if op.action in _MAKES:
            mine[(start_op + index, info.actor)] = (top, record)
    at = [info.hash]
    for top, record in new_records:
        if top != "distributions" and _record_author(fork, top, record, at) != author:
            return False
    created.update(mine)
    if not members:
        roles.passed(info)
    return True


@dataclass
class CheckedBatch:
    """A batch that passed every check, ready to be stored."""

    doc_id: str
    fresh: list[SignedChange]
    prepared: CrdtDoc | None
    skipped: int
    blocked: int
    dropped: tuple[bytes, ...] = ()
    turned_away: int = 0


def check_batch(
    repo: Repository,
    doc_id: str,
    changes: Sequence[SignedChange],
    *,
    blocked: Collection[bytes] = (),
    drop_bad_buffered: bool = False,
) -> CheckedBatch:
    """Authenticate and authorise a batch without writing anything; raise Rejected on any breach.

    A change waiting in the buffer for its dependencies could not be authorised when it came; it is
    when a batch completes it. If it then breaks a rule, the batch that completed it is not at fault:
    with `drop_bad_buffered`, such buffered changes (and those waiting on them) are dropped from the
    store and the batch is checked again; without, the batch is refused.
    """
    dropped: list[bytes] = []
    for _ in range(_MAX_DROPS):
        try:
            checked = _check_batch(repo, doc_id, changes, blocked=blocked)
        except Rejected as exc:
            culprit = exc.change
            if (
                not drop_bad_buffered
                or culprit is None
                or not repo.exists(doc_id)
                or any(c.info.hash == culprit for c in changes)
            ):
                raise
            stored = repo.open(doc_id)
            if culprit not in stored.pending:
                raise
            dropped.extend(stored.drop_pending([culprit]))
            continue
        checked.dropped = tuple(dropped)
        return checked
    raise Rejected(f"too many buffered changes of {doc_id} break the rules")


_MAX_DROPS = 64


def _check_batch(
    repo: Repository,
    doc_id: str,
    changes: Sequence[SignedChange],
    *,
    blocked: Collection[bytes] = (),
) -> CheckedBatch:
    kind = doc_kind(doc_id)
    if kind == DocKind.PARTICIPANT and decode_peer_id(doc_id) in blocked:
        return CheckedBatch(doc_id, [], None, 0, len(changes))
    kept = [c for c in changes if c.info.actor not in blocked]
    authenticate(kept)
    if kind == DocKind.PARTICIPANT:
        authorize_participant(doc_id, kept)
    held = repo.exists(doc_id)
    if held:
        stored = repo.open(doc_id)
        stored.refresh()
        stored.expire_pending()
    else:
        stored = repo.scratch(doc_id)
    fresh = [c for c in kept if not stored.has(c.info.hash)]
    if (refusal := canonical.refusal(stored, fresh)) is not None:
        raise Rejected(refusal.reason, refusal.change)
    if kind == DocKind.PARTICIPANT and _applies_in_order(stored, fresh):
        plan: Sequence[SignedChange] = fresh  # the usual batch: nothing waits, no authorisation to plan
    else:
        plan = stored.plan(fresh) if fresh else []
    fresh, turned_away = _room_to_wait(stored, fresh, plan, held)
    _check_size(stored, fresh)
    prepared: CrdtDoc | None = None
    if kind == DocKind.PROJECT and plan:
        prepared = authorize_project(stored, plan)
    return CheckedBatch(
        doc_id,
        fresh,
        prepared,
        len(kept) - len(fresh) - turned_away,
        len(changes) - len(kept),
        (),
        turned_away,
    )


def _applies_in_order(stored: StoredDoc, fresh: Sequence[SignedChange]) -> bool:
    """Whether every change's dependencies are applied already or come before it in `fresh`."""
    known = stored.known
    seen: set[bytes] = set()
    for change in fresh:
        for dep in change.info.deps:
            if dep not in known and dep not in seen:
                return False
        seen.add(change.info.hash)
    return True


def _room_to_wait(
    stored: StoredDoc, fresh: list[SignedChange], plan: Sequence[SignedChange], held: bool
) -> tuple[list[SignedChange], int]:
    """`fresh` without the changes that would wait for their dependencies and may not: all of them when
    nothing of the batch applies to a document not held (nothing authorises creating it), else those
    the buffer has no room for. Nothing that applies is held back."""
    ready = {c.info.hash for c in plan}
    waiting = [c for c in fresh if c.info.hash not in ready and c.info.hash not in stored.pending]
    if not waiting:
        return fresh, 0
    if not held and not any(c.info.hash in ready for c in fresh):
        admitted: list[SignedChange] = []
    else:
        admitted, _ = stored.room_for(waiting)
    if len(admitted) == len(waiting):
        return fresh, 0
    refused = {c.info.hash for c in waiting} - {c.info.hash for c in admitted}
    return [c for c in fresh if c.info.hash not in refused], len(refused)


def _check_size(stored: StoredDoc, fresh: Sequence[SignedChange]) -> None:
    """Refuse a batch that would take the document over `max_document_bytes`, before it is applied."""
    if not fresh:
        return
    limits = stored.limits
    pending = stored.pending
    added = 0
    for change in fresh:
        chunk = change.info.chunk
        if chunk[8] == 1 and chunk[9] < 0x80:  # `change_size` of a small plain chunk, on every change's path
            added += len(chunk) - 10
        else:
            added += change_size(change.info, limits)
    if pending:
        added -= sum(change_size(c.info, limits) for c in fresh if c.info.hash in pending)
    total = stored.size() + added
    if total > limits.max_document_bytes:
        limit = limits.max_document_bytes
        raise Rejected(f"document {stored.doc_id} would hold {total} bytes, over its limit of {limit} bytes")


def accept_batch(
    repo: Repository,
    doc_id: str,
    changes: Sequence[SignedChange],
    *,
    blocked: Collection[bytes] = (),
) -> BatchOutcome:
    """Authenticate, authorise, then store and apply a batch; raise Rejected with nothing applied."""
    return store_batch(repo, check_batch(repo, doc_id, changes, blocked=blocked, drop_bad_buffered=True))


def store_batch(repo: Repository, checked: CheckedBatch) -> BatchOutcome:
    """Store and apply a batch that passed `check_batch`; raise Rejected if automerge fails on it."""
    doc_id = checked.doc_id
    if not checked.fresh:
        return BatchOutcome(
            doc_id, [], [], checked.skipped, checked.blocked, False, checked.dropped, checked.turned_away
        )
    created = not repo.exists(doc_id)
    stored = repo.open(doc_id, create=True)
    try:
        result: AddResult = stored.add_verified(checked.fresh, checked.prepared)
    except (CrdtPanic, CrdtError) as exc:
        repo.reload(doc_id)
        raise Rejected(
            f"a change made automerge fail ({exc}); document {doc_id} was reloaded from disk"
        ) from None
    return BatchOutcome(
        doc_id,
        result.applied,
        result.pending,
        result.duplicate + checked.skipped,
        checked.blocked,
        created,
        checked.dropped,
        checked.turned_away,
    )
