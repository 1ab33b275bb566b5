"""Authentication and authorisation of a batch of changes, before any of it is applied.

Authentication, participant documents, history and device rules: `signatures`; project documents:
`project_rules`. A batch that breaks a rule raises `Rejected`; nothing of it has been applied.

`accept_batch` is the one write path of a batch in a process (sessions, bundle imports): the
document's lock is held from the check to the store, and a batch checked against a state that has
moved since (another process wrote) is checked again, never stored over the newer state.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from reliance.automerge.crdt import CrdtDoc, CrdtError, CrdtPanic
from reliance.automerge.wire import WireError
from reliance.errors import StoreError
from reliance.identity import decode_peer_id
from reliance.replication import canonical
from reliance.replication.docstore import DocStore
from reliance.replication.project_rules import authorize_project
from reliance.replication.signatures import (
    CLONED_MARK,
    Authors,
    Rejected,
    _check_not_cloned,
    _short,
    authenticate,
    authorize_history,
    authorize_participant,
    check_revoked_buffered,
    covered_by_signatures,
    is_one_chain,
    revoked_devices,
)
from reliance.store.repository import (
    AddResult,
    DocKind,
    Moved,
    SignedChange,
    StoredDoc,
    change_size,
    doc_kind,
)

__all__ = [
    "CLONED_MARK",
    "Authors",
    "BatchOutcome",
    "CheckedBatch",
    "Rejected",
    "accept_batch",
    "authenticate",
    "authorize_participant",
    "authorize_project",
    "check_batch",
    "covered_by_signatures",
    "is_one_chain",
    "store_batch",
]


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
    revoked = revoked_devices(repo, kind, stored, plan, authors)
    if revoked:
        # What a revoked device signs is left out, silently, like a blocked key's: the peer that relays
        # it may have taken it before it knew of the revocation, and is not at fault.
        kept = [c for c in kept if c.info.actor not in revoked]
        fresh = [c for c in fresh if c.info.actor not in revoked]
        plan = stored.plan(fresh) if fresh else []
        check_revoked_buffered(stored, plan, revoked)
    verdict = canonical.check(stored, fresh, limits=stored.limits, plan=plan, keep=kind == DocKind.PROJECT)
    if verdict.refusal is not None:
        raise Rejected(verdict.refusal.reason, verdict.refusal.change)
    fresh, turned_away = _room_to_wait(stored, fresh, plan, held)
    _check_size(stored, fresh)
    prepared: CrdtDoc | None = None
    if kind == DocKind.PROJECT and plan:
        prepared = authorize_project(stored, plan, verdict.operations, authors)
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
    raise StoreError("store.error.kept_changing", doc=doc_id)


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
        raise Moved("store.error.created_meanwhile", doc=doc_id)
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
