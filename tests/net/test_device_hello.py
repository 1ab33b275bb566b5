"""A linked device is known to other nodes as its participant: its handshake carries its certificate, checked
(bounded, signed by the participant key, for the very key of the handshake, not revoked as far as the node
knows), and the peer is shown as the participant with the device's name beside it. Hostile certificates are
refused with a clear reason; peers without one connect as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgpack
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from reliance.app.devices import revoke_device
from reliance.app.workspace import Workspace
from reliance.identity import encode_peer_id
from reliance.net.config import NodeConfig
from reliance.net.errors import HandshakeFailed, HandshakeRefused
from reliance.net.handshake import connect
from reliance.net.hello import (
    MAX_PAYLOAD,
    PROTOCOL_VERSION,
    REVOKED_REASON,
    check_revoked,
    make_hello,
    unpack_hello,
    validate_hello,
    verify_hello,
)
from reliance.net.node import Node
from reliance.net.oneshot import sync_once
from reliance.replication.bundle import export_bundle, import_bundle
from tests.identity.test_grant import link
from tests.net.busy import port_of, wait_for

PATIENCE = 30.0


def node_of(ws: Workspace) -> Node:
    return Node(ws, NodeConfig(port=0, listen="127.0.0.1", mdns=False, write_state=False))


@pytest.fixture
def alice(tmp_path: Path) -> tuple[Workspace, Workspace]:
    """Alice's laptop (made the identity: it shows her participant key) and her linked phone."""
    laptop = Workspace.create(tmp_path / "laptop", "Alice", device_name="laptop")
    return laptop, link(tmp_path, laptop)


def hello_fields(ws: Workspace, static: bytes, **changes: Any) -> dict[str, Any]:
    raw = make_hello(
        ws.identity.network_private_key,
        static,
        name="Alice",
        port=None,
        version=PROTOCOL_VERSION,
        certificate=ws.identity.network_certificate,
    )
    fields: dict[str, Any] = msgpack.unpackb(raw, raw=False)
    fields.update(changes)
    return fields


def test_a_linked_devices_hello_says_whose_device_it_is(alice: tuple[Workspace, Workspace]) -> None:
    laptop, phone = alice
    static = X25519PrivateKey.generate().public_key().public_bytes_raw()
    assert phone.identity.network_certificate is not None
    hello = validate_hello(unpack_hello(msgpack.packb(hello_fields(phone, static))))
    verify_hello(hello, static)
    assert hello.key == phone.identity.public_key
    assert hello.participant == laptop.identity.participant_key == hello.certified_participant
    assert hello.device_name == "phone"
    # the device that made the identity shows the participant key itself: no certificate, as before
    assert laptop.identity.network_certificate is None
    first = validate_hello(unpack_hello(msgpack.packb(hello_fields(laptop, static))))
    assert first.participant == first.key == laptop.identity.participant_key and first.certificate is None


def hostile_certificates(laptop: Workspace, phone: Workspace) -> list[tuple[str, object, str]]:
    cert = phone.identity.certificate
    other = laptop.identity.certificate  # a real certificate, of the laptop's own device key
    assert cert is not None and other is not None
    flipped = cert[:-1] + bytes([cert[-1] ^ 1])
    return [
        ("another key", other, "for another key"),
        ("bad signature", flipped, "not signed by its participant key"),
        ("oversized", cert + bytes(300), "truncated or oversized"),
        ("truncated far", cert[:100], "truncated or oversized"),
        ("truncated by one", cert[:-1], "malformed or not signed"),
        ("empty", b"", "truncated or oversized"),
        ("not bytes", cert.hex(), "must be bytes"),
        ("a number", 7, "must be bytes"),
    ]


def test_hostile_certificates_in_a_hello_are_refused_with_a_clear_reason(
    alice: tuple[Workspace, Workspace],
) -> None:
    laptop, phone = alice
    static = X25519PrivateKey.generate().public_key().public_bytes_raw()
    for what, cert, reason in hostile_certificates(laptop, phone):
        payload = msgpack.packb(hello_fields(phone, static, cert=cert))
        assert len(payload) <= MAX_PAYLOAD
        with pytest.raises(HandshakeFailed, match=reason) as refused:
            validate_hello(unpack_hello(payload))
        assert "certificate" in str(refused.value), what
    hello = validate_hello(unpack_hello(msgpack.packb(hello_fields(phone, static))))
    with pytest.raises(HandshakeFailed, match=REVOKED_REASON):
        check_revoked(
            hello, lambda participant, device: (participant, device) == (hello.participant, hello.key)
        )
    check_revoked(hello, lambda participant, device: False)


