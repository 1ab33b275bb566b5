"""The app's peer list shows a linked device as its participant, with the device's name beside it."""

from __future__ import annotations

from pathlib import Path

from reliance.net.events import PeerInfo, PeerState
from reliance.tui.app import create_app
from reliance.tui.common.widgets import VirtualTable
from reliance.tui.peers.screen import PeersScreen
from tests.tui.conftest import go_to, settle
from tests.tui.world import FakeNode

ALICE = "rl" + "a" * 56
PHONE = "rl" + "b" * 56


async def test_a_linked_device_is_listed_as_its_participant_with_its_name(home: Path) -> None:
    peers = [
        PeerInfo(ALICE, "Alice", PeerState.CONNECTED, "10.0.0.2:7447", None, "mdns"),
        PeerInfo(
            ALICE,
            "Alice",
            PeerState.CONNECTED,
            "10.0.0.3:7447",
            None,
            "mdns",
            device="phone",
            device_id=PHONE,
        ),
    ]
    for lang, shown in (("en", "Alice (device 'phone')"), ("fr", "Alice (appareil « phone »)")):
        app = create_app(home, node_factory=lambda ws: FakeNode(list(peers)), lang=lang)
        async with app.run_test(size=(160, 50)) as pilot:
            await settle(app, pilot)
            await go_to(app, pilot, "6")
            assert isinstance(app.screen, PeersScreen)
            rows = app.screen.query_one("#peers-table", VirtualTable).rows
            assert sorted((r.peer_id, r.name) for r in rows) == [(ALICE, "Alice"), (ALICE, shown)]
