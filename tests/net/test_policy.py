"""Who may connect: the accept policy, blocked peers, and one connection per pair of peers."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reliance.app.workspace import Workspace
from reliance.clock import FixedClock
from reliance.model.catalogue import Item, ItemKind
from reliance.net.node import Node
from tests.net.cluster import Cluster, ServeNode, wait_until

pytestmark = pytest.mark.slow

# How long a test waits for what must happen: only stops a test that hangs (never what it checks).
PATIENCE = 60.0
REFUSED_UNKNOWN = "only syncs with accepted peers"
REFUSED_BLOCKED = "you are blocked by this node"


def test_known_policy_keeps_an_unknown_peer_pending_until_accepted(tmp_path: Path) -> None:
    with Cluster(tmp_path, 2) as cluster:
        guarded, newcomer = cluster.nodes
        guarded.cli("config", "set", "policy", "known")
        newcomer.add_offer("Offer from a stranger")
        guarded.add_offer("Offer behind the gate")
        newcomer.cli("peer", "add", guarded.address)
        cluster.start_all(mdns=False)

        def pending() -> bool:
            rows = json.loads(guarded.cli("peers", "--json").out)
            return any(r["peer_id"] == newcomer.peer_id and r["state"] == "pending" for r in rows)

        cluster.wait(pending, PATIENCE, "the unknown peer is listed as pending")
        knocks = newcomer.log().count(REFUSED_UNKNOWN)
        assert knocks >= 1
        # It keeps knocking: two more refusals, each a moment something could have got through.
        cluster.wait(
            lambda: newcomer.log().count(REFUSED_UNKNOWN) >= knocks + 2,
            PATIENCE,
            "the newcomer knocked again",
        )
        assert pending()
        assert "Offer from a stranger" not in guarded.titles()
        assert "Offer behind the gate" not in newcomer.titles()
        assert newcomer.peer_id not in guarded.connected()

        guarded.cli("peer", "accept", newcomer.peer_id)  # the CLI beside the running node
        cluster.wait_titles({"Offer from a stranger", "Offer behind the gate"}, timeout=PATIENCE)
        cluster.wait(
            lambda: newcomer.peer_id in guarded.connected(), PATIENCE, "the accepted peer is connected"
        )


def test_blocked_peers_are_refused_at_handshake(tmp_path: Path) -> None:
    with Cluster(tmp_path, 3) as cluster:
        alice, mallory, carol = cluster.nodes
        alice.cli("block", mallory.peer_id, "--reason", "spam")
        mallory.add_offer("Spam from a blocked peer")
        for node in (mallory, carol):
            node.cli("peer", "add", alice.address)
        cluster.start_all(mdns=False)
        cluster.wait(lambda: carol.peer_id in alice.connected(), PATIENCE, "carol connected")
        cluster.wait(lambda: REFUSED_BLOCKED in mallory.log(), PATIENCE, "mallory was refused")
        rows = {r["peer_id"]: r for r in json.loads(alice.cli("peers", "--json").out)}
        assert rows[mallory.peer_id]["state"] == "blocked"

        # Blocking a connected peer while the node runs closes its connection and refuses it from then on.
        alice.cli("block", carol.peer_id)
        cluster.wait(lambda: carol.peer_id not in alice.connected(), PATIENCE, "carol disconnected")
        cluster.wait(lambda: REFUSED_BLOCKED in carol.log(), PATIENCE, "carol's redial was refused")
        carol.add_offer("Carol after the block")
        # Both knock again after it: each refusal a moment something could have got through.
        knocks = {node.name: node.log().count(REFUSED_BLOCKED) for node in (carol, mallory)}
        cluster.wait(
            lambda: all(
                node.log().count(REFUSED_BLOCKED) >= knocks[node.name] + 2 for node in (carol, mallory)
            ),
            PATIENCE,
            "carol and mallory knocked again",
        )
        titles = alice.titles()
        assert "Spam from a blocked peer" not in titles
        assert "Carol after the block" not in titles
        assert alice.peer_id not in carol.connected()


def serve_maintenance_rounds(*nodes: ServeNode) -> Iterator[int]:
    """Rounds of every one of `nodes`' maintenance seen from now on (the least of them): each call writes an
    offer straight into the node's store, as a program that does not speak the local API would (the CLI
    asks the owner, which announces at once), and counts once the node's maintenance noticed it on disk (a
    node writes its state only when it changes: an idle node leaves no other mark)."""
    noticed = "changed on disk"
    rounds = 0
    while True:
        for node in nodes:
            before = node.log().count(noticed)
            tick = Item(id="", kind=ItemKind.OFFER, title=f"tick {rounds} of {node.name}", author="")
            Workspace.open(node.home).add_item(tick)
            wait_until(lambda node=node, before=before: node.log().count(noticed) > before, 30, "noticed")
        rounds += 1
        yield rounds


def test_one_connection_per_pair_when_both_dial_at_once(tmp_path: Path) -> None:
    with Cluster(tmp_path, 2) as cluster:
        a, b = cluster.nodes
        a.cli("peer", "add", b.address)
        b.cli("peer", "add", a.address)
        for round_ in range(2):
            a.start()
            b.start()  # both dial the other as soon as they start (and find each other by mDNS too)
            a.wait_listening()
            b.wait_listening()
            cluster.wait_mesh(timeout=PATIENCE)
            cluster.wait(
                lambda: cluster.established_between(a, b) == 1 and cluster.established_between(b, a) == 1,
                PATIENCE,
                "exactly one TCP connection between the pair",
            )
            before = (a.log().count("connected to"), b.log().count("connected to"))
            # And it stays so, no churn, while the maintenance of both nodes (which dials whoever is due) runs
            # three rounds seen from outside, each after a CLI process: over two seconds of their own, above
            # the longest redial backoff (1.5 s).
            rounds = serve_maintenance_rounds(a, b)

            def three_rounds_without_churn(rounds: Iterator[int] = rounds) -> bool:
                assert cluster.established_between(a, b) == 1, "the pair has not exactly one connection"
                return next(rounds) >= 3

            cluster.wait(three_rounds_without_churn, PATIENCE, "both nodes' maintenance ran three rounds")
            assert cluster.established_between(a, b) == 1 and cluster.established_between(b, a) == 1
            assert (a.log().count("connected to"), b.log().count("connected to")) == before
            assert b.peer_id in a.connected() and a.peer_id in b.connected()
            a.add_offer(f"Round {round_}")
            cluster.wait_titles({f"Round {round_}"})
            assert a.stop() == 0 and b.stop() == 0


def reader_tasks() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("transport-read-") and not t.done()]


async def maintenance_round(clocks: list[FixedClock]) -> None:
    """One round of the maintenance (which dials whoever is due) of every node on one of `clocks`: half a
    second on each clock (`NodeConfig.tick_interval`)."""
    await asyncio.gather(*(clock.rounds(1) for clock in clocks))


async def test_simultaneous_dials_keep_the_same_single_connection_on_both_sides(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """In one process, so that both dials really start in the same instant (three times over)."""
    caplog.set_level(logging.INFO, logger="reliance.node")
    from reliance.app.workspace import Workspace
    from reliance.net.config import NodeConfig

    spaces = [Workspace.create(tmp_path / name, name) for name in ("Ana", "Ben")]
    for attempt in range(3):
        clocks = [FixedClock() for _ in spaces]
        nodes = [
            Node(
                ws,
                NodeConfig(port=0, listen="127.0.0.1", mdns=False, write_state=False, redial_max=0.5),
                clock=clock,
            )
            for ws, clock in zip(spaces, clocks, strict=True)
        ]
        try:
            for node in nodes:
                await node.start()
            a, b = nodes
            assert a.listen_address is not None and b.listen_address is not None
            await asyncio.gather(a.add_address(*b.listen_address), b.add_address(*a.listen_address))

            def pair(a: Node = a, b: Node = b) -> tuple[Any, Any]:
                return a.peers_by_key[b.my_key].conn, b.peers_by_key[a.my_key].conn

            async with asyncio.timeout(PATIENCE):
                while True:
                    await asyncio.sleep(0.05)
                    if b.my_key not in a.peers_by_key or a.my_key not in b.peers_by_key:
                        continue
                    conn_a, conn_b = pair()
                    if conn_a is None or conn_b is None:
                        continue
                    ends_a = (
                        conn_a._writer.get_extra_info("sockname"),
                        conn_a._writer.get_extra_info("peername"),
                    )
                    ends_b = (
                        conn_b._writer.get_extra_info("peername"),
                        conn_b._writer.get_extra_info("sockname"),
                    )
                    if ends_a == ends_b:
                        break
            # The other connection's ends are gone, and each node's maintenance ran three rounds since:
            # 1.5 s on its clock, above the redial backoff (0.5 s).
            async with asyncio.timeout(PATIENCE):
                while len(reader_tasks()) > 2:
                    await asyncio.sleep(0.05)
                for _ in range(3):
                    await maintenance_round(clocks)
            assert pair() == (conn_a, conn_b), f"attempt {attempt}: the kept connection changed"
            assert not conn_a.closed and not conn_b.closed
            live = reader_tasks()
            assert len(live) == 2, f"attempt {attempt}: {len(live)} live connection ends"
        finally:
            for node in nodes:
                await node.stop()
    duplicates = [r for r in caplog.records if "second connection" in r.getMessage()]
    assert duplicates, "the two dials never overlapped"
