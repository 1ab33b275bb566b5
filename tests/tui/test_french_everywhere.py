"""French everywhere when French is chosen: Textual's command palette and F1 key panel, the policy's weights,
and the one-line hint of each #CodeSocial section (and their English when English is chosen)."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
import textual.containers
import textual.screen
import textual.widgets
from textual.binding import Binding
from textual.command import CommandInput, CommandList, CommandPalette
from textual.widgets import Label

from reliance.i18n import MESSAGES, section_hint
from reliance.model.codesocial import SECTION_IDS
from reliance.tui.code.screen import CodeScreen
from reliance.tui.common.dialogs import SectionEditor
from reliance.tui.common.widgets import binding_label
from tests.tui.conftest import go_to, offline, settle, shown_text
from tests.tui.test_app import open_balances

SIZE = (120, 40)
WIDGETS = ("Button", "Input", "OptionList", "RadioButton", "RadioSet", "Select", "Switch", "TextArea", "Tabs")


def textual_descriptions() -> set[str]:
    """The descriptions of the keys of every Textual widget, container and screen the app uses."""
    from textual.widgets._select import SelectOverlay

    classes: list[type] = [getattr(textual.widgets, name) for name in WIDGETS]
    classes += [textual.containers.VerticalScroll, textual.screen.Screen, SelectOverlay, CommandPalette]
    found: set[str] = set()
    for cls in classes:
        for klass in cls.__mro__:
            for binding in klass.__dict__.get("BINDINGS", []):
                if isinstance(binding, Binding) and binding.description:
                    found.add(binding.description)
    return found


def test_every_key_textual_describes_has_a_french_label() -> None:
    missing = sorted(d for d in textual_descriptions() if binding_label(d, "fr") == d)
    assert missing == []
    assert binding_label("Scroll Up", "en") == "Scroll Up"  # English stays Textual's own words


@pytest.mark.parametrize(
    ("lang", "scroll", "search", "foreign"),
    [
        ("fr", "Défiler vers le haut", "Chercher une commande…", ("Scroll Up", "Focus Next", "Search for")),
        ("en", "Scroll Up", "Search for commands…", ("Défiler", "Chercher")),
    ],
)
async def test_the_palette_and_the_key_panel_speak_the_chosen_language(
    home: Path, lang: str, scroll: str, search: str, foreign: tuple[str, ...]
) -> None:
    app = offline(home, lang)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f1")
        await settle(app, pilot)
        panel = shown_text(app.screen.query_one("BindingsTable"))
        assert scroll in panel and not any(word in panel for word in foreign)
        await pilot.press("f1", "ctrl+p")
        await settle(app, pilot)
        assert isinstance(app.screen, CommandPalette)
        assert app.screen.query_one(CommandInput).placeholder == search


@pytest.mark.parametrize(("lang", "nothing"), [("fr", "Aucune commande trouvée"), ("en", "No matches found")])
async def test_the_palette_says_it_found_nothing_in_the_chosen_language(
    home: Path, lang: str, nothing: str
) -> None:
    app = offline(home, lang)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await settle(app, pilot)
        await pilot.press(*"zzqxw")
        results = app.screen.query_one(CommandList)
        # Textual shows the line after a short countdown: wait for the line itself, not for a time.
        for _ in range(200):
            if results.option_count == 1 and results.get_option_at_index(0).id == "--no-matches":
                break
            await pilot.pause(0.02)
        await settle(app, pilot)
        assert results.option_count == 1
        screen = html.unescape(app.export_screenshot()).replace("\xa0", " ")
        assert nothing in screen


@pytest.mark.parametrize(
    ("lang", "weight", "rule"),
    [
        ("fr", "connaissances (par minute) × 1", "parts égales"),
        ("en", "knowledge (per minute) × 1", "equal shares"),
    ],
)
async def test_the_policy_weights_are_in_words(home: Path, lang: str, weight: str, rule: str) -> None:
    app = offline(home, lang)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_balances(app, pilot)
        await settle(app, pilot)
        text = shown_text(screen.query_one("#balances-text"))
        assert weight in text and rule in text and "cite/min" not in text and "transfer/EUR" not in text


def test_each_of_the_sixteen_sections_has_a_hint_in_both_languages() -> None:
    assert len(SECTION_IDS) == 16
    for section in SECTION_IDS:
        fr, en = section_hint(section, "fr"), section_hint(section, "en")
        assert fr and en and fr != en and f"section_hint.{section}" in MESSAGES
    assert "missions" in section_hint("missions", "fr") and "médiation" in section_hint("mediation", "fr")


@pytest.mark.parametrize(
    ("lang", "hint"),
    [("fr", "Comment les tensions se règlent"), ("en", "How tensions are settled")],
)
async def test_a_section_shows_what_to_write_in_it(home: Path, lang: str, hint: str) -> None:
    app = offline(home, lang)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "2")
        screen = app.screen
        assert isinstance(screen, CodeScreen)
        sections = screen.query_one("#section-list")
        sections.highlighted = sections.get_option_index("mediation")  # type: ignore[attr-defined]
        await settle(app, pilot)
        assert hint in shown_text(screen.query_one("#section-text"))
        await pilot.press("e")
        await settle(app, pilot)
        assert isinstance(app.screen, SectionEditor)
        assert hint in str(app.screen.query_one("#section-hint", Label).render())
