"""Places at an event, answers that become conversations, withdrawing an item, and Escape on a filled form:
what a person does in the app (Pilot, 120x40), in French and in English, and what ends up in the store."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from reliance.app.workspace import Workspace
from reliance.doc import participant
from reliance.i18n import t, tn
from reliance.model.catalogue import AnswerKind, ItemKind, Reply
from reliance.tui.app import RelianceApp
from reliance.tui.catalogue.screen import CatalogueScreen
from reliance.tui.common.data import CatalogueFilter
from reliance.tui.common.dialogs import ItemForm
from reliance.tui.common.widgets import VirtualTable
from tests.tui.conftest import go_to, offline, settle, shown_text
from tests.tui.world import World, pump

SIZE = (120, 40)
LANGS = ["fr", "en"]


@dataclass
class Others:
    dominique: Workspace
    sacha: Workspace


@pytest.fixture
def others(world: World, tmp_path: Path) -> Others:
    """Copies of Dominique's and Sacha's homes, to write as them and sync into Camille's."""
    for who in ("dominique", "sacha"):
        shutil.copytree(world.root / who, tmp_path / who, ignore=shutil.ignore_patterns("lock"))
    return Others(Workspace.open(tmp_path / "dominique"), Workspace.open(tmp_path / "sacha"))


def details(app: RelianceApp) -> str:
    return str(app.screen.query_one("#details-text").render())


async def show_in_catalogue(app: RelianceApp, pilot: object, words: str) -> CatalogueScreen:
    screen = app.screen
    assert isinstance(screen, CatalogueScreen)
    screen.set_filter(CatalogueFilter(text=words))
    await settle(app, pilot)  # type: ignore[arg-type]
    return screen


async def open_new_item_form(app: RelianceApp, pilot: Pilot[None]) -> None:
    """From the start, the catalogue's form for a new item."""
    await settle(app, pilot)
    await go_to(app, pilot, "3")
    await pilot.press("n")
    await pilot.pause()


# -- 4. places ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_an_event_with_places_from_the_form_to_the_programme(home: Path, lang: str) -> None:
    app = offline(home, lang)
    async with app.run_test(size=SIZE) as pilot:
        await open_new_item_form(app, pilot)
        form = app.screen
        assert isinstance(form, ItemForm)
        form.query_one("#kind").value = "event"  # type: ignore[attr-defined]
        form.query_one("#title", Input).value = "Bal folk"
        form.query_one("#begins", Input).value = "2026-07-14T21:00"
        form.query_one("#capacity", Input).value = "abc"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form  # what is wrong is said under the field, in the app's language
        error = form.query_one("#capacity-error", Static)
        assert error.display and str(error.render()) == t("capacity.error", lang, max=100_000)
        assert app.focused is form.query_one("#capacity", Input)
        form.query_one("#capacity", Input).value = "2"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await show_in_catalogue(app, pilot, "bal folk")
        assert tn("rsvp.places_left", 2, lang) in details(app)
        await go_to(app, pilot, "4")
        table = app.screen.query_one("#events", VirtualTable)
        assert tn("rsvp.places_left", 2, lang) in shown_text(table)
    [bal] = [i for i in Workspace.open(home).items() if i.title == "Bal folk"]
    assert bal.capacity == 2


