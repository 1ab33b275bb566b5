"""A festival day in the app, in French and in English: dates as people write them, the programme, search
without accents, and amounts in the units people count in."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from reliance.app import projects
from reliance.app.workspace import ItemFilter, Workspace
from reliance.economy import format_amount
from reliance.i18n import t
from reliance.model.amounts import parse_amount
from reliance.model.catalogue import Frequency, Item, ItemKind, Repeat
from reliance.model.dates import parse_span
from reliance.model.messages import InputError
from reliance.tui.app import RelianceApp
from reliance.tui.catalogue.screen import CatalogueScreen
from reliance.tui.common.data import ParticipantView, load_cache, save_cache
from reliance.tui.common.dialogs import ConfirmDialog, EntryDialog, ItemForm
from reliance.tui.common.widgets import VirtualTable
from reliance.tui.projects.screen import ProjectsScreen
from tests.tui.conftest import go_to, offline, settle, shown_text
from tests.tui.world import World

SIZE = (120, 40)


def static_text(form: ItemForm, selector: str) -> str:
    return str(form.query_one(selector, Static).render())


async def open_new_item_form(app: RelianceApp, pilot: object) -> ItemForm:
    await settle(app, pilot)  # type: ignore[arg-type]
    await go_to(app, pilot, "3")  # type: ignore[arg-type]
    await pilot.press("n")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    form = app.screen
    assert isinstance(form, ItemForm)
    return form


# -- 1. dates as people write them -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "begins", "ends", "understood"),
    [
        ("fr", "14/07/2030 10h", "12h", "Compris : dimanche 14 juillet 2030, 10:00–12:00"),
        ("en", "14 July 2030 10am", "noon", "Understood: Sunday 14 July 2030, 10:00–12:00"),
    ],
)
async def test_the_item_form_reads_dates_as_people_write_them(
    home: Path, lang: str, begins: str, ends: str, understood: str
) -> None:
    app = offline(home, lang)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_item_form(app, pilot)
        await pilot.press(*"Cours de soudure")
        form.query_one("#begins", Input).value = begins
        form.query_one("#ends", Input).value = ends
        await pilot.pause()
        assert static_text(form, "#when-understood") == understood  # shown back before saving
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, CatalogueScreen)
    [stored] = Workspace.open(home).items(ItemFilter(text="soudure"))
    assert (stored.begins, stored.ends) == ("2030-07-14T10:00", "2030-07-14T12:00")  # ISO 8601 as before


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_a_date_not_understood_is_said_next_to_its_field_which_gets_the_focus(
    home: Path, lang: str
) -> None:
    app = offline(home, lang)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_item_form(app, pilot)
        await pilot.press(*"Cours de soudure")
        form.query_one("#begins", Input).value = "14/07/2030 10h"
        form.query_one("#ends", Input).value = "n'importe quand"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form  # not saved
        error = form.query_one("#ends-error", Static)
        assert error.display and not form.query_one("#begins-error", Static).display
        expected = t("when.error.unknown", lang, text="n'importe quand")
        assert str(error.render()) == expected
        assert app.focused is form.query_one("#ends", Input)
        # corrected, the error goes and the item is saved
        form.query_one("#ends", Input).value = "13/07/2030"
        await pilot.press("ctrl+s")
        await pilot.pause()
        with pytest.raises(InputError) as before:
            parse_span("14/07/2030 10h", "13/07/2030", lang)
        assert error.display and str(error.render()) == before.value.text(lang)
        form.query_one("#ends", Input).value = "12h"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, CatalogueScreen)
    assert [i.ends for i in Workspace.open(home).items(ItemFilter(text="soudure"))] == ["2030-07-14T12:00"]


# -- 7. search without case or accents --------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_the_catalogue_search_ignores_case_and_accents(home: Path, lang: str) -> None:
    app = offline(home, lang)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "3")
        await pilot.press("slash", *"VELOS")
        await pilot.pause()
        table = app.screen.query_one("#items")
        assert "Atelier réparation de vélos" in shown_text(table)
        assert [r.item.title for r in table.rows] == ["Atelier réparation de vélos"]  # type: ignore[attr-defined]
        await pilot.press(*["backspace"] * 5, *"petrir")
        await pilot.pause()
        assert [r.item.title for r in table.rows] == ["Bras pour pétrir le samedi"]  # type: ignore[attr-defined]
        await pilot.press(*["backspace"] * 6, *"SACHA")  # an author's name
        await pilot.pause()
        assert len(table.rows) == 4  # type: ignore[attr-defined]
        assert {r.author_name for r in table.rows} == {"Sacha"}  # type: ignore[attr-defined]


# -- 2. the programme ------------------------------------------------------------------------------------


def add_dated_offer_and_breakfast(home: Path) -> None:
    ws = Workspace.open(home)
    ws.add_item(
        Item(
            "",
            ItemKind.OFFER,
            "Atelier pain",
            "",
            place="Fournil",
            begins="2026-07-14T10:00",
            ends="2026-07-14T12:00",
        )
    )
    ws.add_item(
        Item(
            "",
            ItemKind.EVENT,
            "Petit-déjeuner",
            "",
            place="Cour",
            begins="2026-07-14T08:00",
            ends="2026-07-14T09:00",
            repeat=Repeat(Frequency.DAILY, "2026-07-16"),
        )
    )


@pytest.mark.parametrize(("lang", "offer"), [("fr", "Atelier pain (Offre)"), ("en", "Atelier pain (Offer)")])
async def test_programme_shows_dated_items_beside_events_and_repetitions(
    home: Path, lang: str, offer: str
) -> None:
    add_dated_offer_and_breakfast(home)
    app = offline(home, lang)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "4")
        events = app.screen.query_one("#events", VirtualTable)
        assert [r.item.title for r in events.rows] == [
            "Petit-déjeuner",
            "Atelier pain",  # a dated offer, beside the events
            "Atelier réparation de vélos",
            "Concert sous le tilleul",
        ]
        text = shown_text(events)
        assert "08:00–09:00" in text and "10:00–12:00" in text and offer in text and "Fournil" in text
        await pilot.press("right")
        await pilot.pause()
        assert [r.item.title for r in events.rows] == ["Petit-déjeuner", "Visite du jardin partagé"]
        await pilot.press("right")
        await pilot.pause()
        assert [r.item.title for r in events.rows] == ["Petit-déjeuner"]  # its last occurrence
        days = shown_text(app.screen.query_one("#days"))
        assert ("jeu. 16 juil. 2026  1" if lang == "fr" else "Thu 16 Jul 2026  1") in days
        await pilot.press("enter")
        await pilot.pause()
        assert "Petit-déjeuner" in str(app.screen.query_one("#details-text").render())


def test_the_catalogue_cache_keeps_repetitions(home: Path) -> None:
    """The app starts from its cache: a repeating item read from it still shows its occurrences."""
    breakfast = Item(
        "0123456789abcdef",
        ItemKind.EVENT,
        "Petit-déjeuner",
        "rl",
        begins="2026-07-14T08:00",
        repeat=Repeat(Frequency.WEEKLY, "2026-08-01"),
        capacity=12,
    )
    save_cache(home, [ParticipantView("rl", (1, 2, 3), "Zoé", (breakfast,), (), ())])
    [view] = load_cache(home).values()
    assert view.items == (breakfast,) and view.items[0].repeat == breakfast.repeat


# -- 9. money as people write it ---------------------------------------------------------------------------


async def open_projects(app: RelianceApp, pilot: Pilot[None]) -> ProjectsScreen:
    await settle(app, pilot)
    await go_to(app, pilot, "5")
    assert isinstance(app.screen, ProjectsScreen)
    return app.screen


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_the_entry_form_takes_amounts_as_people_write_them(home: Path, world: World, lang: str) -> None:
    app = offline(home, lang)
    async with app.run_test(size=SIZE) as pilot:
        await open_projects(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, EntryDialog)
        hint = " ".join(str(s.render()) for s in form.query(".field-hint"))
        assert "cent" not in hint and ("250,00" if lang == "fr" else "250.00") in hint  # no minor units
        form.query_one("#ckind", Select).value = "money"
        await pilot.pause()
        assert form.query_one("#unit", Input).value == "EUR"
        form.query_one("#amount", Input).value = "12,345"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form  # refused, said next to the amount, which gets the focus
        with pytest.raises(InputError) as ambiguous:
            parse_amount("12,345", "EUR")
        error = form.query_one("#amount-error", Static)
        assert error.display and str(error.render()) == ambiguous.value.text(lang)
        assert app.focused is form.query_one("#amount", Input)
        form.query_one("#amount", Input).value = "250,00 €"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert not isinstance(app.screen, EntryDialog)
    entries = projects.ledger(Workspace.open(home), world.project_id)
    assert (entries[-1]["amount"], entries[-1]["unit"]) == (25000, "EUR")


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_a_credit_floor_and_a_pool_in_major_units_and_an_empty_pool_asks_first(
    home: Path, world: World, lang: str
) -> None:
    app = offline(home, lang)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_projects(app, pilot)
        await pilot.press("b")
        await settle(app, pilot)
        await pilot.press("L")
        await pilot.pause()
        await pilot.press(*"-50", "ctrl+s")
        await settle(app, pilot)
        assert app.data.projects[world.project_id].ledger.limits[0].floor == -5000
        await pilot.press("d")
        await pilot.pause()
        app.screen.query_one("#prompt", Input).value = "0"
        await pilot.press("enter")
        await settle(app, pilot)
        assert screen.preview is not None and screen.preview.pool == 0
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.message == t(
            "confirm.distribution_empty", lang, pool=format_amount(0, "EUR", lang), project="Fournil partagé"
        )
        await pilot.press("escape")
        await settle(app, pilot)
        assert screen.extras is not None and screen.extras.distributions == []  # nothing recorded
        await pilot.press("d")
        await pilot.pause()
        app.screen.query_one("#prompt", Input).value = "1 234,56" if lang == "fr" else "1,234.56"
        await pilot.press("enter")
        await settle(app, pilot)
        assert screen.preview is not None and screen.preview.pool == 123456
