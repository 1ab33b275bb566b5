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

`accept_batch` is the one write path of a batch in a process (sessions, bundle imports): the
document's lock is held from the check to the store, and a batch checked against a state that has
moved since (another process wrote) is checked again, never stored over the newer state.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from weakref import WeakKeyDictionary

from reliance.automerge import ops
from reliance.automerge.changecodec import DecodedChange
from reliance.automerge.crdt import ROOT_ID, ChangeInfo, CrdtDoc, CrdtError, CrdtPanic, Effect
from reliance.automerge.ops import ObjKey
from reliance.automerge.wire import WireError
from reliance.certificate import SIGNATURE_BYTES, proof_participant, verify_proof
from reliance.doc import project
from reliance.errors import StoreError
from reliance.fsutil import write_private
from reliance.i18n import t
from reliance.identity import decode_peer_id, encode_peer_id
from reliance.replication import authority, canonical
from reliance.replication.causal import CausalGraph
from reliance.replication.devices import revoked_among, revoked_of
from reliance.replication.docstore import DocStore
from reliance.store.repository import (
    AddResult,
    DocKind,
    Moved,
    SignedChange,
    StoredDoc,
    change_size,
    doc_kind,
)


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


Authors = dict[bytes, bytes]
"""actor (device key) → the participant key it writes for, as the batch's proofs say."""


def authenticate(changes: Sequence[SignedChange]) -> Authors:
    """Check proofs and ancestry; return whom each actor of the batch writes for.

    A proof is a signature, and for a certified device its certificate (`reliance.certificate`): its actor
    writes for the certificate's participant, and otherwise for itself. Every change of one actor in a
    batch writes for the same participant; an unsigned change writes for whoever its signed descendant
    does."""
    signed: list[bytes] = []
    authors: Authors = {}
    for change in changes:
        info = change.info
        if len(info.actor) != 32:
            raise Rejected(f"change {_short(info.hash)} has an actor that is not a device key")
        proof = change.signature
        if proof is None:
            continue
        participant = verify_proof(info.actor, proof, info.hash)
        if participant is None:
            raise Rejected(f"forged signature on change {_short(info.hash)}")
        known = authors.setdefault(info.actor, participant)
        if known != participant:
            raise Rejected(f"change {_short(info.hash)}: one device key writing for two participants")
        signed.append(info.hash)
    infos = [change.info for change in changes]
    if infos and changes[-1].signature is not None and is_one_chain(infos):
        return authors  # the usual batch: the verified last signature covers the whole chain
    covered = covered_by_signatures(infos, signed)
    for change in changes:
        if change.signature is None and change.info.hash not in covered:
            raise Rejected(
                f"change {_short(change.info.hash)} is neither signed nor covered by a signed later change"
            )
    return authors


def authorize_participant(
    doc_id: str,
    changes: Sequence[SignedChange],
    authors: Mapping[bytes, bytes],
    revoked: Collection[bytes] = (),
) -> None:
    """Every change is by the owner's key, or by a device the owner certified (its proof says so) and did
    not revoke (`revoked`: the owner's devices revoked in the document as held)."""
    owner = decode_peer_id(doc_id)
    for change in changes:
        info = change.info
        actor = info.actor
        if actor != owner and (authors.get(actor) != owner or actor in revoked):
            reason = "was revoked by" if actor in revoked else "is not a device of"
            raise Rejected(
                f"change {_short(info.hash)} by {encode_peer_id(actor)[:14]}… "
                f"in a document only its owner may write: that key {reason} its owner",
                info.hash if actor in revoked else None,
            )
        chunk = info.chunk
        if chunk[8] != 1 or _OWNER_KEY in chunk:  # (`_check_owner_field` returns at once otherwise)
            _check_owner_field(doc_id, info)


_OWNER_KEY = b"owner"


def _check_owner_field(doc_id: str, info: ChangeInfo) -> None:
    """A participant document's `owner` field, if a change writes it, is the document's own id.

    Readers take the author from the id anyway; this keeps a document from claiming otherwise. Only a
    change whose body holds the key's bytes is decoded (column strings are stored as they are).
    """
    if info.chunk[8] == 1:  # stored as is: the key's bytes would be in the chunk
        if _OWNER_KEY not in info.chunk:
            return
    else:
        try:
            body = ops.change_body(info)
        except (IndexError, ValueError):
            raise Rejected(f"change {_short(info.hash)} is not readable", info.hash) from None
        if _OWNER_KEY not in body:
            return
    writes = ops.root_writes(info)
    if writes is None:
        raise Rejected(f"change {_short(info.hash)} may write the owner field and cannot be read", info.hash)
    for key, action, value in writes:
        if key == "owner" and (action != 1 or value != doc_id.encode()):
            raise Rejected(f"change {_short(info.hash)} names another owner than the document's id {doc_id}")


