"""Offline bundles: every signed change of some documents in one file (USB stick, e-mail).

Format (msgpack map): {"format": "reliance-bundle/1", "created": ISO time, "by": peer id,
"docs": [{"id": document id, "changes": [[change chunk, signature or nil], ...]}]}.
Importing checks every document exactly like a network batch, all before applying any, then applies them
all through a journal that the next open completes if the process dies midway (`bundle_journal`).
Reading is bounded like a frame: the file's size first, then its msgpack (`packing`), then each change
(`max_change_bytes`), so a bundle costs a few times its size in memory at most.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgpack

from reliance.automerge import wire
from reliance.automerge.crdt import CrdtError, CrdtPanic
from reliance.certificate import is_proof
from reliance.clock import SYSTEM_CLOCK, Clock
from reliance.errors import RelianceError
from reliance.fsutil import FileTooLarge, atomic_write, read_regular_file
from reliance.identity import decode_peer_id
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.packing import PackError, Shape, unpack
from reliance.replication import bundle_journal
from reliance.replication.auth import BatchOutcome, Rejected, accept_batch, check_batch
from reliance.replication.bundle_journal import ImportNotice
from reliance.replication.devices import blocked_actors
from reliance.store.records import change_info
from reliance.store.repository import DocKind, Repository, SignedChange, doc_kind

BUNDLE_FORMAT = "reliance-bundle/1"

logger = logging.getLogger(__name__)


class BundleError(RelianceError):
    pass


class BundleRefused(BundleError):
    """A document of the bundle broke a rule: nothing of the bundle was written."""

    def __init__(self, reason: str) -> None:
        super().__init__("bundle.refused", reason=reason)
        self.reason = reason

    def message(self, lang: str) -> str:
        return self.text(lang)


class BundleInterrupted(BundleError):
    """The store failed after `done` of `total` documents were written: the journal keeps the rest, which
    the next open of the home imports."""

    def __init__(self, done: int, total: int, reason: str) -> None:
        super().__init__("bundle.interrupted", done=done, total=total, reason=reason)
        self.done, self.total, self.reason = done, total, reason

    def message(self, lang: str) -> str:
        return self.text(lang)


@dataclass(frozen=True)
class ImportSummary:
    outcomes: list[BatchOutcome]
    earlier: list[ImportNotice] = field(default_factory=list)  # an interrupted import finished first

    @property
    def applied(self) -> int:
        return sum(len(o.applied) for o in self.outcomes)


def export_bundle(
    repo: Repository,
    path: Path,
    doc_ids: Sequence[str],
    by: str,
    blocked: Collection[bytes] = (),
    on_unreadable: Callable[[str, RelianceError], None] | None = None,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> int:
    """Write the documents' changes to `path`; return how many. A document that cannot be read is left
    out and reported to `on_unreadable` (or logged): one damaged document never stops the others."""
    data, total = bundle_bytes(repo, doc_ids, by, blocked, on_unreadable, clock=clock)
    try:
        # Whole or not at all (a stick pulled out early, a full disk): the last good bundle stays until then.
        atomic_write(path, data, exact_mode=False)
    except OSError as exc:
        raise BundleError("cli.cannot_write", file=path, reason=exc.strerror) from None
    return total


def bundle_bytes(
    repo: Repository,
    doc_ids: Sequence[str],
    by: str,
    blocked: Collection[bytes] = (),
    on_unreadable: Callable[[str, RelianceError], None] | None = None,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> tuple[bytes, int]:
    """The bundle of the documents' changes, as bytes, and how many changes it holds."""
    docs = []
    total = 0
    for doc_id in doc_ids:
        try:
            stored = repo.open(doc_id)
        except RelianceError as exc:
            if on_unreadable is None:
                logger.warning("bundle: left out %s: %s", doc_id, exc)
            else:
                on_unreadable(doc_id, exc)
            continue
        left_out = blocked_actors(stored, blocked)
        changes = [c for c in stored.signed_changes() if c.info.actor not in left_out]
        changes += [c for c in stored.pending.values() if c.info.actor not in left_out]
        docs.append({"id": doc_id, "changes": [[c.info.chunk, c.signature] for c in changes]})
        total += len(changes)
    data: bytes = msgpack.packb(
        {"format": BUNDLE_FORMAT, "created": clock.now_iso(), "by": by, "docs": docs}, use_bin_type=True
    )
    return data, total


def read_bundle(
    path: Path, limits: Limits = DEFAULT_LIMITS, label: str | None = None
) -> list[tuple[str, list[SignedChange]]]:
    """A bundle file's documents and changes (`label`: the file as the person named it, in messages)."""
    shown = str(path) if label is None else label
    try:
        raw = read_regular_file(path, limits.max_bundle_bytes)
    except FileTooLarge:
        raise BundleError("bundle.error.too_large", file=shown, mib=limits.max_bundle_bytes >> 20) from None
    except OSError as exc:
        raise BundleError("cli.cannot_read", file=shown, reason=exc.strerror) from None
    return read_bundle_bytes(raw, limits, shown)


