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

from reliance.doc import project
from reliance.doc.crdt import CrdtDoc, CrdtError, CrdtPanic
from reliance.identity import decode_peer_id, encode_peer_id, verify_signature
from reliance.store.repository import AddResult, DocKind, Repository, SignedChange, StoredDoc, doc_kind


class Rejected(Exception):
    """A batch broke a rule. `reason` is a sentence for logs and the activity feed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class BatchOutcome:
    doc_id: str
    applied: list[bytes]
    pending: list[bytes]
    duplicate: int
    blocked: int
    created: bool


def _short(change_hash: bytes) -> str:
    return change_hash.hex()[:12]


def authenticate(changes: Sequence[SignedChange]) -> list[SignedChange]:
    """Check signatures and ancestry; return the changes, each unsigned one paired with no signature."""
    by_hash = {c.info.hash: c for c in changes}
    signed_by_actor: dict[bytes, list[bytes]] = {}
    for change in changes:
        if len(change.info.actor) != 32:
            raise Rejected(f"change {_short(change.info.hash)} has an actor that is not a device key")
        if change.signature is None:
            continue
        if not verify_signature(change.info.actor, change.signature, change.info.hash):
            raise Rejected(f"forged signature on change {_short(change.info.hash)}")
        signed_by_actor.setdefault(change.info.actor, []).append(change.info.hash)
    covered: set[bytes] = set()
    for actor, signed in signed_by_actor.items():
        seen: set[bytes] = set()
        stack = list(signed)
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            change = by_hash.get(current)
            if change is None:
                continue
            if change.info.actor == actor:
                covered.add(current)
            stack.extend(dep for dep in change.info.deps if dep in by_hash)
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
    """Apply `plan` to a fork one change at a time, checking each; return the fork if all pass."""
    fork = stored.crdt.fork()
    has_genesis = bool(stored.known)
    for change in plan:
        try:
            fork.apply([change.info.chunk])
        except (CrdtError, CrdtPanic) as exc:
            raise Rejected(f"change {_short(change.info.hash)} could not be applied: {exc}") from None
        has_genesis = _check_project_change(stored.doc_id, fork, change, has_genesis)
    return fork


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
        if top in (*project.APPEND_ONLY_KEYS, "distributions"):
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
        if top != "distributions" and project.entry_author(fork, top, record) != author:
            raise Rejected(f"record {record} in '{top}' does not name its author")
    return has_genesis


@dataclass
class CheckedBatch:
    """A batch that passed every check, ready to be stored."""

    doc_id: str
    fresh: list[SignedChange]
    prepared: CrdtDoc | None
    skipped: int
    blocked: int


def check_batch(
    repo: Repository,
    doc_id: str,
    changes: Sequence[SignedChange],
    *,
    blocked: Collection[bytes] = (),
) -> CheckedBatch:
    """Authenticate and authorise a batch without writing anything; raise Rejected on any breach."""
    kind = doc_kind(doc_id)
    if kind == DocKind.PARTICIPANT and decode_peer_id(doc_id) in blocked:
        return CheckedBatch(doc_id, [], None, 0, len(changes))
    kept = [c for c in changes if c.info.actor not in blocked]
    authenticate(kept)
    if kind == DocKind.PARTICIPANT:
        authorize_participant(doc_id, kept)
    if repo.exists(doc_id):
        stored = repo.open(doc_id)
        stored.refresh()
    else:
        stored = repo.scratch(doc_id)
    fresh = [c for c in kept if not stored.has(c.info.hash)]
    prepared: CrdtDoc | None = None
    if kind == DocKind.PROJECT and fresh:
        plan = stored.plan(fresh)
        prepared = authorize_project(stored, plan) if plan else None
    return CheckedBatch(doc_id, fresh, prepared, len(kept) - len(fresh), len(changes) - len(kept))


def accept_batch(
    repo: Repository,
    doc_id: str,
    changes: Sequence[SignedChange],
    *,
    blocked: Collection[bytes] = (),
) -> BatchOutcome:
    """Authenticate, authorise, then store and apply a batch; raise Rejected with nothing applied."""
    checked = check_batch(repo, doc_id, changes, blocked=blocked)
    if not checked.fresh:
        return BatchOutcome(doc_id, [], [], checked.skipped, checked.blocked, False)
    created = not repo.exists(doc_id)
    stored = repo.open(doc_id, create=True)
    try:
        result: AddResult = stored.add_verified(checked.fresh, checked.prepared)
    except CrdtPanic as exc:
        repo.reload(doc_id)
        raise Rejected(
            f"a change made automerge fail ({exc}); document {doc_id} was reloaded from disk"
        ) from None
    return BatchOutcome(
        doc_id, result.applied, result.pending, result.duplicate + checked.skipped, checked.blocked, created
    )
