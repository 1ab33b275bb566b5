"""Small per-home settings files: configuration and blocked keys (JSON).

The app, the node and CLI processes may change them at once: every read-modify-write holds `flock` on
`HOME/settings.lock`, and the file is replaced atomically (a new file with a unique name, fsynced, renamed),
so that no change is lost and no reader ever sees half a file. A damaged file (edited by hand, a failing
disk) never stops a node: reading the configuration gives the defaults with one warning, and the next
write keeps the damaged file aside as `NAME.damaged` before it starts a new one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reliance.clock import SYSTEM_CLOCK, Clock
from reliance.errors import RelianceError
from reliance.fsutil import atomic_write, fsync_dir, open_private, private_dir
from reliance.identity import canonical_peer, decode_peer_id
from reliance.limits import Limits, limits_from
from reliance.model.messages import InputError

DEFAULT_CONFIG: dict[str, Any] = {
    "policy": "open",
    "port": 7447,
    "lang": "",
    "theme": "dark",
    "mdns": True,
    "announce": False,  # put one's peer id and name in the mDNS advert (off: no name, no stable identifier)
    "web": True,  # the node serves its web face to phones on the network (docs/web.md)
    "web_port": 7448,
    "web_tls": False,  # HTTPS with a self-signed certificate (its fingerprint is shown beside the QR)
}
SWITCHES = ("mdns", "announce", "web", "web_tls")
PORTS = ("port", "web_port")
CONFIG_CHOICES: dict[str, tuple[str, ...]] = {
    "policy": ("open", "known"),
    "lang": ("", "fr", "en"),
    "theme": ("dark", "light"),
}


LOCK_FILE = "settings.lock"
DAMAGED_SUFFIX = ".damaged"

log = logging.getLogger("reliance.app.settings")
_warned: set[tuple[str, int, int]] = set()  # damaged files already reported: (path, mtime, size)


class DamagedFile(RelianceError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__("app.settings.damaged", file=path.name, reason=reason)
        self.path = path
        self.reason = reason


def _read(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return default
    except (OSError, ValueError) as exc:
        raise DamagedFile(path, str(exc)) from None


def _warn_once(key: str, damaged: DamagedFile, **params: object) -> None:
    """One warning per damaged version of a file, however often it is read (the CLI reads the language
    from config.json for every line it prints)."""
    from reliance.i18n import resolve_lang, t

    try:
        info = damaged.path.stat()
        mark = (str(damaged.path), info.st_mtime_ns, info.st_size)
    except OSError:
        mark = (str(damaged.path), 0, 0)
    if mark in _warned:
        return
    _warned.add(mark)  # before logging: the CLI's warning handler reads the configuration itself
    log.warning("%s", t(key, resolve_lang(""), file=damaged.path.name, reason=damaged.reason, **params))


@contextlib.contextmanager
def settings_lock(home: Path) -> Iterator[None]:
    """Serialise read-modify-write of the settings files between the processes of one home (`flock`)."""
    private_dir(home)
    fd = open_private(home / LOCK_FILE, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _read_for_update(path: Path, default: Any) -> Any:
    """Under the lock: the current content, or, for a damaged file, the default once the damaged file
    was renamed to `NAME.damaged` (kept for whoever wants to recover it by hand)."""
    try:
        return _read(path, default)
    except DamagedFile as damaged:
        kept = path.with_name(path.name + DAMAGED_SUFFIX)
        os.replace(path, kept)
        fsync_dir(path.parent)
        _warn_once("settings.damaged_kept", damaged, kept=kept.name)
        return default


def _write(path: Path, value: Any) -> None:
    private_dir(path.parent)
    atomic_write(path, (json.dumps(value, indent=2, sort_keys=True) + "\n").encode())


def load_config(home: Path) -> dict[str, Any]:
    """The settings, each of its default's type and among its choices: a hand-edited or damaged value
    falls back to the default, so that callers can rely on `config["port"]` being a port number. A file
    that cannot be read at all gives the defaults (one warning), with the policy `known`: a damaged file
    never opens a node to strangers its owner meant to keep out."""
    try:
        stored = _read(home / "config.json", {})
    except DamagedFile as damaged:
        _warn_once("settings.config_damaged", damaged)
        return dict(DEFAULT_CONFIG) | {"policy": "known"}
    config = dict(DEFAULT_CONFIG)
    if isinstance(stored, dict):
        config.update({k: v for k, v in stored.items() if k in DEFAULT_CONFIG and _valid(k, v)})
    return config


def _valid(key: str, value: Any) -> bool:
    default = DEFAULT_CONFIG[key]
    if type(value) is not type(default):  # bool is not int here
        return False
    if key in PORTS:
        return bool(0 < value < 65536)
    return key not in CONFIG_CHOICES or value in CONFIG_CHOICES[key]


def default_export_dir() -> Path:
    """Where a face writes exports and bundles unless the person chooses another folder: their documents
    folder, else their home directory; never the directory the program happened to be started from."""
    import platformdirs

    found = Path(platformdirs.user_documents_dir())
    return found if found.is_dir() else Path.home()


def export_target(folder: str, name: str) -> Path:
    """The file `name` in `folder` (both as typed: `~` is the home directory). A name is a file name, never
    a path: it cannot send the file elsewhere; the folder must exist."""
    base = Path(folder.strip() or str(default_export_dir())).expanduser()
    file_name = Path(name.strip()).name
    if not file_name:
        raise InputError("settings.export_no_name", field="name")
    if not base.is_absolute():
        base = Path.home() / base  # relative to the home directory, never to the current one
    if not base.is_dir():
        raise InputError("settings.export_no_folder", field="folder", folder=str(base))
    return base / file_name


def config_text(key: str, value: Any) -> str:
    """A setting's value as `set_config` (and `reliance config set KEY VALUE`) takes it back: switches as
    on/off, an empty choice as '' (quoted as a shell reads it)."""
    if key in SWITCHES:
        return "on" if value else "off"
    text = str(value)
    return text if text else "''"


def set_config(home: Path, key: str, value: str) -> dict[str, Any]:
    if key not in DEFAULT_CONFIG:
        raise RelianceError("app.settings.unknown", setting=key, known=", ".join(sorted(DEFAULT_CONFIG)))
    parsed: Any = value
    if key in PORTS:
        if not value.isdigit() or not 0 < int(value) < 65536:
            raise RelianceError("app.settings.port", setting=key)
        parsed = int(value)
    elif key in SWITCHES:
        if value.lower() not in ("on", "off", "true", "false", "yes", "no"):
            raise RelianceError("app.settings.switch", setting=key)
        parsed = value.lower() in ("on", "true", "yes")
    elif key in CONFIG_CHOICES and value not in CONFIG_CHOICES[key]:
        raise RelianceError(
            "app.settings.choice", setting=key, known=", ".join(v or repr("") for v in CONFIG_CHOICES[key])
        )
    with settings_lock(home):
        stored = _read_for_update(home / "config.json", {})
        stored = stored if isinstance(stored, dict) else {}
        stored[key] = parsed
        _write(home / "config.json", stored)
    return load_config(home)


def load_limits(home: Path) -> Limits:
    """The limits and quotas of this home: the defaults, with positive integer overrides from
    config.json's `limits` map and then from `RELIANCE_LIMIT_<FIELD>` variables (`reliance.limits`)."""
    try:
        stored = _read(home / "config.json", {})
    except DamagedFile:
        stored = {}  # a damaged file never lifts a limit nor stops a node: the defaults hold
    overrides = stored.get("limits") if isinstance(stored, dict) else None
    return limits_from(overrides if isinstance(overrides, dict) else None)


