"""Amounts as people write them ("250", "250,00", "1 250,50 €", "1h30"), stored in minor units."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reliance.economy.checks import MAX_AMOUNT
from reliance.economy.format import format_amount
from reliance.limits import DEFAULT_LIMITS
from reliance.model.amounts import format_amount_input, parse_amount, unit_digits
from reliance.model.messages import InputError


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("250", 25000),
        ("250,00", 25000),
        ("250.50 €", 25050),
        ("250,5", 25050),
        ("1 250,50", 125050),
        ("1\u00a0250,50 €", 125050),  # as French formatting prints it (no-break space)
        ("1\u202f250,50", 125050),  # narrow no-break space
        ("€12", 1200),
        ("12€", 1200),
        ("12 EUR", 1200),
        ("eur 12", 1200),
        ("1,250.50", 125050),
        ("1.250,50", 125050),
        ("1,250,000", 125000000),
        ("1.250.000", 125000000),
        ("1 250 000", 125000000),
        (".5", 50),
        (",05", 5),
        ("0,250", 25),  # a zero before the separator: decimals, and trailing zeros are harmless
        ("1250,500", 125050),  # four digits before: cannot be thousands
        ("1 250,500", 125050),  # spaces group the thousands, so the comma is the decimal mark
        ("0", 0),
        ("  42  ", 4200),
    ],
)
def test_euros(text: str, cents: int) -> None:
    assert parse_amount(text, "EUR") == cents


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("90", 90),
        ("90 min", 90),
        ("90min", 90),
        ("90 minutes", 90),
        ("1h30", 90),
        ("1 h 30", 90),
        ("1h30min", 90),
        ("1 h 05 min", 65),
        ("2h", 120),
        ("2 h", 120),
        ("1,5 h", 90),
        ("1.5h", 90),
        ("1 heure", 60),
        ("2 heures", 120),
        ("3 hours", 180),
        ("1 250", 1250),
    ],
)
def test_time_in_minutes(text: str, minutes: int) -> None:
    assert parse_amount(text, "min") == minutes


def test_other_units_are_whole_numbers() -> None:
    assert unit_digits("kg") == 0 and unit_digits("EUR") == 2 and unit_digits("JPY") == 0
    assert parse_amount("12", "kg") == 12
    assert parse_amount("1 200 kg", "kg") == 1200
    assert parse_amount("500 ¥", "JPY") == 500
    assert parse_amount("12,00", "kg") == 12


def refused(text: str, unit: str = "EUR", **options: object) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_amount(text, unit, **options)  # type: ignore[arg-type]
    return caught.value


@pytest.mark.parametrize("text", ["1,250", "1.250", "12.500", "999,999"])
def test_ambiguous_thousands_or_decimals_are_refused(text: str) -> None:
    error = refused(text)
    assert error.key == "amount.error.ambiguous" and error.field == "amount"
    integer, fraction = text.replace(".", ",").split(",")
    assert error.params["whole"] == integer + fraction
    assert f"{integer},{fraction.rstrip('0')}" in error.text("fr")
    assert f"{integer}.{fraction.rstrip('0')}" in error.text("en")
    assert refused(text, "min").key == "amount.error.ambiguous"


def test_errors_are_catalogue_keys() -> None:
    assert refused("").key == "amount.error.empty"
    assert refused("   ").key == "amount.error.empty"
    assert refused("abc").key == "amount.error.unknown"
    assert refused("12,5,0").key == "amount.error.grouping"
    assert refused("1,2.3,4").key == "amount.error.unknown"
    assert refused("5,").key == "amount.error.unknown"
    assert refused("٣").key == "amount.error.unknown"  # digits other than 0-9 are not read
    assert refused("1 25").key == "amount.error.grouping"
    assert refused("12,50,00").key == "amount.error.grouping"
    decimals = refused("12,5055")
    assert decimals.key == "amount.error.decimals" and decimals.params["digits"] == 2
    assert "12,5055" in decimals.text("fr") and "EUR" in decimals.text("en")
    assert refused("12,5", "kg").key == "amount.error.whole"
    assert refused("90,5 min", "min").key == "amount.error.whole"
    assert refused("1,51 h", "min").key == "amount.error.whole"
    assert refused("1h75", "min").key == "amount.error.unknown"
    wrong = refused("12 $")
    assert wrong.key == "amount.error.unit"
    assert wrong.params == {"text": "12 $", "found": "USD", "unit": "EUR"}
    assert refused("12 kg").key == "amount.error.unit"
    assert refused("2h", "EUR").key == "amount.error.unit"
    assert refused("-5").key == "amount.error.negative"
    assert parse_amount("-5", "EUR", signed=True) == -500
    assert parse_amount("−1 250,50 €", "EUR", signed=True) == -125050
    assert refused("1" * 17, signed=True).key == "amount.error.range"
    assert refused("1" * (DEFAULT_LIMITS.typed_value_chars + 1)).key == "amount.error.too_long"


@settings(max_examples=300)
@given(st.text(max_size=40), st.sampled_from(["EUR", "min", "kg", "JPY"]))
def test_any_text_is_an_amount_or_a_catalogue_error(text: str, unit: str) -> None:
    try:
        amount = parse_amount(text, unit, signed=True)
    except InputError as error:
        assert error.key.startswith("amount.error.")
    else:
        assert abs(amount) <= MAX_AMOUNT


amounts = st.integers(min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT)


@settings(max_examples=300)
@given(amounts, st.sampled_from(["EUR", "USD", "min", "kg", "JPY", "G1"]), st.sampled_from(["fr", "en"]))
def test_what_a_form_shows_reads_back(amount: int, unit: str, lang: str) -> None:
    assert parse_amount(format_amount_input(amount, unit, lang), unit, signed=True) == amount


@settings(max_examples=300)
@given(amounts, st.sampled_from(["EUR", "USD", "GBP", "G1"]), st.sampled_from(["fr", "en"]))
def test_what_a_ledger_prints_reads_back(amount: int, unit: str, lang: str) -> None:
    assert parse_amount(format_amount(amount, unit, lang), unit, signed=True) == amount


def test_editable_text_in_each_language() -> None:
    assert format_amount_input(125050, "EUR", "fr") == "1250,50"
    assert format_amount_input(125050, "EUR", "en") == "1250.50"
    assert format_amount_input(-5, "EUR", "fr") == "-0,05"
    assert format_amount_input(90, "min", "fr") == "90"
    assert format_amount_input(7, "JPY", "en") == "7"
