"""Textual's command palette, worded in the app's language.

Textual writes its search placeholder and its "No matches found" line in English. The placeholder is a
constructor argument; the empty-result line is added by the palette itself after a short countdown, and
the palette shows the list right after adding it, so its prompt is replaced at that moment.
"""

from __future__ import annotations

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette


class WordedPalette(CommandPalette):
    """The palette with its two texts in the app's language."""

    def __init__(self, *, placeholder: str, nothing_found: str) -> None:
        super().__init__(id="--command-palette", placeholder=placeholder)
        self._nothing_found = nothing_found

    def _watch__list_visible(self) -> None:
        super()._watch__list_visible()
        results = self.query_one(CommandList)
        if results.option_count == 1 and results.get_option_at_index(0).id == self._NO_MATCHES:
            results.replace_option_prompt(
                self._NO_MATCHES, Align.center(Text(self._nothing_found, style="not bold"))
            )