def authorize_project(
    stored: StoredDoc,
    plan: Sequence[SignedChange],
    decoded: Mapping[bytes, DecodedChange] | None = None,
    authors: Mapping[bytes, bytes] | None = None,
) -> CrdtDoc:
    """Apply `plan` to a fork, then check each change in order; return the fork if all pass.

    `decoded`: changes of the plan the canonical check read already, by hash (read here otherwise).
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
            _judge_plan(stored, plan, fork, index, decoded or {})
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
    decoded: Mapping[bytes, DecodedChange],
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
            touches = _fast_accept(fork, change, containers, created, role, author, decoded.get(info.hash))
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


def authorize_history(stored: StoredDoc, plan: Sequence[SignedChange]) -> None:
    """Each author's history is one line: every change reaches its author's previous change.

    Each change of the plan gets the clock of its past (author → highest sequence number), from its
    dependencies: those of the plan, or stored ones. A stored dependency that is the document's one head,
    in a document one key wrote (a participant document with one device), is numbered by how many changes
    it holds; otherwise its clock comes from the causal graph of the document. A change whose dependencies
    are not all here yet is checked when they are.
    """
    clocks: dict[bytes, dict[bytes, int]] = {}
    tip: tuple[bytes, dict[bytes, int]] | bool | None = False  # False: not looked at yet
    graph: CausalGraph | None = None
    for change in plan:
        info = change.info
        past: dict[bytes, int] = {}
        for dep in info.deps:
            clock = clocks.get(dep)
            if clock is None:
                if not stored.has(dep):
                    break  # it waits for its dependencies
                if tip is False:
                    tip = _tip_clock(stored)
                if tip is not None and not isinstance(tip, bool) and dep == tip[0]:
                    clock = tip[1]
                else:
                    if graph is None:
                        graph = _history(stored)
                    position_clock = graph.clock_of([dep])
                    clock = {a: graph.last_seq(a, position_clock) for a in graph.authors()}
            if not past:
                past = dict(clock)
            else:
                for author, seq in clock.items():
                    if seq > past.get(author, 0):
                        past[author] = seq
        else:
            if past.get(info.actor, 0) != info.seq - 1:
                raise Rejected(
                    f"change {_short(info.hash)} does not follow its author's previous change in "
                    f"{stored.doc_id} (each author's history is one line)",
                    info.hash,
                )
            past[info.actor] = info.seq
            clocks[info.hash] = past


def _tip_clock(stored: StoredDoc) -> tuple[bytes, dict[bytes, int]] | None:
    """The document's one head and the clock of its past, when one key wrote every change (its number
    of changes is then the head's sequence number); None otherwise."""
    heads = stored.heads()
    if len(heads) != 1:
        return None
    sole = _sole_author(stored)
    if sole is None:
        return None
    actor = sole if sole else decode_peer_id(stored.doc_id)  # b"": bare signatures, by the owner's key
    return heads[0], {actor: len(stored.known)}


_authors_seen: WeakKeyDictionary[StoredDoc, tuple[int, frozenset[bytes]]] = WeakKeyDictionary()


def _sole_author(stored: StoredDoc) -> bytes | None:
    """The one key that wrote every change of the document (then a change's sequence number is its rank;
    b"": its owner's own key), None if several did: known from the proofs kept with the changes, one look
    per revision of the document."""
    found = _authors_seen.get(stored)
    if found is None or found[0] != stored.revision:
        proofs = [p for p in stored.known.values() if p is not None]
        authors = frozenset(p[SIGNATURE_BYTES + 37 : SIGNATURE_BYTES + 69] for p in proofs)
        found = (stored.revision, authors)
        _authors_seen[stored] = found
    return next(iter(found[1])) if len(found[1]) == 1 else None


