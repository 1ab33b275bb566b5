"""Device identity: peer ids that catch typos, fingerprints, key files and passphrases."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reliance.app.workspace import Workspace
from reliance.certificate import verify_proof
from reliance.errors import IdentityError, PeerIdError
from reliance.identity import (
    CERTIFICATE_FILE,
    KEY_FILE,
    PARTICIPANT_KEY_FILE,
    PROFILE_FILE,
    canonical_peer,
    create_identity,
    decode_peer_id,
    encode_peer_id,
    fingerprint,
    has_identity,
    identity_dir,
    key_is_encrypted,
    load_identity,
    set_profile_name,
    verify_signature,
)

BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
keys = st.binary(min_size=32, max_size=32)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """Modes must not depend on the user's umask."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


# -- peer ids ------------------------------------------------------------------------------------------------


@settings(deadline=None)  # timing-independent: the suite may share a loaded machine
@given(keys)
def test_peer_id_round_trip(key: bytes) -> None:
    text = encode_peer_id(key)
    assert re.fullmatch(r"rl[a-z2-7]{56}", text)
    assert decode_peer_id(text) == key


@settings(deadline=None)  # timing-independent: the suite may share a loaded machine
@given(keys, st.integers(min_value=1, max_value=8))
def test_peer_id_forgives_case_spaces_and_dashes(key: bytes, group: int) -> None:
    text = encode_peer_id(key)
    grouped = " ".join(text[i : i + group] for i in range(0, len(text), group))
    assert decode_peer_id(grouped.upper()) == key
    assert canonical_peer(grouped.upper()) == text
    assert decode_peer_id("-".join(text[i : i + group] for i in range(0, len(text), group))) == key
    assert decode_peer_id(f"\t{text}\n") == key


@settings(deadline=None, max_examples=300)
@given(keys, st.data())
def test_a_one_character_typo_is_detected(key: bytes, data: st.DataObject) -> None:
    text = encode_peer_id(key)
    position = data.draw(st.integers(min_value=0, max_value=len(text) - 1), label="position")
    typo = data.draw(
        st.sampled_from(BASE32 + "01890lo").filter(lambda c: c != text[position]), label="replacement"
    )
    mistyped = text[:position] + typo + text[position + 1 :]
    with pytest.raises(PeerIdError):
        decode_peer_id(mistyped)


def test_every_single_substitution_of_one_peer_id_is_detected() -> None:
    key = bytes(range(32))
    text = encode_peer_id(key)
    for position in range(2, len(text)):
        for typo in BASE32:
            if typo != text[position]:
                with pytest.raises(PeerIdError, match="typo"):
                    decode_peer_id(text[:position] + typo + text[position + 1 :])


@settings(deadline=None)  # timing-independent: the suite may share a loaded machine
@given(keys, st.data())
def test_swapping_two_neighbours_is_detected(key: bytes, data: st.DataObject) -> None:
    text = encode_peer_id(key)
    position = data.draw(st.integers(min_value=2, max_value=len(text) - 2))
    if text[position] == text[position + 1]:
        return
    swapped = text[:position] + text[position + 1] + text[position] + text[position + 2 :]
    with pytest.raises(PeerIdError):
        decode_peer_id(swapped)


@settings(deadline=None)  # timing-independent: the suite may share a loaded machine
@given(keys, st.data())
def test_a_missing_or_extra_character_is_detected(key: bytes, data: st.DataObject) -> None:
    text = encode_peer_id(key)
    position = data.draw(st.integers(min_value=2, max_value=len(text) - 1))
    with pytest.raises(PeerIdError):
        decode_peer_id(text[:position] + text[position + 1 :])
    extra = data.draw(st.sampled_from(BASE32))
    with pytest.raises(PeerIdError):
        decode_peer_id(text[:position] + extra + text[position:])


@pytest.mark.parametrize(
    "text", ["", "rl", "hello", "xx" + "a" * 56, "rl" + "!" * 56, "rl" + "a" * 55 + "1", "pj" + "0" * 32]
)
def test_malformed_peer_ids(text: str) -> None:
    with pytest.raises(PeerIdError) as caught:
        decode_peer_id(text)
    assert "peer id" in str(caught.value) and "\n" not in str(caught.value)


