"""The editor of one section of a social code."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, TextArea

from reliance.display import clean
from reliance.tui.common.dialogs.base import Dialog
from reliance.tui.common.widgets import AppFooter, plain


class SectionEditor(Dialog[str]):
    """A multi-line editor for one section of a social code."""

    FOCUS = "#editor"
    ASK_BEFORE_DISCARD = True

    TITLE_KEY = "dialog.edit_section"
    OK_KEY = "button.save"

    def __init__(self, whose: str, section: str, text: str, hint: str = "") -> None:
        super().__init__()
        self.whose = whose
        self.section = section
        self.text = text
        self.hint = hint  # what to write in it

    def title_text(self) -> str:
        return self.t("dialog.edit_section", section=self.section, whose=self.whose)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog editor"):
            yield Label(plain(self.title_text()), classes="dialog-title")  # titles quote names, titles
            if self.hint:
                yield Label(plain(self.hint, style="dim italic"), id="section-hint", classes="hint")
            # A project's section may hold another member's text: its control characters are shown (and
            # saved) as their visible pictures, never sent to the terminal.
            yield TextArea(
                clean(self.text, multiline=True), id="editor", soft_wrap=True, show_line_numbers=False
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t("button.save"), variant="primary", id="ok")
                yield Button(self.t("button.cancel"), id="cancel")
        yield AppFooter()

    def result(self) -> str:
        return self.query_one("#editor", TextArea).text
