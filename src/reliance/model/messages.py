"""Catalogue entries of what people type (dates, amounts), the programme and answers, and the error that
carries one of them.

The entries join `reliance.i18n.MESSAGES`, so `t(key, lang, **params)` finds them. The pure code in
`reliance.model` raises `InputError(key, **params)` rather than an English sentence: each face (CLI, app,
web) shows `error.text(lang)` in its own language, next to `error.field` when it names one.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from reliance.errors import ModelError

WEEKDAYS = (
    ("lundi", "Monday"),
    ("mardi", "Tuesday"),
    ("mercredi", "Wednesday"),
    ("jeudi", "Thursday"),
    ("vendredi", "Friday"),
    ("samedi", "Saturday"),
    ("dimanche", "Sunday"),
)
MONTHS = (
    ("janvier", "January"),
    ("février", "February"),
    ("mars", "March"),
    ("avril", "April"),
    ("mai", "May"),
    ("juin", "June"),
    ("juillet", "July"),
    ("août", "August"),
    ("septembre", "September"),
    ("octobre", "October"),
    ("novembre", "November"),
    ("décembre", "December"),
)

# key: (French, English); both sides carry the same {placeholders}.
MESSAGES: dict[str, tuple[str, str]] = {
    **{f"when.weekday.{n}": pair for n, pair in enumerate(WEEKDAYS)},
    **{f"when.month.{n}": pair for n, pair in enumerate(MONTHS, start=1)},
    "when.first_of_month": ("1er", "1"),
    "when.date": ("{weekday} {day} {month} {year}", "{weekday} {day} {month} {year}"),
    "when.datetime": ("{date} à {time}", "{date} at {time}"),
    "when.with_offset": ("{when} (UTC{offset})", "{when} (UTC{offset})"),
    "when.same_day": ("{date}, {begins}–{ends}", "{date}, {begins}–{ends}"),
    "when.span": ("du {begins} au {ends}", "from {begins} to {ends}"),
    "when.error.empty": ("Indiquez une date.", "Give a date."),
    "when.error.too_long": (
        "C'est trop long pour une date (au plus {limit} caractères).",
        "That is too long for a date (at most {limit} characters).",
    ),
    "when.error.unknown": (
        "« {text} » : date non comprise. Par ex. 14/07/2026 10h, 14 juillet 10:00, demain 18h, samedi 14h.",
        "“{text}”: not understood as a date. E.g. 14/07/2026 10:00, 14 July 10am, tomorrow 6pm, "
        "next saturday 2pm.",
    ),
    "when.error.vague": (
        "« {text} » : précisez le jour, par ex. 14 juillet ou 14/07/2026.",
        "“{text}”: say which day, e.g. 14 July or 14/07/2026.",
    ),
    "when.error.iso": (
        "« {text} » n'est pas une date ISO 8601 (par ex. 2026-07-14 ou 2026-07-14T18:00).",
        "“{text}” is not an ISO 8601 date (e.g. 2026-07-14 or 2026-07-14T18:00).",
    ),
    "when.error.ends_before": (
        "La fin ({ends}) est avant le début ({begins}).",
        "The end ({ends}) is before the beginning ({begins}).",
    ),
    "when.error.ends_alone": (
        "Une fin sans début : indiquez aussi quand cela commence.",
        "An end without a beginning: say when it begins too.",
    ),
    "repeat.daily": ("tous les jours jusqu'au {until}", "every day until {until}"),
    "repeat.weekly": ("chaque {weekday} jusqu'au {until}", "every {weekday} until {until}"),
    "repeat.error.freq": (
        "Répétition « {value} » inconnue : daily (tous les jours) ou weekly (chaque semaine).",
        "Unknown repetition “{value}”: daily or weekly.",
    ),
    "repeat.error.until": (
        "« {value} » : une répétition s'arrête un jour donné (AAAA-MM-JJ).",
        "“{value}”: a repetition stops on a given day (YYYY-MM-DD).",
    ),
    "repeat.error.needs_begins": (
        "Une répétition a besoin d'une date de début.",
        "A repetition needs a beginning date.",
    ),
    "repeat.error.until_before": (
        "La répétition s'arrête ({until}) avant le début ({begins}).",
        "The repetition stops ({until}) before it begins ({begins}).",
    ),
    "capacity.error": (
        "Le nombre de places est un nombre entier de 1 à {max}.",
        "The number of places is a whole number from 1 to {max}.",
    ),
    "rsvp.full": (
        "Complet : les {capacity} places de « {title} » sont prises. Vous pouvez dire que ça vous intéresse.",
        "Full: the {capacity} places of “{title}” are taken. You can say you are interested.",
    ),
    "rsvp.full_short": ("Complet", "Full"),
    "rsvp.places_left.one": ("{count} place restante", "{count} place left"),
    "rsvp.places_left.other": ("{count} places restantes", "{count} places left"),
    "rsvp.waiting.one": ("{count} en liste d'attente", "{count} on the waiting list"),
    "rsvp.waiting.other": ("{count} en liste d'attente", "{count} on the waiting list"),
    "rsvp.nothing_to_withdraw": (
        "Rien à retirer : vous n'avez pas répondu « {answer} » à cet élément.",
        "Nothing to withdraw: you have not answered “{answer}” to this item.",
    ),
    "amount.error.empty": ("Indiquez un montant.", "Give an amount."),
    "amount.error.too_long": (
        "C'est trop long pour un montant (au plus {limit} caractères).",
        "That is too long for an amount (at most {limit} characters).",
    ),
    "amount.error.unknown": (
        "« {text} » n'est pas un montant. Par ex. 250, 250,00 ou 1 250,50.",
        "“{text}” is not an amount. E.g. 250, 250.00 or 1,250.50.",
    ),
    "amount.error.ambiguous": (
        "« {text} » est ambigu : écrivez {whole} ou {integer},{fraction}.",
        "“{text}” is ambiguous: write {whole} or {integer}.{fraction}.",
    ),
    "amount.error.grouping": (
        "« {text} » : les milliers se groupent par trois chiffres (par ex. 1 250 000,50).",
        "“{text}”: thousands are grouped by three digits (e.g. 1,250,000.50).",
    ),
    "amount.error.decimals": (
        "« {text} » : en {unit}, au plus {digits} chiffres après la virgule.",
        "“{text}”: in {unit}, at most {digits} digits after the decimal point.",
    ),
    "amount.error.whole": (
        "« {text} » : un montant en {unit} est un nombre entier.",
        "“{text}”: an amount in {unit} is a whole number.",
    ),
    "amount.error.unit": (
        "« {text} » est en {found}, mais l'unité est {unit}.",
        "“{text}” is in {found}, but the unit is {unit}.",
    ),
    "amount.error.negative": (
        "« {text} » : un montant est positif.",
        "“{text}”: an amount is positive.",
    ),
    "amount.error.range": (
        "« {text} » est trop grand.",
        "“{text}” is too large.",
    ),
}

_SHOWN_CHARS = 40


def shown(text: str) -> str:
    """Typed text as quoted back in an error: one line, at most a few dozen characters."""
    line = " ".join(text.split())
    return line if len(line) <= _SHOWN_CHARS else line[: _SHOWN_CHARS - 1] + "…"


@runtime_checkable
class Describable(Protocol):
    """A parameter shown differently in each language (a date: « samedi 11 juillet », "Saturday 11 July")."""

    def describe(self, lang: str) -> str: ...


class _Params(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(key: str, lang: str, params: dict[str, object]) -> str:
    """The entry `key` in `lang` ("fr", else English) with its placeholders filled."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    shown_params = _Params(
        {name: v.describe(lang) if isinstance(v, Describable) else v for name, v in params.items()}
    )
    return (pair[0] if lang == "fr" else pair[1]).format_map(shown_params)


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
        super().__init__(render(key, "en", params))

    def text(self, lang: str) -> str:
        return render(self.key, lang, self.params)
