"""Device identity: an Ed25519 key on disk, its peer id and its fingerprint.

For now the participant key is the first device's key, so a participant is named by
the same 32 bytes that sign their changes and serve as their Automerge actor id.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from reliance.errors import IdentityError, PeerIdError
from reliance.fsutil import atomic_write, private_dir, write_private

PEER_ID_PREFIX = "rl"
_CHECK_LEN = 3
KEY_FILE = "device.key"
PROFILE_FILE = "profile.json"


def encode_peer_id(key: bytes) -> str:
    """Text form of a public key: prefix, base32 of the key and a 3-byte check."""
    if len(key) != 32:
        raise PeerIdError("identity.error.key_length")
    check = hashlib.sha256(b"reliance-peer-id" + key).digest()[:_CHECK_LEN]
    return PEER_ID_PREFIX + base64.b32encode(key + check).decode("ascii").rstrip("=").lower()


def decode_peer_id(text: str) -> bytes:
    """Parse a peer id (spaces, dashes and case are forgiven); a typo fails the check."""
    cleaned = "".join(text.split()).replace("-", "").lower()
    if not cleaned.startswith(PEER_ID_PREFIX):
        raise PeerIdError("identity.error.prefix", prefix=PEER_ID_PREFIX, text=text[:120])
    body = cleaned[len(PEER_ID_PREFIX) :].upper()
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except ValueError:
        raise PeerIdError("identity.error.characters", text=text[:120]) from None
    if len(raw) != 32 + _CHECK_LEN:
        raise PeerIdError("identity.error.length", text=text[:120])
    key, check = raw[:32], raw[32:]
    if hashlib.sha256(b"reliance-peer-id" + key).digest()[:_CHECK_LEN] != check:
        raise PeerIdError("identity.error.check", text=text[:120])
    return key


def canonical_peer(text: str) -> str:
    """A peer id as typed (any case, spaces, dashes) in its stored form; a typo raises PeerIdError."""
    return encode_peer_id(decode_peer_id(text))


def fingerprint(key: bytes) -> str:
    """Short form to compare face to face: five groups of four hex digits."""
    digest = hashlib.sha256(b"reliance-fingerprint" + key).hexdigest()[:20].upper()
    return " ".join(digest[i : i + 4] for i in range(0, 20, 4))


def verify_signature(key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Identity:
    """This device's key pair and the participant's display name."""

    private_key: Ed25519PrivateKey
    name: str
    created: str

    @property
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def peer_id(self) -> str:
        return encode_peer_id(self.public_key)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


def identity_dir(home: Path) -> Path:
    return home / "identity"


def has_identity(home: Path) -> bool:
    return (identity_dir(home) / KEY_FILE).exists()


def has_control_characters(text: str) -> bool:
    """Control, format (bidi overrides among them), private-use or unassigned characters: what the
    handshake refuses in a name, and what would let a name show other than it is."""
    return any(unicodedata.category(ch)[0] == "C" for ch in text)


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise IdentityError("identity.error.no_name", field="name")
    if len(name) > 80:
        raise IdentityError("identity.error.name_length", field="name", most=80)
    if has_control_characters(name):
        raise IdentityError("app.workspace.control_in_name", field="name")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise IdentityError("identity.error.name_text", field="name") from None
    return name


def create_identity(home: Path, name: str, passphrase: bytes | None = None) -> Identity:
    """Create the device key. Never replaces an existing one."""
    name = _check_name(name)
    directory = identity_dir(home)
    if (directory / KEY_FILE).exists():
        raise IdentityError("identity.error.exists", home=home)
    private_dir(directory)  # the home too, when this creates it
    os.chmod(directory, 0o700)
    key = Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    created = datetime.now(UTC).isoformat(timespec="seconds")
    write_private(directory / KEY_FILE, pem, exclusive=True)
    profile = {"name": name, "created": created, "encrypted": bool(passphrase)}
    atomic_write(directory / PROFILE_FILE, json.dumps(profile, indent=2).encode())
    return Identity(key, name, created)


def set_profile_name(home: Path, name: str) -> None:
    """Rewrite the profile's name (what `whoami` shows and a new history starts with), keeping the rest.

    The file is replaced atomically and keeps its mode; a profile already holding `name` is left alone.
    """
    name = _check_name(name)
    path = identity_dir(home) / PROFILE_FILE
    try:
        profile = json.loads(path.read_text("utf-8"))
        mode = stat.S_IMODE(path.stat().st_mode)
    except (OSError, ValueError) as exc:
        raise IdentityError("identity.error.cannot_read", directory=path.parent, reason=exc) from None
    if not isinstance(profile, dict):
        raise IdentityError("identity.error.damaged", directory=path.parent)
    if profile.get("name") == name:
        return
    profile["name"] = name
    try:
        atomic_write(path, json.dumps(profile, indent=2).encode(), mode)
    except OSError as exc:
        raise IdentityError(
            "identity.error.cannot_write", directory=path.parent, reason=exc.strerror or exc
        ) from None


def key_is_encrypted(home: Path) -> bool:
    try:
        profile = json.loads((identity_dir(home) / PROFILE_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return bool(profile.get("encrypted"))


def load_identity(home: Path, passphrase: bytes | None = None) -> Identity:
    directory = identity_dir(home)
    key_path = directory / KEY_FILE
    if not key_path.exists():
        raise IdentityError("app.workspace.no_identity", home=home)
    try:
        pem = key_path.read_bytes()
        profile = json.loads((directory / PROFILE_FILE).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise IdentityError("identity.error.cannot_read", directory=directory, reason=exc) from None
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase or None)
    except TypeError:
        if passphrase:
            raise IdentityError("identity.error.not_protected") from None
        raise IdentityError("identity.error.protected") from None
    except ValueError:
        raise IdentityError("identity.error.wrong_passphrase") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise IdentityError("identity.error.not_ed25519")
    name = profile.get("name")
    created = profile.get("created", "")
    if not isinstance(name, str) or not isinstance(created, str):
        raise IdentityError("identity.error.damaged", directory=directory)
    return Identity(key, name, created)
