"""The catalogue: every user-visible text of the app, in French and English, and the one function that
looks them up.

`t(key, lang, **params)` returns the text for `key` in `lang` ("fr" or "en") with `{params}` filled in; a
parameter that has a `describe(lang)` method (a date, an answer's kind, a structured explanation) is shown
in the same language. `tn` adds a plural. An unknown key is returned as is (a test checks that every key
the code uses exists in both languages, with the same placeholders). French is the users' language; the
default follows the locale (French when it says fr, else English).

The texts are in this package's `messages_*` modules, one per area, each owning some key namespaces (the
part before the first dot); `MESSAGES` below is their one merged table, and importing the package fails if
two of them define the same key.

This package is the only place that knows which language is which: the rest of the code passes `lang`
through and never compares it (tests/test_catalogue.py scans the sources for that). It imports nothing
from the rest of reliance, so any layer may use it. To add a text: one entry in the module that owns its
namespace, French first, both sides with the same `{placeholders}`; see docs/i18n.md.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Protocol, runtime_checkable

from reliance.i18n import (
    messages_app,
    messages_cli,
    messages_economy,
    messages_first_run,
    messages_identity,
    messages_link,
    messages_model,
    messages_net,
    messages_store,
    messages_textual,
    messages_tui,
    messages_web,
)

LANGS = ("fr", "en")

AREAS = (
    messages_tui,
    messages_first_run,
    messages_textual,
    messages_cli,
    messages_net,
    messages_model,
    messages_economy,
    messages_identity,
    messages_link,
    messages_app,
    messages_store,
    messages_web,
)


def merged(areas: Iterable[ModuleType]) -> dict[str, tuple[str, str]]:
    """The areas' tables as one. A key outside its area's namespaces, a namespace claimed by two areas, or a
    key defined twice is an error at import, never a silent override."""
    owner: dict[str, str] = {}
    table: dict[str, tuple[str, str]] = {}
    for area in areas:
        name = area.__name__
        for namespace in area.NAMESPACES:
            if namespace in owner:
                raise ValueError(f"catalogue namespace {namespace!r} is in {owner[namespace]} and in {name}")
            owner[namespace] = name
        for key, pair in area.MESSAGES.items():
            if key in table:
                raise ValueError(f"catalogue key {key!r} is defined twice (second time in {name})")
            if owner.get(key.split(".", 1)[0]) != name:
                raise ValueError(f"catalogue key {key!r} is in {name}, outside its NAMESPACES")
            table[key] = pair
    return table


# key: (French, English)
MESSAGES: dict[str, tuple[str, str]] = merged(AREAS)


@runtime_checkable
class Describable(Protocol):
    """A parameter shown differently in each language (a date: « samedi 11 juillet », "Saturday 11 July")."""

    def describe(self, lang: str) -> str: ...


@dataclass(frozen=True)
class Phrase:
    """A catalogue entry with its parameters, not yet worded: put it in a message's parameters (or keep it
    for later) and it is shown in the language of whatever shows it."""

    key: str
    params: Mapping[str, object] = field(default_factory=dict)

    def describe(self, lang: str) -> str:
        return t(self.key, lang, **self.params)


@dataclass(frozen=True)
class Worded:
    """A value already worded in each language (`LANGS` order): a date or a kind that came from elsewhere
    (the local API's owner), shown in the language of whatever shows it."""

    texts: tuple[str, ...]

    def describe(self, lang: str) -> str:
        return self.texts[LANGS.index(lang)] if lang in LANGS and len(self.texts) == len(LANGS) else ""


def phrase(key: str, **params: object) -> Phrase:
    return Phrase(key, params)


class _Params(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def t(key: str, lang: str = "fr", **params: object) -> str:
    """The text of `key` in `lang`, with `{name}` placeholders filled from `params`."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    text = pair[0] if lang == "fr" else pair[1]
    if not params:
        return text
    shown = {name: v.describe(lang) if isinstance(v, Describable) else v for name, v in params.items()}
    return text.format_map(_Params(shown))


def plural_key(key: str, count: int, lang: str) -> str:
    """`key.one` or `key.other` for `count` (French treats 0 and 1 as singular)."""
    one = count in (0, 1) if lang == "fr" else count == 1
    return f"{key}.{'one' if one else 'other'}"


def tn(key: str, count: int, lang: str = "fr", **params: object) -> str:
    """`t` with a plural: `key.one` or `key.other`, with `{count}` filled in."""
    return t(plural_key(key, count, lang), lang, count=count, **params)


def other_lang(lang: str) -> str:
    """The language to switch to from `lang` (the app's toggle)."""
    return LANGS[1] if lang == LANGS[0] else LANGS[0]


def locale_lang(environ: dict[str, str] | None = None) -> str:
    """'fr' when the locale says French, else 'en'."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(name, "")
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


def resolve_lang(*choices: str | None) -> str:
    """The first explicit choice that is a known language, else the locale's."""
    for choice in choices:
        if choice in LANGS:
            return choice
    return locale_lang()


def _label(prefix: str, value: str, lang: str) -> str:
    key = f"{prefix}.{value}"
    return t(key, lang) if key in MESSAGES else str(value)


def kind_label(kind: str, lang: str) -> str:
    """An item's kind, singular: « Offre », "Offer"."""
    return _label("item_kind", kind, lang)


def kind_short(kind: str, lang: str) -> str:
    return t(f"kind_short.{kind}", lang)


def status_label(status: str, lang: str) -> str:
    return _label("status", status, lang)


def answer_label(kind: str, lang: str) -> str:
    return _label("answer", kind, lang)


def section_label(section: str, lang: str) -> str:
    """A #CodeSocial section's name; an unknown id is shown as is."""
    return _label("section", section, lang)


def section_hint(section: str, lang: str) -> str:
    """One line on what to write in a #CodeSocial section (« Les enjeux auxquels le projet entend… »)."""
    return _label("section_hint", section, lang) if f"section_hint.{section}" in MESSAGES else ""


def group_label(group: str, lang: str) -> str:
    return _label("section_group", group, lang)


def reciprocity_label(code: str, lang: str) -> str:
    """A reciprocity as a person reads it: « don » for `gift`; free text as it was written."""
    return _label("reciprocity", code, lang)


def _folded(text: str) -> str:
    """`text` without case, accents or extra spaces: « Échange » and "echange" match."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


_RECIPROCITY_PREFIX = "reciprocity."


def reciprocity_code(text: str) -> str:
    """A reciprocity as it is stored: its code (`gift`) when `text` is a code or one's label in any
    language (« don », "Troc", whatever the case and accents); any other text as it was typed."""
    wanted = _folded(text)
    for key, labels in MESSAGES.items():
        if key.startswith(_RECIPROCITY_PREFIX):
            code = key.removeprefix(_RECIPROCITY_PREFIX)
            if wanted == code or any(wanted == _folded(label) for label in labels):
                return code
    return text


def weight_label(action: str, unit: str, weight: object, lang: str) -> str:
    """One weight of a dividend policy as people read it: « connaissances (par minute) × 1 », "money (per
    EUR cent) × 1/25" (a policy's weights count minor units: cents, minutes)."""
    if unit == "min":
        per = t("weight.per_minute", lang)
    elif len(unit) == 3 and unit.isascii() and unit.isalpha() and unit.isupper():  # a currency code
        per = t("weight.per_cent", lang, unit=unit)
    else:
        per = t("weight.per_unit", lang, unit=unit)
    return t("weight.line", lang, action=action_label(action, lang), per=per, weight=weight)


def rule_label(rule: str, lang: str) -> str:
    """How a share of a dividend is handed out (« réserve », "equal shares")."""
    return _label("weight.rule", rule, lang)


def action_label(action: str, lang: str) -> str:
    """The word for a ledger action in explanations (« travail », "work")."""
    return _label("action", action, lang)
