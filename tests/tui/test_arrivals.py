"""What arrived while the app was closed: found in the documents when it opens, marked unread, counted in
the top bar, announced when it is an answer to my items; read marks kept in the home."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import OptionList

from reliance.app.arrivals import ArrivalBook, load_state
from reliance.app.workspace import Workspace
from reliance.model.catalogue import ItemKind
from reliance.tui.common.data import arrival_entry
from reliance.tui.common.render import feed_text
from reliance.tui.home.screen import HomeScreen
from tests.tui.conftest import offline, settle, shown_text
from tests.tui.world import World, item, pump

SIZE = (120, 40)


@pytest.mark.parametrize(
    ("lang", "count", "answered", "published"),
    [
        ("en", "✉ 2 new", "answered “I can help”", "published offer: Vélo cargo"),
        ("fr", "✉ 2 nouveaux", "répond « Je peux aider »", "publie offre : Vélo cargo"),
    ],
)
async def test_what_came_while_closed_is_shown_unread_and_counted(
    home: Path, world: World, tmp_path: Path, lang: str, count: str, answered: str, published: str
) -> None:
    app = offline(home, lang)
    async with app.run_test(size=SIZE) as pilot:  # opened once: what is there is seen
        await settle(app, pilot)
        assert app.data.unread == 0
    # The app is closed; Dominique publishes and answers Camille's need on his machine; it syncs in.
    shutil.copytree(world.root / "dominique", tmp_path / "dominique", ignore=shutil.ignore_patterns("lock"))
    dominique = Workspace.open(tmp_path / "dominique")
    camille = Workspace.open(home)
    need = next(i for i in camille.items() if i.title == "Bras pour pétrir le samedi")
    dominique.add_item(item(ItemKind.OFFER, "Vélo cargo"))
    dominique.answer(need.id, "can_help", "Je viens à 7h")
    pump(dominique.repo, camille.repo)
    del camille

    app = offline(home, lang)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        unread = [e for e in app.data.feed if e.unread]
        assert {e.kind for e in unread} == {"answer", "item_new"}
        assert count in shown_text(screen.query_one("#nav-status"))
        lines = [feed_text(e, lang).plain for e in app.data.feed][:2]
        assert any(line.startswith("● ") and answered in line and "Je viens à 7h" in line for line in lines)
        assert any(line.startswith("● ") and published in line for line in lines)
        assert any("Je viens à 7h" in n.message for n in app._notifications)  # an answer to my item
        # Opening the answer marks it read, here and in the home.
        feed = screen.query_one("#feed", OptionList)
        feed.focus()
        index = next(i for i, e in enumerate(app.data.feed) if e.kind == "answer" and e.unread)
        feed.highlighted = index
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.data.unread == 1
        state = load_state(home)
        assert state is not None and state.unread == 1
        await pilot.press("r")  # all read
        await settle(app, pilot)
        assert app.data.unread == 0 and "✉" not in shown_text(screen.query_one("#nav-status"))
    state = load_state(home)
    assert state is not None and state.unread == 0 and len(state.entries) == 2


async def test_an_answer_arriving_while_open_is_announced(home: Path, world: World, tmp_path: Path) -> None:
    shutil.copytree(world.root / "sacha", tmp_path / "sacha", ignore=shutil.ignore_patterns("lock"))
    sacha = Workspace.open(tmp_path / "sacha")
    app = offline(home, "en")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        offer = next(i for i in app.workspace.items() if i.title == "Pain au levain du fournil")
        pump(app.workspace.repo, sacha.repo)
        sacha.answer(offer.id, "interested", "Deux miches")
        pump(sacha.repo, app.workspace.repo)
        await app.refresh_docs({sacha.peer_id})
        await settle(app, pilot)
        assert app.data.feed[0].kind == "answer" and app.data.feed[0].unread
        assert any("Deux miches" in n.message for n in app._notifications)
    assert ArrivalBook(home, app.workspace.peer_id).state().unread == 1


def test_an_arrival_line_is_inert() -> None:
    from reliance.app.arrivals import Arrival

    arrival = Arrival(
        "item_new",
        "rlx",
        "k",
        "2026-07-01T10:00:00Z",
        {"name": "\x1b[31mX", "kind": "offer", "title": "a\u202eb", "status": "published"},
    )
    line = feed_text(arrival_entry(arrival), "en").plain
    assert "\x1b" not in line and "\u202e" not in line and line.startswith("● ")
