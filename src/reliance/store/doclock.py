"""The lock of one document in this process: reentrant for its threads.

There is no file lock beside it: one process writes a home at a time, its owner (`HOME/owner.lock`,
localapi/ownership.py), and every other process only reads, never cutting or rewriting a file
(docs/storage.md, "Crash guarantees" 5)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class DocLock:
    """The lock of one document in this process: reentrant, shared by every `StoredDoc` of that id."""

    __slots__ = ("__weakref__", "_users_lock", "thread_lock", "users")

    def __init__(self) -> None:
        self.thread_lock = threading.RLock()
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
