"""Who owns a home: the process holding an exclusive `flock` on HOME/owner.lock.

The owner is `reliance serve`, or the app when no `serve` runs on the home; or, when neither runs, a command
that writes the store itself (kind "cli": it holds the home for its length and serves no local API, so
that no `serve`, app or other command writes the home's documents meanwhile), or `reliance device invite`
for its duration (kind "invite": it serves the local API, its node neither listens nor dials). It takes the
lock before it
starts its node and keeps it until it exits (the kernel drops it when the process dies, even by kill -9: a
stale file never keeps a home owned). The file says who holds it (pid, kind), for messages only: the lock,
not the file's text, decides. Anyone can ask `current_owner` without disturbing the owner (a shared lock
taken and dropped at once: an owner starting at that instant tries again for a moment).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any

from reliance.fsutil import open_private

OWNER_LOCK = "owner.lock"
SOCKET_NAME = "api.sock"
OWNER_KINDS = ("serve", "app", "cli", "invite")  # invite: `device invite` on a home nobody else owned
_ACQUIRE_SECONDS = 1.0  # rides over a `current_owner` probe holding the lock for a few microseconds


class OwnerLock:
    """The exclusive lock of one home, held by this process while it owns the home."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, kind: str, wait: float = _ACQUIRE_SECONDS) -> bool:
        """Take the home (False when another process still owns it after `wait` seconds); write who we
        are in the file."""
        if self._fd is not None:
            return True
        fd = open_private(self.home / OWNER_LOCK, os.O_RDWR | os.O_CREAT)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return False
                time.sleep(0.02)
        self._fd = fd
        info = json.dumps({"pid": os.getpid(), "kind": kind, "since": time.time()}).encode()
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, info, 0)
        return True

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the flock
            self._fd = None


def current_owner(home: Path) -> dict[str, Any] | None:
    """Who owns `home` now ({"pid": ..., "kind": ...}, possibly empty while it writes them), or None."""
    try:
        fd = os.open(Path(home) / OWNER_LOCK, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None  # never owned since it was created: nobody holds it
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                data = json.loads(os.pread(fd, 4096, 0) or b"{}")
            except ValueError:
                data = {}
            if not isinstance(data, dict):
                data = {}
            return {
                "pid": data.get("pid") if type(data.get("pid")) is int else None,
                "kind": data.get("kind") if data.get("kind") in OWNER_KINDS else "",
            }
        except OSError:
            return None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def socket_path(home: Path) -> Path:
    return Path(home) / SOCKET_NAME
