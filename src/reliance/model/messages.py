"""The error that carries a catalogue key: what the model says when a value breaks a rule.

The pure code in `reliance.model` raises `InputError(key, **params)` rather than a sentence: each face (CLI,
app, web) shows `error.text(lang)` in its own language, next to `error.field` when it names one (every
`RelianceError` works so: see `reliance.errors`). The texts themselves are in the one catalogue,
`reliance.i18n`.
"""

from __future__ import annotations

from reliance.errors import ModelError
from reliance.i18n import Describable

__all__ = ["Describable", "InputError", "shown"]

_SHOWN_CHARS = 40


def shown(text: str) -> str:
    """Typed text as quoted back in an error: one line, at most a few dozen characters."""
    line = " ".join(text.split())
    return line if len(line) <= _SHOWN_CHARS else line[: _SHOWN_CHARS - 1] + "…"


class InputError(ModelError):
    """A value a person typed (or a field of an item) that breaks a rule: `RelianceError`'s key, parameters
    and `field`, for the values of the model (dates, amounts, repeats, capacities)."""
