"""What anyone may see (`app/public.py`), read from real stores, and the node's component hook."""

from __future__ import annotations

from pathlib import Path

from reliance.app import projects
from reliance.app.public import PublicView
from reliance.app.workspace import Workspace
from reliance.doc import participant
from reliance.limits import DEFAULT_LIMITS
from reliance.localapi.client import AsyncApiClient
from reliance.localapi.owner import Owner
from reliance.model.catalogue import Item, ItemKind, Status
from reliance.net.config import NodeConfig
from reliance.net.node import Node
from reliance.web.server import serve_web
from tests.web.conftest import start_served


def test_an_item_written_as_a_draft_in_a_document_is_not_public(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "a", "Alice")
    shown = ws.add_item(Item(id="", kind=ItemKind.OFFER, title="Ladder", author=ws.peer_id))
    hidden = Item(
        id="d" * 16, kind=ItemKind.OFFER, title="Secret plan", author=ws.peer_id, status=Status.DRAFT
    )
    # An older version, or a peer's own software, may have put a draft in the document itself.
    ws.my_doc().local_change(ws.identity.sign, lambda w: participant.write_item(w, hidden, new=True))
    assert {i.title for i in ws.items(drafts=False)} == {"Ladder", "Secret plan"}
    snapshot = PublicView().snapshot(ws)
    assert [i.id for i in snapshot.items] == [shown.id]
    assert snapshot.item(ws.peer_id, hidden.id) is None


def test_the_commons_are_read_again_only_when_a_document_moved(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "a", "Alice")
    view = PublicView()
    first = view.snapshot(ws)
    assert view.snapshot(ws) is first  # nothing moved: the same reading
    ws.add_item(Item(id="", kind=ItemKind.EVENT, title="Fête", author=ws.peer_id, begins="2026-07-11T14:00"))
    secret = projects.create_project(ws, "Secret", "members")
    public = projects.create_project(ws, "Open", "public")
    second = view.snapshot(ws)
    assert second.version > first.version
    assert [p.id for p in second.projects] == [public] and second.project(secret) is None
    assert [d.day.isoformat() for d in second.programme.days] == ["2026-07-11"]
    assert second.searchable[(ws.peer_id, second.items[0].id)].startswith("fete")


class Recorder:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.calls: list[str] = []

    async def start(self) -> None:
        self.calls.append(f"start listening={self.node.listen_address is not None}")

    async def stop(self) -> None:
        self.calls.append("stop")


async def test_a_component_starts_once_the_node_listens_and_stops_with_it(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "a", "Alice")
    node = Node(ws, NodeConfig(port=0, listen="127.0.0.1", mdns=False, write_state=False))
    recorder = Recorder(node)
    node.add_component(recorder)
    await node.start()
    assert recorder.calls == ["start listening=True"]
    await node.stop()
    assert recorder.calls == ["start listening=True", "stop"]


async def test_a_taken_web_port_leaves_the_node_running_and_says_why(tmp_path: Path) -> None:
    first = await start_served(tmp_path / "a")
    ws = Workspace.create(tmp_path / "b", "Bob")
    owner = Owner(
        ws, Node(ws, NodeConfig(port=0, listen="127.0.0.1", mdns=False, write_state=False)), "serve"
    )
    face = serve_web(owner, host="127.0.0.1", port=first.face.bound_port or 0)
    try:
        await owner.start()
        assert owner.listen_address is not None and face.error and face.bound_port is None
        client = await AsyncApiClient.connect(ws.home, lambda e: None, lambda: None, DEFAULT_LIMITS)
        try:
            assert (await client.call("web.url"))["error"] == face.error
        finally:
            await client.close()
    finally:
        await owner.stop()
        await first.owner.stop()
