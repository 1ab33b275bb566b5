"""Amounts as people write them, in the unit's major units; minor units for storage and JSON.

`parse_amount("1 250,50 €", "EUR")` is 125050 (cents); `parse_amount("1h30", "min")` is 90. Amounts are
stored, exported as JSON and computed in minor units (`reliance.economy`: cents for currencies, minutes
for time, the unit itself otherwise); only what a person types or reads is in major units.

What is understood, the same whatever the interface's language:
- digits 0-9; a comma or a point as the decimal mark; spaces (also no-break ones), or the other mark,
  grouping thousands by three ("1 250,50", "1.250,50", "1,250.50", "1,250,000");
- the unit before or after the number, as its code ("EUR", any case) or symbol ("€", "$", "£", "¥");
  time in minutes also as hours ("2h", "1,5 h", "1h30", "1 h 05 min", "3 hours");
- a leading minus only when `signed` (credit floors), as "-" or "−".
Refused, with a catalogue error (`amount.error.*`): one mark followed by exactly three digits after one to
three others ("1,250", "1.250": thousands or decimals?), more decimals than the unit has (trailing zeros
aside), another unit than the one asked, and anything else.
"""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction

from reliance.economy.checks import MAX_AMOUNT
from reliance.economy.format import MONEY_DIGITS
from reliance.i18n import t
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.model.messages import InputError, shown

FIELD = "amount"
TIME_UNIT = "min"
SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY"}
_ALIASES = {"ğ1": "G1"}
_MINUTE_WORDS = {"min", "mn", "minute", "minutes"}
_HOUR_WORDS = {"h", "hr", "hrs", "heure", "heures", "hour", "hours"}
_SPACES = {"\u00a0", "\u202f", "\u2009", "\u2007"}
_MINUS = ("-", "−")
_TOKEN = r"[^\W\d_][\w-]*"
_FRONT_TOKEN = re.compile(rf"({_TOKEN})\s*(.*)")
_BACK_TOKEN = re.compile(rf"(.*?)\s*({_TOKEN})")
_NUMBER = re.compile(r"[0-9][0-9 .,]*|[.,][0-9]+")
_HOURS_MINUTES = re.compile(r"([0-9]{1,9}) ?h ?([0-9]{1,2})(?: ?(?:min|mn|minutes?))?", re.IGNORECASE)


def unit_digits(unit: str) -> int:
    """Minor digits of a unit: 2 for the currencies reliance knows (cents), 0 for anything else."""
    return MONEY_DIGITS.get(unit, 0)


def parse_amount(text: str, unit: str, *, signed: bool = False, limits: Limits = DEFAULT_LIMITS) -> int:
    """The amount `text` means in minor units of `unit`; see the module's rules."""
    if len(text) > limits.typed_value_chars:
        raise InputError("amount.error.too_long", field=FIELD, limit=limits.typed_value_chars)
    quoted = shown(text)
    value = "".join(" " if ch in _SPACES else ch for ch in unicodedata.normalize("NFC", text))
    value = " ".join(value.split())
    if not value:
        raise InputError("amount.error.empty", field=FIELD)
    negative, value = _sign(value)
    composite = _HOURS_MINUTES.fullmatch(value) if unit == TIME_UNIT else None
    if composite:
        hours, minutes = int(composite[1]), int(composite[2])
        if minutes >= 60:
            raise InputError("amount.error.unknown", field=FIELD, text=quoted)
        exact, factor = Fraction(hours * 60 + minutes), 1
    else:
        front, value = _token(value, front=True)
        if not negative:
            negative, value = _sign(value)
        back, value = _token(value, front=False)
        if (front and back) or not value:
            raise InputError("amount.error.unknown", field=FIELD, text=quoted)
        factor = _factor(front or back, unit, quoted)
        exact = _number(value, quoted) * factor
    if exact.denominator != 1:
        key = "amount.error.decimals" if unit_digits(unit) and factor != 60 else "amount.error.whole"
        raise InputError(key, field=FIELD, text=quoted, unit=unit, digits=unit_digits(unit))
    amount = -exact.numerator if negative else exact.numerator
    if amount < 0 and not signed:
        raise InputError("amount.error.negative", field=FIELD, text=quoted)
    if abs(amount) > MAX_AMOUNT:
        raise InputError("amount.error.range", field=FIELD, text=quoted)
    return amount


