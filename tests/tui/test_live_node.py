"""The app with its real network node, and a real `reliance serve` on another home, over loopback TCP.

The other Pilot tests drive the screens with a stand-in node so that they are deterministic; this one checks
that the screens and the real node work together: a stranger knocks (policy `known`), is accepted on the Peers
screen, their offer appears in the open catalogue, and once blocked their next offer does not.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from reliance.app import settings
from reliance.app.workspace import Workspace
from reliance.net.config import NodeConfig, config_from_env
from reliance.net.events import PeerState
from reliance.net.node import Node
from reliance.tui.app import RelianceApp, create_app
from reliance.tui.common.widgets import VirtualTable
from reliance.tui.peers.screen import PeersScreen
from tests.net.cluster import FAST_ENV, Cluster, free_port
from tests.tui.conftest import settle

pytestmark = pytest.mark.slow

SIZE = (120, 40)


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        await pilot.pause(0.1)
    raise AssertionError(f"timed out waiting for: {what}")


def real_node_factory(port: int) -> Callable[[Workspace], Node]:
    def factory(workspace: Workspace) -> Node:
        config = NodeConfig(port=port, listen="127.0.0.1", mdns=False, write_state=True)
        return Node(workspace, config_from_env(config, FAST_ENV))  # the fast timers `serve` gets

    return factory


def peer_rows(app: RelianceApp) -> dict[str, str]:
    screen = app.screen
    assert isinstance(screen, PeersScreen)
    return {row.peer_id: row.state for row in screen.query_one("#peers-table", VirtualTable).rows}


def select_peer(app: RelianceApp, peer_id: str) -> None:
    table = app.screen.query_one("#peers-table", VirtualTable)
    table.cursor = [row.peer_id for row in table.rows].index(peer_id)


def held_titles(app: RelianceApp) -> set[str]:
    return {item.title for item in app.workspace.items()}


async def test_accept_a_stranger_see_their_offer_then_block_them(home: Path, tmp_path: Path) -> None:
    settings.set_config(home, "policy", "known")
    port = free_port()
    with Cluster(tmp_path / "others", 1, mode="loopback", names=["Dominique"]) as cluster:
        (dominique,) = cluster.nodes
        dominique.add_offer("Vélo cargo à prêter")
        dominique.cli("peer", "add", f"127.0.0.1:{port}")
        app = create_app(home, node_factory=real_node_factory(port), lang="en")
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            dominique.start(mdns=False)
            dominique.wait_listening()
            await pilot.press("6")
            await settle(app, pilot)

            await wait_for(
                pilot,
                lambda: peer_rows(app).get(dominique.peer_id) == PeerState.PENDING,
                60,
                "Dominique knocks and waits as pending",
            )
            assert "Vélo cargo à prêter" not in held_titles(app)
            select_peer(app, dominique.peer_id)
            await pilot.press("a")

            await wait_for(
                pilot,
                lambda: peer_rows(app).get(dominique.peer_id) == PeerState.CONNECTED,
                60,
                "Dominique connected once accepted",
            )
            await wait_for(
                pilot, lambda: "Vélo cargo à prêter" in held_titles(app), 60, "Dominique's offer arrives"
            )
            await pilot.press("3")
            await settle(app, pilot)
            shown = [row.item.title for row in app.screen.query_one("#items", VirtualTable).rows]
            assert "Vélo cargo à prêter" in shown
            await wait_for(pilot, lambda: len(dominique.titles()) > 1, 60, "Camille's items reach Dominique")

            await pilot.press("6")
            await settle(app, pilot)
            select_peer(app, dominique.peer_id)
            await pilot.press("b")
            await pilot.pause()
            await pilot.press("y")
            await wait_for(
                pilot,
                lambda: peer_rows(app).get(dominique.peer_id) == PeerState.BLOCKED,
                60,
                "Dominique shown as blocked",
            )
            dominique.add_offer("Offre après le blocage")  # the CLI beside Dominique's running node
            # Dominique knocks twice more after it and is refused: each a moment it could have got through.
            knocks = dominique.log().count("you are blocked by this node")
            await wait_for(
                pilot,
                lambda: dominique.log().count("you are blocked by this node") >= knocks + 2,
                60,
                "Dominique knocked again",
            )
            assert "Offre après le blocage" not in held_titles(app)
            assert dominique.peer_id in {entry["peer_id"] for entry in settings.blocks(home)}
        assert not (home / "node-state.json").exists()  # quitting the app stopped the node cleanly
