"""Snapshot tests: every screen, in French and in English, with a fixed world (pytest-textual-snapshot).

Update after an intended change with `pytest tests/tui/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from reliance.tui.app import RelianceApp, create_app
from reliance.tui.node import no_node_factory
from tests.tui.conftest import settle
from tests.tui.world import FakeNode, fake_peers

KEYS = {
    "home": "1",
    "code": "2",
    "catalogue": "3",
    "programme": "4",
    "projects": "5",
    "peers": "6",
    "settings": "7",
}


def world_app(home: Path, lang: str) -> RelianceApp:
    node = FakeNode(fake_peers())
    return create_app(home, node_factory=lambda ws: node, lang=lang)


def show(app: RelianceApp, *keys: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(app, pilot)
        for key in keys:
            await pilot.press(key)
            await settle(app, pilot)

    return run_before


# Further views, in French: tabs and dialogs.
VIEWS = {
    "code_history": ("2", "h"),
    "code_compare": ("2", "c"),
    "projects_balances": ("5", "b"),
    "item_details": ("3", "down", "down", "down", "down", "enter"),
    "item_form": ("3", "n"),
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_welcome(snap_compare, tmp_path: Path, lang: str) -> None:  # type: ignore[no-untyped-def]
    app = create_app(tmp_path / "fresh", node_factory=no_node_factory, lang=lang)
    assert snap_compare(app, terminal_size=(120, 40))


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("screen", list(KEYS))
def test_screen(snap_compare, home: Path, screen: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    app = world_app(home, lang)
    assert snap_compare(app, terminal_size=(120, 40), run_before=show(app, KEYS[screen]))


@pytest.mark.parametrize("view", list(VIEWS))
def test_view(snap_compare, home: Path, view: str) -> None:  # type: ignore[no-untyped-def]
    app = world_app(home, "fr")
    assert snap_compare(app, terminal_size=(120, 40), run_before=show(app, *VIEWS[view]))


@pytest.mark.parametrize(
    ("screen", "size"), [("home", (80, 24)), ("catalogue", (80, 24)), ("catalogue", (60, 24))]
)
def test_small_terminal(snap_compare, home: Path, screen: str, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    app = world_app(home, "fr")
    assert snap_compare(app, terminal_size=size, run_before=show(app, KEYS[screen]))
