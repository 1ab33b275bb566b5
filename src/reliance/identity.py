"""Device identity: an Ed25519 key on disk, its peer id and its fingerprint.

For now the participant key is the first device's key, so a participant is named by
the same 32 bytes that sign their changes and serve as their Automerge actor id.
"""

from __future__ import annotations

import base64
import contextlib
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
        raise PeerIdError("a peer key has 32 bytes")
    check = hashlib.sha256(b"reliance-peer-id" + key).digest()[:_CHECK_LEN]
    return PEER_ID_PREFIX + base64.b32encode(key + check).decode("ascii").rstrip("=").lower()


def decode_peer_id(text: str) -> bytes:
    """Parse a peer id (spaces, dashes and case are forgiven); a typo fails the check."""
    cleaned = "".join(text.split()).replace("-", "").lower()
    if not cleaned.startswith(PEER_ID_PREFIX):
        raise PeerIdError(f"not a peer id (it should start with '{PEER_ID_PREFIX}'): {text!r}")
    body = cleaned[len(PEER_ID_PREFIX) :].upper()
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except ValueError:
        raise PeerIdError(f"not a peer id (bad characters): {text!r}") from None
    if len(raw) != 32 + _CHECK_LEN:
        raise PeerIdError(f"not a peer id (wrong length): {text!r}")
    key, check = raw[:32], raw[32:]
    if hashlib.sha256(b"reliance-peer-id" + key).digest()[:_CHECK_LEN] != check:
        raise PeerIdError(f"peer id check failed, probably a typo: {text!r}")
    return key


def canonical_peer(text: str) -> str:
    """A peer id as typed (any case, spaces, dashes) in its stored form; a typo raises PeerIdError."""
    return encode_peer_id(decode_peer_id(text))


def fingerprint(key: bytes) -> str:
    """Short form to compare face to face: five groups of four hex digits."""
    digest = hashlib.sha256(b"reliance-fingerprint" + key).hexdigest()[:20].upper()
    return " ".join(digest[i : i + 4] for i in range(0, 20, 4))


def peer_fingerprint(peer_id: str) -> str:
    """The fingerprint of a peer id (what a person compares with the other's screen); "" if it is none."""
    try:
        return fingerprint(decode_peer_id(peer_id))
    except PeerIdError:
        return ""


