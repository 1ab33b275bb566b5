"""The app shows other people's text inert: what every widget draws holds no escape sequence, C1 control or
bidirectional override from a peer's document or a peer's message, and markup in it shows as typed
(`[b]` is not bold, `[@click=…]` is not a link)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Select

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.model.catalogue import Item, ItemKind
from reliance.net.events import REJECTED, NodeEvent, PeerInfo, PeerState
from reliance.replication.bundle import export_bundle, import_bundle
from reliance.tui.app import RelianceApp, create_app
from reliance.tui.catalogue.screen import CatalogueScreen
from reliance.tui.code.screen import CodeScreen
from reliance.tui.common.data import CatalogueFilter
from reliance.tui.common.widgets import VirtualTable
from reliance.tui.peers.screen import PeersScreen
from reliance.tui.projects.screen import ProjectsScreen
from tests.test_foreign_text import HOSTILE, MARKUP, SHORT, assert_inert, give_a_hostile_name
from tests.tui.conftest import go_to, settle, shown_text
from tests.tui.world import FakeNode, fake_peers

SIZE = (160, 50)
VISIBLE_ESCAPE = "␛]52;c;cm0K␇"


@dataclass(frozen=True)
class Mallory:
    peer_id: str
    item_id: str
    event_id: str
    pid: str


def mallory_reaches(home: Path, tmp_path: Path) -> Mallory:
    """Mallory, with hostile text everywhere she may write, and her documents in Camille's home."""
    camille = Workspace.open(home)
    bread = next(i for i in camille.items() if i.author == camille.peer_id and "levain" in i.title)
    mallory = Workspace.create(tmp_path / "mallory", "Mallory")
    give_a_hostile_name(mallory)
    theirs = tmp_path / "camille.bundle"
    export_bundle(camille.repo, theirs, [camille.peer_id], camille.peer_id)
    import_bundle(mallory.repo, theirs)
    offer = mallory.add_item(
        Item(
            id="",
            kind=ItemKind.OFFER,
            title=HOSTILE,
            author="",
            description=HOSTILE + "\nsecond line",
            tags=(SHORT,),
            place=HOSTILE,
            reciprocity=HOSTILE,
        )
    )
    event = mallory.add_item(
        Item(
            id="",
            kind=ItemKind.EVENT,
            title=HOSTILE,
            author="",
            place=HOSTILE,
            begins="2026-07-14T18:00",
            ends="2026-07-14T19:00",
        )
    )
    mallory.answer(bread.id, "can_help", HOSTILE)
    for section in ("histoire", "valeurs"):
        mallory.set_code(section, HOSTILE)
    pid = projects.create_project(mallory, HOSTILE)
    projects.add_member(mallory, pid, camille.peer_id)
    projects.set_project_code(mallory, pid, "valeurs", HOSTILE)
    projects.contribute(mallory, pid, "time", 30, "min", note=HOSTILE, dimensions={SHORT: 2})
    projects.record_entry(mallory, pid, kind="revenue", amount=500, unit="EUR", note=HOSTILE, member="")
    stick = tmp_path / "mallory.bundle"
    export_bundle(mallory.repo, stick, mallory.repo.doc_ids(), mallory.peer_id)
    import_bundle(camille.repo, stick)
    return Mallory(mallory.peer_id, offer.id, event.id, pid)


def drawn(app: RelianceApp) -> str:
    """Everything the widgets of the current screen (dialogs and notifications included) draw."""
    parts: list[str] = []
    widget: Widget
    for widget in app.screen.query("*"):
        if widget.display and widget.size.width and widget.size.height:
            parts.append(shown_text(widget))
    return "\n".join(parts)


def assert_screen_inert(app: RelianceApp, *, shows: bool = True) -> str:
    text = drawn(app)
    assert_inert(text)
    if shows:
        assert VISIBLE_ESCAPE in text or "␛[2J" in text, f"{type(app.screen).__name__}: {text}"
        assert "[b]x[/b]" in text or "[@click" in text, f"markup was interpreted: {text}"
    return text


@pytest.fixture
def mallory(home: Path, tmp_path: Path) -> Mallory:
    return mallory_reaches(home, tmp_path)


@pytest.fixture
def hostile_node(mallory: Mallory) -> FakeNode:
    peer = PeerInfo(
        mallory.peer_id,
        HOSTILE,  # as mDNS or an older peer might report it
        PeerState.PENDING,
        "10.0.0.9:7447",
        1_783_000_200.0,
        "incoming",
        last_error=f"refused by peer: {HOSTILE}",
    )
    return FakeNode([*fake_peers(), peer])


async def choose(pilot: Pilot[None], app: RelianceApp) -> None:
    await pilot.pause()
    await settle(app, pilot)


async def expand(app: RelianceApp, pilot: Pilot[None], selector: str) -> Select[str]:
    """Open a Select's list of options, as a click would."""
    select: Select[str] = app.screen.query_one(selector, Select)
    select.focus()
    select.scroll_visible(immediate=True)
    await choose(pilot, app)
    select.expanded = True
    await choose(pilot, app)
    return select


