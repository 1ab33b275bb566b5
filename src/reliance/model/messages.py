"""The error that carries a catalogue key: what the model says when a value breaks a rule.

The pure code in `reliance.model` raises `InputError(key, **params)` rather than a sentence: each face (CLI,
app, web) shows `error.text(lang)` in its own language, next to `error.field` when it names one. The texts
themselves are in the one catalogue, `reliance.i18n`.
"""

from __future__ import annotations

from reliance.errors import ModelError
from reliance.i18n import Describable, t

__all__ = ["Describable", "InputError", "shown"]

_SHOWN_CHARS = 40


def shown(text: str) -> str:
    """Typed text as quoted back in an error: one line, at most a few dozen characters."""
    line = " ".join(text.split())
    return line if len(line) <= _SHOWN_CHARS else line[: _SHOWN_CHARS - 1] + "…"


class InputError(ModelError):
    """A value a person typed (or a field of an item) that breaks a rule, as a catalogue key and parameters.

    `field` names the form field or option at fault ("begins", "ends", "amount", "repeat"…) when the code
    that raised it knows it, so a form can put the message next to that field. `str()` is the English text,
    for logs and for code that predates the catalogue.
    """

    def __init__(self, key: str, *, field: str = "", **params: object) -> None:
        self.key = key
        self.field = field
        self.params: dict[str, object] = params
        super().__init__(t(key, "en", **params))

    def text(self, lang: str) -> str:
        return t(self.key, lang, **self.params)
