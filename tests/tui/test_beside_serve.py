"""The app on a home a real `reliance serve` owns: online with that node's peers, through the local API.

The app does not try the port (the serve holds it): it shows the serve's listening address and peers, a
CLI write beside them appears without any polling, and when the serve stops the app takes the home over.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from reliance.app import settings
from reliance.localapi.ownership import current_owner
from reliance.localapi.remote import RemoteNode
from reliance.net.events import PeerState
from reliance.tui.app import create_app
from tests.net.cluster import Cluster, free_port
from tests.tui.conftest import settle

pytestmark = pytest.mark.slow

SIZE = (120, 40)
PATIENCE = 60.0  # only stops a test that hangs


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if condition():
            return
        await pilot.pause(0.1)
    raise AssertionError(f"timed out waiting for: {what}")


async def test_the_app_beside_serve_is_online_with_its_peers_and_takes_over_when_it_stops(
    tmp_path: Path,
) -> None:
    with Cluster(tmp_path, 2, mode="loopback") as cluster:
        alice, bob = cluster.nodes
        settings.set_config(alice.home, "port", str(free_port()))  # for the app, once it owns the home
        settings.set_config(alice.home, "mdns", "off")
        bob.cli("peer", "add", alice.address)
        no_poll = {"RELIANCE_POLL_INTERVAL": "3600"}
        alice.start(mdns=False, env=no_poll)
        bob.start(mdns=False, env=no_poll)
        alice.wait_listening()
        bob.wait_listening()
        cluster.wait(lambda: bob.peer_id in alice.connected(), PATIENCE, "bob connected")

        app = create_app(alice.home, lang="en")  # the real factory: it finds the serve's lock
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await wait_for(pilot, lambda: isinstance(app.node, RemoteNode) and app._node_started, "online")
            assert app.status_text().plain.startswith("● 1 online")
            assert f"127.0.0.1:{alice.port}" in app.network_text().plain  # the serve's address: no bind
            assert [(p.peer_id, p.state) for p in app.node.peers()] == [(bob.peer_id, PeerState.CONNECTED)]
            assert "address already in use" not in app.network_text().plain

            alice.add_offer("Sourdough starter")  # the CLI beside them, through the serve
            await wait_for(
                pilot,
                lambda: "Sourdough starter" in {r.item.title for r in app.data.rows},
                "the CLI's offer shown by the app, from the serve's event",
            )
            bob.add_offer("Bread knife")  # bob's node sends it to the serve: its `synced` event reaches us
            await wait_for(
                pilot,
                lambda: any(e.kind == "item_new" and e.doc_id == bob.peer_id for e in app.data.feed),
                "bob's offer in the activity feed",
            )

            assert alice.stop() == 0
            await wait_for(
                pilot,
                lambda: (current_owner(alice.home) or {}).get("kind") == "app" and app._node_started,
                "the app owns the home once the serve stopped",
            )
            assert not isinstance(app.node, RemoteNode)
            await wait_for(
                pilot, lambda: alice.peer_id in bob.connected(), "bob reconnects to the app's node"
            )
            await app.action_quit()
        assert current_owner(alice.home) is None
