"""HTTPS for the web face: a self-signed certificate made once per home with `cryptography`.

Nobody on a festival Wi-Fi can get a certificate a browser trusts for 192.168.x.y, so the browser warns
once; the SHA-256 fingerprint shown beside the QR (`reliance web url`, `reliance web pair`) lets the person
check, in the browser's certificate view, that the page is their node's and not someone else's on the same
network. The key is ECDSA P-256 (what every browser accepts), kept in `HOME/web-tls/` (0600); the
certificate is made again when the machine's addresses are no longer all in it.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from reliance.fsutil import atomic_write, private_dir

TLS_DIR = "web-tls"
VALID_DAYS = 825  # the longest a browser accepts for a certificate


def _names(hosts: list[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    for host in hosts:
        try:
            address = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            names.append(x509.DNSName(host))
            continue
        if address not in names:
            names.append(address)
    return names


def fingerprint(certificate: x509.Certificate) -> str:
    digest = hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def ensure_certificate(home: Path, hosts: list[str]) -> tuple[Path, Path, str]:
    """The certificate and key files of this home's web face, made or made again as needed, and the
    certificate's SHA-256 fingerprint."""
    folder = home / TLS_DIR
    private_dir(folder)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    wanted = _names(hosts)
    if cert_path.is_file() and key_path.is_file():
        try:
            certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
            present = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            fresh = certificate.not_valid_after_utc > datetime.datetime.now(
                datetime.UTC
            ) + datetime.timedelta(days=1)
            if fresh and all(name in list(present) for name in wanted):
                return cert_path, key_path, fingerprint(certificate)
        except (ValueError, x509.ExtensionNotFound):
            pass
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "reliance node")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(wanted), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    atomic_write(key_path, key_pem)
    atomic_write(cert_path, certificate.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path, fingerprint(certificate)


def server_context(home: Path, hosts: list[str]) -> tuple[ssl.SSLContext, str]:
    cert_path, key_path, shown = ensure_certificate(home, hosts)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_path, key_path)
    return context, shown


def read_fingerprint(home: Path) -> str:
    """The fingerprint of the certificate a home has, or "" (none yet)."""
    try:
        return fingerprint(x509.load_pem_x509_certificate((home / TLS_DIR / "cert.pem").read_bytes()))
    except (OSError, ValueError):
        return ""
