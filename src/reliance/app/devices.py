"""Devices of one participant: certify a new one, join from a grant, list, rename, revoke.

The seam a link protocol builds on (`device invite` / `device join`, the app's Settings → Devices):

1. on the new device, `start_join(home, passphrase)` makes its own device key (kept in `identity/`,
   encrypted with the passphrase) and returns its public key, to send to the inviting device;
2. on the device that holds the participant key, `grant_device(ws, device_public_key, device_name)`
   certifies that key, records the certificate in the participant document (the one write path of a
   local change) and returns a `DeviceGrant`: the certificate, the participant's public key and name,
   and a bundle (the `reliance-bundle/1` format) of the documents handed over. A device that does not hold
   the participant key's secret raises `DeviceError("device.no_participant_key")`;
3. the grant crosses the network as `encode_grant(grant)` bytes; `decode_grant(raw, limits)` checks every
   field (sizes first, the certificate's signature, that it names the participant) and raises
   `DeviceError("device.bad_grant")` on anything else;
4. on the new device, `join_home(home, grant, device_name, passphrase)` checks that the grant certifies the
   key made in step 1, writes the identity, imports the bundle, and returns the `Workspace`: it can write
   at once (each of its changes carries its certificate, so peers accept them in any order).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import msgpack
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reliance.app.workspace import Workspace
from reliance.automerge.crdt import Writer
from reliance.certificate import (
    CertificateError,
    decode_certificate,
    make_certificate,
    make_revocation,
)
from reliance.doc import devices as device_doc
from reliance.doc.devices import DeviceRecord
from reliance.errors import DeviceError, RelianceError
from reliance.fsutil import private_dir, write_private
from reliance.identity import (
    KEY_FILE,
    check_name,
    encode_peer_id,
    fingerprint,
    has_identity,
    identity_dir,
    public_bytes,
    write_identity,
)
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.packing import PackError, Shape, unpack

GRANT_FORMAT = "reliance-grant/1"
GRANT_KEYS = frozenset({"format", "cert", "participant", "name", "bundle"})
PENDING_KEY_FILE = "joining.key"


@dataclass(frozen=True)
class DeviceGrant:
    """What a new device receives from one that holds the participant key."""

    certificate: bytes
    participant: bytes  # the participant's public key
    participant_name: str
    bundle: bytes  # a reliance-bundle/1 of the documents handed over

    @property
    def participant_id(self) -> str:
        return encode_peer_id(self.participant)

    @property
    def device(self) -> bytes:
        return decode_certificate(self.certificate).device


# -- on the device that holds the participant key -----------------------------------------------------------


def _signer(ws: Workspace) -> Ed25519PrivateKey:
    signer = ws.identity.participant_signer
    if signer is None:
        raise DeviceError("device.no_participant_key")
    return signer


def _record(ws: Workspace, edit: Any) -> None:
    doc = ws.my_doc()  # refused while the document is not here (a recovered identity)
    ws.write_own(doc, edit)


def devices(ws: Workspace) -> list[DeviceRecord]:
    """The participant's devices recorded in their document (empty before the document is here), as the
    changes that count left it; revoked as the document's history says (a revoked device may blank its
    entry's `revocation` field, it cannot take back the change that wrote it)."""
    from reliance.replication.devices import revocations_of
    from reliance.replication.participant_view import participant_view

    doc = ws.my_doc_if_held()
    if doc is None:
        return []
    records = device_doc.read_devices(participant_view(doc), ws.identity.participant_key, ws.repo.limits)
    revoked = revocations_of(doc)
    return [replace(r, revoked_at=0) if r.revoked_at is None and r.device in revoked else r for r in records]


def grant_device(ws: Workspace, device_public_key: bytes, device_name: str) -> DeviceGrant:
    """Certify a new device's key, record it, and hand over what it needs (see the module docstring)."""
    signer = _signer(ws)
    if not isinstance(device_public_key, bytes) or len(device_public_key) != 32:
        raise DeviceError("device.bad_key")
    if device_public_key in (ws.identity.public_key, ws.identity.participant_key):
        raise DeviceError("device.bad_key")
    known = devices(ws)
    if any(r.device == device_public_key for r in known):
        raise DeviceError("device.already_certified")
    if len(known) >= ws.repo.limits.devices_per_participant:
        raise DeviceError("device.too_many", most=ws.repo.limits.devices_per_participant)
    raw = make_certificate(signer, device_public_key, device_name, int(ws.clock.time()))
    certificate = decode_certificate(raw)
    _record(ws, lambda w: device_doc.record_device(w, certificate))
    from reliance.app import settings
    from reliance.replication.bundle import bundle_bytes

    blocked = settings.blocked_keys(ws.home)
    data, _ = bundle_bytes(ws.repo, ws.repo.doc_ids(), ws.peer_id, blocked, clock=ws.clock)
    if len(data) > ws.repo.limits.device_grant_bytes:
        raise DeviceError("device.grant_too_large", most=ws.repo.limits.device_grant_bytes >> 20)
    return DeviceGrant(raw, ws.identity.participant_key, ws.identity.name, data)


