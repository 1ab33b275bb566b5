"""The files of one document: its lock, its snapshot and log read back (a torn tail repaired), changes
appended and synced, and the snapshot a compaction writes.

`DocFiles` is the file side of `store.repository.StoredDoc`, which adds the document in memory (the buffer
of waiting changes, the rules of a write) and the hooks declared at the end here; `replication.docstore`'s
`MemoryDoc` replaces this side by a list in memory.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Self

from reliance.automerge.crdt import ChangeInfo, CrdtDoc, CrdtError, CrdtPanic
from reliance.errors import DocumentError, StoreError
from reliance.fsutil import atomic_write, remove_stale_temporaries
from reliance.limits import Limits
from reliance.store import files, log, records
from reliance.store.doclock import DocLock

if TYPE_CHECKING:
    from reliance.store.repository import SignedChange

logger = logging.getLogger("reliance.store.repository")  # the store's warnings, one logger (docs/storage.md)


def inode(path: Path) -> int:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return -1


def disk_mark(folder: Path) -> tuple[int, int, int]:
    """The files of a document not in memory, as `DocFiles.disk_mark` would see them once read."""
    try:
        log_stat = os.stat(folder / "log")
    except OSError:
        return inode(folder / "snapshot"), -1, 0
    return inode(folder / "snapshot"), log_stat.st_ino, log_stat.st_size


class DocFiles:
    """The file side of a document (`HOME/docs/DOC_ID/`: `snapshot`, `log`)."""

    # What `StoredDoc.__init__` sets, read and written here.
    folder: Path
    doc_id: str
    actor: bytes
    limits: Limits
    clock: Callable[[], float]
    crdt: CrdtDoc
    known: dict[bytes, bytes | None]
    pending: dict[bytes, SignedChange]
    received: dict[bytes, float]
    _known_bytes: int | None
    generation: int
    records_since_snapshot: int
    warnings: list[str]
    lock: DocLock
    unsynced: bool
    on_unsynced: Callable[[Self], None] | None  # told when the log first holds what is not synced
    _log_offset: int
    _log_inode: int
    _torn_seen: tuple[int, int] | None  # where a reader last saw a torn tail (inode, offset)
    _snapshot_inode: int

    @property
    def busy(self) -> bool:
        """A write (or a catch-up, or a batch from its check to its store) is under way or waiting in this
        process: the cache never closes the document meanwhile."""
        return self.lock.users > 0

    def disk_mark(self) -> tuple[int, int, int]:
        """What this copy has read of its files (snapshot inode, log inode, log offset): the files differ
        from it once another process wrote."""
        return self._snapshot_inode, self._log_inode, self._log_offset

    @property
    def snapshot_path(self) -> Path:
        return self.folder / "snapshot"

    @property
    def log_path(self) -> Path:
        return self.folder / "log"

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the document against the other threads of this process, for a write (reentrant). No file
        lock: one process writes a home, its owner (`HOME/owner.lock`), and the others only read."""
        with self.lock.held():
            yield

    def load(self, *, repair: bool = False) -> None:
        """(Re)build the in-memory state from the snapshot and the log. Reading writes nothing: a torn
        tail is read up to its last whole record and left alone; a writer (`repair`) cuts it."""
        with self.writing():
            self._load_locked(repair=repair)

    def _load_locked(self, *, repair: bool = False) -> None:
        if repair:
            remove_stale_temporaries(self.folder)  # the one writer of the home is this thread
        self._forget_everything()
        self._snapshot_inode = inode(self.snapshot_path)
        if self.snapshot_path.exists():
            self._read_snapshot()
        self._log_offset = 0
        self._log_inode = -1
        self._torn_seen = None
        self._catch_up(repair=repair)
        self.expire_pending()

    def _read_snapshot(self) -> None:
        """Every field is checked (`files.read_snapshot`) and the saved document against the list of
        changes, before any is used: one that does not pass makes the document unreadable, its files
        left as they are. Opened on the log alone, it would lose nothing at once, but its next change of
        ours would reuse a sequence number its snapshot holds (a fork of our own history that every peer
        refuses), and its next compaction would replace the snapshot. Waiting changes alone may be
        dropped: their senders send them again."""
        try:
            data = self.snapshot_path.read_bytes()
            snap = files.read_snapshot(data, self.doc_id, self.limits)
            crdt = CrdtDoc.load(snap.saved, self.actor) if snap.saved else CrdtDoc.new(self.actor)
            heads = crdt.heads()
            if bool(heads) != bool(snap.known) or any(head not in snap.known for head in heads):
                raise files.Damaged("store.damaged.saved_heads")
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise StoreError("store.error.snapshot_unreadable", doc=self.doc_id, reason=reason) from None
        except (files.Damaged, DocumentError) as exc:
            raise StoreError("store.error.snapshot_unreadable", doc=self.doc_id, reason=exc) from None
        self.generation = snap.generation
        self.crdt = crdt
        self.known = snap.known
        self._known_bytes = snap.size if snap.size is not None else (None if self.known else 0)
        if snap.waiting is None:
            self._warn(f"document {self.doc_id}: dropped the waiting changes of its snapshot (not a list)")
        now = self.clock()
        for entry in snap.waiting or ():
            try:
                info, signature, received = records.read_waiting(entry, self.limits, now)
            except (ValueError, TypeError) as exc:  # WireError is a ValueError
                self._warn(
                    f"document {self.doc_id}: dropped a waiting change that cannot be read back ({exc})"
                )
                continue
            self._hold(info, signature, now if received is None else received)

    def _warn(self, message: str) -> None:
        logger.warning(message)
        self.warnings.append(message)

    def _start_log(self) -> None:
        atomic_write(self.log_path, log.encode_record(records.log_header(self.doc_id, self.generation)))

    def _catch_up(self, *, repair: bool) -> list[bytes]:
        """Apply records appended to the log since we last looked (by this or another process). Only a
        writer (`repair`: it appends next) changes the files: it starts a missing log, rewrites a torn
        header or a log older than the snapshot, and cuts a torn tail; a reader reads what is whole."""
        try:
            stat = os.stat(self.log_path)
        except FileNotFoundError:
            if not repair:
                return []
            self._start_log()
            stat = os.stat(self.log_path)
        if (
            self._log_inode not in (-1, stat.st_ino)
            or stat.st_size < self._log_offset
            or inode(self.snapshot_path) != self._snapshot_inode
        ):
            # Another process compacted (perhaps dying before it replaced the log): start again from its
            # snapshot, or we would append to a log of an older generation, which the next open ignores.
            self._load_locked(repair=repair)
            return list(self.known)
        if stat.st_size == self._log_offset:
            return []
        with open(self.log_path, "rb") as handle:
            data = handle.read()
        result = log.scan(data, self._log_offset)
        payloads = result.payloads
        if self._log_offset == 0:
            if not payloads:
                if not log.torn_header(data):
                    # The header is written atomically: an unreadable one is corruption, not a crash, and
                    # rewriting it would throw away every record after it.
                    raise StoreError("store.error.log_header", doc=self.doc_id)
                if repair:
                    self.warnings.append(f"document {self.doc_id}: empty log header rewritten")
                    self._start_log()
                return []
            payloads = payloads[1:]
            try:
                generation: int | None = files.read_log_header(
                    result.payloads[0], self.doc_id, self.limits
                ).generation
            except files.Damaged as exc:
                # Not understood: perhaps a log older than the snapshot, perhaps the current one. Its
                # records are read all the same: a change the snapshot holds already is a duplicate.
                generation = None
                self._warn(
                    f"document {self.doc_id}: the header of its log is not understood ({exc}); "
                    f"its {len(payloads)} records were read all the same"
                )
            if generation is not None and generation > self.generation:
                # Its records may follow changes the snapshot does not hold (lost, or put back from a
                # copy): opened on half its history, the document's next change of ours would fork it.
                raise StoreError(
                    "store.error.log_newer", doc=self.doc_id, log=generation, snapshot=self.generation
                )
            if generation is not None and generation < self.generation:
                # A log older than the snapshot (a compaction stopped before it replaced the log): every
                # change in it is in the snapshot already. If one is not, its header says so falsely.
                stray = self._not_held(payloads)
                if not stray:
                    if repair:
                        self._start_log()
                        self._log_inode = os.stat(self.log_path).st_ino
                        self._log_offset = os.stat(self.log_path).st_size
                    return []
                self._warn(
                    f"document {self.doc_id}: its log names generation {generation}, before its "
                    f"snapshot's {self.generation}, yet holds {stray} changes the snapshot does not hold: "
                    f"its {len(payloads)} records were read all the same"
                )
        if result.damaged:
            lost = len(data) - result.end
            if repair:
                # The writer is the home's one writer, in this thread: a damaged tail is no write in
                # progress. Cut it now, or the next append would land after it and be lost on reopening.
                self._warn(f"document {self.doc_id}: cut {lost} bytes of a torn or corrupt log tail")
                log.truncate(self.log_path, result.end)
            elif self._torn_seen != (stat.st_ino, result.end):
                # A reader: perhaps the owner's append under way, perhaps a crash's tail that the owner's
                # next write cuts. Read up to the last whole record; said once per place.
                self._torn_seen = (stat.st_ino, result.end)
                self._warn(
                    f"document {self.doc_id}: read up to the last whole record; {lost} bytes after it "
                    "(a torn or corrupt log tail, or a write under way) left alone"
                )
        self._log_inode = stat.st_ino
        self._log_offset = result.end
        changes: list[tuple[ChangeInfo, bytes | None]] = []
        times: dict[bytes, float] = {}
        now = self.clock()
        for payload in payloads:
            try:
                info, signature, received = records.read_record(payload, self.limits, now)
            except (ValueError, TypeError) as exc:  # PackError and WireError are ValueErrors
                self._warn(f"document {self.doc_id}: skipped a log record that cannot be read back ({exc})")
                continue
            changes.append((info, signature))
            if received is not None:
                times[info.hash] = received
        self.records_since_snapshot += len(changes)
        return self._integrate_read(changes, times)

    def _not_held(self, payloads: Sequence[bytes]) -> int:
        """How many records of a log hold a change that is neither applied nor waiting (those that
        cannot be read do not count: they are not read from a current log either)."""
        now = self.clock()
        count = 0
        for payload in payloads:
            try:
                info, _, _ = records.read_record(payload, self.limits, now)
            except (ValueError, TypeError):
                continue
            count += info.hash not in self.known and info.hash not in self.pending
        return count

    def refresh(self) -> list[bytes]:
        """Pick up changes other processes wrote; returns the hashes newly applied. A reader never waits
        for a writer of this process (a peer's batch being checked): that writer catches up itself."""
        lock = self.lock.thread_lock
        if not lock.acquire(blocking=False):
            return []
        try:
            with self.writing():
                applied = self._catch_up(repair=False)
        finally:
            lock.release()
        if applied:
            self._notify(applied)
        return applied

    def _append(self: Self, changes: Sequence[SignedChange], *, sync: bool = True) -> None:
        """Write changes to the log (caller holds the lock); on failure the document is read again."""
        now = self.clock()
        try:
            self._log_offset = log.append(
                self.log_path,
                records.records(changes, now),
                max_record=self.limits.max_record,
                sync=sync,
            )
        except OSError as exc:
            self._load_locked()
            raise StoreError("store.error.write", doc=self.doc_id, reason=str(exc)) from None
        if not sync and not self.unsynced:
            self.unsynced = True
            if self.on_unsynced is not None:
                self.on_unsynced(self)

    def sync(self) -> None:
        """Make durable what `add_verified(..., sync=False)` wrote, and compact if the log is far over (the
        node's maintenance compacts the rest, `Repository.compact_due`)."""
        if self.unsynced:
            self.unsynced = False
            try:
                log.sync_file(self.log_path)
            except OSError as exc:
                raise StoreError("store.error.write", doc=self.doc_id, reason=str(exc)) from None
        self.maybe_compact(deferred=True)

    def compact(self) -> None:
        """Rewrite the snapshot with everything, atomically, then start an empty log."""
        with self.writing():
            self._catch_up(repair=True)
            self._write_snapshot()

    def _write_snapshot(self) -> None:
        """The body of `compact`; caller holds the lock and has caught up.

        The old snapshot is replaced only by one that loads back with the same heads: automerge's
        `save()` if it does, else the changes themselves (which `load()` applies as they are); if
        neither does, the old snapshot and the log stay, and the next attempt waits for as many new
        records as a compaction does."""
        self.expire_pending()
        saved = self._verified_save() if self.known else b""
        if saved is None:
            self.records_since_snapshot = 0
            return
        snapshot = records.snapshot(
            self.doc_id,
            self.generation + 1,
            saved,
            self.known,
            self.pending,
            self.received,
            self._applied_bytes(),
        )
        atomic_write(self.snapshot_path, snapshot)
        self._snapshot_inode = inode(self.snapshot_path)
        self.generation += 1
        self._start_log()
        stat = os.stat(self.log_path)
        self._log_inode, self._log_offset = stat.st_ino, stat.st_size
        self.records_since_snapshot = 0

    def _verified_save(self) -> bytes | None:
        heads = self.crdt.heads()
        saved = self.crdt.save()
        if self._loads_back(saved, heads):
            return saved
        changes = b"".join(c.chunk for c in self.crdt.changes_since([]))
        if self._loads_back(changes, heads):
            self._warn(
                f"document {self.doc_id}: automerge's save() of it does not load back with the same heads "
                "(it holds a change automerge does not encode as it came); its snapshot keeps the changes "
                "as they are"
            )
            return changes
        self._warn(
            f"document {self.doc_id}: neither automerge's save() of it nor its changes load back with the "
            "same heads; its snapshot was not replaced"
        )
        return None

    def _loads_back(self, data: bytes, heads: list[bytes]) -> bool:
        try:
            return CrdtDoc.load(data, self.actor).heads() == heads
        except (CrdtError, CrdtPanic):
            return False

    def size_on_disk(self) -> int:
        """Bytes of its snapshot and log (what the quotas on other people's documents count)."""
        total = 0
        for path in (self.snapshot_path, self.log_path):
            with suppress(OSError):
                total += path.stat().st_size
        return total

    # -- what the document in memory provides (`StoredDoc`) --------------------------------------------------
    def _forget_everything(self) -> None:
        raise NotImplementedError

    def _hold(self, info: ChangeInfo, signature: bytes | None, received: float) -> None:
        """Keep a change read back as waiting for its dependencies (received at `received`)."""
        raise NotImplementedError

    def _integrate_read(
        self, changes: list[tuple[ChangeInfo, bytes | None]], received: dict[bytes, float]
    ) -> list[bytes]:
        """Apply (or buffer) changes read back from the log; the hashes newly applied."""
        raise NotImplementedError

    def expire_pending(self) -> list[bytes]:
        raise NotImplementedError

    def maybe_compact(self, *, deferred: bool = False) -> None:
        raise NotImplementedError

    def _applied_bytes(self) -> int:
        raise NotImplementedError

    def _notify(self, hashes: list[bytes]) -> None:
        raise NotImplementedError
