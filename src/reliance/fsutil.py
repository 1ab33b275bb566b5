"""Durable, private file writes: fsync the data and the directory entry; modes 0600 and 0700 from creation
on; never write through a symbolic link.

Every file a home holds is created here (or with `open_private`), so that nothing is ever world-readable,
not even between its creation and a later chmod. Temporary files get unpredictable names and are created
with O_EXCL | O_NOFOLLOW: a link planted at a name we are about to write cannot redirect the write.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import time
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
TEMPORARY_SUFFIX = ".tmp"

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def private_dir(path: Path) -> None:
    """Create `path` and its missing parents as directories only their owner may enter (existing ones are
    left as they are: `home.tighten_home` deals with those of a home)."""
    missing: list[Path] = []
    current = path
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            os.mkdir(directory, DIR_MODE)
            os.chmod(directory, DIR_MODE)  # whatever the umask


def open_private(path: Path, flags: int, mode: int = FILE_MODE) -> int:
    """`os.open` for a file of the home: created with `mode`, never through a symbolic link (ELOOP)."""
    return os.open(path, flags | _NOFOLLOW | _CLOEXEC, mode)


class FileTooLarge(Exception):
    """A file read with `read_regular_file` holds more than it may."""


def read_regular_file(path: Path, most: int) -> bytes:
    """The bytes of a regular file of at most `most` bytes (FileTooLarge beyond, checked before reading
    and while reading). A pipe, a device or a directory is refused (OSError) without waiting on it: a
    process that reads a file named by someone else (the owner, for a local client) never blocks on it."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | _CLOEXEC)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if info.st_size > most:
            raise FileTooLarge(path)
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, min(1 << 20, most + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > most:  # it grew since
                raise FileTooLarge(path)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def temporary_name(path: Path) -> Path:
    """A fresh, unguessable name beside `path`, hidden and recognisable as a leftover if we die."""
    return path.with_name(f".{path.name}.{secrets.token_hex(8)}{TEMPORARY_SUFFIX}")


def atomic_write(path: Path, data: bytes, mode: int = FILE_MODE, *, exact_mode: bool = True) -> None:
    """Write to a new temporary file, fsync it, rename it over `path`, fsync the directory: `path` holds
    either its old content or all of `data`, whatever happens midway (a full disk, a pulled USB stick).

    The rename replaces a symbolic link at `path` itself; it never writes where the link points.
    `exact_mode=False` is for files outside the home (an export on a FAT stick, which refuses chmod):
    the file is created with `mode` (less the umask) and not changed afterwards.
    """
    tmp = temporary_name(path)
    fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        try:
            if exact_mode:
                os.fchmod(fd, mode)  # exactly `mode`, whatever the umask
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def write_private(path: Path, data: bytes, *, exclusive: bool) -> None:
    """Write a secret file readable by its owner only (mode 0600 from creation on)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = open_private(path, flags)
    try:
        os.fchmod(fd, FILE_MODE)
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(path.parent)


def remove_stale_temporaries(directory: Path, older_than: float = 0.0) -> int:
    """Delete temporary files a killed writer left in `directory` (only those at least `older_than`
    seconds old: a writer in another process may be using a fresh one). Returns how many."""
    removed = 0
    now = time.time()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return 0
    for entry in entries:
        if not (entry.name.startswith(".") and entry.name.endswith(TEMPORARY_SUFFIX)):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and now - info.st_mtime >= older_than:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue
    return removed
