"""Node scenarios in one process: real nodes, real homes on disk and real signed changes, joined by
in-memory channels (tests/net/memnet.py). Convergence, fan-out through relays, reconnection after a cut, a
hostile peer's forged batch, the `known` policy, blocks and quotas. What needs processes or a network
(kill -9, namespaces, mDNS, the transport's own hostility) stays in test_scenarios.py and test_policy.py."""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path

import msgpack
import pytest

from reliance.app import projects, settings
from reliance.app.workspace import Workspace
from reliance.automerge import wire
from reliance.model.catalogue import Item, ItemKind
from reliance.net import events as ev
from reliance.net.channel import memory_pair
from reliance.net.errors import ConnectionClosed
from reliance.net.events import PeerState
from reliance.net.node import Node
from reliance.net.oneshot import sync_over
from reliance.net.status import diagnose_home
from reliance.replication.protocol import Session
from tests.conftest import run_cli
from tests.net.memnet import MemoryNet, connected, name
from tests.net.test_limits import stranger_with_junk

NAMES = ["Alice", "Bob", "Chloé", "Dara", "Emeka"]


def offer(title: str) -> Item:
    return Item(id="", kind=ItemKind.OFFER, title=title, author="")


def add_offer(node: Node, title: str) -> None:
    node.ws.add_item(offer(title))
    node.local_change(node.ws.peer_id)


def titles(node: Node) -> set[str]:
    return {item.title for item in node.ws.items()}


def kinds(net: MemoryNet, node: Node) -> list[str]:
    return [event.kind for event in net.events[name(node)]]


def session_of(node: Node, other: Node) -> Session | None:
    peer = node.peers_by_key.get(other.my_key)
    return None if peer is None else peer.session


@pytest.mark.parametrize("topology", ["chain", "mesh"])
async def test_every_offer_reaches_every_node_through_relays(tmp_path: Path, topology: str) -> None:
    """Five nodes, each writing an offer: in a chain, what the ends write crosses three relays."""
    async with MemoryNet(tmp_path) as net:
        nodes = [await net.node(n) for n in NAMES]
        if topology == "mesh":
            await net.mesh()
        else:
            for a, b in itertools.pairwise(nodes):
                await net.join(a, b)
        for node in nodes:
            add_offer(node, f"Offer from {name(node)}")
        every = {f"Offer from {n}" for n in NAMES}
        await net.until(lambda: all(titles(node) == every for node in nodes), "every offer everywhere")
        for doc_owner in nodes:
            heads = {tuple(node.ws.repo.open(doc_owner.ws.peer_id).heads()) for node in nodes}
            assert len(heads) == 1, f"{name(doc_owner)}'s document differs between nodes"
        for node in nodes:
            assert ev.REJECTED not in kinds(net, node) and ev.PEER_DISCONNECTED not in kinds(net, node)


async def test_a_node_cut_off_catches_up_when_it_is_joined_again(tmp_path: Path) -> None:
    async with MemoryNet(tmp_path) as net:
        alice, bob, chloe = [await net.node(n) for n in NAMES[:3]]
        await net.mesh()
        add_offer(alice, "Before the cut")
        await net.until(lambda: all("Before the cut" in titles(n) for n in (bob, chloe)), "first offer")

        await net.cut(alice, chloe)
        await net.cut(bob, chloe)
        add_offer(alice, "Written by Alice while Chloé was away")
        add_offer(chloe, "Written by Chloé alone")
        await net.until(
            lambda: "Written by Alice while Chloé was away" in titles(bob), "Bob still gets Alice's"
        )
        assert "Written by Alice while Chloé was away" not in titles(chloe)  # the cut is real
        assert "Written by Chloé alone" not in titles(alice) | titles(bob)

        await net.join(chloe, alice)  # one way back is enough: Alice relays to Bob
        every = {"Before the cut", "Written by Alice while Chloé was away", "Written by Chloé alone"}
        await net.until(lambda: all(titles(n) == every for n in (alice, bob, chloe)), "everyone caught up")
        assert kinds(net, chloe).count(ev.PEER_CONNECTED) == 3  # twice at first, once again
        assert kinds(net, chloe).count(ev.PEER_DISCONNECTED) == 2


