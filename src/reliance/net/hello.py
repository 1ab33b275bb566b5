"""The handshake payload ("hello"): what each side says about itself inside the Noise handshake.

A node's long-term identity is an Ed25519 key, bound to the connection's fresh Noise static key by a
signature carried in the payload (the libp2p approach)::

    payload = msgpack {"v": protocol version, "key": Ed25519 public key (32 bytes),
                       "sig": Ed25519 signature over b"reliance-noise-static-v1" + Noise static public key,
                       "name": display name (<= 64 characters), "port": listening port or None,
                       ["cert": the device's certificate (`reliance.certificate`), only from a device
                        whose key is not its participant's]}

A hello with a certificate says "this key is device N of participant P": the certificate must be well formed,
signed by P's key, and certify exactly the key of the hello (the one that signed the Noise static key); the
peer is then known as P, its device name shown beside it. Whether P revoked the device is the node's to say
(`check_revoked`, from the participant documents it holds). A hello without one is a participant that is its
own device (every home made before device keys, and the device that made an identity).

Pure functions: make, unpack (bounded, far enough to read ``v``), validate (every field, the certificate's
signature and key), verify (the signature over the static key Noise authenticated); and the reasons a REFUSE
or CLOSE frame carries.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import msgpack
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from reliance.certificate import (
    MAX_CERTIFICATE_BYTES,
    MIN_CERTIFICATE_BYTES,
    CertificateError,
    DeviceCertificate,
    decode_certificate,
)
from reliance.display import REPLACEMENT, clean
from reliance.net.errors import HandshakeFailed

__all__ = [
    "HELLO_KEYS",
    "MAX_NAME_LENGTH",
    "MAX_PAYLOAD",
    "MAX_REASON_BYTES",
    "PROTOCOL_VERSION",
    "STATIC_KEY_CONTEXT",
    "Hello",
    "check_name",
    "check_port",
    "check_revoked",
    "compatible",
    "decode_reason",
    "encode_reason",
    "hello_name",
    "incompatible_reason",
    "make_hello",
    "public_key",
    "unpack_hello",
    "validate_hello",
    "verify_hello",
]

PROTOCOL_VERSION: Final = 1
STATIC_KEY_CONTEXT: Final = b"reliance-noise-static-v1"

MAX_NAME_LENGTH: Final = 64
MAX_REASON_BYTES: Final = 512
MAX_PAYLOAD: Final = 1024
HELLO_KEYS: Final = frozenset({"v", "key", "sig", "name", "port"})
CERTIFIED_HELLO_KEYS: Final = HELLO_KEYS | {"cert"}
REVOKED_REASON: Final = "this device was revoked by its participant"


@dataclass(frozen=True, slots=True)
class Hello:
    """A peer's validated handshake payload."""

    version: int
    key: bytes
    sig: bytes
    name: str
    port: int | None
    certificate: DeviceCertificate | None = None

    @property
    def participant(self) -> bytes:
        """Whom this key is a device of: the certificate's participant, else the key itself."""
        return self.certificate.participant if self.certificate is not None else self.key

    @property
    def certified_participant(self) -> bytes | None:
        """Whom this key is a certified device of, or None (a participant of its own)."""
        return self.certificate.participant if self.certificate is not None else None

    @property
    def device_name(self) -> str:
        return self.certificate.name if self.certificate is not None else ""


def check_name(name: object) -> str:
    if not isinstance(name, str) or len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"name must be a string of at most {MAX_NAME_LENGTH} characters")
    if any(unicodedata.category(ch)[0] == "C" for ch in name):
        raise ValueError("name must not contain control or format characters")
    return name


def hello_name(name: str) -> str:
    """A display name as a handshake may carry it, for a name an older version let into a profile: shown
    inert (`display.clean`: escape codes as visible symbols, bidi overrides as U+FFFD), any other character
    the handshake refuses (format, private-use, unassigned) as U+FFFD, cut to MAX_NAME_LENGTH characters."""
    shown = clean(name)
    if any(unicodedata.category(ch)[0] == "C" for ch in shown):
        shown = "".join(REPLACEMENT if unicodedata.category(ch)[0] == "C" else ch for ch in shown)
    return shown.strip()[:MAX_NAME_LENGTH]


def check_port(port: object) -> int | None:
    if port is None:
        return None
    if type(port) is not int or not 1 <= port <= 65535:
        raise ValueError("port must be None or an integer in 1..65535")
    return port


def public_key(identity: Ed25519PrivateKey) -> bytes:
    return identity.public_key().public_bytes_raw()


