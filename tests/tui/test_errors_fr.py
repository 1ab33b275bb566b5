"""A refusal of the model reaches the app in its language: the ledger refuses a unit with spaces, and the
French app says so in French (the error carries a catalogue key, worded by the app)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import Input, Select, Static

from reliance.tui.common.dialogs import EntryDialog
from tests.tui.conftest import offline
from tests.tui.test_festival import SIZE, open_new_item_form, open_projects
from tests.tui.world import World

PATIENCE = 20.0


@pytest.mark.parametrize(
    ("lang", "reason"),
    [
        ("fr", "l'unité 'E U R' ne peut pas contenir d'espace"),
        ("en", "the unit 'E U R' cannot contain spaces"),
    ],
)
async def test_the_ledgers_refusal_is_shown_in_the_apps_language(
    home: Path, world: World, lang: str, reason: str
) -> None:
    del world  # a home with a project
    app = offline(home, lang)
    async with app.run_test(size=SIZE) as pilot:
        await open_projects(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, EntryDialog)
        form.query_one("#ckind", Select).value = "money"
        await pilot.pause()
        form.query_one("#unit", Input).value = "E U R"
        form.query_one("#amount", Input).value = "12"
        await pilot.press("ctrl+s")
        async with asyncio.timeout(PATIENCE):
            while not any(n.severity == "error" for n in app._notifications):
                await pilot.pause(0.05)
        [message] = [n.message for n in app._notifications if n.severity == "error"]
        assert reason in message, message


@pytest.mark.parametrize(
    ("lang", "reason"), [("fr", "une annonce a besoin d'un titre"), ("en", "an item needs a title")]
)
async def test_the_models_refusal_is_said_next_to_its_field_in_the_apps_language(
    home: Path, lang: str, reason: str
) -> None:
    app = offline(home, lang)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_item_form(app, pilot)
        form.query_one("#place", Input).value = "Grange"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form  # refused: said next to the title, which gets the focus
        said = form.query_one("#title-error", Static)
        assert said.display and str(said.render()) == reason
        assert app.focused is form.query_one("#title", Input)
