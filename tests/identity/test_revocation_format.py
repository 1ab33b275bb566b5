"""The revocation's layout (version 2: the device's changes it keeps), and how a participant document's
history is read for revocations: one encoding per content, bounded, and a revoked device cannot hide one."""

from __future__ import annotations

import base64
import struct
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reliance import certificate
from reliance.app.devices import grant_device, join_home, revoke_device, start_join
from reliance.app.workspace import Workspace
from reliance.automerge.crdt import ROOT_ID, CrdtDoc
from reliance.certificate import (
    REVOCATION_CONTEXT,
    REVOCATION_MAGIC,
    CertificateError,
    decode_revocation,
    make_revocation,
)
from reliance.doc.devices import revocations_in, revoked_devices
from reliance.identity import decode_peer_id, encode_peer_id, public_bytes
from reliance.limits import DEFAULT_LIMITS
from reliance.replication.auth import accept_batch
from reliance.replication.devices import revocations_of
from reliance.replication.docstore import MemoryStore

OWNER = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34)))
DEVICE = bytes(range(40, 72))


def test_a_revocation_reads_back_with_what_it_keeps() -> None:
    raw = make_revocation(OWNER, DEVICE, 7, {"pjabc": 3, "rlxyz": 1, "pjzero": 0})
    found = decode_revocation(raw)
    assert (found.participant, found.device, found.at) == (public_bytes(OWNER), DEVICE, 7)
    assert found.kept == {"pjabc": 3, "rlxyz": 1}  # nothing kept: not named
    assert decode_revocation(make_revocation(OWNER, DEVICE, 7)).kept == {}


def test_only_verified_revocations_are_remembered() -> None:
    """A peer's forged revocations, each up to max_revocation_bytes, must not pile up in memory."""
    memo = certificate._VERIFIED_REVOCATIONS
    good = make_revocation(OWNER, DEVICE, 11, {"d" * 40: 3})
    decode_revocation(good)
    assert (good, DEFAULT_LIMITS.revocation_documents) in memo
    size = len(memo)
    for n in range(50):
        signed_one = make_revocation(OWNER, DEVICE, 1000 + n, {"d" * 40: n})
        forged = signed_one[:-1] + bytes([signed_one[-1] ^ 1])  # its signature no longer holds
        with pytest.raises(CertificateError):
            decode_revocation(forged)
    assert len(memo) == size


def test_a_version_1_revocation_is_still_read_and_keeps_nothing_said() -> None:
    body = REVOCATION_MAGIC + public_bytes(OWNER) + DEVICE + struct.pack(">Q", 7)
    found = decode_revocation(body + OWNER.sign(REVOCATION_CONTEXT + body))
    assert found.kept is None


def signed(body: bytes) -> bytes:
    return body + OWNER.sign(REVOCATION_CONTEXT + body)


def v2(entries: list[tuple[bytes, int]], count: int | None = None) -> bytes:
    body = b"RLDR\x02" + public_bytes(OWNER) + DEVICE + struct.pack(">Q", 7)
    body += struct.pack(">H", len(entries) if count is None else count)
    for name, kept in entries:
        body += bytes([len(name)]) + name + struct.pack(">I", kept)
    return signed(body)


@pytest.mark.parametrize(
    "raw",
    [
        v2([(b"pjb", 1), (b"pja", 1)]),  # not sorted
        v2([(b"pja", 1), (b"pja", 2)]),  # named twice
        v2([(b"pja", 0)]),  # keeps nothing: not named
        v2([(b"PJA", 1)]),  # not a document id
        v2([(b"pja", 1)], count=2),  # says more entries than it holds
        v2([(b"pja", 1)], count=0),  # says fewer
        v2([(b"pja", 1)])[:-1] + b"\x00",  # signature does not hold
    ],
)
def test_anything_but_the_one_encoding_is_refused(raw: bytes) -> None:
    with pytest.raises(CertificateError):
        decode_revocation(raw)