def make_hello(
    identity: Ed25519PrivateKey,
    static_public: bytes,
    *,
    name: str,
    port: int | None,
    version: int,
    certificate: bytes | None = None,
) -> bytes:
    """Our hello; `certificate`: this device's, when the key it shows is not its participant's."""
    fields: dict[str, Any] = {
        "v": version,
        "key": public_key(identity),
        "sig": identity.sign(STATIC_KEY_CONTEXT + static_public),
        "name": name,
        "port": port,
    }
    if certificate is not None:
        fields["cert"] = certificate
    packed = msgpack.packb(fields, use_bin_type=True)
    assert isinstance(packed, bytes)
    return packed


def unpack_hello(payload: bytes) -> dict[str, Any]:
    """Decode a handshake payload far enough to read its protocol version ``v``."""
    if len(payload) > MAX_PAYLOAD:
        raise HandshakeFailed("handshake payload too large")
    try:
        obj = msgpack.unpackb(
            payload,
            raw=False,
            strict_map_key=True,
            max_str_len=MAX_PAYLOAD,
            max_bin_len=MAX_PAYLOAD,
            max_array_len=16,
            max_map_len=16,
            max_ext_len=0,
        )
    except Exception:
        raise HandshakeFailed("malformed handshake payload") from None
    if not isinstance(obj, dict):
        raise HandshakeFailed("handshake payload is not a map")
    version = obj.get("v")
    if type(version) is not int or not 0 <= version <= 0xFFFF:
        raise HandshakeFailed("handshake payload has no valid protocol version")
    return obj


def validate_hello(obj: dict[str, Any]) -> Hello:
    """Check every field of a payload of our protocol version."""
    if set(obj) not in (HELLO_KEYS, CERTIFIED_HELLO_KEYS):
        raise HandshakeFailed("handshake payload has unexpected fields")
    key, sig, name, port = obj["key"], obj["sig"], obj["name"], obj["port"]
    if not isinstance(key, bytes) or len(key) != 32:
        raise HandshakeFailed("handshake payload: key must be 32 bytes")
    if not isinstance(sig, bytes) or len(sig) != 64:
        raise HandshakeFailed("handshake payload: sig must be 64 bytes")
    try:
        check_name(name)
        check_port(port)
    except ValueError as exc:
        raise HandshakeFailed(f"handshake payload: {exc}") from None
    certificate = check_certificate(obj["cert"], key) if "cert" in obj else None
    return Hello(version=obj["v"], key=key, sig=sig, name=name, port=port, certificate=certificate)


def check_certificate(raw: object, key: bytes) -> DeviceCertificate:
    """A hello's certificate: bounded, well formed, signed by its participant key, and for `key`."""
    if not isinstance(raw, bytes):
        raise HandshakeFailed("handshake payload: the device certificate must be bytes")
    if not MIN_CERTIFICATE_BYTES <= len(raw) <= MAX_CERTIFICATE_BYTES:
        raise HandshakeFailed(
            f"handshake payload: the device certificate has {len(raw)} bytes "
            f"(truncated or oversized: {MIN_CERTIFICATE_BYTES} to {MAX_CERTIFICATE_BYTES})"
        )
    try:
        certificate = decode_certificate(raw)
    except CertificateError:
        raise HandshakeFailed(
            "handshake payload: the device certificate is malformed or not signed by its participant key"
        ) from None
    if certificate.device != key:
        raise HandshakeFailed("handshake payload: the device certificate is for another key")
    return certificate


def check_revoked(hello: Hello, revoked: Callable[[bytes, bytes], bool] | None) -> None:
    """Refuse a device its participant revoked, as far as `revoked(participant, device)` knows."""
    if hello.certificate is not None and revoked is not None and revoked(hello.participant, hello.key):
        raise HandshakeFailed(REVOKED_REASON)


def verify_hello(hello: Hello, remote_static: bytes) -> None:
    """The identity key must have signed the static key that the Noise handshake authenticated."""
    try:
        Ed25519PublicKey.from_public_bytes(hello.key).verify(hello.sig, STATIC_KEY_CONTEXT + remote_static)
    except (InvalidSignature, ValueError):
        raise HandshakeFailed(
            "identity signature does not cover the authenticated Noise static key"
        ) from None


def compatible(remote_version: int, local_version: int) -> bool:
    return remote_version == local_version


def incompatible_reason(remote_version: int, local_version: int) -> str:
    return f"incompatible protocol version {remote_version}, this node speaks {local_version}"


def _printable(text: str) -> str:
    return "".join("?" if unicodedata.category(ch)[0] == "C" else ch for ch in text)


def encode_reason(reason: str) -> bytes:
    """The body of a REFUSE or CLOSE frame: UTF-8, cut to MAX_REASON_BYTES."""
    return reason.encode("utf-8")[:MAX_REASON_BYTES]


def decode_reason(body: bytes) -> str:
    """A peer's REFUSE or CLOSE reason, bounded and with control characters shown as '?'."""
    return _printable(body[:MAX_REASON_BYTES].decode("utf-8", errors="replace"))