def _sign(value: str) -> tuple[bool, str]:
    if value.startswith(_MINUS):
        return True, value[1:].lstrip()
    if value.startswith("+"):
        return False, value[1:].lstrip()
    return False, value


def _token(value: str, *, front: bool) -> tuple[str, str]:
    """Split a unit (a word or a currency symbol) off the front or the back of `value`."""
    if not value:
        return "", value
    edge = value[0] if front else value[-1]
    if unicodedata.category(edge) == "Sc":
        rest = value[1:] if front else value[:-1]
        return edge, rest.strip()
    if front:
        found = _FRONT_TOKEN.fullmatch(value)
        return (found[1], found[2]) if found else ("", value)
    found = _BACK_TOKEN.fullmatch(value)
    return (found[2], found[1]) if found else ("", value)


def _factor(token: str, unit: str, quoted: str) -> int:
    """Minor units per unit written: 100 for euros, 60 for hours when the unit is minutes, 1 otherwise."""
    minor: int = 10 ** unit_digits(unit)
    if not token:
        return minor
    word = token.lower()
    if unit == TIME_UNIT:
        if word in _MINUTE_WORDS:
            return 1
        if word in _HOUR_WORDS:
            return 60
    named = SYMBOLS.get(token) or _ALIASES.get(word) or token
    if named.lower() != unit.lower():
        raise InputError("amount.error.unit", field=FIELD, text=quoted, found=named, unit=unit)
    return minor


def _number(value: str, quoted: str) -> Fraction:
    if not _NUMBER.fullmatch(value):
        raise InputError("amount.error.unknown", field=FIELD, text=quoted)
    spaced = " " in value
    commas, points = value.count(","), value.count(".")
    decimal: str | None = None
    grouping: str | None = " " if spaced else None
    if commas and points:
        decimal = "," if value.rfind(",") > value.rfind(".") else "."
        if value.count(decimal) > 1 or spaced:
            raise InputError("amount.error.unknown", field=FIELD, text=quoted)
        grouping = "." if decimal == "," else ","
    elif commas + points > 1:
        if spaced:
            raise InputError("amount.error.unknown", field=FIELD, text=quoted)
        grouping = "," if commas else "."
    elif commas + points == 1:
        decimal = "," if commas else "."
        before, after = value.split(decimal)
        if not spaced and len(after) == 3 and 1 <= len(before) <= 3 and before[0] != "0":
            raise InputError(
                "amount.error.ambiguous",
                field=FIELD,
                text=quoted,
                whole=before + after,
                integer=before,
                fraction=after.rstrip("0") or "0",
            )
    whole, fraction = value.split(decimal) if decimal else (value, "")
    if decimal and not fraction.isdigit():
        raise InputError("amount.error.unknown", field=FIELD, text=quoted)
    if grouping and whole:
        groups = whole.split(grouping)
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            raise InputError("amount.error.grouping", field=FIELD, text=quoted)
        whole = "".join(groups)
    if whole and not whole.isdigit():
        raise InputError("amount.error.unknown", field=FIELD, text=quoted)
    return Fraction(int(whole or "0")) + (Fraction(int(fraction), 10 ** len(fraction)) if fraction else 0)


def format_amount_input(amount: int, unit: str, lang: str = "fr") -> str:
    """Minor units as a person edits them in a form: no grouping, the language's decimal mark, no unit.

    `parse_amount` reads it back to the same amount (`format_amount` is the display form, with grouping).
    """
    digits = unit_digits(unit)
    sign = "-" if amount < 0 else ""
    whole, minor = divmod(abs(amount), 10**digits)
    if not digits:
        return f"{sign}{whole}"
    return f"{sign}{whole}{t('number.point', lang)}{minor:0{digits}d}"
