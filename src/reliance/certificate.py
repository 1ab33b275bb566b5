"""Device certificates and revocations: how a participant key vouches for the device keys that write for it.

A participant key (Ed25519, from a recovery phrase) never writes a change itself on a new home: each device
has its own key, the Automerge actor of what it writes. The participant key signs a *certificate* for each
device key (the device's key, its name, the time), and may later sign a *revocation* of it. Both are small
fixed binary layouts, read with every length checked before use and verified with `cryptography`'s Ed25519.

Certificate (canonical: exactly one encoding per content):
    b"RLDC\\x01" | participant key (32) | device key (32) | created (8, big-endian seconds since the epoch)
    | name length (1) | name (UTF-8, 1..255 bytes, at most 80 characters, no control characters)
    | participant signature (64) over CERT_CONTEXT + everything before it
Revocation (version 2; version 1, without the kept changes, is still read):
    b"RLDR\\x02" | participant key (32) | device key (32) | at (8) | count (2, big-endian)
    | count x (document id length (1) | document id (ASCII) | kept (4, big-endian))
    | participant signature (64) over REVOCATION_CONTEXT + everything before it
  The *kept* entries say which of the device's changes the revocation keeps: in each document named, its
  first `kept` changes (a device's history in a document is one line); in any other document, none. They
  are what the revoking device held when it revoked: exactly the changes causally before the revocation.
  Entries are sorted by document id, each named once, with kept >= 1.

A change's *proof* (what travels and is stored beside it where a signature was): the 64-byte signature,
followed by the device's certificate when its author is a certified device. A certified device signs
DEVICE_CONTEXT + participant key + change hash, so the certificate cannot be swapped for another one by a
relay; a participant's own key (the first device of a home made before certificates) signs the hash alone.
"""

from __future__ import annotations

import re
import struct
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reliance.errors import DeviceError
from reliance.identity import has_control_characters, public_bytes, verify_signature
from reliance.limits import DEFAULT_LIMITS, Limits

CERT_MAGIC = b"RLDC\x01"
REVOCATION_MAGIC = b"RLDR\x01"  # version 1: no kept changes (`Revocation.kept` is None)
REVOCATION_MAGIC_V2 = b"RLDR\x02"
CERT_CONTEXT = b"reliance-device-certificate-v1"
REVOCATION_CONTEXT = b"reliance-device-revocation-v1"
DEVICE_CONTEXT = b"reliance-device-change-v1"
SIGNATURE_BYTES = 64
NAME_MAX_CHARS = 80
NAME_MAX_BYTES = 255
_FIXED = len(CERT_MAGIC) + 32 + 32 + 8 + 1
MIN_CERTIFICATE_BYTES = _FIXED + 1 + SIGNATURE_BYTES
MAX_CERTIFICATE_BYTES = _FIXED + NAME_MAX_BYTES + SIGNATURE_BYTES
REVOCATION_BYTES = len(REVOCATION_MAGIC) + 32 + 32 + 8 + SIGNATURE_BYTES  # version 1
_REVOCATION_HEAD = len(REVOCATION_MAGIC_V2) + 32 + 32 + 8 + 2
_KEPT_ID_MAX = 64  # document ids are "rl…" peer ids and "pj…" project ids, well under this
_KEPT_ID = re.compile(rb"[a-z0-9]{1,64}")
MAX_PROOF_BYTES = SIGNATURE_BYTES + MAX_CERTIFICATE_BYTES
_TIME_MAX = 1 << 40  # seconds: far beyond any real date, and a bound on what a reader formats


class CertificateError(DeviceError):
    """A certificate or revocation that is malformed, or whose signature does not hold."""


@dataclass(frozen=True)
class DeviceCertificate:
    participant: bytes
    device: bytes
    created: int
    name: str
    raw: bytes


@dataclass(frozen=True)
class Revocation:
    participant: bytes
    device: bytes
    at: int
    raw: bytes
    # document id -> how many of the device's first changes there the revocation keeps (absent: none);
    # None for a version 1 revocation, which names none (see docs/identity.md)
    kept: Mapping[str, int] | None = None


def max_revocation_bytes(limits: Limits = DEFAULT_LIMITS) -> int:
    """The largest revocation read: `revocation_documents` kept entries."""
    return _REVOCATION_HEAD + limits.revocation_documents * (1 + _KEPT_ID_MAX + 4) + SIGNATURE_BYTES


def check_device_name(name: str) -> str:
    """A device name as a certificate holds it: trimmed, 1..80 characters, no control characters."""
    name = name.strip()
    if not name or len(name) > NAME_MAX_CHARS or has_control_characters(name):
        raise CertificateError("device.bad_name")
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        raise CertificateError("device.bad_name") from None
    if len(encoded) > NAME_MAX_BYTES:
        raise CertificateError("device.bad_name")
    return name


