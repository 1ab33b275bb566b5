"""Linking a device, the application's part: what the inviter grants and what the joiner does with it.

The exchange itself (the code, SPAKE2, the sealed messages) is `reliance.net.pairing`; identities,
certificates and the grant's contents are `reliance.app.devices`. Here they meet: the inviter's side turns a
proven request into the grant's bytes (run by the owner of the home when one runs: it writes the
certificate into the participant document), and the joiner's side makes the new device's key and builds
its home from the grant.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from reliance.app import devices
from reliance.app.workspace import Workspace
from reliance.identity import has_identity

__all__ = [
    "GrantMade",
    "can_join",
    "grant_bytes",
    "start_join",
    "take_grant",
    "take_grant_file",
    "write_grant",
]


@dataclass(frozen=True)
class GrantMade:
    grant: bytes  # the encoded DeviceGrant, as it travels to the joiner
    changed: tuple[str, ...]  # the documents the certificate was written to


def grant_bytes(ws: Workspace, device_name: str, device_key: bytes) -> GrantMade:
    """Certify `device_key` as `device_name` for this home's participant and encode what the new device
    starts with. Raises `DeviceError` when this device cannot certify (it lacks the participant key) or
    the name or key is refused."""
    grant = devices.grant_device(ws, device_key, device_name)
    return GrantMade(devices.encode_grant(grant), (ws.peer_id,))


GRANTS_DIR = "cache"  # under the home: a grant waiting for `device invite` to carry it
GRANT_PREFIX = "link-grant-"


def write_grant(ws: Workspace, device_name: str, device_key: bytes) -> tuple[str, tuple[str, ...]]:
    """`grant_bytes`, left in a private file of the home (0600) for the command that asked, which reads and
    removes it: a grant holds every document handed over (up to `device_grant_bytes`), more than a local
    API response carries. Returns the file's name (not a path: the reader finds it in its own home)."""
    from reliance.fsutil import private_dir, write_private

    made = grant_bytes(ws, device_name, device_key)
    directory = ws.home / GRANTS_DIR
    private_dir(directory)
    name = GRANT_PREFIX + secrets.token_hex(8)
    write_private(directory / name, made.grant, exclusive=True)
    return name, made.changed


def take_grant_file(home: Path, name: str) -> bytes:
    """The grant `write_grant` left, read once and removed; ValueError for a name it could not have made."""
    if not (name.startswith(GRANT_PREFIX) and len(name) == len(GRANT_PREFIX) + 16 and name.isascii()):
        raise ValueError(name)
    if not all(c in "0123456789abcdef" for c in name.removeprefix(GRANT_PREFIX)):
        raise ValueError(name)
    path = home / GRANTS_DIR / name
    try:
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)


def start_join(home: Path, passphrase: bytes | None) -> bytes:
    """The joiner's new device key, made and kept (encrypted with `passphrase`) before the exchange, so
    that its public half, returned, can be certified."""
    return devices.start_join(home, passphrase)


def take_grant(home: Path, grant: bytes, device_name: str, passphrase: bytes | None) -> Workspace:
    """Build this home from a grant received under the code: the device's certificate, the participant's
    documents. Raises `DeviceError` for a grant that does not read or does not certify this device's key."""
    from reliance.app import settings

    decoded = devices.decode_grant(grant, settings.load_limits(home))
    return devices.join_home(home, decoded, device_name, passphrase)


def can_join(home: Path) -> bool:
    """A home can join an identity only while it has none of its own."""
    return not has_identity(home)