def test_a_revocation_naming_too_many_documents_is_neither_made_nor_read() -> None:
    small = DEFAULT_LIMITS.replace(revocation_documents=2)
    kept = {"pja": 1, "pjb": 1, "pjc": 1}
    with pytest.raises(CertificateError):
        make_revocation(OWNER, DEVICE, 7, kept, small)
    with pytest.raises(CertificateError):
        decode_revocation(make_revocation(OWNER, DEVICE, 7, kept), small)


def change_writing(*values: str) -> CrdtDoc:
    doc = CrdtDoc.new(bytes(32))
    doc.change(lambda w: [w.put(ROOT_ID, f"k{i}", v) for i, v in enumerate(values)])
    return doc


def test_revocations_are_found_in_a_changes_bytes_among_other_values() -> None:
    mine = base64.b64encode(make_revocation(OWNER, DEVICE, 7, {"pja": 2})).decode()
    theirs = base64.b64encode(make_revocation(OTHER, DEVICE, 7)).decode()
    doc = change_writing("abcUkxEUg", mine, "ZZZZ" + theirs, "tail")
    (info,) = doc.changes_since([])
    found = revocations_in(info, public_bytes(OWNER))
    assert [r.kept for r in found] == [{"pja": 2}]  # the other participant's says nothing of the owner's


def test_only_so_many_revocation_lookalikes_are_read_in_one_change() -> None:
    junk = ["UkxEUg" + "A" * 200 for _ in range(40)]
    genuine = base64.b64encode(make_revocation(OWNER, DEVICE, 7)).decode()
    doc = change_writing(*junk, genuine)
    (info,) = doc.changes_since([])
    assert revocations_in(info, public_bytes(OWNER)) == []  # beyond revocations_per_change: not looked at
    roomy = DEFAULT_LIMITS.replace(revocations_per_change=64)
    assert len(revocations_in(info, public_bytes(OWNER), roomy)) == 1


def test_a_revoked_device_cannot_lift_its_revocation_by_overwriting_it(tmp_path: Path) -> None:
    laptop = Workspace.create(tmp_path / "laptop", "Alice", device_name="laptop")
    phone = join_home(tmp_path / "phone", grant_device(laptop, start_join(tmp_path / "phone"), "phone"), "")
    revoke_device(laptop, "phone")
    # The phone, not knowing, blanks the revocation field of its own entry, concurrently.
    from reliance.doc.devices import DEVICES

    def blank(writer: object) -> None:
        from reliance.automerge.crdt import Writer

        assert isinstance(writer, Writer)
        devices = writer.child(ROOT_ID, DEVICES)
        assert devices is not None
        entry = writer.child(devices, encode_peer_id(phone.identity.public_key))
        assert entry is not None
        for number in range(300):  # operations first: a higher counter wins the conflict
            writer.put(entry, f"pad{number}", number)
        writer.put(entry, "revocation", "")

    phone._write(phone.my_doc(), blank)
    judge = MemoryStore(bytes(range(100, 132)))
    for ws in (phone, laptop):  # the blank first: nothing refuses it yet
        changes = ws.repo.open(laptop.peer_id).signed_changes()
        accept_batch(judge, laptop.peer_id, changes)
    held = judge.open(laptop.peer_id)
    owner = decode_peer_id(laptop.peer_id)
    assert phone.identity.public_key not in revoked_devices(held.crdt, owner)  # the field reads blank
    assert phone.identity.public_key in revocations_of(held)  # the history still holds the revocation


def test_a_revocations_length_is_read_from_its_own_layout() -> None:
    kept = {"pjabc": 3, "rlxyz": 1}
    raw = make_revocation(OWNER, DEVICE, 7, kept)
    assert certificate.revocation_length(raw + b"other values follow") == len(raw)
    assert certificate.revocation_length(make_revocation(OWNER, DEVICE, 7)) == len(
        make_revocation(OWNER, DEVICE, 7)
    )
    assert certificate.revocation_length(b"RLDR\x09" + raw[5:]) is None
    assert certificate.revocation_length(raw, DEFAULT_LIMITS.replace(revocation_documents=1)) is None