def test_a_peer_id_has_exactly_32_bytes_of_key() -> None:
    for size in (0, 31, 33):
        with pytest.raises(PeerIdError):
            encode_peer_id(bytes(size))
    # 35 decoded bytes (key + check) fill 56 base32 characters exactly: no padding, no ignored bits.
    body = encode_peer_id(bytes(32))[2:]
    assert len(body) == 56 and len(base64.b32decode(body.upper())) == 35


# -- fingerprints --------------------------------------------------------------------------------------------


@settings(deadline=None)  # timing-independent: the suite may share a loaded machine
@given(keys)
def test_fingerprint_format(key: bytes) -> None:
    text = fingerprint(key)
    assert re.fullmatch(r"[0-9A-F]{4}( [0-9A-F]{4}){4}", text)
    assert fingerprint(key) == text


def test_fingerprints_differ_between_keys_and_from_the_peer_id() -> None:
    a, b = bytes(32), bytes(31) + b"\x01"
    assert fingerprint(a) != fingerprint(b)
    assert fingerprint(a).replace(" ", "").lower() not in encode_peer_id(a)


# -- key files -----------------------------------------------------------------------------------------------


def test_key_file_is_private_and_the_identity_dir_too(home: Path, permissive_umask: None) -> None:
    identity = create_identity(home, "Alice")
    directory = identity_dir(home)
    assert stat.S_IMODE(os.stat(directory / KEY_FILE).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert has_identity(home)
    profile = json.loads((directory / PROFILE_FILE).read_text("utf-8"))
    assert profile["name"] == "Alice" and profile["encrypted"] is False
    assert profile["created"] == identity.created
    # The file holds the private key in PEM, never the public key alone.
    assert (directory / KEY_FILE).read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")


def test_an_existing_open_identity_dir_is_closed(home: Path, permissive_umask: None) -> None:
    identity_dir(home).mkdir(parents=True, mode=0o777)
    create_identity(home, "Alice")
    assert stat.S_IMODE(os.stat(identity_dir(home)).st_mode) == 0o700


def test_a_second_create_is_refused_and_changes_nothing(home: Path) -> None:
    first = create_identity(home, "Alice")
    key_before = (identity_dir(home) / KEY_FILE).read_bytes()
    profile_before = (identity_dir(home) / PROFILE_FILE).read_bytes()
    with pytest.raises(IdentityError, match="never replaced"):
        create_identity(home, "Mallory")
    with pytest.raises(IdentityError, match="never replaced"):
        Workspace.create(home, "Mallory")
    assert (identity_dir(home) / KEY_FILE).read_bytes() == key_before
    assert (identity_dir(home) / PROFILE_FILE).read_bytes() == profile_before
    again = load_identity(home)
    assert again.public_key == first.public_key and again.name == "Alice"


@pytest.mark.parametrize("name", ["", "   ", "x" * 81, "a\ud800b"])
def test_bad_names_are_refused_before_anything_is_written(home: Path, name: str) -> None:
    with pytest.raises(IdentityError):
        create_identity(home, name)
    assert not has_identity(home)


def test_names_are_trimmed_and_80_characters_fit(home: Path) -> None:
    assert create_identity(home, "  " + "é" * 80 + " ").name == "é" * 80


def test_load_round_trip_and_signatures(home: Path) -> None:
    created = create_identity(home, "Alice")
    loaded = load_identity(home)
    assert loaded.public_key == created.public_key
    assert loaded.participant == created.participant != created.public_key
    assert loaded.peer_id == encode_peer_id(created.participant_key)
    assert loaded.fingerprint == fingerprint(created.participant_key)
    assert loaded.certificate == created.certificate
    proof = loaded.sign(b"change hash")
    assert verify_proof(created.public_key, proof, b"change hash") == created.participant
    assert verify_proof(created.public_key, proof, b"other hash") is None
    signature = loaded.private_key.sign(b"change hash")
    assert verify_signature(created.public_key, signature, b"change hash")
    assert not verify_signature(created.public_key, signature, b"other hash")
    assert not verify_signature(created.public_key, bytes(64), b"change hash")
    assert not verify_signature(b"short", signature, b"change hash")


def test_no_identity_yet(home: Path) -> None:
    with pytest.raises(IdentityError, match="reliance init"):
        load_identity(home)
    with pytest.raises(IdentityError, match="reliance init"):
        Workspace.open(home)
    assert not home.exists()


def test_a_damaged_key_file_or_profile_is_reported(home: Path) -> None:
    create_identity(home, "Alice")
    key_path = identity_dir(home) / KEY_FILE
    good = key_path.read_bytes()
    key_path.write_bytes(b"not a key")
    with pytest.raises(IdentityError, match="damaged"):
        load_identity(home)
    key_path.write_bytes(good)
    (identity_dir(home) / PROFILE_FILE).write_text("{", "utf-8")
    with pytest.raises(IdentityError, match="cannot read the identity"):
        load_identity(home)
    (identity_dir(home) / PROFILE_FILE).write_text('{"name": 3}', "utf-8")
    with pytest.raises(IdentityError, match="damaged"):
        load_identity(home)


# -- passphrases ---------------------------------------------------------------------------------------------


def test_passphrase_protection(home: Path) -> None:
    created = create_identity(home, "Alice", b"correct horse")
    assert key_is_encrypted(home)
    pem = (identity_dir(home) / KEY_FILE).read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(IdentityError, match="protected by a passphrase"):
        load_identity(home)
    with pytest.raises(IdentityError, match="wrong passphrase"):
        load_identity(home, b"battery staple")
    assert load_identity(home, b"correct horse").public_key == created.public_key
    # The failures changed nothing.
    assert (identity_dir(home) / KEY_FILE).read_bytes() == pem


def test_a_passphrase_for_an_unprotected_key_is_refused(home: Path) -> None:
    create_identity(home, "Alice")
    assert not key_is_encrypted(home)
    with pytest.raises(IdentityError, match="not protected"):
        load_identity(home, b"anything")


# -- renaming ------------------------------------------------------------------------------------------------


def test_set_profile_name_keeps_the_rest_and_the_mode(home: Path, permissive_umask: None) -> None:
    created = create_identity(home, "Alice", b"correct horse")
    profile = identity_dir(home) / PROFILE_FILE
    os.chmod(profile, 0o600)
    before = json.loads(profile.read_text("utf-8"))
    set_profile_name(home, "  Alice Martin ")
    assert json.loads(profile.read_text("utf-8")) == before | {"name": "Alice Martin"}
    assert stat.S_IMODE(profile.stat().st_mode) == 0o600
    assert sorted(p.name for p in identity_dir(home).iterdir()) == sorted(
        [CERTIFICATE_FILE, KEY_FILE, PARTICIPANT_KEY_FILE, PROFILE_FILE]
    )
    loaded = load_identity(home, b"correct horse")
    assert loaded.name == "Alice Martin" and loaded.created == created.created
    assert key_is_encrypted(home)


def test_set_profile_name_to_the_same_name_writes_nothing(home: Path) -> None:
    create_identity(home, "Alice")
    profile = identity_dir(home) / PROFILE_FILE
    stamp = profile.stat().st_mtime_ns
    os.utime(profile, ns=(stamp - 10**9, stamp - 10**9))
    set_profile_name(home, "Alice")
    assert profile.stat().st_mtime_ns == stamp - 10**9


@pytest.mark.parametrize("name", ["", "   ", "x" * 81, "a\ud800b"])
def test_set_profile_name_refuses_bad_names(home: Path, name: str) -> None:
    create_identity(home, "Alice")
    before = (identity_dir(home) / PROFILE_FILE).read_bytes()
    with pytest.raises(IdentityError):
        set_profile_name(home, name)
    assert (identity_dir(home) / PROFILE_FILE).read_bytes() == before


def test_set_profile_name_reports_a_missing_or_damaged_profile(home: Path) -> None:
    with pytest.raises(IdentityError, match="cannot read the identity"):
        set_profile_name(home, "Alice")
    create_identity(home, "Alice")
    (identity_dir(home) / PROFILE_FILE).write_text("[]", "utf-8")
    with pytest.raises(IdentityError, match="damaged"):
        set_profile_name(home, "Bob")


def test_workspace_rename_updates_the_profile_and_the_open_identity(home: Path) -> None:
    ws = Workspace.create(home, "Alice")
    ws.rename("Alice Martin")
    assert ws.identity.name == "Alice Martin"
    assert ws.participant_name(ws.peer_id) == "Alice Martin"
    assert load_identity(home).name == "Alice Martin"