async def test_a_forged_batch_is_refused_and_its_sender_dropped_while_others_sync_on(tmp_path: Path) -> None:
    """Mallory sends a change of her own, validly signed, as a change of Bob's document: the node refuses
    the whole batch, tells her so, drops her and stores nothing of it, while Bob's changes keep coming."""
    async with MemoryNet(tmp_path) as net:
        nora, bob = await net.node("Nora"), await net.node("Bob")
        await net.join(bob, nora)
        await net.until(lambda: nora.ws.repo.exists(bob.ws.peer_id), "Bob's document reaches Nora")
        heads_before = nora.ws.repo.open(bob.ws.peer_id).heads()

        mallory = Workspace.create(tmp_path / "mallory", "Mallory")
        mallory.add_item(offer("Bob owes Mallory everything"))
        change = mallory.my_doc().crdt.changes_since([])[-1]
        signature = mallory.identity.sign(change.hash)
        message = wire.SyncMessage(wire.MESSAGE_V1, (change.hash,), (), (), (change.chunk,))
        forged = {"t": "sync", "d": bob.ws.peer_id, "m": wire.encode_sync_message(message)}
        end_m, end_nora = memory_pair()
        assert await nora.attach(end_nora, mallory.identity.public_key, name="Mallory") is None
        await end_m.send(msgpack.packb({"t": "digest", "d": b"\x00" * 32}))
        await end_m.send(msgpack.packb(forged | {"s": [[change.hash, signature]]}))
        frames = []
        with pytest.raises(ConnectionClosed):
            async with asyncio.timeout(30):
                while True:
                    frames.append(msgpack.unpackb(await end_m.recv()))
        assert frames[-1]["t"] == "reject", frames
        rejected = [e for e in net.events["Nora"] if e.kind == ev.REJECTED]
        assert [(e.peer_id, e.doc_id) for e in rejected] == [(mallory.peer_id, bob.ws.peer_id)]
        assert nora.ws.repo.open(bob.ws.peer_id).heads() == heads_before
        assert "Bob owes Mallory everything" not in titles(nora)

        add_offer(bob, "Bob's, after the attack")
        await net.until(lambda: "Bob's, after the attack" in titles(nora), "Bob's change reaches Nora")
        assert connected(nora, bob) and ev.PEER_DISCONNECTED not in kinds(net, bob)


async def test_the_known_policy_keeps_a_stranger_pending_until_accepted(tmp_path: Path) -> None:
    nora_ws = Workspace.create(tmp_path / "nora", "Nora")
    settings.set_config(nora_ws.home, "policy", "known")
    async with MemoryNet(tmp_path) as net:
        nora, stranger = await net.node("Nora", nora_ws), await net.node("Stranger")
        add_offer(nora, "For accepted peers only")
        refused_stranger, refused_nora = await net.join(stranger, nora)
        assert refused_stranger is None and refused_nora is not None and "accepted" in refused_nora
        assert ev.PEER_PENDING in kinds(net, nora)
        assert [p.state for p in nora.peers()] == [PeerState.PENDING]
        await net.until(lambda: not connected(stranger, nora), "the stranger's side ended too")
        assert "For accepted peers only" not in titles(stranger)

        nora.accept_peer(stranger.ws.peer_id)
        assert await net.join(stranger, nora) == (None, None)
        await net.until(lambda: "For accepted peers only" in titles(stranger), "synced once accepted")


async def test_a_blocked_peer_is_dropped_and_refused_until_unblocked(tmp_path: Path) -> None:
    async with MemoryNet(tmp_path) as net:
        nora, bob = await net.node("Nora"), await net.node("Bob")
        await net.join(bob, nora)
        await net.until(lambda: connected(nora, bob), "connected")
        nora.block_peer(bob.ws.peer_id, "spam")
        await net.until(lambda: not connected(nora, bob) and not connected(bob, nora), "Bob dropped")
        assert (await net.join(bob, nora))[1] == "you are blocked by this node"
        assert bob.ws.peer_id in {p.peer_id for p in nora.peers() if p.state == PeerState.BLOCKED}

        nora.unblock_peer(bob.ws.peer_id)
        add_offer(nora, "After the pardon")
        assert await net.join(bob, nora) == (None, None)
        await net.until(lambda: "After the pardon" in titles(bob), "synced once unblocked")


