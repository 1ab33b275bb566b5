"""Typed wealth-matrix dimensions (`NAME=INTEGER`), as the command line and the app read them."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reliance.economy import (
    DimensionError,
    Entry,
    EntryKind,
    LedgerError,
    parse_dimension,
    parse_dimensions,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("joy=2", ("joy", 2)),
        ("Joy=2", ("joy", 2)),
        (" hardship = -1 ", ("hardship", -1)),
        ("kg=0", ("kg", 0)),
        ("co2=007", ("co2", 7)),
        ("a=b=1", None),  # the first '=' separates: 'b=1' is not a number
    ],
)
def test_parse_dimension(text: str, expected: tuple[str, int] | None) -> None:
    if expected is None:
        with pytest.raises(DimensionError):
            parse_dimension(text)
    else:
        assert parse_dimension(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("joy", "no '='"),
        ("", "no '='"),
        ("=3", "no name"),
        ("  =3", "no name"),
        ("joy=", "not a whole number"),
        ("joy=lots", "not a whole number"),
        ("joy=1.5", "not a whole number"),
        ("joy=+1", "not a whole number"),
        ("joy=--5", "not a whole number"),  # lstrip("-").isdigit() accepts it, int() does not
        ("joy=²", "not a whole number"),  # str.isdigit() accepts it, int() does not
        ("joy=1_000", "not a whole number"),
        ("joy=٣", "not a whole number"),
        ("joy=" + "9" * 5000, "out of range"),  # past int()'s digit limit: an error, not a ValueError
    ],
)
def test_malformed_dimensions_name_the_part_as_typed(text: str, reason: str) -> None:
    with pytest.raises(DimensionError, match=reason) as caught:
        parse_dimension(text)
    assert caught.value.typed == text
    assert isinstance(caught.value, LedgerError)  # callers that catch ledger errors catch this one


def test_parse_dimensions_keeps_the_last_value_of_a_repeated_name() -> None:
    assert parse_dimensions([]) == {}
    assert parse_dimensions(["joy=2", "kg=3", "JOY=5"]) == {"joy": 5, "kg": 3}


def test_parse_dimensions_stops_at_the_first_bad_part() -> None:
    with pytest.raises(DimensionError) as caught:
        parse_dimensions(["joy=2", "kg=lots", "=1"])
    assert caught.value.typed == "kg=lots"


def test_a_parsed_dimension_fits_an_entry_or_the_entry_says_why() -> None:
    dims = parse_dimensions(["joy=2", "kg=-3"])
    entry = Entry(
        id="e",
        kind=EntryKind.CONTRIBUTION,
        author="alice",
        member="alice",
        amount=60,
        unit="min",
        at="2025-06-07T09:00:00Z",
        action="work",
        dimensions=dims,
    )
    assert dict(entry.dimensions) == {"joy": 2, "kg": -3}
    with pytest.raises(LedgerError, match="out of range"):
        replace(entry, dimensions=parse_dimensions(["joy=" + "9" * 16]))


@settings(deadline=None)  # timing-independent: the suite may share a loaded machine
@given(
    st.text(alphabet=st.characters(blacklist_characters="="), min_size=1).filter(lambda s: s.strip()),
    st.integers(min_value=-(10**15), max_value=10**15),
)
def test_what_is_written_is_read_back(name: str, value: int) -> None:
    assert parse_dimension(f"{name}={value}") == (name.strip().lower(), value)
