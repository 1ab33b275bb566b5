"""What adverts and strangers can make a node do: dial, rename, remember (in this process, on loopback)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from zeroconf import IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from reliance.app import settings
from reliance.app.workspace import Workspace
from reliance.clock import FixedClock
from reliance.identity import encode_peer_id
from reliance.limits import Limits
from reliance.net.config import NodeConfig
from reliance.net.discovery import DiscoveredPeer
from reliance.net.errors import HandshakeRefused
from reliance.net.handshake import connect
from reliance.net.hello import PROTOCOL_VERSION
from reliance.net.node import Node
from reliance.net.status import read_peers_file
from tests.net.cluster import random_service_type


def fast_node(ws: Workspace) -> Node:
    """A node on 127.0.0.1 with short timers: adverts give real addresses, dialled over loopback."""
    return Node(
        ws,
        NodeConfig(
            port=0,
            listen="127.0.0.1",
            mdns=False,
            write_state=False,
            heartbeat_interval=0.5,
            redial_min=0.2,
            redial_max=1.0,
            poll_interval=0.1,
        ),
    )


@contextlib.asynccontextmanager
async def running(*spaces: Workspace) -> AsyncIterator[list[Node]]:
    nodes = [fast_node(ws) for ws in spaces]
    try:
        for node in nodes:
            await node.start()
        yield nodes
    finally:
        for node in nodes:
            await node.stop()


async def eventually(predicate: Callable[[], object], timeout: float, what: str) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.05)
    assert predicate(), what


class CountingListener:
    """A TCP port that accepts connections and closes them at once: a fake advert's address."""

    def __init__(self) -> None:
        self.accepted = 0
        self.server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> CountingListener:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.accepted += 1
            writer.close()

        self.server = await asyncio.start_server(handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


def advert(peer_id: str, name: str, port: int) -> DiscoveredPeer:
    return DiscoveredPeer(
        peer_id=peer_id,
        name=name,
        addresses=["127.0.0.1"],
        port=port,
        protocol_version=PROTOCOL_VERSION,
        seen_at=time.time(),
        instance=f"fake-{secrets.token_hex(4)}",
    )


def key_above(key: bytes) -> bytes:
    """A public key that sorts after `key` (the node dials a larger key at once, without waiting)."""
    while True:
        other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
        if other > key:
            return other


@pytest.mark.parametrize("claimed", [True, False], ids=["claimed-id", "anonymous"])
async def test_an_advertised_address_is_dialled_with_backoff_however_often_it_is_advertised(
    tmp_path: Path, claimed: bool
) -> None:
    ws = Workspace.create(tmp_path / "home", "Alice")
    node = Node(ws, NodeConfig(mdns=False, write_state=False, redial_min=30.0, redial_max=60.0))
    peer_id = encode_peer_id(key_above(ws.identity.network_key)) if claimed else ""
    try:
        async with CountingListener() as listener:
            for round_ in range(5):
                node._on_found(advert(peer_id, f"Nom {round_}", listener.port))  # the data changes each time
                node._redial_due()
                await asyncio.gather(*node._tasks)
            assert listener.accepted == 1
    finally:
        await node.stop()
    assert read_peers_file(ws.home)["peers"] == {}  # no handshake with the advertised key: nothing saved


async def test_an_advert_never_renames_a_peer_nor_gives_it_an_address(tmp_path: Path) -> None:
    """Real zeroconf on 127.0.0.1: an impostor advertises Bob's id and another name at its own address."""
    alice = Workspace.create(tmp_path / "alice", "Alice")
    bob = Workspace.create(tmp_path / "bob", "Bob")
    service_type = random_service_type()
    node_a = Node(
        alice,
        NodeConfig(
            port=0,
            listen="127.0.0.1",
            service_type=service_type,
            interfaces=["127.0.0.1"],
            write_state=False,
            redial_min=30.0,
            redial_max=60.0,
        ),
    )
    node_b = fast_node(bob)
    aiozc = AsyncZeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    try:
        await node_a.start()
        await node_b.start()
        assert node_a.listen_address is not None
        await node_b.add_address(*node_a.listen_address)
        bob_key = bob.identity.network_key
        await eventually(
            lambda: bob_key in node_a.peers_by_key and node_a.peers_by_key[bob_key].conn is not None,
            15,
            "Bob connected to Alice",
        )
        assert node_a.peers_by_key[bob_key].name == "Bob"
        async with CountingListener() as impostor:
            info = AsyncServiceInfo(
                service_type,
                f"impostor.{service_type}",
                port=impostor.port,
                properties={"id": bob.peer_id, "name": "Impostor", "pv": str(PROTOCOL_VERSION)},
                server=f"impostor-{secrets.token_hex(3)}.local.",
                parsed_addresses=["127.0.0.1"],
            )
            await aiozc.async_register_service(info, cooperating_responders=True)
            # Bob is connected, so the claimed address is dialled only when the claim could be new: wait
            # until Alice's node has seen the advert at all.
            await eventually(lambda: node_a._adverts, 10, "Alice's node saw the advert")
            assert node_a.peers_by_key[bob_key].name == "Bob"
            assert ("127.0.0.1", impostor.port) not in node_a.peers_by_key[bob_key].addresses
        await node_a.stop()
        saved = read_peers_file(alice.home)["peers"][bob.peer_id]
        assert saved["name"] == "Bob"
        assert f"127.0.0.1:{impostor.port}" not in saved["addresses"]
    finally:
        await aiozc.async_close()
        await node_a.stop()
        await node_b.stop()


async def test_an_advertised_address_is_saved_once_the_handshake_proves_the_key(tmp_path: Path) -> None:
    alice = Workspace.create(tmp_path / "alice", "Alice")
    bob = Workspace.create(tmp_path / "bob", "Bob")
    async with running(alice, bob) as (node_a, node_b):
        assert node_b.listen_address is not None
        node_a._on_found(advert("", "", node_b.listen_address[1]))  # anonymous, as every node advertises
        node_a._redial_due()
        bob_key = bob.identity.network_key
        await eventually(
            lambda: bob_key in node_a.peers_by_key and node_a.peers_by_key[bob_key].conn is not None,
            15,
            "Alice dialled the advertised address and met Bob",
        )
        peer = node_a.peers_by_key[bob_key]
        assert peer.name == "Bob" and peer.source == "mdns"
        saved = read_peers_file(alice.home)["peers"][bob.peer_id]
        assert saved["addresses"] == [f"127.0.0.1:{node_b.listen_address[1]}"]


@pytest.fixture
async def guarded(tmp_path: Path) -> AsyncIterator[Node]:
    ws = Workspace.create(tmp_path / "guarded", "Gardienne")
    settings.set_config(ws.home, "policy", "known")
    node = Node(
        ws,
        NodeConfig(
            port=0,
            listen="127.0.0.1",
            mdns=False,
            write_state=False,
            limits=Limits().replace(max_pending_peers=3),
        ),
    )
    await node.start()
    try:
        yield node
    finally:
        await node.stop()


async def test_refused_strangers_are_not_saved_and_pending_ones_are_bounded(guarded: Node) -> None:
    assert guarded.listen_address is not None
    strangers = [Ed25519PrivateKey.generate() for _ in range(8)]
    for key in strangers:
        with pytest.raises(HandshakeRefused):
            await connect(*guarded.listen_address, key, name="Inconnu")
    stranger_ids = [encode_peer_id(k.public_key().public_bytes_raw()) for k in strangers]
    pending = [p.peer_id for p in guarded.peers() if p.state == "pending"]
    assert sorted(pending) == sorted(stranger_ids[-3:])  # the latest ones wait, within the limit
    saved = guarded._save_peers_file()  # on the node's file thread
    assert saved is not None
    await asyncio.wrap_future(saved)
    assert read_peers_file(guarded.home)["peers"] == {}

    guarded.accept_peer(stranger_ids[-1])  # accepted by hand: remembered
    await asyncio.wrap_future(guarded._files.submit(lambda: None))  # once the files queued are written
    assert set(read_peers_file(guarded.home)["peers"]) == {stranger_ids[-1]}


def test_a_peers_file_full_of_refused_strangers_is_cleaned_on_load(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "home", "Alice")
    junk = {
        encode_peer_id(secrets.token_bytes(32)): {"name": "", "addresses": [], "accepted": False}
        for _ in range(50)
    }
    friend = encode_peer_id(secrets.token_bytes(32))
    junk[friend] = {"name": "Amie", "addresses": ["10.0.0.7:7447"], "accepted": True, "source": "typed"}
    (ws.home / "peers.json").write_text(json.dumps({"peers": junk, "typed": []}))
    node = Node(ws, NodeConfig(mdns=False, write_state=False))
    node._load_peers_file()
    saved = node._save_peers_file()
    assert saved is not None
    saved.result(10)
    node._worker.shutdown()
    node._files.shutdown()
    assert set(read_peers_file(ws.home)["peers"]) == {friend}


async def test_adverts_noted_at_once_are_bounded(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "home", "Alice")
    limits = Limits().replace(max_advertised_addresses=5)
    node = Node(ws, NodeConfig(mdns=False, write_state=False, limits=limits))
    try:
        for port in range(9000, 9100):  # a flood of adverts, each at its own address
            node._on_found(advert("", "", port))
        assert len(node._adverts) == 5
        assert {a.address[1] for a in node._adverts.values()} <= set(range(9000, 9100))
    finally:
        await node.stop()


async def test_an_advertised_address_is_dialled_again_when_the_nodes_clock_passes_its_backoff(
    tmp_path: Path,
) -> None:
    """The node's dialer runs on the clock it is given: a fake one moves the redial, no sleeping."""
    clock = FixedClock()
    ws = Workspace.create(tmp_path / "home", "Alice")
    node = Node(ws, NodeConfig(mdns=False, write_state=False, redial_min=30.0, redial_max=60.0), clock=clock)
    try:
        async with CountingListener() as listener:
            node._on_found(advert("", "", listener.port))
            dialled = []
            for step in (0.0, 29.9, 0.1, 59.9, 0.1):
                clock.advance(step)
                node._redial_due()
                await asyncio.gather(*node._tasks)
                dialled.append(listener.accepted)
            assert dialled == [1, 1, 2, 2, 3]  # at once, after 30 s, then after 60 s
    finally:
        await node.stop()
