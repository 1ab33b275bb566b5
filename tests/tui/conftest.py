"""Fixtures for the app's tests: a deterministic world, a fake node, and a way to wait for the app."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import WorkerCancelled, WorkerFailed

from reliance.tui.app import RelianceApp, create_app
from reliance.tui.node import no_node_factory
from tests.tui.world import FakeNode, World, build_world, copy_home, fake_peers

S = TypeVar("S", bound=Screen[Any])


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Times of day on screen (last sync, last seen) are shown in UTC, whatever the machine's zone."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("world"))


@pytest.fixture
def home(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh copy of Camille's home; $HOME points at its parent so paths show as ~/camille."""
    monkeypatch.setenv("HOME", str(tmp_path))
    yield copy_home(world, tmp_path / "camille")


@pytest.fixture
def node() -> FakeNode:
    return FakeNode(fake_peers())


def offline(home: Path, lang: str = "en") -> RelianceApp:
    """The real app on `home`, with no network node."""
    return create_app(home, node_factory=no_node_factory, lang=lang)


async def settle(app: RelianceApp, pilot: Pilot[None], rounds: int = 50) -> None:
    """Wait until the app has loaded its data and has no work left."""
    for _ in range(rounds):
        await pilot.pause()
        with contextlib.suppress(
            WorkerCancelled, WorkerFailed
        ):  # an exclusive worker replaced by a newer one
            await app.workers.wait_for_complete()
        await pilot.pause()
        busy = any(w.is_running for w in app.workers)
        loaded = app._data is not None and app.data.loaded
        if loaded and not busy and not app._dirty and not app._flush_scheduled:
            return
        await pilot.pause(0.02)
    raise AssertionError("the app did not settle")


async def until_screen(app: RelianceApp, pilot: Pilot[None], kind: type[S]) -> S:
    """Wait until the app shows a screen of `kind` (e.g. after work done in a worker), and return it."""
    for _ in range(500):
        screen = app.screen
        if isinstance(screen, kind) and screen.is_mounted:  # pushed is not yet composed: wait for its widgets
            await pilot.pause()
            return screen
        await pilot.pause(0.02)
    raise AssertionError(f"{kind.__name__} was not shown")


def shown_text(widget: Widget) -> str:
    """The lines a widget draws, as plain text (also for rich renderables such as tables)."""
    lines = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return "\n".join(line.text for line in lines)


async def go_to(app: RelianceApp, pilot: Pilot[None], key: str) -> None:
    """Switch screens with its number key and wait until it has loaded."""
    await pilot.press(key)
    await settle(app, pilot)


async def fill_dialog(app: RelianceApp, pilot: Pilot[None], key: str, text: str) -> None:
    """Open a one-line dialog with `key`, type `text`, confirm, and wait for what it does."""
    await pilot.press(key)
    await pilot.pause()
    await pilot.press(*text, "enter")
    await settle(app, pilot)
