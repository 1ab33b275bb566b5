"""Small per-home settings files: configuration, blocked keys, known peers (JSON, written atomically)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reliance.errors import RelianceError
from reliance.fsutil import atomic_write, private_dir
from reliance.identity import canonical_peer, decode_peer_id
from reliance.limits import Limits, limits_from

DEFAULT_CONFIG: dict[str, Any] = {
    "policy": "open",
    "port": 7447,
    "lang": "",
    "theme": "dark",
    "mdns": True,
    "announce": False,  # put one's peer id and name in the mDNS advert (off: no name, no stable identifier)
}
SWITCHES = ("mdns", "announce")
CONFIG_CHOICES: dict[str, tuple[str, ...]] = {
    "policy": ("open", "known"),
    "lang": ("", "fr", "en"),
    "theme": ("dark", "light"),
}


def _read(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return default
    except (OSError, ValueError) as exc:
        raise RelianceError(f"cannot read {path.name}: {exc}") from None


def _write(path: Path, value: Any) -> None:
    private_dir(path.parent)
    atomic_write(path, (json.dumps(value, indent=2, sort_keys=True) + "\n").encode())


def load_config(home: Path) -> dict[str, Any]:
    """The settings, each of its default's type and among its choices: a hand-edited or damaged value
    falls back to the default, so that callers can rely on `config["port"]` being a port number."""
    stored = _read(home / "config.json", {})
    config = dict(DEFAULT_CONFIG)
    if isinstance(stored, dict):
        config.update({k: v for k, v in stored.items() if k in DEFAULT_CONFIG and _valid(k, v)})
    return config


def _valid(key: str, value: Any) -> bool:
    default = DEFAULT_CONFIG[key]
    if type(value) is not type(default):  # bool is not int here
        return False
    if key == "port":
        return bool(0 < value < 65536)
    return key not in CONFIG_CHOICES or value in CONFIG_CHOICES[key]


def set_config(home: Path, key: str, value: str) -> dict[str, Any]:
    if key not in DEFAULT_CONFIG:
        raise RelianceError(f"unknown setting {key!r}; settings: {', '.join(sorted(DEFAULT_CONFIG))}")
    parsed: Any = value
    if key == "port":
        if not value.isdigit() or not 0 < int(value) < 65536:
            raise RelianceError("port is a number from 1 to 65535")
        parsed = int(value)
    elif key in SWITCHES:
        if value.lower() not in ("on", "off", "true", "false", "yes", "no"):
            raise RelianceError(f"{key} is on or off")
        parsed = value.lower() in ("on", "true", "yes")
    elif key in CONFIG_CHOICES and value not in CONFIG_CHOICES[key]:
        raise RelianceError(f"{key} is one of: {', '.join(v or repr('') for v in CONFIG_CHOICES[key])}")
    stored = _read(home / "config.json", {})
    stored = stored if isinstance(stored, dict) else {}
    stored[key] = parsed
    _write(home / "config.json", stored)
    return load_config(home)


def load_limits(home: Path) -> Limits:
    """The limits and quotas of this home: the defaults, with positive integer overrides from
    config.json's `limits` map and then from `RELIANCE_LIMIT_<FIELD>` variables (`reliance.limits`)."""
    try:
        stored = _read(home / "config.json", {})
    except RelianceError:
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


def blocks(home: Path) -> list[dict[str, str]]:
    data = _read(home / "blocks.json", [])
    return [e for e in data if isinstance(e, dict) and "peer_id" in e] if isinstance(data, list) else []


def block(home: Path, peer_id: str, reason: str = "") -> bool:
    text = canonical_peer(peer_id)
    current = blocks(home)
    if any(e["peer_id"] == text for e in current):
        return False
    from reliance.model.catalogue import now_iso

    current.append({"peer_id": text, "since": now_iso(), "reason": reason})
    _write(home / "blocks.json", current)
    return True


def unblock(home: Path, peer_id: str) -> bool:
    text = canonical_peer(peer_id)
    current = blocks(home)
    kept = [e for e in current if e["peer_id"] != text]
    if len(kept) == len(current):
        return False
    _write(home / "blocks.json", kept)
    return True