def blocked_keys(home: Path) -> set[bytes]:
    data = _read(home / "blocks.json", [])
    keys: set[bytes] = set()
    for entry in data if isinstance(data, list) else []:
        try:
            keys.add(decode_peer_id(entry["peer_id"] if isinstance(entry, dict) else str(entry)))
        except (RelianceError, KeyError, TypeError):
            continue
    return keys


def blocked_keys_or(home: Path, fallback: set[bytes]) -> set[bytes]:
    """`blocked_keys`, or `fallback` (one warning) when the file cannot be read: a running node keeps the
    blocks it knew rather than stop, or let everyone in."""
    try:
        return blocked_keys(home)
    except DamagedFile as damaged:
        _warn_once("settings.blocks_damaged", damaged, count=len(fallback))
        return set(fallback)


def _entries(data: Any) -> list[dict[str, str]]:
    return [e for e in data if isinstance(e, dict) and "peer_id" in e] if isinstance(data, list) else []


def blocks(home: Path) -> list[dict[str, str]]:
    return _entries(_read(home / "blocks.json", []))


def block(home: Path, peer_id: str, reason: str = "", *, clock: Clock = SYSTEM_CLOCK) -> bool:
    text = canonical_peer(peer_id)
    with settings_lock(home):
        current = _entries(_read_for_update(home / "blocks.json", []))
        if any(e["peer_id"] == text for e in current):
            return False
        current.append({"peer_id": text, "since": clock.now_iso(), "reason": reason})
        _write(home / "blocks.json", current)
    return True


def unblock(home: Path, peer_id: str) -> bool:
    text = canonical_peer(peer_id)
    with settings_lock(home):
        current = _entries(_read_for_update(home / "blocks.json", []))
        kept = [e for e in current if e["peer_id"] != text]
        if len(kept) == len(current):
            return False
        _write(home / "blocks.json", kept)
    return True
