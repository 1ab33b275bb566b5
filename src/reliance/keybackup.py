"""An encrypted backup of an identity's keys (`reliance identity backup FILE` and its restore).

For homes made before recovery phrases (one key, device and participant at once), this is the only way to
keep the identity beyond the machine; for newer ones it also keeps the device's own key. Format:

    b"RLKB\\x01" | salt (16) | nonce (12) | ChaCha20-Poly1305(key, nonce, msgpack payload, aad = magic)

with key = scrypt(passphrase, salt, n=2**15, r=8, p=1), both from `cryptography`. The payload is a map of
the identity's files (`device.key` and `participant.key` as unencrypted PKCS#8 PEM, `certificate`,
`profile.json`): restoring writes them back into an empty home, encrypted with that home's passphrase.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import msgpack
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from reliance.errors import DeviceError
from reliance.identity import (
    CERTIFICATE_FILE,
    KEY_FILE,
    PARTICIPANT_KEY_FILE,
    PROFILE_FILE,
    Identity,
    identity_dir,
    write_identity,
)
from reliance.packing import PackError, Shape, unpack

MAGIC = b"RLKB\x01"
MAX_BACKUP_BYTES = 64 * 1024  # a few keys, a certificate and a profile
MIN_PASSPHRASE = 8
_FIELDS = frozenset({KEY_FILE, PARTICIPANT_KEY_FILE, CERTIFICATE_FILE, PROFILE_FILE})


def _key(passphrase: bytes, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase)


def _pem(key: Ed25519PrivateKey | None) -> bytes | None:
    if key is None:
        return None
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def backup_bytes(home: Path, identity: Identity, passphrase: bytes) -> bytes:
    if len(passphrase) < MIN_PASSPHRASE:
        raise DeviceError("identity.backup_short")
    profile = json.loads((identity_dir(home) / PROFILE_FILE).read_text("utf-8"))
    payload = {
        KEY_FILE: _pem(identity.private_key),
        PARTICIPANT_KEY_FILE: _pem(identity.participant_private),
        CERTIFICATE_FILE: identity.certificate,
        PROFILE_FILE: json.dumps(profile).encode(),
    }
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = ChaCha20Poly1305(_key(passphrase, salt)).encrypt(nonce, msgpack.packb(payload), MAGIC)
    return MAGIC + salt + nonce + sealed


def restore_bytes(
    home: Path, data: bytes, passphrase: bytes, home_passphrase: bytes | None, label: str
) -> Identity:
    """Write the identity a backup holds into `home` (which must have none); DeviceError if it cannot."""
    if len(data) > MAX_BACKUP_BYTES or len(data) < len(MAGIC) + 28 + 16 or not data.startswith(MAGIC):
        raise DeviceError("identity.backup_bad", file=label)
    salt, nonce, sealed = data[5:21], data[21:33], data[33:]
    try:
        plain = ChaCha20Poly1305(_key(passphrase, salt)).decrypt(nonce, sealed, MAGIC)
    except InvalidTag:
        raise DeviceError("identity.backup_wrong") from None
    shape = Shape(
        max_str=MAX_BACKUP_BYTES, max_bin=MAX_BACKUP_BYTES, max_map=8, max_depth=1, memory_multiple=8
    )
    try:
        payload = unpack(plain, shape)
        if not isinstance(payload, dict) or set(payload) != _FIELDS:
            raise ValueError("fields")
        device = serialization.load_pem_private_key(payload[KEY_FILE], password=None)
        raw_participant = payload[PARTICIPANT_KEY_FILE]
        participant = (
            serialization.load_pem_private_key(raw_participant, password=None) if raw_participant else None
        )
        profile = json.loads(payload[PROFILE_FILE])
        certificate = payload[CERTIFICATE_FILE]
        if (
            not isinstance(device, Ed25519PrivateKey)
            or not (participant is None or isinstance(participant, Ed25519PrivateKey))
            or not isinstance(profile, dict)
            or not isinstance(profile.get("name"), str)
            or not (certificate is None or isinstance(certificate, bytes))
        ):
            raise ValueError("types")
    except (PackError, ValueError, TypeError, KeyError):
        raise DeviceError("identity.backup_bad", file=label) from None
    from reliance.certificate import CertificateError, decode_certificate

    participant_key: bytes | None = None
    device_name = str(profile.get("device_name") or "")
    if certificate is not None:
        try:
            found = decode_certificate(certificate)
        except CertificateError:
            raise DeviceError("identity.backup_bad", file=label) from None
        participant_key = found.participant
    write_identity(
        home,
        profile["name"],
        device,
        home_passphrase,
        participant=participant_key,
        participant_private=participant if isinstance(participant, Ed25519PrivateKey) else None,
        certificate=certificate,
        device_name=device_name,
        shows_participant=profile.get("handshake") != "device",
    )
    from reliance.identity import load_identity

    return load_identity(home, home_passphrase)