def make_certificate(participant: Ed25519PrivateKey, device: bytes, name: str, created: int) -> bytes:
    if len(device) != 32:
        raise CertificateError("device.bad_key")
    name = check_device_name(name)
    if not 0 <= created < _TIME_MAX:
        raise CertificateError("device.bad_certificate")
    participant_key = public_bytes(participant)
    if participant_key == device:
        raise CertificateError("device.bad_key")
    encoded = name.encode("utf-8")
    body = (
        CERT_MAGIC + participant_key + device + struct.pack(">Q", created) + bytes([len(encoded)]) + encoded
    )
    return body + participant.sign(CERT_CONTEXT + body)


def make_revocation(
    participant: Ed25519PrivateKey,
    device: bytes,
    at: int,
    kept: Mapping[str, int] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> bytes:
    """A revocation of `device` that keeps, in each document of `kept`, the device's first changes there
    (those the revoking device holds: causally before the revocation)."""
    if len(device) != 32 or not 0 <= at < _TIME_MAX:
        raise CertificateError("device.bad_key")
    entries = sorted((doc_id, count) for doc_id, count in (kept or {}).items() if count > 0)
    if len(entries) > limits.revocation_documents:
        raise CertificateError("device.bad_revocation")
    body = bytearray(REVOCATION_MAGIC_V2 + public_bytes(participant) + device + struct.pack(">Q", at))
    body += struct.pack(">H", len(entries))
    for doc_id, count in entries:
        encoded = doc_id.encode("ascii")
        if not _KEPT_ID.fullmatch(encoded) or count >= 1 << 32:
            raise CertificateError("device.bad_revocation")
        body += bytes([len(encoded)]) + encoded + struct.pack(">I", count)
    return bytes(body) + participant.sign(REVOCATION_CONTEXT + bytes(body))


def decode_certificate(raw: object) -> DeviceCertificate:
    """Read and verify a certificate; anything else raises CertificateError (never another exception)."""
    if not isinstance(raw, bytes) or not MIN_CERTIFICATE_BYTES <= len(raw) <= MAX_CERTIFICATE_BYTES:
        raise CertificateError("device.bad_certificate")
    found = _verified_certificate(raw)
    if found is None:
        raise CertificateError("device.bad_certificate")
    return found


@lru_cache(maxsize=4096)
def _verified_certificate(raw: bytes) -> DeviceCertificate | None:
    """The certificate if it is well formed and its signature holds (memoised: a device's certificate comes
    with each of its changes, and Ed25519 costs ~130 µs)."""
    if raw[: len(CERT_MAGIC)] != CERT_MAGIC:
        return None
    start = len(CERT_MAGIC)
    participant = raw[start : start + 32]
    device = raw[start + 32 : start + 64]
    (created,) = struct.unpack(">Q", raw[start + 64 : start + 72])
    length = raw[start + 72]
    if length == 0 or len(raw) != _FIXED + length + SIGNATURE_BYTES or created >= _TIME_MAX:
        return None
    body = raw[: _FIXED + length]
    try:
        name = body[_FIXED:].decode("utf-8")
        if check_device_name(name) != name:
            return None  # one encoding per content: the name is stored trimmed
    except (UnicodeDecodeError, CertificateError):
        return None
    if participant == device:
        return None
    if not verify_signature(participant, raw[len(body) :], CERT_CONTEXT + body):
        return None
    return DeviceCertificate(participant, device, created, name, raw)


def decode_revocation(raw: object, limits: Limits = DEFAULT_LIMITS) -> Revocation:
    """Read and verify a revocation (either version); anything else raises CertificateError."""
    if not isinstance(raw, bytes) or not REVOCATION_BYTES <= len(raw) <= max_revocation_bytes(limits):
        raise CertificateError("device.bad_revocation")
    key = (raw, limits.revocation_documents)
    found = _VERIFIED_REVOCATIONS.get(key)
    if found is None:
        found = _verified_revocation(raw, limits.revocation_documents)
        if found is None:
            raise CertificateError("device.bad_revocation")
        with _VERIFIED_LOCK:  # the node's worker and the app's store thread both read revocations
            if len(_VERIFIED_REVOCATIONS) >= _VERIFIED_REVOCATIONS_MOST:
                _VERIFIED_REVOCATIONS.pop(next(iter(_VERIFIED_REVOCATIONS)))
            _VERIFIED_REVOCATIONS[key] = found
    return found


# The door and the effective views read the same few revocations again and again. Only verified ones are
# kept: a peer's forged or damaged blobs (up to max_revocation_bytes each) would otherwise fill the memo.
_VERIFIED_REVOCATIONS: dict[tuple[bytes, int], Revocation] = {}
_VERIFIED_REVOCATIONS_MOST = 256
_VERIFIED_LOCK = threading.Lock()


def _verified_revocation(raw: bytes, most: int) -> Revocation | None:
    """The revocation if it is well formed, in its one encoding, and its signature holds."""
    magic = raw[:5]
    participant, device = raw[5:37], raw[37:69]
    (at,) = struct.unpack(">Q", raw[69:77])
    if at >= _TIME_MAX:
        return None
    if magic == REVOCATION_MAGIC:
        if len(raw) != REVOCATION_BYTES:
            return None
        end, kept = 77, None
    elif magic == REVOCATION_MAGIC_V2:
        entries = _kept_entries(raw, most)
        if entries is None:
            return None
        end, kept = entries
    else:
        return None
    if len(raw) != end + SIGNATURE_BYTES or not verify_signature(
        participant, raw[end:], REVOCATION_CONTEXT + raw[:end]
    ):
        return None
    return Revocation(participant, device, at, raw, kept)


def revocation_length(start: bytes, limits: Limits = DEFAULT_LIMITS) -> int | None:
    """How long the revocation that begins `start` is, as its layout says (version 1: fixed; version 2:
    read from its kept entries, at most `revocation_documents`); None if `start` cannot begin one."""
    magic = start[:5]
    if magic == REVOCATION_MAGIC:
        return REVOCATION_BYTES
    if magic != REVOCATION_MAGIC_V2:
        return None
    entries = _kept_entries(start, limits.revocation_documents)
    return entries[0] + SIGNATURE_BYTES if entries is not None else None


def _kept_entries(raw: bytes, most: int) -> tuple[int, dict[str, int]] | None:
    """The end of the kept entries of a version 2 revocation, and the entries; None if malformed."""
    if len(raw) < _REVOCATION_HEAD + SIGNATURE_BYTES:
        return None
    (count,) = struct.unpack(">H", raw[77:79])
    if count > most:
        return None
    position, kept, previous = 79, {}, b""
    for _ in range(count):
        length = raw[position] if position < len(raw) else 0
        encoded = raw[position + 1 : position + 1 + length]
        position += 1 + length
        number = raw[position : position + 4]
        position += 4
        if len(encoded) != length or len(number) != 4 or not _KEPT_ID.fullmatch(encoded):
            return None
        if encoded <= previous:
            return None  # sorted, each once: one encoding per content
        (value,) = struct.unpack(">I", number)
        if value == 0:
            return None
        kept[encoded.decode("ascii")] = value
        previous = encoded
    return position, kept


# -- a change's proof: its signature, and its author's certificate -------------------------------------------


def is_proof(value: object) -> bool:
    """Whether a stored or received value has the shape of a proof (checked again when it is used)."""
    return isinstance(value, bytes) and (
        len(value) == SIGNATURE_BYTES
        or SIGNATURE_BYTES + MIN_CERTIFICATE_BYTES <= len(value) <= MAX_PROOF_BYTES
    )


def device_message(participant: bytes, change_hash: bytes) -> bytes:
    return DEVICE_CONTEXT + participant + change_hash


def sign_change(device: Ed25519PrivateKey, certificate: bytes | None, change_hash: bytes) -> bytes:
    """The proof of a change made here: signature alone, or signature and certificate."""
    if certificate is None:
        return device.sign(change_hash)
    participant = certificate[len(CERT_MAGIC) : len(CERT_MAGIC) + 32]
    return device.sign(device_message(participant, change_hash)) + certificate


def verify_proof(actor: bytes, proof: bytes, change_hash: bytes) -> bytes | None:
    """The participant key a change's proof makes its author write for (the actor itself when the proof
    holds no certificate), or None when the proof does not hold."""
    if len(proof) == SIGNATURE_BYTES:
        return actor if verify_signature(actor, proof, change_hash) else None
    if not is_proof(proof):
        return None
    certificate = _verified_certificate(proof[SIGNATURE_BYTES:])
    if certificate is None or certificate.device != actor:
        return None
    if not verify_signature(
        actor, proof[:SIGNATURE_BYTES], device_message(certificate.participant, change_hash)
    ):
        return None
    return certificate.participant


def proof_participant(actor: bytes, proof: bytes | None) -> bytes | None:
    """Whom a stored proof (verified when it came) says its actor writes for, without verifying it again:
    the certificate's participant, the actor itself for a bare signature, None for no proof."""
    if proof is None:
        return None
    if len(proof) == SIGNATURE_BYTES:
        return actor
    certificate = _verified_certificate(proof[SIGNATURE_BYTES:]) if is_proof(proof) else None
    return certificate.participant if certificate is not None and certificate.device == actor else None