def _history(stored: StoredDoc) -> CausalGraph:
    graph = CausalGraph()
    for info in stored.crdt.changes_since([]):
        graph.add(info.hash, info.deps, info.actor, info.seq)
    return graph


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
_checked_ops = ops.checked_ops
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
    checked: DecodedChange | None = None,
) -> authority.Touches | None:
    """What the change writes in steward-only parts if its operations alone show it is allowed; None:
    let the diff decide. `checked`: the change as the canonical check read it (read here otherwise)."""
    info = change.info
    if not info.deps or role is None:
        return None
    found = _change_ops(info) if checked is None else _checked_ops(checked)
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
    checked_at: int | None = None  # the revision of the document checked against; None: not held then


def check_batch(
    repo: DocStore,
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
    repo: DocStore,
    doc_id: str,
    changes: Sequence[SignedChange],
    *,
    blocked: Collection[bytes] = (),
) -> CheckedBatch:
    kind = doc_kind(doc_id)
    if kind == DocKind.PARTICIPANT and decode_peer_id(doc_id) in blocked:
        return CheckedBatch(doc_id, [], None, 0, len(changes))
    kept = [c for c in changes if c.info.actor not in blocked]
    authors = authenticate(kept)
    if blocked and any(p in blocked for p in authors.values()):  # a blocked participant's devices
        kept = [c for c in kept if authors.get(c.info.actor) not in blocked]
    if kind == DocKind.PARTICIPANT:
        authorize_participant(doc_id, kept, authors)  # revocations: below, once the document is read
    held = repo.exists(doc_id)
    if held:
        stored = repo.open(doc_id)
        stored.refresh()
        stored.expire_pending()
    else:
        stored = repo.scratch(doc_id)
    checked_at = stored.revision if held else None  # what the checks below read
    fresh = [c for c in kept if not stored.has(c.info.hash)]
    if held and any(c.info.actor == repo.actor for c in fresh):
        _check_not_cloned(repo, stored, fresh)
    if not stored.pending and _applies_in_order(stored, fresh):
        plan: Sequence[SignedChange] = fresh  # the usual batch: nothing waits, nothing to plan
    else:
        plan = stored.plan(fresh) if fresh else []
    _check_revoked(repo, kind, stored, fresh, plan, authors)
    verdict = canonical.check(stored, fresh, limits=stored.limits, plan=plan, keep=kind == DocKind.PROJECT)
    if verdict.refusal is not None:
        raise Rejected(verdict.refusal.reason, verdict.refusal.change)
    fresh, turned_away = _room_to_wait(stored, fresh, plan, held)
    _check_size(stored, fresh)
    prepared: CrdtDoc | None = None
    if kind == DocKind.PROJECT and plan:
        prepared = authorize_project(stored, plan, verdict.decoded, authors)
    elif plan:
        authorize_history(stored, plan)  # each author's history is one line
    return CheckedBatch(
        doc_id,
        fresh,
        prepared,
        len(kept) - len(fresh) - turned_away,
        len(changes) - len(kept),
        (),
        turned_away,
        checked_at,
    )


CLONED_MARK = "cloned"


def _check_not_cloned(repo: DocStore, stored: StoredDoc, fresh: Sequence[SignedChange]) -> None:
    """Changes signed with this device's own key that it does not hold, numbered like changes it holds:
    another device uses this key (an `identity/` copied by hand). Automerge would refuse them with
    "duplicate seq" for ever; the home is marked so that it writes no more (`Workspace.open` says how
    to link the machine as a device of its own instead)."""
    mine = {c.info.seq: c.info.hash for c in fresh if c.info.actor == repo.actor}
    held = {info.seq: info.hash for info in stored.crdt.changes_since([]) if info.actor == repo.actor}
    clash = [seq for seq, change_hash in mine.items() if held.get(seq, change_hash) != change_hash]
    if not clash:
        return
    home = getattr(repo, "home", None)
    if isinstance(home, Path):
        with contextlib.suppress(OSError):
            write_private(home / "identity" / CLONED_MARK, stored.doc_id.encode(), exclusive=False)
    raise Rejected(t("device.cloned", "en"), mine[clash[0]])


