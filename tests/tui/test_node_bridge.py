"""The app's bridge to the node, without Textual: a fake node, and a list for the messages it posts."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from reliance.app.workspace import Workspace
from reliance.net import events as ev
from reliance.net.events import NodeEvent, PeerInfo, PeerState
from reliance.tui.common.data import FeedEntry
from reliance.tui.node import NodeLike
from reliance.tui.node_bridge import (
    BridgeMessage,
    DocumentsChanged,
    FeedAdded,
    NetworkChanged,
    NodeBridge,
    Notice,
    OwnerGone,
)

BOB = "rl" + "b" * 54


class FakeNode:
    """The surface the app uses (`NodeLike`), with what a test sets."""

    def __init__(self, *, fails: str = "") -> None:
        self.fails = fails
        self.listen_address: tuple[str, int] | None = ("127.0.0.1", 7447)
        self.last_sync: float | None = None
        self.listeners: list[Callable[[NodeEvent], None]] = []
        self.known: list[PeerInfo] = []
        self.offered: list[str] = []
        self.stopped = False

    async def start(self) -> None:
        if self.fails:
            raise OSError(self.fails)

    async def stop(self) -> None:
        self.stopped = True

    def peers(self) -> list[PeerInfo]:
        return list(self.known)

    def subscribe(self, callback: Callable[[NodeEvent], None]) -> None:
        self.listeners.append(callback)

    async def add_address(self, host: str, port: int) -> None: ...

    def accept_peer(self, peer_id: str) -> None: ...

    def block_peer(self, peer_id: str) -> None: ...

    def unblock_peer(self, peer_id: str) -> None: ...

    def local_change(self, doc_id: str) -> None:
        self.offered.append(doc_id)

    def diagnose(self) -> list[object]:
        return []

    def say(self, kind: str, text: str = "", peer_id: str = "", doc_id: str = "") -> None:
        for listener in self.listeners:
            listener(NodeEvent(kind, text, peer_id, doc_id, 0))


def peer(state: PeerState, name: str = "Bob", docs: dict[str, bool] | None = None) -> PeerInfo:
    return PeerInfo(BOB, name, state, "127.0.0.2:7447", None, "typed", docs or {})


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "alice", "Alice")


async def bridged(workspace: Workspace, node: FakeNode) -> tuple[NodeBridge, list[BridgeMessage]]:
    posted: list[BridgeMessage] = []
    bridge = NodeBridge(
        lambda ws: node, posted.append, name_of=lambda pid: "from the app", now=lambda: "12:00:00"
    )
    opened = bridge.open(workspace)
    assert opened is node
    await bridge.start(node)
    assert bridge.started
    posted.clear()
    return bridge, posted


@pytest.mark.parametrize("module", ["reliance.tui.node_bridge", "reliance.tui.store_bridge"])
def test_the_bridges_never_load_textual(module: str) -> None:
    code = f"import sys, {module}; print(any(m.split('.')[0] == 'textual' for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


async def test_changes_the_node_reports_become_documents_to_read_again(workspace: Workspace) -> None:
    node = FakeNode()
    _bridge, posted = await bridged(workspace, node)
    node.say(ev.SYNCED, "synced", BOB, "pj1")
    node.say(ev.LOCAL_CHANGE, "changed on disk", doc_id="pj2")
    node.say(ev.SYNCED, "nothing of a document")  # no document: nothing to read again
    assert posted == [
        DocumentsChanged(("pj1",)),
        NetworkChanged(),
        DocumentsChanged(("pj2",)),
        NetworkChanged(),
        NetworkChanged(),
    ]


async def test_peers_coming_and_going_are_in_the_feed_under_the_name_the_node_knows(
    workspace: Workspace,
) -> None:
    node = FakeNode()
    _bridge, posted = await bridged(workspace, node)
    node.known = [peer(PeerState.CONNECTED, "Bob")]
    node.say(ev.PEER_CONNECTED, "connected", BOB)
    node.known = []
    node.say(ev.PEER_DISCONNECTED, "gone", BOB)  # the node forgot it: the app's name for it
    node.say(ev.PEER_PENDING, "waits", BOB)
    feed = [m.entry for m in posted if isinstance(m, FeedAdded)]
    assert feed == [
        FeedEntry("peer", "12:00:00", {"name": "Bob", "state": "connected"}, doc_id=BOB),
        FeedEntry("peer", "12:00:00", {"name": "from the app", "state": "disconnected"}, doc_id=BOB),
        FeedEntry("peer", "12:00:00", {"name": "from the app", "state": "pending"}, doc_id=BOB),
    ]
    assert [m for m in posted if isinstance(m, Notice)] == [Notice("net.pending", {"name": "from the app"})]


async def test_a_refused_batch_is_in_the_feed_and_shown_as_a_warning(workspace: Workspace) -> None:
    node = FakeNode()
    _bridge, posted = await bridged(workspace, node)
    node.known = [peer(PeerState.CONNECTED, "Mallory")]
    node.say(ev.REJECTED, "bad signature", BOB, "pj1")
    params = {"name": "Mallory", "reason": "bad signature"}
    assert posted == [
        FeedAdded(FeedEntry("rejected", "12:00:00", params, doc_id="pj1")),
        Notice("feed.rejected", params, "warning", 8),
        NetworkChanged(),
    ]


async def test_a_node_that_cannot_start_leaves_the_app_offline_saying_why(workspace: Workspace) -> None:
    posted: list[BridgeMessage] = []
    node = FakeNode(fails="[Errno 98] address already in use")
    bridge = NodeBridge(lambda ws: node, posted.append, now=lambda: "12:00:00")
    assert bridge.open(workspace) is node
    await bridge.start(node)
    assert bridge.node is None and not bridge.started
    error = "[Errno 98] address already in use"
    assert posted == [
        Notice("net.start_failed", {"error": error}, "error", 10),
        FeedAdded(FeedEntry("error", "12:00:00", {"text": error})),
        NetworkChanged(),
    ]
    assert bridge.status_text("en").plain.startswith("○ ")
    bridge.local_change("pj1")  # offline: nobody to tell, and no error
    assert node.offered == []


async def test_a_factory_that_fails_is_said_in_the_feed(workspace: Workspace) -> None:
    posted: list[BridgeMessage] = []

    def broken(ws: Workspace) -> NodeLike | None:
        raise RuntimeError("no network stack")

    bridge = NodeBridge(broken, posted.append, now=lambda: "12:00:00")
    assert bridge.open(workspace) is None
    assert posted == [
        FeedAdded(FeedEntry("error", "12:00:00", {"text": "no network stack"})),
        NetworkChanged(),
    ]


async def test_when_the_owner_goes_the_bridge_drops_its_node_and_says_so(workspace: Workspace) -> None:
    node = FakeNode()
    bridge, posted = await bridged(workspace, node)
    node.say(ev.OWNER_GONE, "serve stopped")
    assert bridge.node is None and not bridge.started
    assert posted == [Notice("net.owner_gone"), OwnerGone(), NetworkChanged()]


async def test_local_changes_reach_a_started_node_and_stop_stops_it(workspace: Workspace) -> None:
    node = FakeNode()
    bridge, _ = await bridged(workspace, node)
    bridge.local_change("pj1")
    assert node.offered == ["pj1"]
    await bridge.stop()
    assert node.stopped and not bridge.started
    bridge.local_change("pj2")
    assert node.offered == ["pj1"]


async def test_the_network_shown_counts_peers_online_pending_and_syncing(workspace: Workspace) -> None:
    node = FakeNode()
    bridge, _ = await bridged(workspace, node)
    node.known = [
        peer(PeerState.CONNECTED, "Bob", {"pj1": True, "pj2": False}),
        peer(PeerState.PENDING, "Stranger"),
    ]
    assert bridge.peers_online() == (1, 1, 1)
    status = bridge.status_text("en").plain
    assert status.startswith("● 1 online") and status == "● 1 online ⟳ · 1 waiting"
    network = bridge.network_text("en").plain
    assert "127.0.0.1:7447" in network and "never" in network.lower()
    assert bridge.network_text("fr").plain != network
