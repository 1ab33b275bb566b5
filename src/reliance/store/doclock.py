"""The lock of one document: reentrant for the threads of this process, a `flock` against other processes."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reliance.errors import StoreError
from reliance.fsutil import open_private


class DocLock:
    """The lock of one document in this process: reentrant, shared by every `StoredDoc` of that id."""

    __slots__ = ("__weakref__", "_users_lock", "files", "thread_lock", "users")

    def __init__(self) -> None:
        self.thread_lock = threading.RLock()
        self.files = 0  # nesting depth of `across_processes` in the owning thread (flock taken once)
        self.users = 0  # holds of this lock, and waits for it (the cache never closes such a document)
        self._users_lock = threading.Lock()

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._users_lock:
            self.users += 1
        try:
            with self.thread_lock:
                yield
        finally:
            with self._users_lock:
                self.users -= 1

    @contextmanager
    def across_processes(self, lock_file: Path, doc_id: str) -> Iterator[None]:
        """Hold the document against other threads and, by a `flock` on `lock_file`, other processes
        (reentrant in one thread: the file is locked once)."""
        with self.held():
            if self.files:
                self.files += 1
                try:
                    yield
                finally:
                    self.files -= 1
                return
            try:
                fd = open_private(lock_file, os.O_RDWR | os.O_CREAT)
            except OSError as exc:
                raise StoreError("store.error.lock", doc=doc_id, reason=exc.strerror or str(exc)) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                self.files = 1
                yield
            finally:
                self.files = 0
                os.close(fd)