def read_bundle_bytes(
    raw: bytes, limits: Limits = DEFAULT_LIMITS, path: str = "bundle"
) -> list[tuple[str, list[SignedChange]]]:
    """A bundle's documents and changes, from its bytes (every field checked; BundleError otherwise)."""
    if len(raw) > limits.max_bundle_bytes:
        raise BundleError("bundle.error.too_large", file=path, mib=limits.max_bundle_bytes >> 20)
    try:
        data = unpack(raw, Shape.bundle(limits))
    except PackError as exc:
        raise BundleError("bundle.error.unreadable", file=path, reason=exc) from None
    if (
        not isinstance(data, dict)
        or data.get("format") != BUNDLE_FORMAT
        or not isinstance(data.get("docs"), list)
    ):
        raise BundleError("bundle.error.format", file=path, wanted=BUNDLE_FORMAT)
    merged: dict[str, list[SignedChange]] = {}  # a document listed twice is one batch, checked once
    actors: dict[bytes, bytes] = {}
    for entry in data["docs"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise BundleError("bundle.error.entry")
        doc_id = entry["id"]
        try:
            if doc_kind(doc_id) == DocKind.PARTICIPANT:
                decode_peer_id(doc_id)  # the form of an id is not enough: its check digits must hold
        except RelianceError as exc:
            raise BundleError("bundle.error.other", reason=exc) from None
        items = entry.get("changes", [])
        if not isinstance(items, list):
            raise BundleError("bundle.error.change_list", doc=doc_id)
        changes = merged.setdefault(doc_id, [])
        for item in items:
            if (
                not isinstance(item, list)
                or len(item) != 2
                or not isinstance(item[0], bytes)
                or not (item[1] is None or is_proof(item[1]))
            ):
                raise BundleError("bundle.error.change", doc=doc_id)
            try:
                changes.append(SignedChange(change_info(item[0], limits, actors), item[1]))
            except wire.WireError as exc:
                raise BundleError("bundle.error.damaged_change", doc=doc_id, reason=exc) from None
    return list(merged.items())


def import_bundle(
    repo: Repository, path: Path, blocked: Collection[bytes] = (), label: str | None = None
) -> ImportSummary:
    """Check every document of the bundle, then store them all, through a journal (`bundle_journal`):
    a refusal writes nothing (BundleRefused); a crash is completed at the next open; a store that fails
    midway keeps the journal for the next open (BundleInterrupted). `label` names the file in messages
    and in the journal (else `path`)."""
    shown = str(path) if label is None else label
    return import_docs(repo, read_bundle(path, repo.limits, shown), shown, blocked)


def import_bundle_bytes(
    repo: Repository, raw: bytes, label: str, blocked: Collection[bytes] = ()
) -> ImportSummary:
    """`import_bundle` of a bundle received as bytes (`label` names it in the journal and messages)."""
    return import_docs(repo, read_bundle_bytes(raw, repo.limits, label), label, blocked)


def import_docs(
    repo: Repository, docs: list[tuple[str, list[SignedChange]]], label: str, blocked: Collection[bytes] = ()
) -> ImportSummary:
    with bundle_journal.import_lock(repo.home, wait=True):
        earlier = bundle_journal.complete_locked(repo, blocked)  # a crash left one: finish it first
        try:
            batches = []
            for doc_id, changes in docs:  # every document is checked before any is written
                checked = check_batch(repo, doc_id, changes, blocked=blocked, drop_bad_buffered=True)
                if checked.prepared is None and checked.fresh:
                    _try_on_a_copy(repo, doc_id, checked.fresh)
                batches.append(checked)
        except Rejected as exc:
            raise BundleRefused(exc.reason) from None
        writing = [checked for checked in batches if checked.fresh]
        if writing:
            bundle_journal.write(repo.home, label, [(c.doc_id, c.fresh) for c in writing])
        outcomes: list[BatchOutcome] = []
        try:
            for checked, (_, changes) in zip(batches, docs, strict=True):
                # Stored as checked, or checked again if the document moved since (a local edit).
                outcomes.append(accept_batch(repo, checked.doc_id, changes, blocked=blocked, checked=checked))
        except (Rejected, RelianceError, OSError) as exc:
            reason = exc.reason if isinstance(exc, Rejected) else str(exc)
            done = sum(1 for o in outcomes if o.applied or o.pending)
            raise BundleInterrupted(done, len(writing), reason) from None
        if writing:
            bundle_journal.clear(repo.home)
    repo.compact_due()  # what the batches left due (they do not wait for it)
    return ImportSummary(outcomes, earlier)


def _try_on_a_copy(repo: Repository, doc_id: str, fresh: Sequence[SignedChange]) -> None:
    """Apply what would be applied to a copy first (project batches already were, when authorised):
    a change automerge refuses, or panics on, must fail the bundle before any document is written."""
    stored = repo.open(doc_id) if repo.exists(doc_id) else repo.scratch(doc_id)
    plan = stored.plan(fresh)
    if not plan:
        return
    try:
        stored.crdt.fork().apply([c.info.chunk for c in plan])
    except (CrdtError, CrdtPanic) as exc:
        raise Rejected(f"a change of document {doc_id} could not be applied: {exc}") from None
