"""Plain-language number formatting for ledger explanations (English and French).

Presentation only: nothing here is used to compute an amount.
"""

from __future__ import annotations

from fractions import Fraction

from reliance.i18n import LANGS, t

# Units that are currencies, with the number of minor digits (amounts are stored in minor units: cents).
MONEY_DIGITS: dict[str, int] = {"EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "CAD": 2, "G1": 2, "JPY": 0}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    return lang


def group(n: int, lang: str = "en") -> str:
    """1234567 -> '1,234,567' (en) or '1 234 567' (fr, with no-break spaces)."""
    return f"{n:,}".replace(",", t("number.thousands", lang))


def split_minor(amount: int, unit: str) -> tuple[str, int, str]:
    """(sign, whole major units, minor digits): 3107 EUR -> ('', 31, '07'), -480 min -> ('-', 480, '')."""
    digits = MONEY_DIGITS.get(unit, 0)
    whole, minor = divmod(abs(amount), 10**digits)
    return ("-" if amount < 0 else ""), whole, (f"{minor:0{digits}d}" if digits else "")


def format_amount(amount: int, unit: str, lang: str = "en") -> str:
    """Minor units with their unit: 3107 EUR -> '31.07 EUR' (fr '31,07 EUR'), 480 min -> '480 min'."""
    sign, whole, minor = split_minor(amount, unit)
    point = t("number.point", lang)
    return f"{sign}{group(whole, lang)}{point + minor if minor else ''} {unit}"


def format_points(value: Fraction, lang: str = "en") -> str:
    """Weighted points: whole numbers as is, others with at most two decimals (display only)."""
    if value.denominator == 1:
        return group(value.numerator, lang)
    hundredths = round(value * 100)
    sign = "-" if hundredths < 0 else ""
    whole, cents = divmod(abs(hundredths), 100)
    point = t("number.point", lang)
    decimals = f"{cents:02d}".rstrip("0")
    return f"{sign}{group(whole, lang)}{point + decimals if decimals else ''}"
