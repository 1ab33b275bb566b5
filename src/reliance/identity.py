"""Identity: a participant key, this device's key, their peer ids and fingerprints.

A participant is named by their participant key (its peer id names them everywhere). Each device has its own
key, the Automerge actor of what it writes, certified by the participant key (`reliance.certificate`).
Files in `identity/` (docs/identity.md):

- `device.key`: this device's Ed25519 key (PEM, encrypted with the passphrase if one was given);
- `participant.key`: the participant key's secret, on the devices that keep it (the first one, a recovered
  one), encrypted like `device.key`; a linked device has none;
- `certificate`: this device's certificate, signed by the participant key;
- `profile.json`: {name, created, encrypted, participant?: peer id, device_name?}.

A home made before participant keys has `device.key` only: its key is its participant key too (an identity
with one device, no certificate, no recovery phrase).
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

from reliance.errors import DeviceError, IdentityError, PeerIdError
from reliance.fsutil import atomic_write, private_dir, write_private

PEER_ID_PREFIX = "rl"
_CHECK_LEN = 3
KEY_FILE = "device.key"
PARTICIPANT_KEY_FILE = "participant.key"
CERTIFICATE_FILE = "certificate"
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


def peer_fingerprint(peer_id: str) -> str:
    """The fingerprint of a peer id (what a person compares with the other's screen); "" if it is none."""
    try:
        return fingerprint(decode_peer_id(peer_id))
    except PeerIdError:
        return ""


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def verify_signature(key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Identity:
    """This device's key pair, the participant it writes for, and the participant's display name.

    `participant` is None when the device key is the participant key (a home made before participant keys,
    or a test identity); `participant_private` is the participant key's secret where this device keeps it;
    `certificate` the participant key's certificate of this device (None for a device that is its
    participant).

    A locked identity (`key` None, `public` given) is what a key behind a passphrase shows without it: who
    I am, enough to read the home, never to write, sign or connect (`private_key` and `sign` raise
    `IdentityLocked`)."""

    key: Ed25519PrivateKey | None
    name: str
    created: str
    participant: bytes | None = None
    participant_private: Ed25519PrivateKey | None = None
    certificate: bytes | None = None
    device_name: str = ""
    shows_participant: bool = (
        True  # in the handshake, where it keeps the participant key (not a recovered one)
    )
    public: bytes = b""

    @property
    def private_key(self) -> Ed25519PrivateKey:
        if self.key is None:
            raise IdentityLocked("identity.error.locked")
        return self.key

    @property
    def locked(self) -> bool:
        return self.key is None

    @property
    def public_key(self) -> bytes:
        """This device's key: the Automerge actor of its changes."""
        if self.key is None:
            return self.public
        return public_bytes(self.key)

    @property
    def participant_key(self) -> bytes:
        return self.participant if self.participant is not None else self.public_key

    @property
    def peer_id(self) -> str:
        """The participant's peer id (the same on every device of theirs)."""
        return encode_peer_id(self.participant_key)

    @property
    def device_id(self) -> str:
        return encode_peer_id(self.public_key)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.participant_key)

    @property
    def device_fingerprint(self) -> str:
        return fingerprint(self.public_key)

    @property
    def holds_participant_key(self) -> bool:
        return self.participant is None or self.participant_private is not None

    @property
    def participant_signer(self) -> Ed25519PrivateKey | None:
        """The participant key's secret, if this device holds it."""
        return self.private_key if self.participant is None else self.participant_private

    @property
    def network_private_key(self) -> Ed25519PrivateKey:
        """The key this device shows peers in the handshake: the participant key on the device that made the
        identity (peers know the participant by it), its own key on any other (a linked or recovered device:
        two live devices showing one key would take each other for themselves)."""
        signer = self.participant_signer
        return signer if signer is not None and self.shows_participant else self.private_key

    @property
    def network_key(self) -> bytes:
        return public_bytes(self.network_private_key)

    @property
    def network_certificate(self) -> bytes | None:
        """What the handshake carries beside the key it shows: this device's certificate when that key is
        the device's own (peers then know it as its participant), else nothing."""
        if self.certificate is None or self.network_key != self.public_key:
            return None
        return self.certificate

    def sign(self, change_hash: bytes) -> bytes:
        """The proof of a change made on this device: its signature, with the certificate if any."""
        if self.certificate is None:
            return self.private_key.sign(change_hash)
        from reliance.certificate import sign_change

        return sign_change(self.private_key, self.certificate, change_hash)


class IdentityLocked(IdentityError):
    """A write or a connection asked of an identity opened without its passphrase."""


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


PHRASE_WORDS = 24
_PHRASE_KEY_INFO = b"reliance participant key v1"


def new_phrase() -> str:
    """A fresh recovery phrase: 24 BIP-39 English words (256 bits of entropy)."""
    from mnemonic import Mnemonic

    return str(Mnemonic("english").generate(strength=256))


def normalise_phrase(text: str) -> str:
    """The phrase as typed (any case, spaces, line breaks), checked: 24 known words and their checksum."""
    from mnemonic import Mnemonic

    words = text.lower().split()
    if len(text) > 1024 or len(words) != PHRASE_WORDS:
        raise DeviceError("identity.phrase_words", count=PHRASE_WORDS)
    phrase = " ".join(words)
    mnemo = Mnemonic("english")
    unknown = [word for word in words if word not in mnemo.wordlist]
    if unknown:
        raise DeviceError("identity.phrase_unknown_word", word=unknown[0][:20])
    if not mnemo.check(phrase):
        raise DeviceError("identity.phrase_checksum")
    return phrase


def participant_key_from_phrase(text: str) -> Ed25519PrivateKey:
    """The participant key a recovery phrase stands for: BIP-39's seed (PBKDF2-HMAC-SHA512), then HKDF-SHA256
    to the 32 bytes of an Ed25519 secret."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from mnemonic import Mnemonic

    seed = Mnemonic.to_seed(normalise_phrase(text))
    secret = HKDF(hashes.SHA256(), 32, salt=None, info=_PHRASE_KEY_INFO).derive(seed)
    return Ed25519PrivateKey.from_private_bytes(secret)


def _encryption(passphrase: bytes | None) -> serialization.KeySerializationEncryption:
    return serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()


def _key_pem(key: Ed25519PrivateKey, passphrase: bytes | None) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, _encryption(passphrase)
    )


def _now() -> datetime:
    return datetime.now(UTC)


def write_identity(
    home: Path,
    name: str,
    device_key: Ed25519PrivateKey,
    passphrase: bytes | None,
    *,
    participant: bytes | None = None,
    participant_private: Ed25519PrivateKey | None = None,
    certificate: bytes | None = None,
    device_name: str = "",
    shows_participant: bool = True,
) -> Identity:
    """Write a new identity's files (never over an existing one). `participant` None: the device key is the
    participant key (the layout of homes made before participant keys). `shows_participant` False: the
    handshake shows the device's own key even where the participant key is kept (a recovered device)."""
    name = _check_name(name)
    directory = identity_dir(home)
    if (directory / KEY_FILE).exists():
        raise IdentityError("identity.error.exists", home=home)
    private_dir(directory)  # the home too, when this creates it
    os.chmod(directory, 0o700)
    created = _now().isoformat(timespec="seconds")
    if participant_private is not None:
        write_private(
            directory / PARTICIPANT_KEY_FILE, _key_pem(participant_private, passphrase), exclusive=True
        )
    if certificate is not None:
        write_private(directory / CERTIFICATE_FILE, certificate, exclusive=True)
    # The peer id (and this device's key) are public: kept beside the name so that reading the home never
    # needs the passphrase.
    device_public = public_bytes(device_key)
    profile: dict[str, object] = {
        "name": name,
        "created": created,
        "encrypted": bool(passphrase),
        "peer_id": encode_peer_id(participant if participant is not None else device_public),
        "device": encode_peer_id(device_public),
    }
    if participant is not None:
        profile["participant"] = encode_peer_id(participant)
        profile["device_name"] = device_name
        if not shows_participant:
            profile["handshake"] = "device"
    atomic_write(directory / PROFILE_FILE, json.dumps(profile, indent=2).encode())
    # The device key last: its presence is what says an identity is here.
    write_private(directory / KEY_FILE, _key_pem(device_key, passphrase), exclusive=True)
    return Identity(
        device_key,
        name,
        created,
        participant,
        participant_private,
        certificate,
        device_name,
        shows_participant,
    )


def default_device_name() -> str:
    import socket

    name = "".join(ch for ch in socket.gethostname() if not unicodedata.category(ch).startswith("C"))
    return name.strip()[:80] or "device"


def check_name(name: str) -> str:
    """A participant's name as stored: trimmed, 1..80 characters, no control characters (IdentityError)."""
    return _check_name(name)


def create_identity_with_phrase(
    home: Path,
    name: str,
    passphrase: bytes | None = None,
    *,
    device_name: str | None = None,
    phrase: str = "",
) -> tuple[Identity, str]:
    """A new participant: a recovery phrase, the participant key it stands for, this device's own key and
    its certificate. Returns the identity and the phrase (shown once, never stored)."""
    from reliance.certificate import make_certificate

    _check_name(name)
    if (identity_dir(home) / KEY_FILE).exists():
        raise IdentityError("identity.error.exists", home=home)
    phrase = phrase or new_phrase()
    participant_private = participant_key_from_phrase(phrase)
    device_key = Ed25519PrivateKey.generate()
    device = device_name or default_device_name()
    certificate = make_certificate(
        participant_private, public_bytes(device_key), device, int(_now().timestamp())
    )
    identity = write_identity(
        home,
        name,
        device_key,
        passphrase,
        participant=public_bytes(participant_private),
        participant_private=participant_private,
        certificate=certificate,
        device_name=device.strip(),
    )
    return identity, phrase


def create_identity(
    home: Path, name: str, passphrase: bytes | None = None, *, device_name: str | None = None
) -> Identity:
    """Create the identity (participant key, device key, certificate). Never replaces an existing one."""
    return create_identity_with_phrase(home, name, passphrase, device_name=device_name)[0]


def create_single_key_identity(home: Path, name: str, passphrase: bytes | None = None) -> Identity:
    """An identity whose one key is device and participant key at once: the layout of homes made before
    participant keys (kept for tests that build such a home, and what those homes still are)."""
    return write_identity(home, name, Ed25519PrivateKey.generate(), passphrase)


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


def _load_key(path: Path, passphrase: bytes | None) -> Ed25519PrivateKey:
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise IdentityError("identity.error.cannot_read", directory=path.parent, reason=exc) from None
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
    return key


def load_identity(home: Path, passphrase: bytes | None = None) -> Identity:
    directory = identity_dir(home)
    key_path = directory / KEY_FILE
    if not key_path.exists():
        raise IdentityError("app.workspace.no_identity", home=home)
    try:
        profile = json.loads((directory / PROFILE_FILE).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise IdentityError("identity.error.cannot_read", directory=directory, reason=exc) from None
    key = _load_key(key_path, passphrase)
    if not isinstance(profile, dict):
        raise IdentityError("identity.error.damaged", directory=directory)
    name = profile.get("name")
    created = profile.get("created", "")
    if not isinstance(name, str) or not isinstance(created, str):
        raise IdentityError("identity.error.damaged", directory=directory)
    participant_id = profile.get("participant")
    if participant_id is None:
        identity = Identity(key, name, created)
    else:
        identity = _load_device_identity(directory, key, name, created, profile, passphrase)
    device_id = encode_peer_id(identity.public_key)
    if profile.get("peer_id") != identity.peer_id or profile.get("device") != device_id:
        # A profile written by an older version (or edited): the keys say who this is.
        with contextlib.suppress(OSError):
            mode = stat.S_IMODE((directory / PROFILE_FILE).stat().st_mode)
            profile["peer_id"] = identity.peer_id
            profile["device"] = device_id
            atomic_write(directory / PROFILE_FILE, json.dumps(profile, indent=2).encode(), mode)
    return identity


def _load_device_identity(
    directory: Path,
    key: Ed25519PrivateKey,
    name: str,
    created: str,
    profile: dict[str, object],
    passphrase: bytes | None,
) -> Identity:
    from reliance.certificate import CertificateError, decode_certificate

    participant_id = profile.get("participant")
    device_name = profile.get("device_name", "")
    try:
        if not isinstance(participant_id, str) or not isinstance(device_name, str):
            raise PeerIdError("damaged")
        participant = decode_peer_id(participant_id)
        certificate = decode_certificate((directory / CERTIFICATE_FILE).read_bytes())
    except (OSError, PeerIdError, CertificateError):
        raise IdentityError("identity.error.damaged", directory=directory) from None
    if certificate.participant != participant or certificate.device != public_bytes(key):
        raise IdentityError("identity.error.not_this_device", directory=directory)
    participant_private = None
    if (directory / PARTICIPANT_KEY_FILE).exists():
        participant_private = _load_key(directory / PARTICIPANT_KEY_FILE, passphrase)
        if public_bytes(participant_private) != participant:
            raise IdentityError("identity.error.not_this_identity", directory=directory)
    shows = profile.get("handshake") != "device"
    return Identity(key, name, created, participant, participant_private, certificate.raw, device_name, shows)


def load_public_identity(home: Path) -> Identity | None:
    """Who this home belongs to, read without the keys: a locked identity from the profile's peer id, device
    key and name; None when the profile does not say (written by an older version: the key must be opened
    once)."""
    try:
        profile = json.loads((identity_dir(home) / PROFILE_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(profile, dict):
        return None
    fields = [profile.get(k) for k in ("name", "peer_id", "device")]
    fields += [profile.get("created", ""), profile.get("device_name", "")]
    if not all(isinstance(v, str) for v in fields):
        return None
    name, peer_id, device_id, created, device_name = (str(v) for v in fields)
    try:
        participant = decode_peer_id(peer_id)
        device = decode_peer_id(device_id)
    except PeerIdError:
        return None
    if "participant" not in profile:
        if participant != device:
            return None
        return Identity(None, name, created, public=device)
    return Identity(
        None,
        name,
        created,
        participant,
        device_name=device_name,
        shows_participant=profile.get("handshake") != "device",
        public=device,
    )


def change_passphrase(home: Path, current: bytes | None, new: bytes | None) -> None:
    """Protect the keys with `new` (None or empty: no passphrase), opened with `current`. Each key file is
    replaced atomically and stays 0600; the keys themselves, hence the peer id, do not change."""
    identity = load_identity(home, current)
    directory = identity_dir(home)
    path = directory / PROFILE_FILE
    try:
        profile = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise IdentityError("identity.error.cannot_read", directory=directory, reason=exc) from None
    if identity.participant_private is not None:
        atomic_write(directory / PARTICIPANT_KEY_FILE, _key_pem(identity.participant_private, new))
    atomic_write(directory / KEY_FILE, _key_pem(identity.private_key, new))
    profile["encrypted"] = bool(new)
    profile["peer_id"] = identity.peer_id
    profile["device"] = encode_peer_id(identity.public_key)
    atomic_write(path, json.dumps(profile, indent=2).encode())
