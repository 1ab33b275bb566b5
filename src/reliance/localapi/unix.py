"""The owner's Unix socket: HOME/api.sock, mode 0600 in a 0700 home, never reached through a symbolic link.

Both ends check who is on the other side: the owner serves only its own user (SO_PEERCRED), and a client
connects only to a socket (not a link, not a file) that its own user made, served by its own user. A home
deeper than a socket address allows (108 bytes) is reached through /proc/self/fd.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import struct
from collections.abc import Iterator
from pathlib import Path

from reliance.errors import RelianceError
from reliance.localapi.protocol import UNAVAILABLE, ApiError

_MAX_ADDRESS = 100  # sun_path is 108 bytes with its terminating zero on Linux; keep a margin
SOCKET_MODE = 0o600


class NoOwner(ApiError):
    """No owner answers on this home's socket."""

    def __init__(self, key: str, /, *, field: str = "", **params: object) -> None:
        super().__init__(UNAVAILABLE, key, field=field, **params)


@contextlib.contextmanager
def _address(path: Path) -> Iterator[str]:
    text = os.fsdecode(path)
    if len(os.fsencode(text)) <= _MAX_ADDRESS:
        yield text
        return
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield f"/proc/self/fd/{fd}/{path.name}"
    finally:
        os.close(fd)


def peer_uid(sock: socket.socket) -> int | None:
    """The user id of the process at the other end (None where the platform cannot tell)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    data = sock.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", data)
    return int(uid)


def listen(path: Path, backlog: int = 128) -> socket.socket:
    """Bind and listen at `path` (the caller owns the home: an old socket or link there is replaced)."""
    home = os.stat(path.parent)
    if home.st_uid != os.getuid() or stat.S_IMODE(home.st_mode) & 0o077:
        raise RelianceError("localapi.error.home_mode", path=path.parent)
    try:
        existing = os.lstat(path)
    except FileNotFoundError:
        pass
    else:
        if not (stat.S_ISSOCK(existing.st_mode) or stat.S_ISLNK(existing.st_mode)):
            raise RelianceError("localapi.error.in_the_way", path=path)
        os.unlink(path)  # a socket a dead owner left, or a link: the link itself goes, never its target
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        with _address(path) as address:
            sock.bind(address)
        made = os.lstat(path)
        if not stat.S_ISSOCK(made.st_mode):
            raise RelianceError("localapi.error.replaced", path=path)
        os.chmod(path, SOCKET_MODE)
        sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def check_socket(path: Path) -> None:
    """NoOwner unless `path` is a socket (not a link) that this user made."""
    try:
        info = os.lstat(path)
    except OSError:
        raise NoOwner("localapi.error.no_owner") from None
    if not stat.S_ISSOCK(info.st_mode) or info.st_uid != os.getuid():
        raise NoOwner("localapi.error.not_our_socket", path=path)


def connect(path: Path, timeout: float) -> socket.socket:
    """A connected socket to the owner (blocking, with `timeout`), or NoOwner."""
    check_socket(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        with _address(path) as address:
            sock.connect(address)
        uid = peer_uid(sock)
        if uid is not None and uid != os.getuid():
            raise NoOwner("localapi.error.other_user")
    except OSError as exc:
        sock.close()
        raise NoOwner("localapi.error.no_answer", reason=exc.strerror or exc) from None
    except BaseException:
        sock.close()
        raise
    return sock
