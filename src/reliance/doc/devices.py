"""The devices of a participant, as their participant document records them.

Schema (a root map of the participant document, absent from documents written before devices):
  devices: {device peer id: {cert: certificate, name: str, revocation?: revocation}}
(certificate and revocation in base64 text: the binding reads byte values back as lists of numbers)

`cert` and `revocation` are signed by the participant key (`reliance.certificate`), so a device that writes
the document cannot certify another key nor lift a revocation: a reader keeps only the entries whose
certificate holds for the document's owner, and a revocation only if it holds too. `name` is what `device
rename` wrote (any device may), the certificate's name until then.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from dataclasses import dataclass

from reliance.automerge.crdt import ROOT_ID, ChangeInfo, CrdtDoc, ObjId, Writer
from reliance.automerge.ops import change_body
from reliance.automerge.wire import WireError, read_uleb128
from reliance.certificate import (
    MAX_CERTIFICATE_BYTES,
    CertificateError,
    DeviceCertificate,
    Revocation,
    decode_certificate,
    decode_revocation,
    max_revocation_bytes,
    revocation_length,
)
from reliance.identity import encode_peer_id
from reliance.limits import DEFAULT_LIMITS, Limits

DEVICES = "devices"


@dataclass(frozen=True)
class DeviceRecord:
    device: bytes
    name: str
    certificate: DeviceCertificate
    revoked_at: int | None  # 0: revoked in the history, its entry's field no longer says when

    @property
    def device_id(self) -> str:
        return encode_peer_id(self.device)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def _text(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _bytes(value: object, most: int) -> bytes | None:
    """Base64 text back to bytes, if it is that and holds at most `most` bytes."""
    if not isinstance(value, str) or len(value) > (most + 2) // 3 * 4:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        return None


def _devices(writer: Writer) -> ObjId:
    found = writer.child(ROOT_ID, DEVICES)
    return found if found is not None else writer.put_map(ROOT_ID, DEVICES)


def record_device(writer: Writer, certificate: DeviceCertificate) -> None:
    """Write a device's certificate (and its name) into the participant document."""
    devices = _devices(writer)
    key = encode_peer_id(certificate.device)
    entry = writer.child(devices, key)
    if entry is None:
        entry = writer.put_map(devices, key)
    writer.put(entry, "cert", _text(certificate.raw))
    writer.put(entry, "name", certificate.name)


def unrecorded(doc: CrdtDoc, certificate: bytes) -> DeviceCertificate | None:
    """The certificate, if the document does not record it yet."""
    devices = doc.child(ROOT_ID, DEVICES)
    found = decode_certificate(certificate)
    entry = doc.child(devices, encode_peer_id(found.device)) if devices is not None else None
    if entry is not None and doc.scalar(entry, "cert") == _text(certificate):
        return None
    return found


def record_revocation(writer: Writer, device: bytes, revocation: bytes) -> None:
    devices = _devices(writer)
    entry = writer.child(devices, encode_peer_id(device))
    if entry is None:
        raise CertificateError("device.unknown", device=encode_peer_id(device)[:14])
    writer.put(entry, "revocation", _text(revocation))


def rename_device(writer: Writer, device: bytes, name: str) -> None:
    devices = _devices(writer)
    entry = writer.child(devices, encode_peer_id(device))
    if entry is None:
        raise CertificateError("device.unknown", device=encode_peer_id(device)[:14])
    writer.put(entry, "name", name)