async def test_a_linked_device_shows_as_its_participant_with_its_name(
    alice: tuple[Workspace, Workspace], tmp_path: Path
) -> None:
    laptop, phone = alice
    bob = Workspace.create(tmp_path / "bob", "Bob")
    bobs, phones, laptops = node_of(bob), node_of(phone), node_of(laptop)
    for node in (bobs, phones, laptops):
        await node.start()
    try:
        await phones.add_address("127.0.0.1", port_of(bobs))
        await laptops.add_address("127.0.0.1", port_of(bobs))

        def rows() -> list[dict[str, Any]]:
            return [p.to_json() for p in bobs.peers() if p.state == "connected"]

        await wait_for(lambda: len(rows()) == 2, PATIENCE, "both of Alice's devices connected to Bob")
        by_device = {row["device"]: row for row in rows()}
        assert set(by_device) == {"phone", None}
        assert {row["peer_id"] for row in rows()} == {laptop.peer_id}
        assert {row["name"] for row in rows()} == {"Alice"}
        assert by_device["phone"]["device_id"] == encode_peer_id(phone.identity.public_key)
        assert by_device[None]["device_id"] is None
        # `reliance sync` to the phone names Alice too
        carol = Workspace.create(tmp_path / "carol", "Carol")
        assert (await sync_once(carol, "127.0.0.1", port_of(phones)))["peer_id"] == laptop.peer_id

        # the laptop revokes the phone; once Bob's node holds the revocation, the phone is cut off
        revoke_device(laptop, "phone")
        laptops.local_change(laptop.peer_id)
        phone_at_bob = bobs.peers_by_key[phone.identity.public_key]
        await wait_for(
            lambda: bobs._is_revoked(laptop.identity.participant_key, phone.identity.public_key),
            PATIENCE,
            "Bob's node learns of the revocation",
        )
        await wait_for(lambda: phone_at_bob.conn is None, PATIENCE, "the revoked phone disconnected")
        with pytest.raises(HandshakeRefused, match="revoked"):
            await connect(
                "127.0.0.1",
                port_of(bobs),
                phone.identity.network_private_key,
                name="Alice",
                certificate=phone.identity.network_certificate,
            )
    finally:
        for node in (phones, laptops, bobs):
            await node.stop()


async def test_a_node_refuses_a_certificate_that_is_not_the_handshakes_key(
    alice: tuple[Workspace, Workspace], tmp_path: Path
) -> None:
    laptop, phone = alice
    bob = Workspace.create(tmp_path / "bob", "Bob")
    bobs = node_of(bob)
    await bobs.start()
    try:
        for what, cert, reason in hostile_certificates(laptop, phone):
            if not isinstance(cert, bytes):
                continue
            with pytest.raises(HandshakeRefused, match=reason) as refused:
                await connect(
                    "127.0.0.1",
                    port_of(bobs),
                    phone.identity.network_private_key,
                    name="Alice",
                    certificate=cert,
                )
            assert refused.value.reason.startswith("handshake rejected: "), what
        # a peer without a certificate (a home made before devices) connects as before
        old = await connect("127.0.0.1", port_of(bobs), bob.identity.private_key, name="Old")
        await old.close()
        assert bobs.peers() == [] or all(p.device == "" for p in bobs.peers())
    finally:
        await bobs.stop()


def test_a_revoked_device_is_refused_by_a_node_that_got_the_revocation_from_a_bundle(
    alice: tuple[Workspace, Workspace], tmp_path: Path
) -> None:
    import asyncio

    laptop, phone = alice
    bob = Workspace.create(tmp_path / "bob", "Bob")
    revoke_device(laptop, "phone")
    export_bundle(laptop.repo, tmp_path / "alice.bundle", [laptop.peer_id], laptop.peer_id)
    import_bundle(bob.repo, tmp_path / "alice.bundle")

    async def run() -> None:
        bobs = node_of(bob)
        await bobs.start()
        try:
            with pytest.raises(HandshakeRefused, match="revoked by its participant"):
                await connect(
                    "127.0.0.1",
                    port_of(bobs),
                    phone.identity.network_private_key,
                    name="Alice",
                    certificate=phone.identity.network_certificate,
                )
            # the phone dialled by Bob's node is refused on Bob's side too
            phones = node_of(phone)
            await phones.start()
            try:
                await bobs.add_address("127.0.0.1", port_of(phones))
                await wait_for(lambda: bobs._typed_retry, PATIENCE, "Bob's dial of the revoked phone failed")
                assert phone.identity.public_key not in bobs.peers_by_key
            finally:
                await phones.stop()
        finally:
            await bobs.stop()

    asyncio.run(run())


def test_accepting_or_blocking_a_participant_covers_their_devices(
    alice: tuple[Workspace, Workspace], tmp_path: Path
) -> None:
    """Under the `known` policy a device of an accepted participant, or of this node's own participant, is
    let in; blocking a participant refuses their devices too (`admission`, driven directly)."""
    laptop, phone = alice
    bob = Workspace.create(tmp_path / "bob", "Bob")
    node = Node(bob, NodeConfig(port=0, listen="127.0.0.1", mdns=False, write_state=False))
    own = Node(laptop, NodeConfig(port=0, listen="127.0.0.1", mdns=False, write_state=False))
    try:
        admitted(node, own, laptop, phone, bob)
    finally:
        for each in (node, own):  # never started: only their threads to end
            each._worker.close()
            each._files.close()


def admitted(node: Node, own: Node, laptop: Workspace, phone: Workspace, bob: Workspace) -> None:
    from reliance.net import admission

    node._policy = "known"
    device, participant = phone.identity.public_key, laptop.identity.participant_key
    assert admission.accept(node, device, participant) == admission.NOT_ACCEPTED
    pending = [p.to_json() for p in node.peers()]
    assert [(p["peer_id"], p["state"]) for p in pending] == [(laptop.peer_id, "pending")]
    node.accept_peer(laptop.peer_id)  # the id `reliance peers` shows
    assert admission.accept(node, device, participant) is None
    node._blocked.add(participant)
    assert admission.accept(node, device, participant) == "you are blocked by this node"
    assert [p.state for p in node.peers()] == ["blocked"]
    # the laptop lets its own phone in whatever its policy
    own._policy = "known"
    assert admission.accept(own, device, participant) is None
    assert admission.accept(own, bob.identity.network_key, None) == admission.NOT_ACCEPTED