def _check_revoked(
    repo: DocStore,
    kind: DocKind,
    stored: StoredDoc,
    fresh: Sequence[SignedChange],
    plan: Sequence[SignedChange],
    authors: Mapping[bytes, bytes],
) -> None:
    """Refuse a change by a device its participant revoked, once this node knows of the revocation
    (strong revocation: what it signs after is never causally before it): a new one, or a buffered one that
    this batch completes (with `drop_bad_buffered`, the caller drops it and checks again)."""
    devices = {actor: p for actor, p in authors.items() if actor != p}
    pending = stored.pending
    completed = [c for c in plan if c.info.hash in pending] if pending else []
    for change in completed:
        participant = proof_participant(change.info.actor, change.signature)
        if participant is not None and participant != change.info.actor:
            devices.setdefault(change.info.actor, participant)
    if not devices:
        return
    if kind == DocKind.PARTICIPANT:
        revoked = revoked_of(stored) if stored.known else frozenset()
    else:
        revoked = frozenset(revoked_among(repo, devices))
    if not revoked:
        return
    for change in [*fresh, *completed]:
        if change.info.actor in revoked:
            raise Rejected(
                f"change {_short(change.info.hash)} by device {encode_peer_id(change.info.actor)[:14]}…, "
                f"which its owner revoked",
                change.info.hash,
            )


def _applies_in_order(stored: StoredDoc, fresh: Sequence[SignedChange]) -> bool:
    """Whether every change's dependencies are applied already or come before it in `fresh` (each
    change once): then `fresh` is what `stored.plan(fresh)` gives, if nothing waits in the buffer."""
    known = stored.known
    seen: set[bytes] = set()
    for change in fresh:
        info = change.info
        for dep in info.deps:
            if dep not in known and dep not in seen:
                return False
        if info.hash in seen:
            return False
        seen.add(info.hash)
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
            try:
                added += change_size(change.info, limits)
            except WireError as exc:  # the session may take larger changes than this store keeps
                raise Rejected(f"change {_short(change.info.hash)}: {exc}", change.info.hash) from None
    if pending:
        added -= sum(change_size(c.info, limits) for c in fresh if c.info.hash in pending)
    total = stored.size() + added
    if total > limits.max_document_bytes:
        limit = limits.max_document_bytes
        raise Rejected(f"document {stored.doc_id} would hold {total} bytes, over its limit of {limit} bytes")


def accept_batch(
    repo: DocStore,
    doc_id: str,
    changes: Sequence[SignedChange],
    *,
    blocked: Collection[bytes] = (),
    admit: Callable[[CheckedBatch], None] | None = None,
    checked: CheckedBatch | None = None,
    sync: bool = True,
) -> BatchOutcome:
    """Authenticate, authorise, then store and apply a batch; raise Rejected with nothing applied.

    The one write path of a batch: the document's lock is held from the check to the store, so a local
    change (which holds it too) lands before or after, never between. `admit` judges the checked batch
    before it is stored (quotas: raising keeps it out). `checked`: a check made earlier, outside the
    lock (a bundle checks every document before writing any); it is used if the document has not moved
    since. A document another process wrote meanwhile is checked again. `sync` False: the log is not
    fsynced yet; the caller flushes the store (`Repository.flush`) before it answers anyone."""
    with repo.writing(doc_id):
        for _ in range(_MAX_RECHECKS):
            if checked is None:
                checked = check_batch(repo, doc_id, changes, blocked=blocked, drop_bad_buffered=True)
                if admit is not None:
                    admit(checked)
            try:
                return store_batch(repo, checked, sync=sync)
            except Moved:
                checked = None
    raise StoreError(f"document {doc_id} kept changing while a batch for it was checked: try again later")


_MAX_RECHECKS = 8


def store_batch(repo: DocStore, checked: CheckedBatch, *, sync: bool = True) -> BatchOutcome:
    """Store and apply a batch that passed `check_batch`; raise Rejected if automerge fails on it, and
    `Moved` (nothing written) if the document changed since it was checked: `accept_batch` is the
    caller that checks again."""
    doc_id = checked.doc_id
    if not checked.fresh:
        return BatchOutcome(
            doc_id, [], [], checked.skipped, checked.blocked, False, checked.dropped, checked.turned_away
        )
    created = not repo.exists(doc_id)
    if checked.checked_at is None and not created:
        raise Moved(f"document {doc_id} was created while a batch for it was checked")
    stored = repo.open(doc_id, create=True)
    checked_at = stored.revision if checked.checked_at is None else checked.checked_at
    try:
        result: AddResult = stored.add_verified(
            checked.fresh, checked.prepared, checked_at=checked_at, sync=sync
        )
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
