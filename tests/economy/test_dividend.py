"""The contributive dividend: the worked example of docs/dividend.md, policies as data, verification."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from reliance.economy import (
    DEFAULT_POLICY,
    PROJECT_ACCOUNT,
    Acknowledgement,
    Bucket,
    Distribution,
    LedgerError,
    Policy,
    PolicyError,
    Rule,
    Weight,
    acknowledgement_factors,
    balances,
    compute_dividend,
    distribution_entry,
    distribution_from_data,
    distribution_to_data,
    largest_remainder,
    net_revenue,
    policy_from_data,
    policy_to_data,
    recompute_distribution,
    verify_distribution,
)

from .example import MEMBERS, PERIOD, POOL, contribution, example_acknowledgements, example_entries


def example(lang: str = "en", **kw: Any) -> Distribution:
    return compute_dividend(
        example_entries(),
        example_acknowledgements(),
        MEMBERS,
        DEFAULT_POLICY,
        *PERIOD,
        POOL,
        heads=["9f1c", "04ab"],
        lang=lang,
        **kw,
    )


# ------------------------------------------------------------------------------------------ worked example


def test_worked_example_acknowledgement_factors() -> None:
    factors = acknowledgement_factors(example_entries(), example_acknowledgements(), DEFAULT_POLICY)
    # e01: bob 100 (alice's own 150 ignored); e03: mean(120, 100); e05: mean(200 clamped to 150, 90)
    assert factors == {"e01": Fraction(1), "e03": Fraction(11, 10), "e05": Fraction(6, 5)}


def test_worked_example_payouts() -> None:
    d = example()
    assert d.payouts == {"alice": 3_107, "bob": 2_576, "chloe": 2_817, "dan": 500}
    assert d.reserve == 1_000
    assert d.paid_out + d.reserve == POOL
    assert d.policy_version == 0
    assert d.heads == ("04ab", "9f1c")
    assert d.unit == "EUR"


def test_worked_example_explanations_en() -> None:
    assert [line.explanation for line in example().lines] == [
        "alice: 31.07 EUR of 100.00 EUR — equal share 5.00 EUR (1/4 of 20.00 EUR) + 26.07 EUR "
        "for 540 weighted points of 1,450 (work 480 min, knowledge 60 min)",
        "bob: 25.76 EUR of 100.00 EUR — equal share 5.00 EUR (1/4 of 20.00 EUR) + 20.76 EUR "
        "for 430 weighted points of 1,450 (work 300 min at 110%, money 25.00 EUR)",
        "chloe: 28.17 EUR of 100.00 EUR — equal share 5.00 EUR (1/4 of 20.00 EUR) + 23.17 EUR "
        "for 480 weighted points of 1,450 (work 250 min at 120%, resources 720 min); "
        "not weighted by the policy: resources 5 kg",
        "dan: 5.00 EUR of 100.00 EUR — equal share 5.00 EUR (1/4 of 20.00 EUR); "
        "no weighted contribution in the period",
    ]
    assert example().notes == (
        "reserve: 10.00 EUR of 100.00 EUR — 10.00 EUR (reserve, 10%)",
        "policy v0; 1,450 weighted points in all",
    )


def test_worked_example_explanations_fr_and_display_names() -> None:
    d = example("fr", names={"alice": "Alice Martin"})
    assert d.lines[0].explanation == (
        "Alice Martin : 31,07 EUR sur 100,00 EUR — part égale 5,00 EUR (1/4 de 20,00 EUR) + 26,07 EUR pour "
        "540 points pondérés sur 1\u00a0450 (travail 480 min, connaissances 60 min)"
    )
    assert d.lines[0].member == "alice"
    assert d.payouts == example().payouts


def test_docs_show_the_computed_explanations() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "dividend.md").read_text(encoding="utf-8")
    for line in example().lines:
        assert line.explanation in doc
    assert example("fr").lines[0].explanation.replace("\u00a0", " ") in doc
    for note in example().notes:
        assert note in doc


def test_worked_example_paid_out_in_the_ledger() -> None:
    d = example()
    paid = distribution_entry(d, id="e13", author="alice", at="2025-07-01T10:00:00Z")
    assert paid.amount == 9_000
    assert paid.note == ""  # no sentence in one language in the shared ledger
    assert balances([*example_entries(), paid])["EUR"] == {
        PROJECT_ACCOUNT: -3_300,
        "alice": -6_893,
        "bob": 5_076,
        "chloe": 4_617,
        "dan": 500,
    }


def test_net_revenue_of_the_example() -> None:
    assert net_revenue(example_entries(), "EUR", *PERIOD) == 10_000 - 1_800


def test_verification_confirms_or_shows_the_difference() -> None:
    recorded = distribution_from_data(distribution_to_data(example()))
    again = recompute_distribution(
        recorded,
        reversed(example_entries()),
        example_acknowledgements(),
        reversed(MEMBERS),
        DEFAULT_POLICY,
        lang="fr",
    )
    assert verify_distribution(recorded, again) == []
    # someone records a different split: the check names each difference
    forged = replace(
        recorded,
        lines=tuple(replace(x, amount=x.amount + (20 if x.member == "bob" else 0)) for x in recorded.lines),
        reserve=980,
    )
    assert verify_distribution(forged, again) == [
        "reserve: recorded 980, recomputed 1,000",
        "bob: recorded 2,596, recomputed 2,576",
    ]
    # read at other heads (here with one more, backdated contribution of alice) the result differs
    later = [*example_entries(), contribution("e14", "alice", 1, "min", "2025-06-03T00:00:00Z")]
    newer = recompute_distribution(recorded, later, example_acknowledgements(), MEMBERS, DEFAULT_POLICY)
    assert verify_distribution(recorded, newer) == [
        "alice: recorded 3,107, recomputed 3,110",
        "bob: recorded 2,576, recomputed 2,574",
        "chloe: recorded 2,817, recomputed 2,816",
    ]
    other_policy = replace(DEFAULT_POLICY, version=3)
    diff = verify_distribution(
        recorded, recompute_distribution(recorded, later, [], MEMBERS, other_policy), "fr"
    )
    assert diff[0] == "version de la politique : enregistré 0, recalculé 3"
    broken = replace(recorded, reserve=0)
    assert "payouts and reserve sum to 9,000, not to 10,000" in verify_distribution(broken, again)


# ------------------------------------------------------------------------------------------ rules and edges


def test_largest_remainder() -> None:
    assert largest_remainder(10, [("a", 1), ("b", 1), ("c", 1)]) == {"a": 4, "b": 3, "c": 3}
    assert largest_remainder(7_000, [("alice", 540), ("bob", 430), ("chloe", 480)]) == {
        "alice": 2_607,
        "bob": 2_076,
        "chloe": 2_317,
    }
    assert largest_remainder(5, [("a", 0), ("b", Fraction(1, 3))]) == {"a": 0, "b": 5}
    assert largest_remainder(0, [("a", 0)]) == {"a": 0}
    with pytest.raises(ValueError, match="all shares are zero"):
        largest_remainder(3, [("a", 0)])


def test_ties_go_to_the_smallest_member_id_whatever_the_order_given() -> None:
    d = compute_dividend([], [], ["zoe", "adam", "mia"], DEFAULT_POLICY, *PERIOD, 100)
    # 20 % equal = 20 for 3 people: 7, 7, 6 (adam and mia first by id); 70 % contribution: nobody -> reserve
    assert d.payouts == {"adam": 7, "mia": 7, "zoe": 6}
    assert d.reserve == 80
    assert (
        d.notes[0] == "reserve: 0.80 EUR of 1.00 EUR — 0.10 EUR (reserve, 10%) "
        "+ 0.70 EUR of the contribution share (nobody has weighted points)"
    )


def test_no_members_keeps_everything_in_reserve() -> None:
    d = compute_dividend(example_entries(), [], [], DEFAULT_POLICY, *PERIOD, POOL)
    assert d.lines == ()
    assert d.reserve == POOL


def test_contributions_outside_the_period_or_of_non_members_do_not_count() -> None:
    d = compute_dividend(example_entries(), [], ["bob"], DEFAULT_POLICY, "2025-07-01", "2025-07-31", 1_000)
    assert d.payouts == {"bob": 900}
    assert "work 120 min" in d.lines[0].explanation


def test_latest_acknowledgement_of_each_member_counts() -> None:
    entries = [contribution("e1", "alice", 100, "min", "2025-06-02T10:00:00Z")]
    acks = [
        Acknowledgement("a1", "e1", "bob", 60, "2025-06-03T10:00:00Z"),
        Acknowledgement("a2", "e1", "bob", 140, "2025-06-04T10:00:00Z"),  # bob changed his mind
        Acknowledgement("a0", "e1", "chloe", 20, "2025-06-04T10:00:00Z"),  # clamped to 50
    ]
    assert acknowledgement_factors(entries, acks, DEFAULT_POLICY) == {"e1": Fraction(95, 100)}


def test_negative_pool_and_bad_inputs_are_refused() -> None:
    with pytest.raises(LedgerError, match="the pool must be zero or more, got -1"):
        compute_dividend([], [], ["alice"], DEFAULT_POLICY, *PERIOD, -1)
    with pytest.raises(LedgerError, match="whole number of minor units"):
        compute_dividend([], [], ["alice"], DEFAULT_POLICY, *PERIOD, 10.0)  # type: ignore[arg-type]
    with pytest.raises(LedgerError, match="is reserved"):
        compute_dividend([], [], [PROJECT_ACCOUNT], DEFAULT_POLICY, *PERIOD, 10)
    with pytest.raises(LedgerError, match="before it starts"):
        compute_dividend([], [], ["alice"], DEFAULT_POLICY, "2025-06-30", "2025-06-01", 10)
    with pytest.raises(ValueError, match="unknown language"):
        compute_dividend([], [], ["alice"], DEFAULT_POLICY, *PERIOD, 10, lang="de")


def test_distribution_data_is_checked() -> None:
    data = distribution_to_data(example())
    assert distribution_from_data(data) == example()
    with pytest.raises(LedgerError, match="needs 'reserve'"):
        distribution_from_data({k: v for k, v in data.items() if k != "reserve"})
    with pytest.raises(LedgerError, match="appears twice"):
        distribution_from_data({**data, "lines": [data["lines"][0], data["lines"][0]]})


# ------------------------------------------------------------------------------------------ policies


def good_policy_data() -> dict[str, Any]:
    return {
        "version": 2,
        "buckets": [
            {"name": "base", "percent": 30, "rule": "equal"},
            {"name": "contribution", "percent": 70, "rule": "contribution"},
        ],
        "weights": [
            {"action": "work", "unit": "min", "weight": 1},
            {"action": "transfer", "unit": "EUR", "weight": "1/25"},
            {"action": "use", "unit": "*", "weight": "0.5"},
        ],
        "ack_factor_min": 0,
        "ack_factor_max": 200,
    }


def test_policy_round_trip_and_canonical_order() -> None:
    policy = policy_from_data(good_policy_data())
    assert policy.weight("transfer", "EUR") == Fraction(1, 25)
    assert policy.weight("use", "kg") == Fraction(1, 2)  # the '*' weight of the action
    assert policy.weight("produce", "min") == 0
    assert policy_from_data(policy_to_data(policy)) == policy
    shuffled = good_policy_data()
    shuffled["buckets"].reverse()
    shuffled["weights"].reverse()
    assert policy_from_data(shuffled) == policy
    assert policy_from_data(policy_to_data(DEFAULT_POLICY)) == DEFAULT_POLICY


def edit(path: str, value: Any) -> dict[str, Any]:
    data = good_policy_data()
    target: Any = data
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if value is DELETE:
        del target[last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return data


DELETE = object()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (edit("buckets.0.percent", 20), "bucket percentages sum to 90, not 100"),
        (edit("buckets.0.percent", -5), "percent must be a whole number from 0 to 100, got -5"),
        (edit("buckets.0.percent", "30"), "percent must be a whole number from 0 to 100, got '30'"),
        (edit("buckets.0.percent", 30.0), "percent must be a whole number from 0 to 100, got 30.0"),
        (
            edit("buckets.0.rule", "lottery"),
            "bucket 'base': unknown rule 'lottery'; use reserve, equal or contribution",
        ),
        (edit("buckets.0.rule", 3), "unknown rule 3"),
        (edit("buckets.0.rule", "contribution"), "two buckets use the rule 'contribution'"),
        (edit("buckets.0.name", ""), "bucket 1's name must be a non-empty name"),
        (edit("buckets.0.name", "contribution"), "two buckets are named 'contribution'"),
        (edit("buckets.0", {"name": "x", "percent": 30}), "exactly the fields name, percent and rule"),
        (edit("buckets", {"base": 100}), "'buckets' must be a list"),
        (edit("buckets", []), "at least one bucket"),
        (
            edit("buckets", [{"name": f"b{i}", "percent": 10, "rule": "equal"} for i in range(10)]),
            "at most 8 buckets",
        ),
        (edit("weights.0.weight", 0.5), "0.5 is not allowed; write a whole number or a text such as '0.5'"),
        (edit("weights.0.weight", -1), "must be between 0 and"),
        (edit("weights.0.weight", "1e999999"), "must be a whole number or a text such as"),
        (edit("weights.0.weight", "__import__('os')"), "must be a whole number or a text such as"),
        (edit("weights.0.weight", "1/0"), "division by zero"),
        (edit("weights.0.weight", True), "True is not allowed"),
        (edit("weights.0.action", "steal"), "unknown action 'steal'"),
        (edit("weights.0.unit", ""), "is empty"),
        (edit("weights.1", {"action": "work", "unit": "min", "weight": 2}), "two weights for work/min"),
        (edit("weights", "work"), "'weights' must be a list"),
        (edit("ack_factor_min", 120), "0 <= min <= 100 <= max"),
        (edit("ack_factor_max", 5000), "0 <= min <= 100 <= max"),
        (edit("ack_factor_max", "200"), "must be whole percentages"),
        (edit("version", "2"), "version must be a whole number"),
        (edit("version", DELETE), "a policy needs 'version'"),
        (edit("formula", "pool * 2"), "unknown policy field(s): formula"),
        ([1, 2], "a policy must be a mapping"),
    ],
)
def test_malformed_policies_are_refused_with_the_exact_reason(data: Any, message: str) -> None:
    with pytest.raises(PolicyError) as info:
        policy_from_data(data)
    assert message in str(info.value)


def test_policies_built_in_code_are_checked_too() -> None:
    with pytest.raises(PolicyError, match="sum to 50"):
        Policy(1, (Bucket("a", 50, Rule.EQUAL),), ())
    with pytest.raises(PolicyError, match="whole number or a fraction"):
        Weight("work", "min", 0.5)  # type: ignore[arg-type]
    assert Weight("work", "min", 2).weight == Fraction(2)  # type: ignore[arg-type]


def test_a_policy_changes_the_split() -> None:
    policy = policy_from_data(good_policy_data())
    d = compute_dividend(example_entries(), example_acknowledgements(), MEMBERS, policy, *PERIOD, POOL)
    assert d.reserve == 0
    assert sum(d.payouts.values()) == POOL
    # chloe's 5 kg of parts now weigh 0.5 point per kg through the 'use/*' weight
    chloe = d.lines[2].explanation
    assert "resources 5 kg, resources 720 min" in chloe
    assert "not weighted" not in chloe
