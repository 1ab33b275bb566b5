"""What the replication core needs from a store of documents (`DocStore`), and a store in memory.

The session (`sync.protocol`) and the rules (`sync.auth`) see documents only through this protocol.
Two implementations:

- `store.repository.Repository`, the real one: one folder per document in the home, fsync (no file
  lock: one process writes a home, the others only read);
- `MemoryStore`, here: the same documents, rules and buffer of waiting changes, their log a list in
  memory. Protocol tests run on it: no disk, no fsync.

Every writer of a document in a process holds its lock (`writing`): a batch is checked and stored
under it (`auth.accept_batch`), a local change made under it (`StoredDoc.local_change`).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from reliance.errors import StoreError
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.store.doclock import DocLock
from reliance.store.repository import Clock, SignedChange, StoredDoc, doc_kind


class DocStore(Protocol):
    """The documents a node holds, as the session and the rules use them, and nothing more."""

    @property
    def actor(self) -> bytes:
        """This device's key: the author of our own changes."""
        ...

    @property
    def limits(self) -> Limits:
        """The limits documents are read and written within."""
        ...

    def doc_ids(self) -> list[str]:
        """Every document held."""
        ...

    def exists(self, doc_id: str) -> bool: ...

    def open(self, doc_id: str, *, create: bool = False) -> StoredDoc:
        """A document held (StoreError if not, unless `create`)."""
        ...

    def scratch(self, doc_id: str) -> StoredDoc:
        """An empty document that is never stored: to check a batch for one not held, or to talk
        about one with a peer who may not read ours."""
        ...

    def reload(self, doc_id: str) -> StoredDoc:
        """The document read again from what is stored (after automerge failed on it in memory)."""
        ...

    def writing(self, doc_id: str) -> AbstractContextManager[None]:
        """Hold `doc_id` against the other writers of this process, held or not yet (reentrant)."""
        ...


_NOWHERE = Path("/nonexistent/reliance-memory-store")  # a MemoryDoc never touches its folder


class MemoryDoc(StoredDoc):
    """A document held in memory: the rules, the buffer and the limits of `StoredDoc`; its log a list."""

    def __init__(
        self,
        doc_id: str,
        actor: bytes,
        limits: Limits = DEFAULT_LIMITS,
        clock: Clock = time.time,
        lock: DocLock | None = None,
    ) -> None:
        super().__init__(_NOWHERE / doc_id, doc_id, actor, limits, clock, lock)
        self._records: list[tuple[SignedChange, float]] = []

    def _load_locked(self, *, repair: bool = False) -> None:
        self._forget_everything()
        self._integrate([change for change, _ in self._records], received=dict(self._received_times()))
        self.expire_pending()

    def _received_times(self) -> Iterator[tuple[bytes, float]]:
        for change, received in self._records:
            yield change.info.hash, received

    def _catch_up(self, *, repair: bool) -> list[bytes]:
        return []  # nobody else writes it

    def _append(self, changes: Sequence[SignedChange], *, sync: bool = True) -> None:
        now = self.clock()
        self._records.extend((change, now) for change in changes)

    def sync(self) -> None:
        self.maybe_compact()

    def _write_snapshot(self) -> None:
        """Compaction: the log becomes what is held (dropped and expired waiting changes go)."""
        self.expire_pending()
        now = self.clock()
        self._records = [(change, now) for change in self.signed_changes()]
        self._records += [(c, self.received.get(h, now)) for h, c in self.pending.items()]
        self.records_since_snapshot = 0

    def size_on_disk(self) -> int:
        return sum(len(change.info.chunk) for change, _ in self._records)


class MemoryStore:
    """A `DocStore` in memory, for one device key (`actor`): what the protocol tests use."""

    def __init__(self, actor: bytes, *, limits: Limits = DEFAULT_LIMITS, clock: Clock = time.time) -> None:
        self.actor = actor
        self.limits = limits
        self.clock = clock
        self._docs: dict[str, MemoryDoc] = {}
        self._mutex = threading.Lock()
        self._locks: weakref.WeakValueDictionary[str, DocLock] = weakref.WeakValueDictionary()
        self.on_open: list[Callable[[StoredDoc], None]] = []

    def doc_ids(self) -> list[str]:
        return sorted(self._docs)

    def exists(self, doc_id: str) -> bool:
        return doc_id in self._docs

    def _lock_of(self, doc_id: str) -> DocLock:
        with self._mutex:
            lock = self._locks.get(doc_id)
            if lock is None:
                lock = self._locks[doc_id] = DocLock()
            return lock

    @contextmanager
    def writing(self, doc_id: str) -> Iterator[None]:
        with self._lock_of(doc_id).held():
            yield

    def open(self, doc_id: str, *, create: bool = False) -> StoredDoc:
        doc_kind(doc_id)
        stored = self._docs.get(doc_id)
        if stored is not None:
            return stored
        if not create:
            raise StoreError("document.error.no_document", doc=doc_id)
        lock = self._lock_of(doc_id)
        with lock.held():
            stored = self._docs.get(doc_id)
            if stored is None:
                stored = self._docs[doc_id] = MemoryDoc(doc_id, self.actor, self.limits, self.clock, lock)
                stored.store_ref = weakref.ref(self)
                for hook in self.on_open:
                    hook(stored)
            return stored

    def scratch(self, doc_id: str) -> StoredDoc:
        return MemoryDoc(doc_id, self.actor, self.limits, self.clock)

    def reload(self, doc_id: str) -> StoredDoc:
        """A new document read again from its records (the old one may hold a poisoned automerge)."""
        with self.writing(doc_id):
            stale = self._docs.get(doc_id)
            if stale is None:
                raise StoreError("document.error.no_document", doc=doc_id)
            fresh = MemoryDoc(doc_id, self.actor, self.limits, self.clock, stale.lock)
            fresh._records = list(stale._records)
            fresh.store_ref = weakref.ref(self)
            fresh.load()
            for listener in stale._listeners:
                fresh.subscribe(listener)
            self._docs[doc_id] = fresh
            return fresh

    def loaded(self) -> list[StoredDoc]:
        return list(self._docs.values())
