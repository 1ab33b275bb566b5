"""The command line beside a running `reliance serve`: offers, peers, one-shot sync, stop and restart."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from tests.net.cluster import Cluster

pytestmark = pytest.mark.slow

# How long a test waits for what must happen: only stops a test that hangs (never what it checks).
PATIENCE = 60.0


def test_cli_beside_serve_peers_json_and_sync_summary(tmp_path: Path) -> None:
    with Cluster(tmp_path, 3) as cluster:
        before = time.time()
        alice, bob, carol = cluster.nodes  # carol never serves: she syncs once with `reliance sync`
        bob.cli("peer", "add", alice.address)
        cluster.start_all(mdns=False, nodes=[alice, bob])
        cluster.wait(lambda: bob.peer_id in alice.connected(), PATIENCE, "bob connected")

        item_id = alice.add_offer("Sourdough starter")  # the CLI writes; the serving node polls the log
        assert re.fullmatch(r"[0-9a-f]{16}", item_id)
        cluster.wait_titles({"Sourdough starter"}, [bob], timeout=PATIENCE)
        listed = json.loads(bob.cli("item", "list", "--json").out)
        assert [(i["id"], i["author_name"]) for i in listed] == [(item_id, "Alice")]

        def settled() -> bool:
            rows = json.loads(alice.cli("peers", "--json").out)
            return (
                len(rows) == 1 and rows[0]["state"] == "connected" and all(rows[0]["docs_in_sync"].values())
            )

        cluster.wait(settled, PATIENCE, "alice's node reports bob connected and in sync")
        (row,) = json.loads(alice.cli("peers", "--json").out)
        assert set(row) >= {"peer_id", "name", "state", "address", "last_seen", "docs_in_sync", "source"}
        assert (row["peer_id"], row["name"], row["state"]) == (bob.peer_id, "Bob", "connected")
        assert row["address"] == bob.address  # the address bob listens on, not his ephemeral port
        assert isinstance(row["last_seen"], float) and before <= row["last_seen"] <= time.time()
        assert row["docs_in_sync"] == {alice.peer_id: True, bob.peer_id: True}
        text = alice.cli("peers").out
        assert "connected" in text and bob.peer_id in text and "2/2 docs in sync" in text

        carol.add_offer("Soup for the road")
        summary = json.loads(carol.cli("sync", alice.address, "--json").out)
        assert summary["peer_id"] == alice.peer_id and summary["peer_name"] == "Alice"
        assert summary["received_changes"] == 3  # alice's genesis and offer, bob's genesis
        assert summary["documents_changed"] == sorted([alice.peer_id, bob.peer_id])
        assert summary["sent_changes"] == 2  # carol's genesis and offer
        assert summary["bytes_in"] > 0 and summary["bytes_out"] > 0 and summary["seconds"] > 0
        # alice relays carol's offer to bob (gossip), though bob never met carol.
        cluster.wait_titles({"Soup for the road"}, [alice, bob], timeout=PATIENCE)
        again = carol.cli("sync", alice.address).out
        assert re.match(
            r"synced with Alice \(rl[a-z2-7]{12}…\): received 0 changes in 0 documents, sent 0 changes", again
        )


def test_sigterm_stops_serve_cleanly_and_a_restart_loses_nothing(tmp_path: Path) -> None:
    with Cluster(tmp_path, 2) as cluster:
        alice, bob = cluster.nodes
        bob.cli("peer", "add", alice.address)
        cluster.start_all(mdns=False)
        cluster.wait(lambda: bob.peer_id in alice.connected(), PATIENCE, "bob connected")
        titles = {f"Offer {i}" for i in range(3)}
        for title in sorted(titles):
            alice.add_offer(title)
        cluster.wait_titles(titles, timeout=PATIENCE)

        assert alice.stop() == 0  # SIGTERM, and the exit status of a clean stop
        assert "stopped cleanly" in alice.log()
        assert not (alice.home / "node-state.json").exists()
        known = json.loads((alice.home / "peers.json").read_text())
        assert bob.address in known["peers"][bob.peer_id]["addresses"]
        rows = json.loads(alice.cli("peers", "--json").out)  # no node running: from peers.json
        assert [(r["peer_id"], r["state"]) for r in rows] == [(bob.peer_id, "discovered")]
        cluster.wait(lambda: alice.peer_id not in bob.connected(), PATIENCE, "bob saw alice leave")
        left = [line for line in bob.log().splitlines() if "disconnected from Alice" in line]
        assert left and "closed by peer" in left[-1], bob.log()  # told, not left to notice her silence

        bob.add_offer("Made while alice slept")
        alice.start(mdns=False)  # alice redials bob from peers.json (she learnt his address when he dialled)
        alice.wait_listening()
        cluster.wait_titles(titles | {"Made while alice slept"}, timeout=PATIENCE)
        listed = {i["title"] for i in json.loads(alice.cli("item", "list", "--json").out)}
        assert listed == titles | {"Made while alice slept"}
        cluster.wait(lambda: bob.peer_id in alice.connected(), PATIENCE, "alice reconnected")


def test_peer_remove_beside_serve_forgets_the_address_for_good(tmp_path: Path) -> None:
    """The running node forgets the address too: its own saves of peers.json do not bring it back."""
    with Cluster(tmp_path, 2) as cluster:
        alice, bob = cluster.nodes
        bob.cli("peer", "add", alice.address)
        cluster.start_all(mdns=False)
        cluster.wait(lambda: bob.peer_id in alice.connected(), PATIENCE, "bob connected")
        assert f"forgot {alice.address}" in bob.cli("peer", "remove", alice.address).out
        assert bob.stop() == 0
        known = json.loads((bob.home / "peers.json").read_text())
        assert alice.address not in known["typed"]
        assert all(alice.address not in entry["addresses"] for entry in known["peers"].values())