async def test_every_screen_shows_a_peers_text_inert(
    home: Path, mallory: Mallory, hostile_node: FakeNode
) -> None:
    app = create_app(home, node_factory=lambda ws: hostile_node, lang="en")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        assert_screen_inert(app)  # home: the activity feed

        await go_to(app, pilot, "3")
        screen = app.screen
        assert isinstance(screen, CatalogueScreen)
        screen.set_filter(CatalogueFilter(kind="offer", author=mallory.peer_id))
        await choose(pilot, app)
        text = assert_screen_inert(app)  # the table, the details, the author filter
        assert "second line" in text
        screen.set_filter(CatalogueFilter(text="levain"))
        await choose(pilot, app)
        assert_screen_inert(app)  # Mallory's answer on Camille's item

        await pilot.press("h")  # answer Mallory's item: the dialog's title is her title
        screen.set_filter(CatalogueFilter(author=mallory.peer_id))
        await choose(pilot, app)
        await pilot.press("h")
        await pilot.pause()
        assert_screen_inert(app)
        await pilot.press("escape")
        await choose(pilot, app)

        await pilot.press("n")  # a new item: her project is among those it may be linked to
        await choose(pilot, app)
        select = await expand(app, pilot, "#project")
        assert_screen_inert(app)
        select.expanded = False
        await pilot.press("escape")
        await choose(pilot, app)

        app.show_item(mallory.item_id)
        await choose(pilot, app)
        assert_screen_inert(app)
        await pilot.press("escape")
        await choose(pilot, app)

        await go_to(app, pilot, "4")  # the programme: her event and its place
        assert_screen_inert(app)

        app.open_code(mallory.peer_id)
        await choose(pilot, app)
        screen = app.screen
        assert isinstance(screen, CodeScreen)
        assert_screen_inert(app)  # the section shown, the code chooser
        for tab in ("h", "c"):  # history (and its diff), compare
            await pilot.press(tab)
            await choose(pilot, app)
            assert_screen_inert(app)
        screen.other = app.workspace.peer_id
        screen.load()
        await choose(pilot, app)
        assert_screen_inert(app)

        app.open_project(mallory.pid)
        await choose(pilot, app)
        screen = app.screen
        assert isinstance(screen, ProjectsScreen)
        assert_screen_inert(app)  # the list, the head, the ledger
        for tab in ("g", "b"):  # members, balances (matrix, dividend preview)
            await pilot.press(tab)
            await choose(pilot, app)
            assert_screen_inert(app)
        await pilot.press("c")  # contribute: the dialog names the project
        await pilot.pause()
        assert_screen_inert(app)
        await pilot.press("escape")
        await choose(pilot, app)

        await go_to(app, pilot, "6")
        screen = app.screen
        assert isinstance(screen, PeersScreen)
        table = screen.query_one("#peers-table", VirtualTable)
        table.cursor = next(i for i, r in enumerate(table.rows) if r.peer_id == mallory.peer_id)
        await choose(pilot, app)
        assert_screen_inert(app)  # her name in the table, the panel with the reason she was refused
        await pilot.press("b")  # block her: the confirmation quotes her name
        await pilot.pause()
        assert_screen_inert(app)
        await pilot.press("escape")
        await choose(pilot, app)

        await go_to(app, pilot, "7")  # settings: her project among those to export
        assert_screen_inert(app, shows=False)
        await expand(app, pilot, "#export-project")
        assert_screen_inert(app)
        await pilot.press("escape")
        await choose(pilot, app)

        hostile_node.emit(NodeEvent(REJECTED, HOSTILE, mallory.peer_id, mallory.pid))
        await choose(pilot, app)
        toasts = list(app.screen.query("Toast"))
        assert toasts
        shown = "\n".join(shown_text(toast) for toast in toasts)
        assert_inert(shown)
        assert "[b]x[/b]" in shown and MARKUP[:9] in shown, shown
        await go_to(app, pilot, "1")
        assert_screen_inert(app)


def test_the_apps_log_file_holds_a_peers_text_inert(tmp_path: Path) -> None:
    """While the app runs, the node's log lines (a peer's name and reasons are in them) go to
    HOME/logs/tui.log, which someone will `cat`: inert there too, one line each."""
    import logging

    from reliance.net import events as ev
    from reliance.net.config import NodeConfig
    from reliance.net.node import Node
    from reliance.tui import app as tui_app

    workspace = Workspace.create(tmp_path / "home", "Victor")
    root = logging.getLogger()
    before = list(root.handlers)
    tui_app._log_to_file(workspace.home)
    try:
        node = Node(workspace, NodeConfig(mdns=False, write_state=False))
        node._emit(ev.REJECTED, f"rejected a batch from Mallory: {HOSTILE}")
    finally:
        for handler in root.handlers[len(before) :]:
            root.removeHandler(handler)
            handler.close()
    log = (workspace.home / "logs" / "tui.log").read_text("utf-8")
    assert_inert(log)
    (line,) = [line for line in log.splitlines() if "rejected a batch" in line]
    assert VISIBLE_ESCAPE in line and line.endswith("FAKE"), line
