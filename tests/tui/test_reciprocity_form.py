"""The item form: a reciprocity typed as its label is stored as its code, and shown back as the label."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from reliance.app.workspace import ItemFilter, Workspace
from reliance.tui.app import create_app
from reliance.tui.common.dialogs import ItemForm
from reliance.tui.node import no_node_factory
from tests.tui.conftest import go_to, settle

SIZE = (120, 40)


@pytest.mark.parametrize(("lang", "typed", "shown_back"), [("fr", "Troc", "troc"), ("en", "don", "gift")])
async def test_a_label_typed_in_the_form_is_stored_as_its_code(
    home: Path, lang: str, typed: str, shown_back: str
) -> None:
    app = create_app(home, node_factory=no_node_factory, lang=lang)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "3")
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ItemForm)
        await pilot.press(*"Vélo cargo")
        form.query_one("#reciprocity", Input).value = typed
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        [stored] = Workspace.open(home).items(ItemFilter(text="vélo cargo"))
        code = {"troc": "barter", "don": "gift"}[typed.lower()]
        assert stored.reciprocity == code
        edit = ItemForm(stored, stored.author, [])
        app.push_screen(edit)
        await pilot.pause()
        assert edit.query_one("#reciprocity", Input).value == shown_back  # its label, in the form's language