@pytest.mark.parametrize("lang", LANGS)
async def test_coming_to_a_full_event_is_refused_and_the_waiting_list_shows(
    home: Path, others: Others, lang: str
) -> None:
    concert = next(i for i in others.dominique.items() if i.title == "Concert sous le tilleul")
    others.dominique.update_item(concert.id, capacity=1)
    pump(others.dominique.repo, others.sacha.repo)
    others.sacha.answer(concert.id, "coming", "Avec ma guitare")
    camille = Workspace.open(home)
    pump(others.sacha.repo, camille.repo)
    pump(others.dominique.repo, camille.repo)
    del camille
    app = offline(home, lang)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "3")
        await show_in_catalogue(app, pilot, "tilleul")
        assert t("rsvp.full_short", lang) in details(app)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press(*"Moi aussi", "ctrl+s")
        await settle(app, pilot)
        full = t("rsvp.full", lang, capacity=1, title="Concert sous le tilleul")
        assert any(full in n.message for n in app._notifications)
        await pilot.press("i")  # interest is always welcome
        await pilot.pause()
        await pilot.press(*"Prévenez-moi", "ctrl+s")
        await settle(app, pilot)
        assert "Prévenez-moi" in details(app)
    mine = [a for a in Workspace.open(home).answers_to(concert.id) if a.author != others.sacha.peer_id]
    assert [a.kind for a in mine] == [AnswerKind.INTERESTED]


async def test_two_people_coming_at_once_wait_in_arrival_order(home: Path, others: Others) -> None:
    """Offline on two devices, Sacha and Camille both take the last place; after sync, Camille's app shows
    the one who answered second on the waiting list, as every peer does."""
    visit = next(i for i in others.sacha.items() if i.title == "Visite du jardin partagé")
    others.sacha.update_item(visit.id, capacity=1)
    camille = Workspace.open(home)
    pump(others.sacha.repo, camille.repo)
    camille.answer(visit.id, "coming")  # Camille first (her clock), then Dominique, without seeing her
    pump(others.sacha.repo, others.dominique.repo)
    others.dominique.answer(visit.id, "coming", "On vient à deux ?")
    pump(others.dominique.repo, camille.repo)
    pump(camille.repo, others.sacha.repo)
    first, second = sorted(
        (a for a in camille.answers_to(visit.id) if a.kind is AnswerKind.COMING),
        key=lambda a: (a.created, a.author, a.id),
    )
    del camille
    app = offline(home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "3")
        await show_in_catalogue(app, pilot, "visite")
        text = details(app)
        assert t("rsvp.full_short", "en") in text and tn("rsvp.waiting", 1, "en") in text
        waiting_line = next(
            line for line in text.splitlines() if t("details.waiting", "en", position=1) in line
        )
        who = "Dominique" if second.author == others.dominique.peer_id else t("details.you", "en")
        assert who in waiting_line
    assert first.author != second.author
    sacha_sees = Workspace(others.sacha.home, others.sacha.identity).find_item(visit.id)
    assert sacha_sees is not None
    assert [a.author for a in sacha_sees.answers if a.kind is AnswerKind.COMING] == [
        first.author,
        second.author,
    ]
    assert sacha_sees.kind == ItemKind.EVENT


# -- 5. answers become conversations ------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_answer_again_withdraw_and_talk_with_the_author(home: Path, others: Others, lang: str) -> None:
    tools = next(i for i in others.dominique.items() if i.title == "Prêt d'outils de menuiserie")
    app = offline(home, lang)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "3")
        await show_in_catalogue(app, pilot, "outils")
        await pilot.press("h")
        await pilot.pause()
        await pilot.press(*"Samedi", "enter", *"Atelier, porte bleue", "enter")
        await settle(app, pilot)
        await pilot.press("h")  # again: the same answer, its words shown to change them
        await pilot.pause()
        assert app.screen.query_one("#message", Input).value == "Samedi"
        app.screen.query_one("#message", Input).value = "Samedi et dimanche"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        text = details(app)
        assert (
            "Samedi et dimanche" in text
            and t("details.contact", lang, contact="Atelier, porte bleue") in text
        )
        [mine] = app.data.mine(tools)
        # Dominique, on his machine, replies with a meeting point; it arrives by sync.
        camille = app.workspace
        await app.io(pump, camille.repo, others.dominique.repo)
        others.dominique.reply(mine.id, "Parfait, à 10h", "Cour du tiers-lieu")
        await app.io(pump, others.dominique.repo, camille.repo)
        await app.refresh_docs({others.dominique.peer_id})
        await settle(app, pilot)
        text = details(app)
        assert "↪ Dominique: Parfait, à 10h" in text
        assert t("details.contact", lang, contact="Cour du tiers-lieu") in text
        await pilot.press("r")  # Camille writes back
        await pilot.pause()
        await pilot.press(*"Merci !", "ctrl+s")
        await settle(app, pilot)
        assert f"↪ {t('details.you', lang)}: Merci !" in details(app)
        await pilot.press("u")  # and finally withdraws her answer
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.data.mine(tools) == []
        assert "Samedi et dimanche" not in details(app)
    stored = [a for a in Workspace.open(home).answers_to(tools.id) if a.author != others.dominique.peer_id]
    assert len(stored) == 1 and stored[0].withdrawn  # one answer, updated then withdrawn, never two