def encode_grant(grant: DeviceGrant) -> bytes:
    packed: bytes = msgpack.packb(
        {
            "format": GRANT_FORMAT,
            "cert": grant.certificate,
            "participant": grant.participant,
            "name": grant.participant_name,
            "bundle": grant.bundle,
        },
        use_bin_type=True,
    )
    return packed


def decode_grant(raw: object, limits: Limits = DEFAULT_LIMITS) -> DeviceGrant:
    """A grant as received: its size, then its msgpack, then every field, then the certificate's signature."""
    if not isinstance(raw, bytes) or len(raw) > limits.device_grant_bytes:
        raise DeviceError("device.bad_grant")
    shape = Shape(
        max_str=limits.max_packed_string,
        max_bin=limits.device_grant_bytes,
        max_map=len(GRANT_KEYS),
        max_depth=1,
        memory_multiple=limits.packed_memory_multiple,
        max_array=0,
    )
    try:
        data = unpack(raw, shape)
    except PackError:
        raise DeviceError("device.bad_grant") from None
    if not isinstance(data, dict) or set(data) != GRANT_KEYS or data["format"] != GRANT_FORMAT:
        raise DeviceError("device.bad_grant")
    participant, name, bundle = data["participant"], data["name"], data["bundle"]
    if not isinstance(participant, bytes) or len(participant) != 32 or not isinstance(bundle, bytes):
        raise DeviceError("device.bad_grant")
    try:
        if not isinstance(name, str):
            raise DeviceError("device.bad_grant")
        name = check_name(name)
        certificate = decode_certificate(data["cert"])
    except RelianceError:
        raise DeviceError("device.bad_grant") from None
    if certificate.participant != participant or name != data["name"]:
        raise DeviceError("device.bad_grant")
    return DeviceGrant(certificate.raw, participant, name, bundle)


# -- on the new device --------------------------------------------------------------------------------------


def start_join(home: Path, passphrase: bytes | None = None) -> bytes:
    """Make this device's key for a join (kept until `join_home`); returns its public key. A home that has
    an identity already cannot join (it is never replaced); a join started before is started again."""
    if has_identity(home):
        raise DeviceError("device.home_has_identity", home=str(home))
    directory = identity_dir(home)
    private_dir(directory)
    key = Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    (directory / PENDING_KEY_FILE).unlink(missing_ok=True)
    write_private(directory / PENDING_KEY_FILE, pem, exclusive=True)
    return public_bytes(key)


def _pending_key(home: Path, passphrase: bytes | None) -> Ed25519PrivateKey:
    path = identity_dir(home) / PENDING_KEY_FILE
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=passphrase or None)
    except (OSError, ValueError, TypeError):
        raise DeviceError("device.no_join_started") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise DeviceError("device.no_join_started")
    return key


def join_home(
    home: Path,
    grant: DeviceGrant,
    device_name: str,
    passphrase: bytes | None = None,
    *,
    device_key: Ed25519PrivateKey | None = None,
) -> Workspace:
    """Make this home a device of the grant's participant (see the module docstring). `device_key`: the key
    `start_join` made, when the caller kept it in memory (else it is read from the home)."""
    key = device_key if device_key is not None else _pending_key(home, passphrase)
    certificate = decode_certificate(grant.certificate)
    if certificate.device != public_bytes(key) or certificate.participant != grant.participant:
        raise DeviceError("device.grant_not_ours")
    name = device_name.strip() or certificate.name
    write_identity(
        home,
        grant.participant_name,
        key,
        passphrase,
        participant=grant.participant,
        certificate=certificate.raw,
        device_name=name,
    )
    (identity_dir(home) / PENDING_KEY_FILE).unlink(missing_ok=True)
    ws = Workspace.open(home, passphrase)
    from reliance.app import settings
    from reliance.replication.bundle import import_bundle_bytes

    import_bundle_bytes(ws.repo, grant.bundle, "device grant", settings.blocked_keys(home))
    return ws


