"""The recovery phrase in the app: a new identity's 24 words are shown once, two of them are asked back,
a wrong word is said next to its field, and Home opens only once both are right."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.pilot import Pilot

from reliance.i18n import t
from reliance.identity import load_identity, participant_key_from_phrase, public_bytes
from reliance.tui.app import RelianceApp, create_app
from reliance.tui.home.screen import HomeScreen
from reliance.tui.node import no_node_factory
from reliance.tui.welcome.phrase import PhraseScreen
from tests.tui.conftest import settle, shown_text, until_screen

SIZE = (120, 40)


async def create_until_phrase(app: RelianceApp, pilot: Pilot[None]) -> PhraseScreen:
    await pilot.pause()
    app.screen.query_one("#name").focus()
    await pilot.press(*"Alex", "enter", "enter", "enter")
    return await until_screen(app, pilot, PhraseScreen)


def words_shown(screen: PhraseScreen) -> list[str]:
    text = shown_text(screen.query_one("#phrase-words"))
    numbered = re.findall(r"(\d+)\. ([a-z]+)", text)
    assert [int(number) for number, _ in numbered] == list(range(1, 25))
    return [word for _, word in numbered]


def files_under(home: Path) -> list[bytes]:
    return [path.read_bytes() for path in home.rglob("*") if path.is_file()]


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_the_phrase_shown_derives_the_key_and_two_words_are_asked_back(
    tmp_path: Path, lang: str
) -> None:
    home = tmp_path / "fresh"
    app = create_app(home, node_factory=no_node_factory, lang=lang)
    async with app.run_test(size=SIZE) as pilot:
        screen = await create_until_phrase(app, pilot)
        assert t("welcome.phrase_warning", lang)[:30] in shown_text(screen.query_one("#phrase-warning"))
        words = words_shown(screen)
        phrase = " ".join(words)
        derived = public_bytes(participant_key_from_phrase(phrase))
        assert derived == load_identity(home).participant_key
        assert app.ws is None  # Home waits for the words

        await pilot.click("#phrase-written")
        await pilot.pause()
        assert "1." not in shown_text(screen.query_one("#phrase-words"))  # not drawn while asked back
        assert not screen.query_one("#phrase-show").display
        first, second = screen.positions
        assert first != second
        wrong = next(word for word in ("abandon", "zoo") if word != words[first])
        await pilot.press(*wrong, "enter", *words[second].upper(), "enter")
        await pilot.pause()
        assert isinstance(app.screen, PhraseScreen)
        assert shown_text(screen.query_one("#word-0-error")).strip() == t(
            "welcome.phrase_wrong", lang, number=first + 1
        )
        assert shown_text(screen.query_one("#word-1-error")).strip() == ""
        assert app.focused is screen.query_one("#word-0")

        screen.query_one("#word-0").value = ""  # type: ignore[attr-defined]
        await pilot.press(*words[first])
        await pilot.click("#phrase-confirm")
        await settle(app, pilot)
        assert isinstance(app.screen, HomeScreen)
        assert app.workspace.peer_id == load_identity(home).peer_id
    for content in files_under(home):  # neither the phrase nor a run of its words was kept anywhere
        assert phrase.encode() not in content
        assert " ".join(words[:3]).encode() not in content


async def test_the_words_can_be_shown_again_before_they_are_asked(tmp_path: Path) -> None:
    app = create_app(tmp_path / "fresh", node_factory=no_node_factory, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        screen = await create_until_phrase(app, pilot)
        words = words_shown(screen)
        await pilot.click("#phrase-written")
        await pilot.pause()
        await pilot.click("#phrase-again")
        await pilot.pause()
        assert words_shown(screen) == words
        assert isinstance(app.screen, PhraseScreen)