async def test_a_stranger_cannot_join_a_conversation_and_long_texts_are_left_out(
    home: Path, others: Others
) -> None:
    """Sacha writes a reply under an answer to Camille's item: Camille's app does not show it; a reply from
    Camille's document past the message limit is not shown cut."""
    camille = Workspace.open(home)
    bread = next(i for i in camille.items() if i.title == "Pain au levain du fournil")
    dominique_answer = next(a for a in camille.answers_to(bread.id) if a.author == others.dominique.peer_id)
    intruder = Reply(
        "intrus0000000000",
        dominique_answer.id,
        dominique_answer.author,
        bread.id,
        bread.author,
        "Je m'invite",
        others.sacha.peer_id,
        "2026-07-06T10:00:00+00:00",
    )
    others.sacha._write(others.sacha.my_doc(), lambda w: participant.write_reply(w, intruder))
    long = replace(intruder, message="x" * 2001, author=camille.peer_id, id="longlonglonglong")
    camille._write(camille.my_doc(), lambda w: participant.write_reply(w, long))
    pump(others.sacha.repo, camille.repo)
    del camille
    app = offline(home, "fr")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "3")
        await show_in_catalogue(app, pilot, "levain")
        text = details(app)
        assert "Je peux passer jeudi ?" in text
        assert "Je m'invite" not in text and "xxxxxxxx" not in text


# -- 8. withdrawing an item; Escape on a filled form -------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_withdraw_my_item_after_confirming(home: Path, lang: str) -> None:
    app = offline(home, lang)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "3")
        await show_in_catalogue(app, pilot, "pétrir")
        await pilot.press("w")
        await pilot.pause()
        question = str(app.screen.query_one(".confirm-message").render())
        assert t("confirm.withdraw", lang, title="Bras pour pétrir le samedi")[:30] in question
        await pilot.press("escape")  # not now
        await settle(app, pilot)
        assert "Bras pour pétrir le samedi" in details(app)
        await pilot.press("w")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        assert "Bras pour pétrir le samedi" not in {r.item.title for r in app.data.rows}
    assert all(i.title != "Bras pour pétrir le samedi" for i in Workspace.open(home).items())


@pytest.mark.parametrize("lang", LANGS)
async def test_escape_on_a_filled_form_asks_before_throwing_it_away(home: Path, lang: str) -> None:
    app = offline(home, lang)
    async with app.run_test(size=SIZE) as pilot:
        await open_new_item_form(app, pilot)
        await pilot.press("escape")  # nothing typed: it simply closes
        await pilot.pause()
        assert isinstance(app.screen, CatalogueScreen)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"Atelier pain")
        await pilot.press("escape")
        await pilot.pause()
        question = str(app.screen.query_one(".confirm-message").render())
        assert t("confirm.discard", lang) in question
        await pilot.press("escape")  # keep it
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ItemForm) and form.query_one("#title", Input).value == "Atelier pain"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")  # throw it away
        await settle(app, pilot)
        assert isinstance(app.screen, CatalogueScreen)
    assert all(i.title != "Atelier pain" for i in Workspace.open(home).items())