def read_devices(doc: CrdtDoc, owner: bytes, limits: Limits = DEFAULT_LIMITS) -> list[DeviceRecord]:
    """The owner's devices the document records with a valid certificate (at most `devices_per_participant`
    of them, by device key), each with its valid revocation if any."""
    devices = doc.child(ROOT_ID, DEVICES)
    if devices is None:
        return []
    found: list[DeviceRecord] = []
    for key in sorted(doc.keys(devices))[: limits.devices_per_participant]:
        entry = doc.child(devices, key)
        if entry is None:
            continue
        try:
            certificate = decode_certificate(_bytes(doc.scalar(entry, "cert"), MAX_CERTIFICATE_BYTES))
        except CertificateError:
            continue
        if certificate.participant != owner or encode_peer_id(certificate.device) != key:
            continue
        revoked_at: int | None = None
        raw = _bytes(doc.scalar(entry, "revocation"), max_revocation_bytes(limits))
        if raw is not None:
            try:
                revocation = decode_revocation(raw, limits)
            except CertificateError:
                revocation = None
            if (
                revocation is not None
                and revocation.participant == owner
                and revocation.device == certificate.device
            ):
                revoked_at = revocation.at
        name = doc.scalar(entry, "name")
        shown = name if isinstance(name, str) and 0 < len(name) <= 80 else certificate.name
        found.append(DeviceRecord(certificate.device, shown, certificate, revoked_at))
    return found


def revoked_devices(doc: CrdtDoc, owner: bytes, limits: Limits = DEFAULT_LIMITS) -> frozenset[bytes]:
    return frozenset(r.device for r in read_devices(doc, owner, limits) if r.revoked)


# -- revocations in a participant document's history ------------------------------------------------------

# Every revocation ("RLDR…") written as base64 text starts with these characters, whatever follows.
MARK = base64.b64encode(b"RLDR\x01\x00")[:6]
_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


def revocations_in(info: ChangeInfo, owner: bytes, limits: Limits = DEFAULT_LIMITS) -> list[Revocation]:
    """The valid revocations signed by `owner` that a change writes, wherever it writes them (the first
    `revocations_per_change` texts that look like one: `device revoke` writes one a change).

    Read from the change's bytes (automerge stores a string value as it is), not from the document's
    current value: a revoked device may overwrite or delete the `revocation` field of its entry, but it
    cannot take back a change someone else signed, so a revocation once written counts for ever. Only the
    owner's signature makes one: where it was written does not matter."""
    return revocations_in_chunk(info.chunk, owner, limits)


def revocations_in_chunk(chunk: bytes, owner: bytes, limits: Limits = DEFAULT_LIMITS) -> list[Revocation]:
    """`revocations_in`, from a change chunk's bytes."""
    try:
        if chunk[8] == 1:
            body = chunk
        elif chunk[8] == 2:  # deflated: its body only (checked when it was taken), inflated within bounds
            length, start = read_uleb128(chunk, 9)
            inflater = zlib.decompressobj(wbits=-15)
            body = inflater.decompress(chunk[start : start + length], limits.max_change_bytes)
        else:
            body = change_body(ChangeInfo(b"", chunk, (), b"", 0))
    except (IndexError, ValueError, WireError, zlib.error):
        return []
    found: list[Revocation] = []
    start = body.find(MARK)
    most = (max_revocation_bytes(limits) + 2) // 3 * 4
    looked = 0
    while start >= 0 and looked < limits.revocations_per_change:
        looked += 1
        end = start
        limit = min(len(body), start + most)
        while end < limit and body[end] in _ALPHABET:
            end += 1
        revocation = _revocation_at(body[start:end], owner, limits)
        if revocation is not None:
            found.append(revocation)
        start = body.find(MARK, start + 1)
    return found


def _revocation_at(run: bytes, owner: bytes, limits: Limits) -> Revocation | None:
    """The revocation whose base64 text begins `run` (which may go on with other values' characters)."""
    padding = run.find(b"=")
    run = run[: (padding // 4 + 1) * 4] if padding >= 0 else run[: len(run) // 4 * 4]
    try:
        decoded = base64.b64decode(run, validate=True)
    except (ValueError, binascii.Error):
        return None
    length = revocation_length(decoded, limits)
    if length is None:
        return None
    try:
        revocation = decode_revocation(decoded[:length], limits)
    except CertificateError:
        return None
    return revocation if revocation.participant == owner else None
