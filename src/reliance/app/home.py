"""Where a profile lives: --home, then RELIANCE_HOME, then the platform's user data directory."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import platformdirs


def resolve_home(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser().resolve()
    from_env = os.environ.get("RELIANCE_HOME")
    if from_env:
        return Path(from_env).expanduser().resolve()
    return Path(platformdirs.user_data_dir("reliance", appauthor=False))


# What a home holds: directories walked whole, and files at its top. Anything else found there (a file the
# user put in it) is left alone; so is whatever a symbolic link points to.
HOME_DIRECTORIES = ("docs", "identity", "logs", "cache")
HOME_FILES_SUFFIXES = (".json", ".lock", ".journal")


def tighten_home(home: Path) -> None:
    """Make an existing home its owner's alone: the home and its directories 0700, its files 0600.

    Homes written by older versions were world-readable (0755 / 0644). Called on every open: the home's own
    mode says whether it was (everything in it is created private since), so the walk through its files
    happens once, not on every command. It only removes permissions, and never follows a symbolic link.
    """
    from reliance.fsutil import DIR_MODE, FILE_MODE, remove_stale_temporaries

    loose = _tighten(home, DIR_MODE, directory=True)
    if loose is None:
        return
    if loose:
        for entry in _entries(home):
            if entry.is_dir(follow_symlinks=False) and entry.name in HOME_DIRECTORIES:
                for directory, dirs, files in os.walk(entry.path):
                    _tighten(Path(directory), DIR_MODE, directory=True)
                    for name in files:
                        _tighten(Path(directory) / name, FILE_MODE, directory=False)
                    dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(directory, d))]
            elif entry.is_file(follow_symlinks=False) and entry.name.endswith(HOME_FILES_SUFFIXES):
                _tighten(Path(entry.path), FILE_MODE, directory=False)
    # Settings written by a process killed mid-write; a minute old at least, so never one being written.
    remove_stale_temporaries(home, older_than=60.0)


def _entries(directory: Path) -> list[os.DirEntry[str]]:
    try:
        return list(os.scandir(directory))
    except OSError:
        return []


def _tighten(path: Path, mode: int, *, directory: bool) -> bool | None:
    """Drop the bits of `path` beyond `mode` if it is ours: True if there were some, False if not, None if it
    is not there or is something else (a symbolic link, a file where a directory should be). Opened without
    following links, then fchmod: a link swapped in meanwhile is never followed."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | (os.O_DIRECTORY if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not (stat.S_ISDIR(info.st_mode) if directory else stat.S_ISREG(info.st_mode)):
            return None
        current = stat.S_IMODE(info.st_mode)
        if not current & ~mode:
            return False
        if info.st_uid == os.getuid():
            os.fchmod(fd, current & mode)
        return True
    except OSError:
        return True
    finally:
        os.close(fd)
