"""The recovery phrase of a new identity: shown once, then two of its words asked back.

The phrase lives only in this screen's memory: it is never written to disk, logged or notified.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.containers import Center, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from reliance.i18n import t
from reliance.tui.common.widgets import AppFooter, localize_bindings

if TYPE_CHECKING:
    from reliance.tui.app import RelianceApp

COLUMNS = 4  # words per row: 24 words in 6 rows fit the welcome box
CHECKED_WORDS = 2


class PhraseScreen(Screen[None]):
    """Stage one shows the words; stage two asks for two of them (chosen at random) before going on.
    Dismissed only once both words are right."""

    def __init__(self, words: list[str]) -> None:
        super().__init__()
        self.words = words
        self.positions = sorted(secrets.SystemRandom().sample(range(len(words)), CHECKED_WORDS))
        self.checking = False

    @property
    def rapp(self) -> RelianceApp:
        return cast("RelianceApp", self.app)

    def compose(self) -> ComposeResult:
        lang = self.rapp.lang
        with VerticalScroll(id="welcome-scroll"), Center(), Vertical(id="welcome-box"):
            yield Static(t("welcome.phrase_title", lang), id="welcome-title")
            with Vertical(id="phrase-show"):
                yield Static(t("welcome.phrase_warning", lang), id="phrase-warning")
                yield Static(self._grid(), id="phrase-words", markup=False)
                yield Button(t("welcome.phrase_written", lang), variant="primary", id="phrase-written")
            with Vertical(id="phrase-check"):
                yield Static(t("welcome.phrase_check_intro", lang), id="welcome-intro")
                for field, position in enumerate(self.positions):
                    yield Label(t("welcome.phrase_word", lang, number=position + 1), classes="field-label")
                    yield Input(id=f"word-{field}", max_length=20)
                    yield Static("", id=f"word-{field}-error", classes="phrase-error")
                yield Button(t("welcome.phrase_confirm", lang), variant="primary", id="phrase-confirm")
                yield Button(t("welcome.phrase_again", lang), id="phrase-again")
        yield AppFooter()

    def on_mount(self) -> None:
        localize_bindings(self, self.rapp.lang)
        self._show(checking=False)

    def _grid(self) -> str:
        cells = [f"{number:2}. {word:<8}" for number, word in enumerate(self.words, start=1)]
        rows = (cells[start : start + COLUMNS] for start in range(0, len(cells), COLUMNS))
        return "\n".join("   ".join(row).rstrip() for row in rows)

    def _show(self, checking: bool) -> None:
        """One stage or the other; the words are drawn only while their stage is shown. Done in one
        handler, so that keys typed right after land in the field now focused."""
        self.checking = checking
        self.query_one("#phrase-words", Static).update("" if checking else self._grid())
        self.query_one("#phrase-show").display = not checking
        self.query_one("#phrase-check").display = checking
        self.query_one("#word-0" if checking else "#phrase-written").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "phrase-written":
            self._show(checking=True)
        elif event.button.id == "phrase-again":
            self._show(checking=False)
        elif event.button.id == "phrase-confirm":
            self._confirm()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == f"word-{CHECKED_WORDS - 1}":
            self._confirm()
        else:
            self.focus_next()

    def _confirm(self) -> None:
        lang = self.rapp.lang
        wrong: list[Input] = []
        for field, position in enumerate(self.positions):
            field_input = self.query_one(f"#word-{field}", Input)
            error = self.query_one(f"#word-{field}-error", Static)
            if field_input.value.strip().lower() == self.words[position]:
                error.update("")
            else:
                error.update(t("welcome.phrase_wrong", lang, number=position + 1))
                wrong.append(field_input)
        if wrong:
            wrong[0].focus()
            return
        self.words = []
        self.dismiss(None)