async def test_other_peoples_documents_are_held_within_quotas_and_no_more_is_relayed(tmp_path: Path) -> None:
    """Mallory brings 8 projects of her own and 6 documents of puppets; the node keeps 2 of hers and 5
    in all, plus the project it is a member of; an honest peer meeting the node gets no more."""
    mallory_ws = stranger_with_junk(tmp_path, own_projects=8, strangers=6)
    nora_ws = Workspace.create(tmp_path / "nora", "Nora")
    limits = {"others_max_documents": 5, "author_max_documents": 2}  # in the node's config.json
    (nora_ws.home / "config.json").write_text(json.dumps({"limits": limits}))
    ours = projects.create_project(mallory_ws, "we are in it")
    projects.add_member(mallory_ws, ours, nora_ws.peer_id)
    offered = set(mallory_ws.repo.doc_ids())
    assert len(offered) == 1 + 8 + 6 + 1
    async with MemoryNet(tmp_path) as net:
        node = await net.node("Nora", nora_ws, limits=settings.load_limits(nora_ws.home))
        mallory = await net.node("Mallory", mallory_ws)
        await net.join(mallory, node)

        def mallory_round_over() -> bool:
            """The node is done with Mallory's round, and every document she offered is held by the node
            or, on her side, still not in sync: declined (the node says nothing then)."""
            session, hers = session_of(node, mallory), session_of(mallory, node)
            if session is None or hers is None or not session.settled or hers.pending_work:
                return False
            held = set(node.ws.repo.doc_ids())
            return (
                ours in held and node.quotas.usage().declined >= 10 and set(hers.unsettled) == offered - held
            )

        await net.until(mallory_round_over, "the node took what its quotas allow of Mallory's")
        held = set(node.ws.repo.doc_ids())
        others = held - {node.ws.peer_id, ours}
        assert ours in held, "a project the owner is a member of is never refused"
        assert others <= offered
        assert len(others) == 5
        assert len({d for d in others if d == mallory_ws.peer_id or d.startswith("pj")}) <= 2
        usage = node.quotas.usage()
        assert (usage.documents, usage.declined > 0) == (5, True)

        honest = await net.node("Honest")
        await net.join(honest, node)

        def honest_round_over() -> bool:
            session, its = session_of(node, honest), session_of(honest, node)
            return (
                session is not None
                and its is not None
                and session.settled
                and not its.pending_work
                and its.unsettled == [honest.ws.peer_id]  # declined: the node is full
            )

        await net.until(honest_round_over, "the honest peer's round is over but for its own document")
        # The node relays what it keeps, except the project for its members (the honest peer is not one).
        assert set(honest.ws.repo.doc_ids()) == (held - {ours}) | {honest.ws.peer_id}

        # `reliance doctor` beside the running node: the node's own count.
        node.config.write_state = True
        written = node._write_state()
        assert written is not None
        await asyncio.wrap_future(written)
        beside = {f.code: f for f in await asyncio.to_thread(diagnose_home, node.ws.home, 0)}
        assert beside["quota_declined"].level == "warning"

    # ...and from the disk once it stopped, through the command line.
    code, out, err = await asyncio.to_thread(run_cli, nora_ws.home, "doctor", "--json", "--lang", "en")
    assert code == 0, err
    findings = {f["code"]: f for f in json.loads(out)}
    assert findings["quota"]["message_en"].startswith("Other people's documents kept here: 5 of 5,")
    assert findings["quota_full"]["level"] == "warning"
    assert "2 documents" in findings["quota_author"]["message_en"]
    assert findings["quota"]["message_fr"] != findings["quota"]["message_en"]


async def test_when_both_open_a_channel_at_once_one_connection_is_kept(tmp_path: Path) -> None:
    """Both sides open a channel at once: the one opened by the smaller key is kept, on both sides."""
    async with MemoryNet(tmp_path) as net:
        alice, bob = await net.node("Alice"), await net.node("Bob")
        await net.join(alice, bob)
        await net.join(bob, alice)
        await net.until(lambda: connected(alice, bob) and connected(bob, alice), "connected")
        peer_a, peer_b = alice.peers_by_key[bob.my_key], bob.peers_by_key[alice.my_key]
        smaller = min(alice.my_key, bob.my_key)
        assert peer_a.conn_initiator == peer_b.conn_initiator == smaller
        add_offer(alice, "Over the one kept")
        await net.until(lambda: "Over the one kept" in titles(bob), "synced over the connection kept")


async def test_a_one_shot_sync_runs_the_nodes_link_over_any_channel(tmp_path: Path) -> None:
    """`sync_over` (what `reliance sync` runs once connected) against a node, over a channel in memory: it
    ends as soon as both sides hold the same, with a summary of both directions."""
    async with MemoryNet(tmp_path) as net:
        nora = await net.node("Nora")
        add_offer(nora, "From the node")
        camille = Workspace.create(tmp_path / "camille", "Camille")
        camille.add_item(offer("From the one-shot"))
        mine, theirs = memory_pair()
        assert await nora.attach(theirs, camille.identity.public_key, name="Camille") is None
        summary = await sync_over(camille, mine, nora.my_key, remote_name="Nora", timeout=30)
        assert summary["complete"] and summary["not_in_sync"] == []
        assert summary["peer_id"] == nora.ws.peer_id and summary["peer_name"] == "Nora"
        assert summary["documents_changed"] == [nora.ws.peer_id] and summary["sent_changes"] >= 1
        assert {i.title for i in camille.items()} == {"From the node", "From the one-shot"}
        await net.until(lambda: "From the one-shot" in titles(nora), "the node stored the one-shot's offer")
        assert mine.closed