def verify_signature(key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Identity:
    """This device's key pair and the participant's display name.

    A locked identity (`key` None, `public` given) is what a key behind a passphrase shows without it: who
    I am, enough to read the home, never to write, sign or connect (`private_key` and `sign` raise
    `IdentityLocked`)."""

    key: Ed25519PrivateKey | None
    name: str
    created: str
    public: bytes = b""

    @property
    def private_key(self) -> Ed25519PrivateKey:
        if self.key is None:
            raise IdentityLocked(
                "the key is protected by a passphrase: give --passphrase or --passphrase-file to write"
            )
        return self.key

    @property
    def public_key(self) -> bytes:
        if self.key is None:
            return self.public
        return self.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def locked(self) -> bool:
        return self.key is None

    @property
    def peer_id(self) -> str:
        return encode_peer_id(self.public_key)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


class IdentityLocked(IdentityError):
    """A write or a connection asked of an identity opened without its passphrase."""


def identity_dir(home: Path) -> Path:
    return home / "identity"


def has_identity(home: Path) -> bool:
    return (identity_dir(home) / KEY_FILE).exists()


CONTROL_IN_NAME = "a name cannot contain control or formatting characters (escape codes, direction marks)"


def has_control_characters(text: str) -> bool:
    """Control, format (bidi overrides among them), private-use or unassigned characters: what the
    handshake refuses in a name, and what would let a name show other than it is."""
    return any(unicodedata.category(ch)[0] == "C" for ch in text)


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise IdentityError("a name is needed (--name)")
    if len(name) > 80:
        raise IdentityError("the name is longer than 80 characters")
    if has_control_characters(name):
        raise IdentityError(CONTROL_IN_NAME)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise IdentityError("the name contains characters that are not valid text") from None
    return name


def create_identity(home: Path, name: str, passphrase: bytes | None = None) -> Identity:
    """Create the device key. Never replaces an existing one."""
    name = _check_name(name)
    directory = identity_dir(home)
    if (directory / KEY_FILE).exists():
        raise IdentityError(f"an identity already exists in {home}; it is never replaced")
    private_dir(directory)  # the home too, when this creates it
    os.chmod(directory, 0o700)
    key = Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    created = datetime.now(UTC).isoformat(timespec="seconds")
    write_private(directory / KEY_FILE, pem, exclusive=True)
    identity = Identity(key, name, created)
    # The peer id is public: kept beside the name so that reading the home never needs the passphrase.
    profile = {"name": name, "created": created, "encrypted": bool(passphrase), "peer_id": identity.peer_id}
    atomic_write(directory / PROFILE_FILE, json.dumps(profile, indent=2).encode())
    return identity


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
        raise IdentityError(f"cannot read the identity in {path.parent}: {exc}") from None
    if not isinstance(profile, dict):
        raise IdentityError(f"the profile in {path.parent} is damaged")
    if profile.get("name") == name:
        return
    profile["name"] = name
    try:
        atomic_write(path, json.dumps(profile, indent=2).encode(), mode)
    except OSError as exc:
        raise IdentityError(f"cannot write the profile in {path.parent}: {exc.strerror or exc}") from None


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
        raise IdentityError(f"no identity in {home} yet: run 'reliance init --name NAME' first")
    try:
        pem = key_path.read_bytes()
        profile = json.loads((directory / PROFILE_FILE).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise IdentityError(f"cannot read the identity in {directory}: {exc}") from None
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase or None)
    except TypeError:
        if passphrase:
            raise IdentityError("this key is not protected by a passphrase") from None
        raise IdentityError(
            "the key is protected by a passphrase: give --passphrase or --passphrase-file"
        ) from None
    except ValueError:
        raise IdentityError("wrong passphrase, or the key file is damaged") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise IdentityError("the key file does not hold an Ed25519 key")
    name = profile.get("name")
    created = profile.get("created", "")
    if not isinstance(name, str) or not isinstance(created, str):
        raise IdentityError(f"the profile in {directory} is damaged")
    identity = Identity(key, name, created)
    if isinstance(profile, dict) and profile.get("peer_id") != identity.peer_id:
        # A profile written by an older version (or edited): the key says who this is.
        with contextlib.suppress(OSError):
            mode = stat.S_IMODE((directory / PROFILE_FILE).stat().st_mode)
            profile["peer_id"] = identity.peer_id
            atomic_write(directory / PROFILE_FILE, json.dumps(profile, indent=2).encode(), mode)
    return identity


def load_public_identity(home: Path) -> Identity | None:
    """Who this home belongs to, read without the key: a locked identity from the profile's peer id and
    name; None when the profile does not say (written by an older version: the key must be opened once)."""
    try:
        profile = json.loads((identity_dir(home) / PROFILE_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(profile, dict):
        return None
    name, created, peer_id = profile.get("name"), profile.get("created", ""), profile.get("peer_id")
    if not isinstance(name, str) or not isinstance(created, str) or not isinstance(peer_id, str):
        return None
    try:
        public = decode_peer_id(peer_id)
    except PeerIdError:
        return None
    return Identity(None, name, created, public)


def change_passphrase(home: Path, current: bytes | None, new: bytes | None) -> None:
    """Protect the key with `new` (None or empty: no passphrase), opened with `current`. The key file is
    replaced atomically and stays 0600; the key itself, hence the peer id, does not change."""
    identity = load_identity(home, current)
    key = identity.private_key
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(new) if new else serialization.NoEncryption()
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    directory = identity_dir(home)
    path = directory / PROFILE_FILE
    try:
        profile = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise IdentityError(f"cannot read the identity in {directory}: {exc}") from None
    atomic_write(directory / KEY_FILE, pem)
    profile["encrypted"] = bool(new)
    profile["peer_id"] = identity.peer_id
    atomic_write(path, json.dumps(profile, indent=2).encode())
