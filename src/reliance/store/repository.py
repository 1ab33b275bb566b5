"""The on-disk repository: one folder per document, a snapshot plus an append-only log.

Layout of `HOME/docs/DOC_ID/`:
- `snapshot`: msgpack of the automerge save, the signature of every change it holds, the changes
  still waiting for their dependencies, and a generation number;
- `log`: records (see `store.log`) appended since that snapshot, each one signed change; the first
  record names the generation, so a log left over from before a compaction is recognised;
- no lock file: one process writes a home (its owner), the others only read (an old `lock` file is unused).

Here: `Repository` (every document of a home, opened on demand in a bounded cache) and `StoredDoc` (one
document: the buffer of changes waiting for their dependencies, and the rules of a write). Beside it:
`docfiles.py` (`DocFiles`, the file side of a `StoredDoc`: reading back, repairing, appending, compacting),
`records.py` (the bytes of those files), `doclock.py` (the document's lock), `waiting.py` (the causal
order of waiting changes), `log.py` (record framing) and `files.py` (typed readers of snapshot and header).

Only changes that were verified (signed by their author, authorised) reach this module, either
made here (`local_change`) or received (`add_verified`). Nothing is acknowledged before fsync.

Inside a process, every writer of a document holds its lock (`Repository.writing`, `StoredDoc.locked`,
reentrant): the app's store thread and the node's sync worker share the documents in memory. A batch
is checked and stored under that lock (`sync.auth.accept_batch`); it carries the `revision` of the
document it was checked against, and `add_verified` refuses it (`Moved`) if the document changed since,
so that it is checked again, never stored over a newer state.

Everything is read back with the same `Limits` the door applied, so that what was let in can be read
again; and one record or waiting change that cannot be read (a damaged disk, limits lowered since) is
dropped with a warning in `StoredDoc.warnings`, never the whole document. Changes waiting for their
dependencies carry the time they came, and are forgotten after `pending_ttl_seconds`.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from reliance.automerge import wire
from reliance.automerge.crdt import ChangeInfo, CrdtDoc, CrdtError, CrdtPanic, Writer
from reliance.errors import StoreError
from reliance.fsutil import fsync_dir, private_dir
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.store.docfiles import DocFiles, disk_mark
from reliance.store.doclock import DocLock
from reliance.store.waiting import ready_in_causal_order, with_dependents

logger = logging.getLogger(__name__)
Clock = Callable[[], float]

_REVISIONS = itertools.count(1)  # `StoredDoc.revision`: never the same twice in a process
# A peer's batch leaves a compaction it makes due to `Repository.compact_due` (the node's maintenance),
# unless the log holds this many times `Limits.compact_after_records`.
COMPACT_DEFERRED_AT_MOST = 8
DOC_ID_RE = re.compile(r"rl[a-z2-7]{56}|pj[0-9a-f]{32}")  # always fullmatch: `$` lets "\n" through


class DocKind(StrEnum):
    PARTICIPANT = "participant"
    PROJECT = "project"


def doc_kind(doc_id: str) -> DocKind:
    if not DOC_ID_RE.fullmatch(doc_id):
        raise StoreError("store.error.not_a_doc_id", id=repr(doc_id[:100]))
    return DocKind.PARTICIPANT if doc_id.startswith("rl") else DocKind.PROJECT


class SignedChange(NamedTuple):
    """A change and its author's signature over its hash (None: covered by a signed descendant). A NamedTuple:
    one is made per change received, and a tuple is made three times faster than a frozen dataclass."""

    info: ChangeInfo
    signature: bytes | None


def change_size(info: ChangeInfo, limits: Limits | None) -> int:
    """What a change that was read before weighs (`wire.change_size`), within `limits` (None: ours)."""
    chunk = info.chunk
    if chunk[8] == 1 and chunk[9] < 0x80:  # on the path of every change: a small plain chunk
        return len(chunk) - 10
    return wire.change_size(chunk, max_inflated=1 << 62 if limits is None else limits.max_change_bytes)


class Moved(StoreError):
    """The document changed since the batch was checked (another thread or process wrote): check again."""


@dataclass
class AddResult:
    applied: list[bytes] = field(default_factory=list)
    pending: list[bytes] = field(default_factory=list)
    duplicate: int = 0


class StoredDoc(DocFiles):
    """One document on disk and in memory."""

    def __init__(
        self,
        folder: Path,
        doc_id: str,
        actor: bytes,
        limits: Limits = DEFAULT_LIMITS,
        clock: Clock = time.time,
        lock: DocLock | None = None,
    ) -> None:
        self.folder = folder
        self.doc_id = doc_id
        self.kind = doc_kind(doc_id)
        self.actor = actor
        self.limits = limits
        self.clock = clock
        self.crdt = CrdtDoc.new(actor)
        self.known: dict[bytes, bytes | None] = {}
        self.pending: dict[bytes, SignedChange] = {}
        self.received: dict[bytes, float] = {}  # when each waiting change came (it expires)
        self._pending_sizes: dict[bytes, int] = {}
        self._known_bytes: int | None = 0  # uncompressed bytes of the applied changes; None: not counted yet
        self.generation = 0
        self.records_since_snapshot = 0
        self.warnings: list[str] = []
        self.lock = DocLock() if lock is None else lock
        self.unsynced = False  # written without fsync: `sync()` is due
        self.on_unsynced = None
        # Renewed by every change of what is held (applied, waiting, reloaded), unique in the process:
        # a batch checked at one revision is stored only at that revision (`add_verified`).
        self.revision = next(_REVISIONS)
        self._log_offset = 0
        self._log_inode = -1
        self._snapshot_inode = -1
        self._torn_seen: tuple[int, int] | None = None
        self._listeners: list[Callable[[StoredDoc, list[bytes]], None]] = []
        # The store that opened it (weakly), for what another of its documents decides about this one:
        # a device revocation lives in the participant document, and voids changes in projects.
        self.store_ref: Callable[[], object | None] | None = None

    # -- reading again (see `DocFiles`) ------------------------------------------------------------------
    def _forget_everything(self) -> None:
        """Back to an empty document, before it is read again."""
        self.revision = next(_REVISIONS)
        self.crdt = CrdtDoc.new(self.actor)
        self.known = {}
        self.pending = {}
        self.received = {}
        self._pending_sizes = {}
        self._known_bytes = 0
        self.generation = 0

    # -- integrating verified changes ---------------------------------------------------------------------
    def has(self, change_hash: bytes) -> bool:
        return change_hash in self.known

    def _integrate_read(
        self, changes: list[tuple[ChangeInfo, bytes | None]], received: dict[bytes, float]
    ) -> list[bytes]:
        return self._integrate(
            [SignedChange(info, signature) for info, signature in changes], received=received
        ).applied

    def _integrate(
        self,
        changes: Sequence[SignedChange],
        prepared: CrdtDoc | None = None,
        received: dict[bytes, float] | None = None,
    ) -> AddResult:
        """Apply what can be applied, in causal order; buffer the rest (received now, or at the time
        given). Caller holds the lock."""
        result = AddResult()
        now = self.clock()
        known, pending, received_at = self.known, self.pending, self.received
        for change in changes:  # `_hold`, inline: this runs for every change
            change_hash = change.info.hash
            if change_hash in known or change_hash in pending:
                result.duplicate += 1
                continue
            pending[change_hash] = change
            received_at[change_hash] = received.get(change_hash, now) if received else now
        if result.duplicate < len(changes):
            self.revision = next(_REVISIONS)
        ready = ready_in_causal_order(pending, known)
        if ready:
            if prepared is not None:
                self.crdt = prepared
            else:
                self.crdt.apply([c.info.chunk for c in ready])
            applied_bytes = 0
            sizes = self._pending_sizes
            for change in ready:  # `_release`, inline
                change_hash = change.info.hash
                known[change_hash] = change.signature
                size = sizes.pop(change_hash, None)
                applied_bytes += change_size(change.info, self.limits) if size is None else size
                del pending[change_hash]
                received_at.pop(change_hash, None)
                result.applied.append(change_hash)
            if self._known_bytes is not None:
                self._known_bytes += applied_bytes
        result.pending = [h for h in (c.info.hash for c in changes) if h in pending]
        return result

    # -- the buffer of changes waiting for their dependencies ---------------------------------------------
    def _hold(self, info: ChangeInfo, signature: bytes | None, received: float) -> None:
        self.pending[info.hash] = SignedChange(info, signature)
        self.received[info.hash] = received

    def _release(self, change_hash: bytes) -> None:
        self.revision = next(_REVISIONS)
        del self.pending[change_hash]
        self.received.pop(change_hash, None)
        self._pending_sizes.pop(change_hash, None)

    def _pending_size(self, change_hash: bytes) -> int:
        size = self._pending_sizes.get(change_hash)
        if size is None:
            size = self._pending_sizes[change_hash] = change_size(self.pending[change_hash].info, self.limits)
        return size

    def expire_pending(self) -> list[bytes]:
        """Forget waiting changes older than `pending_ttl_seconds`, and those waiting on them (in memory:
        the next snapshot leaves them out, and every load forgets them again until then)."""
        deadline = self.clock() - self.limits.pending_ttl_seconds
        expired = [h for h, at in self.received.items() if at < deadline]
        if not expired:
            return []
        doomed = with_dependents(self.pending, expired)
        for change_hash in doomed:
            self._release(change_hash)
        logger.info("document %s: forgot %d changes that waited too long", self.doc_id, len(doomed))
        return sorted(doomed)

    def room_for(self, waiting: Sequence[SignedChange]) -> tuple[list[SignedChange], int]:
        """Of new changes that would wait for their dependencies, those the buffer has room for, in
        order (caps per document and per author, in count and uncompressed bytes), and how many were
        turned away. A change waiting on one turned away is turned away too."""
        limits = self.limits
        count = len(self.pending)
        total = sum(self._pending_size(h) for h in self.pending)
        by_author: dict[bytes, list[int]] = {}
        for change_hash, change in self.pending.items():
            tally = by_author.setdefault(change.info.actor, [0, 0])
            tally[0] += 1
            tally[1] += self._pending_size(change_hash)
        admitted: list[SignedChange] = []
        turned_away: set[bytes] = set()
        for change in waiting:
            info = change.info
            size = change_size(info, limits)
            tally = by_author.setdefault(info.actor, [0, 0])
            if (
                any(dep in turned_away for dep in info.deps)
                or count + 1 > limits.max_pending_changes
                or total + size > limits.max_pending_bytes
                or tally[0] + 1 > limits.max_pending_changes_per_author
                or tally[1] + size > limits.max_pending_bytes_per_author
            ):
                turned_away.add(info.hash)
                continue
            count += 1
            total += size
            tally[0] += 1
            tally[1] += size
            admitted.append(change)
        if turned_away:
            logger.info("document %s: no room for %d more waiting changes", self.doc_id, len(turned_away))
        return admitted, len(turned_away)

    def size(self) -> int:
        """What the document weighs: the uncompressed bytes of its changes, applied and waiting."""
        return self._applied_bytes() + sum(self._pending_size(h) for h in self.pending)

    def _applied_bytes(self) -> int:
        if self._known_bytes is None:  # a snapshot from before sizes were kept: count once
            self._known_bytes = sum(change_size(c, None) for c in self.crdt.changes_since([]))
        return self._known_bytes

    def plan(self, changes: Sequence[SignedChange]) -> list[SignedChange]:
        """The changes (new and buffered) that would be applied, in order, if `changes` were added.

        A question only: the buffer is read, never changed (another thread may be reading it)."""
        would_wait = dict(self.pending)
        for change in changes:
            if change.info.hash not in self.known:
                would_wait.setdefault(change.info.hash, change)
        return ready_in_causal_order(would_wait, self.known)

    def drop_pending(self, hashes: Sequence[bytes]) -> list[bytes]:
        """Forget buffered changes and those waiting on them, on disk too (the snapshot is rewritten
        without them): they were found to break a rule once their dependencies arrived."""
        with self.writing():
            self._catch_up(repair=True)
            doomed = with_dependents(self.pending, hashes)
            for change_hash in doomed:
                self._release(change_hash)
            if doomed:
                # Under the same lock: a compaction by another process in between would bring them back.
                self._write_snapshot()
        return sorted(doomed)

    def add_verified(
        self,
        changes: Sequence[SignedChange],
        prepared: CrdtDoc | None = None,
        *,
        checked_at: int | None = None,
        sync: bool = True,
    ) -> AddResult:
        """Store and apply changes that were authenticated and authorised by the caller.

        `checked_at`: the `revision` they were checked at; if the document changed since (another
        thread or process wrote), `Moved` is raised with nothing written, and the caller checks again.
        `prepared`, when given, is a fork on which exactly `plan(changes)` was applied (project
        authorisation does that) at `checked_at`; it replaces the document instead of applying twice.
        With `sync` False the log is not fsynced yet: the caller calls `sync()` (`Repository.flush`)
        before it tells anyone the changes are stored.
        """
        with self.writing():
            if self._catch_up(repair=True) and checked_at is None:
                prepared = None  # another process wrote meanwhile: apply onto the current state instead
            if checked_at is not None and checked_at != self.revision:
                raise Moved("store.error.moved", doc=self.doc_id)
            if prepared is not None and checked_at is None:
                raise ValueError("a prepared document is only stored at the revision it was made at")
            fresh = [c for c in changes if c.info.hash not in self.known and c.info.hash not in self.pending]
            if not fresh:
                return AddResult(duplicate=len(changes))
            try:
                result = self._integrate(fresh, prepared)
            except (CrdtPanic, CrdtError):
                self._load_locked()  # applying is not atomic: start again from what is on disk
                raise
            self._append(fresh, sync=sync)
            self.records_since_snapshot += len(fresh)
            result.duplicate += len(changes) - len(fresh)
        if result.applied:
            self._notify(result.applied)
        if sync:
            self.maybe_compact(deferred=True)
        return result

    def local_change(
        self, sign: Callable[[bytes], bytes], edit: Callable[[Writer], object]
    ) -> ChangeInfo | None:
        """Make, sign and durably store one change of our own; None if `edit` changed nothing."""
        with self.writing():
            self._catch_up(repair=True)
            try:
                info = self.crdt.change(edit)
            except CrdtPanic:
                self._load_locked()
                raise
            if info is None:
                return None
            size = self._check_own_change(info)
            signed = SignedChange(info, sign(info.hash))
            self._append([signed])
            self.known[info.hash] = signed.signature
            self.revision = next(_REVISIONS)
            if self._known_bytes is not None:
                self._known_bytes += size
            self.records_since_snapshot += 1
        self._notify([info.hash])
        self.maybe_compact()
        return info

    def _check_own_change(self, info: ChangeInfo) -> int:
        """The size of a change just made here; over a limit, it is undone (the document is read again
        from disk) and refused: every peer would refuse it, and all that follows it, for ever."""
        limits = self.limits
        size = change_size(info, None)
        problem: StoreError | None = None
        if size > limits.max_change_bytes or len(info.chunk) > limits.max_change_bytes:
            size_shown = max(size, len(info.chunk))
            problem = StoreError("store.error.change_too_big", size=size_shown, most=limits.max_change_bytes)
        elif self._known_bytes is not None and self.size() + size > limits.max_document_bytes:
            # (not counted yet: a snapshot from before sizes were kept; a peer's batch counts it once)
            total = self.size() + size
            problem = StoreError(
                "store.error.document_too_big", doc=self.doc_id, size=total, most=limits.max_document_bytes
            )
        if problem is not None:
            self._load_locked()
            raise problem
        return size

    # -- compaction ----------------------------------------------------------------------------------------
    def maybe_compact(self, *, deferred: bool = False) -> None:
        """Compact once the log holds `Limits.compact_after_records` records. After a peer's batch
        (`deferred`), only once it holds many times that: compacting reads the new snapshot back, which
        costs about as much as loading the document, and the reply to the peer need not wait for it;
        `Repository.compact_due` does it soon after."""
        if self.records_since_snapshot >= self.limits.compact_after_records * (
            COMPACT_DEFERRED_AT_MOST if deferred else 1
        ):
            self.compact()

    @property
    def compaction_due(self) -> bool:
        return self.records_since_snapshot >= self.limits.compact_after_records

    # -- reading -------------------------------------------------------------------------------------------
    def signed_changes(self, since: Sequence[bytes] = ()) -> list[SignedChange]:
        """Every applied change (or those after `since`, which must be known), with signatures."""
        infos = self.crdt.changes_since([h for h in since if h in self.known])
        return [SignedChange(info, self.known.get(info.hash)) for info in infos]

    def heads(self) -> list[bytes]:
        return self.crdt.heads()

    def subscribe(self, listener: Callable[[StoredDoc, list[bytes]], None]) -> None:
        if listener not in self._listeners:  # a reader subscribing again after the document was reopened
            self._listeners.append(listener)

    def _notify(self, hashes: list[bytes]) -> None:
        for listener in list(self._listeners):
            listener(self, hashes)


class Repository:
    """Every document held in one home, read and written within one set of `limits`; `clock` tells
    when a waiting change came (tests give their own).

    Documents are opened on demand and kept in memory up to `limits.max_open_documents`, the least
    recently used closed first (never one being written: `StoredDoc.busy`). A document closed and opened
    again is read from disk, and keeps its listeners (`subscribe`): a caller may still hold the closed
    copy, which stays correct, as a copy in another process does (every write takes the file lock and
    catches up first)."""

    def __init__(
        self, home: Path, actor: bytes, *, limits: Limits = DEFAULT_LIMITS, clock: Clock = time.time
    ) -> None:
        self.home = home
        self.actor = actor
        self.limits = limits
        self.clock = clock
        self.docs_dir = home / "docs"
        self._open: OrderedDict[str, StoredDoc] = OrderedDict()  # least recently used first
        # The node's sync thread and the app's store thread may open and write documents at the same
        # time: one lock per document id, alive while anything (an open document, a writer) holds it.
        # `_opening` guards the maps below and is never held while waiting for a document's lock.
        self._opening = threading.RLock()
        self._locks: weakref.WeakValueDictionary[str, DocLock] = weakref.WeakValueDictionary()
        self._unsynced: dict[str, StoredDoc] = {}  # written without fsync, waiting for `flush`
        # Called with each document once it is loaded, to build what is derived from it (indexes).
        self.on_open: list[Callable[[StoredDoc], None]] = []
        # Of documents not in memory: their listeners (given back when reopened), and what was last read
        # of their files (so that `refresh_all` tells what another process changed without opening them).
        self._listeners_of: dict[str, list[Callable[[StoredDoc, list[bytes]], None]]] = {}
        self._marks: dict[str, tuple[int, int, int]] = {}

    def doc_ids(self) -> list[str]:
        if not self.docs_dir.exists():
            return []
        return sorted(p.name for p in self.docs_dir.iterdir() if DOC_ID_RE.fullmatch(p.name) and p.is_dir())

    def exists(self, doc_id: str) -> bool:
        return doc_id in self._open or (self.docs_dir / doc_id / "log").exists()

    def _note_unsynced(self, stored: StoredDoc) -> None:
        with self._opening:
            self._unsynced[stored.doc_id] = stored

    def flush(self) -> None:
        """Make durable every batch stored without fsync (`add_verified(..., sync=False)`): one fsync a
        document however many batches it took. The node calls it before it answers the peers."""
        with self._opening:
            due, self._unsynced = self._unsynced, {}
        for stored in due.values():
            with stored.writing():
                stored.sync()

    def lock_of(self, doc_id: str) -> DocLock:
        """The lock every writer of `doc_id` in this process holds (see `writing`)."""
        with self._opening:
            lock = self._locks.get(doc_id)
            if lock is None:
                lock = self._locks[doc_id] = DocLock()
            return lock

    @contextmanager
    def writing(self, doc_id: str) -> Iterator[None]:
        """Hold `doc_id` against the other threads of this process, held or not yet (reentrant): its
        batches are checked and stored under it (`sync.auth.accept_batch`), local changes made. The
        cache never closes a document meanwhile."""
        with self.lock_of(doc_id).held():
            yield

    def open(self, doc_id: str, *, create: bool = False) -> StoredDoc:
        doc_kind(doc_id)
        stored = self._open.get(doc_id)
        if stored is not None:
            with suppress(KeyError):  # closed by another thread meanwhile: this copy is still correct
                self._open.move_to_end(doc_id)
            return stored
        lock = self.lock_of(doc_id)
        with lock.held():  # never under `_opening`: a writer holding this lock may open it
            return self._open_locked(doc_id, create, lock)

    def _open_locked(self, doc_id: str, create: bool, lock: DocLock) -> StoredDoc:
        stored = self._open.get(doc_id)
        if stored is not None:
            return stored
        folder = self.docs_dir / doc_id
        if not folder.exists():
            if not create:
                raise StoreError("store.error.no_document", doc=doc_id)
            private_dir(folder)
            fsync_dir(folder.parent)
        stored = StoredDoc(folder, doc_id, self.actor, self.limits, self.clock, lock)
        stored.on_unsynced = self._note_unsynced
        stored.store_ref = weakref.ref(self)
        with self._opening:
            kept = self._listeners_of.pop(doc_id, None)
        if kept is not None:
            stored._listeners = kept  # the very list: a closed copy still written to notifies them too
        try:
            stored.load(repair=create)  # only a writer creates: it may repair; a reader writes nothing
        except BaseException:
            if kept is not None:
                with self._opening:
                    self._listeners_of[doc_id] = kept
            raise
        with self._opening:
            self._open[doc_id] = stored
        for hook in self.on_open:
            hook(stored)
        with self._opening:
            self._close_least_used()
        return stored

    def _close_least_used(self) -> None:
        """Beyond `max_open_documents`, close the least recently used documents that no write holds."""
        excess = len(self._open) - self.limits.max_open_documents
        if excess <= 0:
            return
        for doc_id, stored in list(self._open.items())[:-1]:  # never the one just opened
            if excess <= 0:
                break
            if stored.busy:
                continue
            del self._open[doc_id]
            if stored._listeners:
                self._listeners_of[doc_id] = stored._listeners
            self._marks[doc_id] = stored.disk_mark()
            excess -= 1

    def scratch(self, doc_id: str) -> StoredDoc:
        """An empty, unsaved document, to check a batch for a document not held yet."""
        return StoredDoc(self.docs_dir / doc_id, doc_id, self.actor, self.limits, self.clock)

    def reload(self, doc_id: str) -> StoredDoc:
        """Drop the in-memory document (e.g. after an automerge panic) and read it again from disk."""
        with self.writing(doc_id), self._opening:
            stale = self._open.pop(doc_id, None)
            if stale is not None and stale._listeners:
                self._listeners_of[doc_id] = stale._listeners
        return self.open(doc_id)

    def compact_due(self) -> list[str]:
        """Compact every open document whose log is due (a peer's batch leaves it); their ids. One that
        cannot be written is left for the next time, with a warning."""
        done: list[str] = []
        for stored in list(self._open.values()):
            if not stored.compaction_due:
                continue
            try:
                stored.compact()
            except StoreError as exc:
                logger.warning("document %s not compacted: %s", stored.doc_id, exc)
                continue
            done.append(stored.doc_id)
        return done

    def loaded(self) -> list[StoredDoc]:
        return list(self._open.values())

    def refresh_all(self) -> dict[str, list[bytes]]:
        """Catch up on what other processes wrote, including documents they created: the hashes newly
        applied per document. A document closed by the cache is opened again only when its files changed
        since it was last read; one never opened here is opened (its hashes: all it holds)."""
        changed: dict[str, list[bytes]] = {}
        marks = self._marks
        for doc_id in self.doc_ids():
            stored = self._open.get(doc_id)
            if stored is not None:
                applied = stored.refresh()
                if applied:
                    changed[doc_id] = applied
                continue
            if doc_id in marks and marks[doc_id] == disk_mark(self.docs_dir / doc_id):
                continue
            marks.pop(doc_id, None)
            try:
                changed[doc_id] = list(self.open(doc_id).known)
            except StoreError:
                continue  # removed meanwhile, or unreadable: the next open reports it
        return changed
