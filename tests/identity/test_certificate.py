"""Certificates, revocations and proofs: made with `cryptography`'s Ed25519, read back exactly, and anything
else refused with one error (never another exception), whatever the bytes."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from reliance.certificate import (
    CertificateError,
    decode_certificate,
    decode_revocation,
    make_certificate,
    make_revocation,
    sign_change,
    verify_proof,
)
from reliance.errors import DeviceError
from reliance.identity import normalise_phrase, participant_key_from_phrase, public_bytes

PARTICIPANT = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34)))
DEVICE = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
CERT = make_certificate(PARTICIPANT, public_bytes(DEVICE), "laptop", 1_780_000_000)
HASH = bytes(range(32))


def test_a_certificate_reads_back_as_made() -> None:
    found = decode_certificate(CERT)
    assert (found.participant, found.device, found.name, found.created) == (
        public_bytes(PARTICIPANT),
        public_bytes(DEVICE),
        "laptop",
        1_780_000_000,
    )
    revocation = decode_revocation(make_revocation(PARTICIPANT, public_bytes(DEVICE), 5))
    assert (revocation.device, revocation.at) == (public_bytes(DEVICE), 5)


@pytest.mark.parametrize("name", ["", " ", "x" * 81, "a\u202eb", "tab\there", "\x1b[31mred"], ids=repr)
def test_bad_device_names_are_refused_when_made(name: str) -> None:
    with pytest.raises(CertificateError):
        make_certificate(PARTICIPANT, public_bytes(DEVICE), name, 0)


def test_a_name_is_trimmed_the_one_encoding() -> None:
    assert (
        decode_certificate(make_certificate(PARTICIPANT, public_bytes(DEVICE), " padded ", 0)).name
        == "padded"
    )


def test_a_certificate_for_the_participants_own_key_is_refused() -> None:
    with pytest.raises(CertificateError):
        make_certificate(PARTICIPANT, public_bytes(PARTICIPANT), "self", 0)


@settings(max_examples=300)
@given(st.data())
def test_any_change_to_a_certificate_is_refused(data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(CERT) - 1))
    flip = data.draw(st.integers(1, 255))
    mutated = CERT[:position] + bytes([CERT[position] ^ flip]) + CERT[position + 1 :]
    with pytest.raises(CertificateError):
        decode_certificate(mutated)


@settings(max_examples=300)
@given(st.binary(max_size=600))
def test_any_bytes_are_a_certificate_error_or_nothing(raw: bytes) -> None:
    for decoder in (decode_certificate, decode_revocation):
        with pytest.raises(CertificateError):
            decoder(raw)
    assert verify_proof(public_bytes(DEVICE), raw, HASH) is None


def test_a_proof_binds_its_certificate_and_its_hash() -> None:
    proof = sign_change(DEVICE, CERT, HASH)
    assert verify_proof(public_bytes(DEVICE), proof, HASH) == public_bytes(PARTICIPANT)
    assert verify_proof(public_bytes(DEVICE), proof, bytes(32)) is None  # another change
    assert verify_proof(public_bytes(OTHER), proof, HASH) is None  # another actor
    # Another participant certifying the same device key cannot take its changes: the device signed
    # its own participant's key with the hash.
    foreign = make_certificate(OTHER, public_bytes(DEVICE), "laptop", 1_780_000_000)
    assert verify_proof(public_bytes(DEVICE), proof[:64] + foreign, HASH) is None
    # A bare signature is the actor writing for itself.
    assert verify_proof(public_bytes(DEVICE), DEVICE.sign(HASH), HASH) == public_bytes(DEVICE)


def test_the_phrase_is_checked_and_gives_one_key() -> None:
    phrase = "abandon " * 23 + "art"
    assert public_bytes(participant_key_from_phrase(phrase)) == public_bytes(
        participant_key_from_phrase("  " + phrase.upper().replace(" ", "\n") + " ")
    )
    for bad in ("abandon " * 24, "abandon " * 23, "abandon " * 23 + "zzzz", "x" * 5000):
        with pytest.raises(DeviceError):
            normalise_phrase(bad)