# -- list, rename, revoke -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceRow:
    name: str
    device_id: str
    fingerprint: str
    created: int
    last_seen: int | None  # seconds since the epoch of its latest change in the participant document
    this_one: bool
    revoked: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "device_id": self.device_id,
            "fingerprint": self.fingerprint,
            "created": self.created,
            "last_seen": self.last_seen,
            "this_one": self.this_one,
            "revoked": self.revoked,
        }


def device_rows(ws: Workspace) -> list[DeviceRow]:
    """Every device of the participant, this one included (even before its document is here)."""
    records = devices(ws)
    seen = _last_seen(ws)
    rows = [
        DeviceRow(
            r.name,
            r.device_id,
            fingerprint(r.device),
            r.certificate.created,
            seen.get(r.device),
            r.device == ws.identity.public_key,
            r.revoked,
        )
        for r in records
    ]
    if not any(row.this_one for row in rows):
        me = ws.identity
        created = decode_certificate(me.certificate).created if me.certificate is not None else 0
        rows.append(
            DeviceRow(
                me.device_name or me.name,
                me.device_id,
                me.device_fingerprint,
                created,
                seen.get(me.public_key),
                True,
                False,
            )
        )
    return sorted(rows, key=lambda row: (row.created, row.device_id))


def _last_seen(ws: Workspace) -> dict[bytes, int]:
    from reliance.automerge import wire

    doc = ws.my_doc_if_held()
    found: dict[bytes, int] = {}
    if doc is None:
        return found
    for info in doc.crdt.changes_since([]):
        try:
            when = wire.parse_change(info.chunk, max_inflated=ws.repo.limits.max_change_bytes).time // 1000
        except wire.WireError:
            continue
        if when > found.get(info.actor, -1):
            found[info.actor] = when
    return found


def find_device(ws: Workspace, ref: str) -> DeviceRecord:
    """A device by name (unique), device id or fingerprint (spaces and case forgiven, a unique prefix)."""
    ref = ref.strip()
    records = devices(ws)
    by_name = [r for r in records if r.name == ref]
    if len(by_name) == 1:
        return by_name[0]
    wanted = "".join(ref.split()).lower()
    by_key = [
        r
        for r in records
        if len(wanted) >= 4
        and (
            r.device_id.startswith(wanted)
            or "".join(fingerprint(r.device).split()).lower().startswith(wanted)
        )
    ]
    if len(by_key) == 1:
        return by_key[0]
    if len(by_name) > 1 or len(by_key) > 1:
        raise DeviceError("device.ambiguous", ref=ref[:40])
    raise DeviceError("device.not_found", ref=ref[:40])


def rename_device(ws: Workspace, ref: str, new_name: str) -> DeviceRecord:
    from reliance.certificate import check_device_name

    record = find_device(ws, ref)
    name = check_device_name(new_name)
    _record(ws, lambda w: device_doc.rename_device(w, record.device, name))
    return record


def revoke_device(ws: Workspace, ref: str) -> DeviceRecord:
    """Revoke a device (never this one): from now on, no node that knows of it accepts what it signs."""
    signer = _signer(ws)
    record = find_device(ws, ref)
    if record.device == ws.identity.public_key:
        raise DeviceError("device.revoke_self")
    if record.revoked:
        raise DeviceError("device.already_revoked", name=record.name)
    from reliance.replication.devices import kept_changes

    # What this node holds of the device is what the revocation keeps; anything else it signed, wherever
    # it is, counts for nothing on every node (docs/identity.md, "Revocation under concurrency").
    kept = kept_changes(ws.repo, record.device)
    if len(kept) > ws.repo.limits.revocation_documents:
        raise DeviceError("device.revocation_too_wide", most=ws.repo.limits.revocation_documents)
    revocation = make_revocation(signer, record.device, int(ws.clock.time()), kept, ws.repo.limits)

    def write(w: Writer) -> None:
        device_doc.record_revocation(w, record.device, revocation)

    _record(ws, write)
    return record


__all__ = [
    "KEY_FILE",
    "CertificateError",
    "DeviceGrant",
    "DeviceRow",
    "decode_grant",
    "device_rows",
    "encode_grant",
    "find_device",
    "grant_device",
    "join_home",
    "rename_device",
    "revoke_device",
    "start_join",
]
