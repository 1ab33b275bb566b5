"""Real processes: `reliance serve` owns its home, and the CLI beside it goes through the local API.

The serving node's store poll is set to an hour, so nothing but the API can explain that a CLI write is
announced: its subscribers get a `documents` event, and a connected peer receives the change, at once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reliance.localapi.client import ApiClient
from reliance.localapi.ownership import current_owner
from reliance.localapi.protocol import Event
from tests.net.cluster import Cluster

pytestmark = pytest.mark.slow

PATIENCE = 60.0  # only stops a test that hangs
NO_POLL = {"RELIANCE_POLL_INTERVAL": "3600"}


def next_event(client: ApiClient, kind: str) -> Event:
    """The next `kind` event; of `documents`, the next one a local write made (a peer's documents may
    still be arriving from the first sync)."""
    for event in client.events():
        if event.kind == kind and not (kind == "documents" and event.data.get("origin") == "peer"):
            return event
    raise AssertionError(f"the owner closed the connection before a {kind} event")


def test_a_cli_write_beside_serve_is_announced_at_once_and_once(tmp_path: Path) -> None:
    with Cluster(tmp_path, 2, mode="loopback") as cluster:
        alice, bob = cluster.nodes
        bob.cli("peer", "add", alice.address)
        alice.start(mdns=False, env=NO_POLL)
        bob.start(mdns=False, env=NO_POLL)
        alice.wait_listening()
        bob.wait_listening()
        cluster.wait(lambda: bob.peer_id in alice.connected(), PATIENCE, "bob connected")
        assert current_owner(alice.home) == {"pid": alice.proc.pid if alice.proc else 0, "kind": "serve"}

        with ApiClient.connect(alice.home, timeout=PATIENCE) as watcher:
            watcher.call("subscribe")
            first = alice.add_offer("Sourdough starter")
            announced = next_event(watcher, "documents")
            assert announced.data == {"doc_ids": [alice.peer_id], "origin": "api"}
            cluster.wait_titles({"Sourdough starter"}, [bob], timeout=PATIENCE)  # pushed, not polled
            second = alice.add_offer("Bread knife")
            assert next_event(watcher, "documents").data["doc_ids"] == [alice.peer_id]
            cluster.wait_titles({"Sourdough starter", "Bread knife"}, [bob], timeout=PATIENCE)
        assert first != second

        # Once per write, by the owner: two writes, two announcements, nothing read back from the disk.
        log = alice.log()
        assert log.count("written by a local client") == 2, log
        assert "changed on disk" not in log

        # Reads, and the node's own view, come from the running node.
        rows = json.loads(alice.cli("peers", "--json").out)
        assert [(r["peer_id"], r["state"]) for r in rows] == [(bob.peer_id, "connected")]
        status = json.loads(alice.cli("status", "--json").out)
        assert status["owner"] == "serve" and status["listen"] == alice.address
        listed = json.loads(alice.cli("item", "list", "--json").out)
        assert {i["title"] for i in listed} == {"Sourdough starter", "Bread knife"}

        # A second serve on the same home is refused by the lock, not by the port.
        refused = alice.cli("serve", "--port", "0", "--no-mdns", check=False)
        assert refused.code != 0 and "already owned by 'reliance serve'" in refused.err

        # A command that still writes the store itself (a one-shot sync) tells the owner when it ends.
        carol_home = tmp_path / "carol"
        carol = cluster.nodes[0].__class__(cluster, 2, carol_home, "Carol")
        carol.add_offer("Soup for the road")
        with ApiClient.connect(alice.home, timeout=PATIENCE) as watcher:
            watcher.call("subscribe")
            alice.cli("sync", carol_address(cluster, carol))
            assert carol.peer_id in next_event(watcher, "documents").data["doc_ids"]
        cluster.wait_titles({"Soup for the road"}, [bob], timeout=PATIENCE)

        assert alice.stop() == 0
        assert current_owner(alice.home) is None and not (alice.home / "api.sock").exists()
        assert alice.add_offer("Written without a node")  # no owner: the CLI writes the store itself


def carol_address(cluster: Cluster, carol: object) -> str:
    """Carol serves for the length of one sync, on her own port."""
    from tests.net.cluster import ServeNode

    assert isinstance(carol, ServeNode)
    carol.start(mdns=False)
    carol.wait_listening()
    return carol.address
