"""Authorisation of a project batch: each change judged in the state at its own dependencies.

The author (the participant a change's actor writes for, `signatures.authenticate`) was a member in the
state at the change's dependencies; only stewards touch members, policy, limits, distributions and meta;
ledger entries and acknowledgements are created once, under an id carrying their author's tag, with the
author's own peer id inside, and never modified or deleted; nothing else at the root changes after genesis.
Roles come from the project's authority index (`authority`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

from reliance.automerge import ops
from reliance.automerge.crdt import ROOT_ID, ChangeInfo, CrdtDoc, CrdtError, CrdtPanic, Effect
from reliance.automerge.ops import ObjKey
from reliance.certificate import proof_participant
from reliance.doc import project
from reliance.identity import encode_peer_id
from reliance.replication import authority
from reliance.replication.signatures import Rejected, _short
from reliance.store.repository import (
    SignedChange,
    StoredDoc,
)


def authorize_project(
    stored: StoredDoc,
    plan: Sequence[SignedChange],
    operations: Mapping[bytes, ops.ChangeOps] | None = None,
    authors: Mapping[bytes, bytes] | None = None,
) -> CrdtDoc:
    """Apply `plan` to a fork, then check each change in order; return the fork if all pass.

    `operations`: those of the changes of the plan the canonical check read already, by hash (as
    `ops.checked_ops` gives them; read here otherwise).
    `authors`: whom each actor of the batch writes for (`authenticate`); a change's author is that
    participant, its device key being only the actor.

    Each change is judged in the state at its own dependencies, read from the fork by heads, so the
    whole plan is applied at once. Most changes (new ledger entries, puts into the project's maps)
    are judged from their own operations, decoded from the change; the others through automerge's
    diff between the change's dependencies and the change, which costs time in proportion to the
    whole document. Roles come from the project's authority index (`authority`): the effective roles
    in the history at the change's dependencies, as every node computes them from that history alone.
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
    index = authority.index_for(stored)
    with index.lock:
        mark = index.checkpoint()
        try:
            _learn_authors(index, plan, authors or {})
            _judge_plan(stored, plan, fork, index, operations or {})
        except BaseException:
            index.rollback(mark)  # a refused batch leaves nothing behind, in the index either
            raise
    return fork


def _learn_authors(
    index: authority.ProjectIndex, plan: Sequence[SignedChange], authors: Mapping[bytes, bytes]
) -> None:
    """Tell the index whom the plan's actors write for: the batch's proofs, or those of buffered changes."""
    for change in plan:
        actor = change.info.actor
        participant = authors.get(actor)
        if participant is None:
            participant = proof_participant(actor, change.signature)
        if participant is not None and not index.learn_author(actor, participant):
            raise Rejected(
                f"change {_short(change.info.hash)}: device {_peer_id(actor)[:14]}… writes for another "
                f"participant here already",
                change.info.hash,
            )


def _judge_plan(
    stored: StoredDoc,
    plan: Sequence[SignedChange],
    fork: CrdtDoc,
    index: authority.ProjectIndex,
    operations: Mapping[bytes, ops.ChangeOps],
) -> None:
    has_genesis = bool(stored.known)
    # The project's top-level maps, as made at its creation (read before this plan: a hostile change
    # in it may try to replace one, and is refused when its turn comes).
    containers = _containers(fork, stored.heads()) if has_genesis else {}
    created: dict[ObjKey, tuple[str, str | None]] = {}  # objects made by earlier changes of the plan
    for change in plan:
        info = change.info
        if info.hash in index.graph:
            continue  # judged in an earlier check of this batch (when some buffered change was dropped)
        position, follows = index.begin(info)
        if not follows:
            raise Rejected(
                f"change {_short(info.hash)} by {index.author_of(info.actor)[:14]}… does not follow its "
                f"author's "
                f"previous change in {stored.doc_id} (each author's history is one line)",
                info.hash,
            )
        author = index.author_of(info.actor)
        role = index.role_before(position, author)
        touches = None
        if containers and FAST_PATH:
            touches = _fast_accept(fork, change, containers, created, role, author, operations.get(info.hash))
        if touches is None:
            had_genesis = has_genesis
            try:
                has_genesis, touches = _check_project_change(
                    stored.doc_id, fork, change, has_genesis, role, author
                )
            except Rejected as exc:
                raise Rejected(exc.reason, info.hash) from None
            if not had_genesis:
                containers = _containers(fork, [info.hash])
        index.finish(position, info, touches, fork)


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


def _check_project_change(
    doc_id: str, fork: CrdtDoc, change: SignedChange, has_genesis: bool, role: str | None, author: str
) -> tuple[bool, authority.Touches]:
    info = change.info
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
        # The creation passes the same per-record rules as any later change, by a steward.
        _check_effects(doc_id, fork, info, author, "steward", fork.effects([], at), creation=True)
        return True, authority.genesis_touches(fork, info.hash)
    if role is None:
        raise Rejected(f"{author[:14]}… is not a member of project {doc_id}")
    effects = fork.effects(list(info.deps), at)
    _check_effects(doc_id, fork, info, author, role, effects, creation=False)
    return has_genesis, authority.touches_from_effects(effects)


def _check_effects(
    doc_id: str,
    fork: CrdtDoc,
    info: ChangeInfo,
    author: str,
    role: str,
    effects: Sequence[Effect],
    *,
    creation: bool,
) -> None:
    at = [info.hash]
    new_records: set[tuple[str, str]] = set()
    for effect in effects:
        if effect.forbidden_scalar:
            raise Rejected(f"change {_short(info.hash)} writes a counter or unknown value type")
        if not effect.path:
            if not creation:
                raise Rejected(f"change {_short(info.hash)} rewrites the root of project {doc_id}")
            if effect.key not in project.ROOT_KEYS or effect.action != "PutMap":
                raise Rejected(
                    f"change {_short(info.hash)} writes an unknown part of the project: {effect.key!r}"
                )
            continue
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
            if not creation and project.entry_exists(fork, top, record, info.deps):
                raise Rejected(f"change {_short(info.hash)} modifies existing '{top}' record {record}")
            new_records.add((top, record))
    for top, record in new_records:
        if top != "distributions" and _record_author(fork, top, record, at) != author:
            raise Rejected(f"record {record} in '{top}' does not name its author")


# -- judging a change from its own operations ----------------------------------------------------------------
#
# A fast path that may only *accept*: when a change's operations all land where its author may write
# (and it writes no counter), the diff would show the same and the change passes. Anything it does not
# fully understand (operations on objects made before this batch, unusual actions or columns) goes to
# `_check_project_change`, which gives the verdict and the reason. Both paths judge a change by itself
# and its history only, so every node reaches the same verdict whatever batch the change came in.

FAST_PATH = True
_APPEND_ONLY = (*project.APPEND_ONLY_KEYS, "distributions")
_MAKES = ops.MAKES
_change_ops = ops.change_ops
_obj_key = ops.obj_key


def _containers(fork: CrdtDoc, heads: Sequence[bytes]) -> dict[ObjKey, tuple[str, str | None]]:
    """The project's top-level maps and lists (made at its creation, never replaced)."""
    found: dict[ObjKey, tuple[str, str | None]] = {}
    for key in project.ROOT_KEYS:
        obj = fork.child(ROOT_ID, key, heads)
        ident = _obj_key(obj) if obj is not None else None
        if ident is not None:
            found[ident] = (key, None)
    return found


_peer_id = lru_cache(maxsize=4096)(encode_peer_id)
_REGISTER_PARTS = frozenset(authority.REGISTER_PARTS)


def _fast_accept(
    fork: CrdtDoc,
    change: SignedChange,
    containers: dict[ObjKey, tuple[str, str | None]],
    created: dict[ObjKey, tuple[str, str | None]],
    role: str | None,
    author: str,
    checked: ops.ChangeOps | None = None,
) -> authority.Touches | None:
    """What the change writes in steward-only parts if its operations alone show it is allowed; None:
    let the diff decide. `checked`: its operations as the canonical check read them (read here otherwise)."""
    info = change.info
    if not info.deps or role is None:
        return None
    found = _change_ops(info) if checked is None else checked
    if found is None:
        return None
    start_op, operations = found
    tag = project.author_tag(author) + "-"
    mine: dict[ObjKey, tuple[str, str | None]] = {}
    new_records: set[tuple[str, str]] = set()
    parts: set[str] = set()
    members: set[str] = set()
    registers: set[tuple[str, str]] = set()
    for index_in_change, op in enumerate(operations):
        if op.action not in (0, 1, 2, 3, 4, 6) or op.value_type == 8 or op.value_type > 9 or op.obj is None:
            return None
        direct = op.obj in containers
        if direct:
            top, record = containers[op.obj][0], op.key
        elif op.obj in mine or op.obj in created:
            top, record = mine.get(op.obj) or created[op.obj]
            if top in _APPEND_ONLY and (top, record) not in new_records:
                return None  # only records this very change creates
        else:
            return None  # an object made before this batch: the diff knows where it is
        if top not in project.ROOT_KEYS or top in ("schema", "version"):
            return None
        if top in project.STEWARD_KEYS:
            if role != "steward":
                return None
            parts.add(top)
            if top == "members" and record is not None and (direct or op.key == "role"):
                members.add(record)
            elif direct and top in _REGISTER_PARTS and record is not None:
                registers.add((top, record))
        if top in _APPEND_ONLY and direct:
            if op.action == 3 or record is None or not record.startswith(tag):
                return None
            if project.entry_exists(fork, top, record, info.deps):
                return None
            new_records.add((top, record))
        if op.action in _MAKES:
            mine[(start_op + index_in_change, info.actor)] = (top, record)
    at = [info.hash]
    for top, record in new_records:
        if top != "distributions" and _record_author(fork, top, record, at) != author:
            return None
    created.update(mine)
    if not parts:
        return authority.NOTHING
    return authority.Touches(frozenset(parts), frozenset(members), frozenset(registers))
