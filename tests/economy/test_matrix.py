"""The wealth matrix (matrice de richesses): member x dimension."""

from __future__ import annotations

import pytest

from reliance.economy import LedgerError, make_reversal, wealth_matrix

from .example import PERIOD, contribution, example_entries


def test_worked_example_matrix() -> None:
    assert wealth_matrix(example_entries(), ["min", "EUR", "joy", "hardship"], period=PERIOD) == {
        "alice": {"min": 540, "EUR": 0, "joy": 3, "hardship": 0},
        "bob": {"min": 300, "EUR": 2_500, "joy": 0, "hardship": 2},
        "chloe": {"min": 970, "EUR": 0, "joy": 0, "hardship": 0},
    }


def test_whole_ledger_and_fixed_rows() -> None:
    matrix = wealth_matrix(example_entries(), ["min", "joy"], members=["dan", "bob"])
    # dan's 600 min were reversed; bob's July work counts without a period
    assert matrix == {"bob": {"min": 420, "joy": 0}, "dan": {"min": 0, "joy": 0}}


def test_reversed_entries_leave_the_matrix() -> None:
    e = contribution("e1", "eve", 30, "min", "2025-06-02T10:00:00Z", dimensions={"kWh": 12, "joy": -1})
    assert wealth_matrix([e], ["kWh", "joy"]) == {"eve": {"kWh": 12, "joy": -1}}
    undo = make_reversal(e, id="e2", author="eve", at="2025-06-02T11:00:00Z")
    assert wealth_matrix([e, undo], ["kWh", "joy"]) == {}


def test_dimension_names_are_checked() -> None:
    with pytest.raises(LedgerError, match="non-empty name"):
        wealth_matrix([], [""])
