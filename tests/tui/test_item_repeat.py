"""The item form's repeat field: every day or every week until a day typed as people write it, shown back
before saving, refused next to the field at fault, kept when the item is edited, as `--repeat` takes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Select, Static

from reliance.app.workspace import ItemFilter, Workspace
from reliance.model.catalogue import Frequency, Repeat
from reliance.tui.catalogue.screen import CatalogueScreen
from reliance.tui.common.actions import edit_item
from reliance.tui.common.dialogs import ItemForm
from tests.tui.conftest import offline, settle
from tests.tui.test_festival import open_new_item_form, static_text

SIZE = (120, 40)


@pytest.mark.parametrize(
    ("lang", "until", "understood", "too_early"),
    [
        (
            "fr",
            "28/07/2030",
            "Compris : dimanche 14 juillet 2030, 10:00–12:00, "
            "chaque dimanche jusqu'au dimanche 28 juillet 2030",
            "avant",
        ),
        (
            "en",
            "28 July 2030",
            "Understood: Sunday 14 July 2030, 10:00–12:00, every Sunday until Sunday 28 July 2030",
            "before",
        ),
    ],
)
async def test_a_weekly_workshop_until_a_day(
    home: Path, lang: str, until: str, understood: str, too_early: str
) -> None:
    app = offline(home, lang)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_item_form(app, pilot)
        await pilot.press(*"Cerf-volant")
        form.query_one("#begins", Input).value = "14/07/2030 10h" if lang == "fr" else "14 July 2030 10am"
        form.query_one("#ends", Input).value = "12h" if lang == "fr" else "noon"
        form.query_one("#repeat", Select).value = "weekly"
        form.query_one("#until", Input).value = "01/07/2030" if lang == "fr" else "1 July 2030"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form  # the last day before the first: said next to "until"
        error = form.query_one("#until-error", Static)
        assert error.display and too_early in str(error.render())
        assert app.focused is form.query_one("#until", Input)
        form.query_one("#until", Input).value = until
        await pilot.pause()
        assert static_text(form, "#when-understood") == understood
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, CatalogueScreen)
        [stored] = Workspace.open(home).items(ItemFilter(text="cerf-volant"))
        assert stored.repeat == Repeat(Frequency.WEEKLY, "2030-07-28")
        # Edited: the form shows the repetition, and choosing "once" removes it.
        edit_item(app, app.data.items_by_id[stored.id])
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ItemForm)
        assert form.query_one("#repeat", Select).value == "weekly"
        assert form.query_one("#until", Input).value == "2030-07-28"
        form.query_one("#repeat", Select).value = "none"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    [stored] = Workspace.open(home).items(ItemFilter(text="cerf-volant"))
    assert stored.repeat is None


async def test_a_repetition_needs_its_last_day(home: Path) -> None:
    app = offline(home, "en")
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_item_form(app, pilot)
        await pilot.press(*"Yoga")
        form.query_one("#begins", Input).value = "14 July 2030 8am"
        form.query_one("#repeat", Select).value = "daily"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form and form.query_one("#until-error", Static).display
