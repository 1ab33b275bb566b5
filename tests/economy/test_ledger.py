"""Ledger rules: validation, double-entry balances, reversals, credit limits, plain-data round trips."""

from __future__ import annotations

import copy
import pickle

import pytest

from reliance.economy import (
    ANY_MEMBER,
    PROJECT_ACCOUNT,
    Acknowledgement,
    Breach,
    CreditLimit,
    Entry,
    EntryKind,
    LedgerError,
    PayoutLine,
    acknowledgement_from_data,
    acknowledgement_to_data,
    balances,
    check_credit_limits,
    credit_limit_from_data,
    credit_limit_to_data,
    effective_reversals,
    entry_from_data,
    entry_to_data,
    index_entries,
    ledger_issues,
    make_reversal,
    parse_period,
    postings,
    reversed_ids,
    validate_acknowledgement,
    validate_entry,
)

from .example import contribution, example_entries

AT = "2025-06-07T09:00:00Z"


def entry(**fields: object) -> Entry:
    base: dict[str, object] = {
        "id": "x1",
        "kind": EntryKind.CONTRIBUTION,
        "author": "alice",
        "amount": 60,
        "unit": "min",
        "at": AT,
    }
    base.update(fields)
    return Entry(**base)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ validation


def test_defaults_member_is_author_and_action_follows_kind() -> None:
    e = entry()
    assert e.member == "alice"
    assert e.action == "work"
    assert entry(kind="transfer", counterparty="bob").action == "transfer"
    assert entry(kind=EntryKind.EXPENSE).kind is EntryKind.EXPENSE


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"amount": 1.5}, "whole number of minor units"),
        ({"amount": "60"}, "whole number of minor units"),
        ({"amount": True}, "whole number of minor units"),
        ({"amount": 0}, "must be positive, got 0"),
        ({"amount": -5, "kind": "expense"}, "must be positive, got -5"),
        ({"amount": 10**16}, "out of range"),
        ({"unit": ""}, "the unit is empty"),
        ({"unit": "EUR cents"}, "cannot contain spaces"),
        ({"at": "2025-06-07T09:00:00"}, "no UTC offset"),
        ({"at": "yesterday"}, "not an ISO 8601 time"),
        ({"kind": "gift"}, "unknown kind 'gift'"),
        ({"action": "dance"}, "unknown action 'dance'"),
        ({"id": ""}, "an entry id is empty"),
        ({"member": PROJECT_ACCOUNT}, "is reserved"),
        ({"member": "*"}, "is reserved"),
        ({"kind": "transfer"}, "a transfer needs a counterparty"),
        ({"kind": "transfer", "counterparty": "alice"}, "cannot go from alice to themselves"),
        ({"counterparty": "bob"}, "only a transfer has a counterparty"),
        ({"kind": "reversal"}, "must name the entry it reverses"),
        ({"reverses": "x0"}, "only a reversal names an entry to reverse"),
        ({"kind": "reversal", "reverses": "x1"}, "cannot reverse itself"),
        ({"dimensions": {"joy": 1.5}}, "dimension 'joy' must be a whole number"),
        ({"dimensions": {"min": 3}}, "repeats the unit"),
        ({"dimensions": ["joy"]}, "dimensions must be a mapping"),
        ({"lines": (PayoutLine("bob", 60),)}, "only a distribution has payout lines"),
        ({"kind": "distribution", "lines": (PayoutLine("bob", 50),)}, "sum to 50, not to the amount 60"),
        (
            {"kind": "distribution", "amount": 2, "lines": (PayoutLine("bob", 1), PayoutLine("bob", 1))},
            "appears twice",
        ),
        ({"note": "x" * 3000}, "longer than 2000"),
    ],
)
def test_malformed_entries_are_refused_with_a_reason(fields: dict[str, object], message: str) -> None:
    with pytest.raises(LedgerError, match=message):
        entry(**fields)


def test_ledger_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        entry(amount=0)


def test_validate_entry_refuses_reused_ids_and_bad_reversals() -> None:
    original = entry()
    with pytest.raises(LedgerError, match="already used"):
        validate_entry(entry(amount=61), [original])
    with pytest.raises(LedgerError, match="not in the ledger"):
        validate_entry(make_reversal(original, id="r1", author="alice", at=AT), [])
    reversal = make_reversal(original, id="r1", author="bob", at=AT)
    assert validate_entry(reversal, [original]) is reversal
    with pytest.raises(LedgerError, match="already reversed"):
        validate_entry(make_reversal(original, id="r2", author="bob", at=AT), [original, reversal])
    with pytest.raises(LedgerError, match="is itself a reversal"):
        make_reversal(reversal, id="r3", author="bob", at=AT)
    sneaky = entry(id="r4", kind=EntryKind.REVERSAL, author="bob", reverses="r1")
    with pytest.raises(LedgerError, match="is itself a reversal"):
        validate_entry(sneaky, [original, reversal])
    wrong = Entry(id="r5", kind=EntryKind.REVERSAL, author="bob", amount=6, unit="min", at=AT, reverses="x1")
    with pytest.raises(LedgerError, match="must repeat the amount"):
        validate_entry(wrong, [original])


def test_acknowledgements() -> None:
    entries = [entry(), entry(id="x2", kind="expense")]
    ok = Acknowledgement("a1", "x1", "bob", 120, AT)
    assert validate_acknowledgement(ok, entries, 50, 150) is ok
    with pytest.raises(LedgerError, match="cannot acknowledge your own entry"):
        validate_acknowledgement(Acknowledgement("a2", "x1", "alice", 120, AT), entries)
    recorded_by_bob = entry(id="x3", author="bob", member="alice")
    with pytest.raises(LedgerError, match="cannot acknowledge your own entry"):
        validate_acknowledgement(Acknowledgement("a3", "x3", "bob", 100, AT), [recorded_by_bob])
    with pytest.raises(LedgerError, match=r"outside the policy's bounds \(50 % to 150 %\)"):
        validate_acknowledgement(Acknowledgement("a4", "x1", "bob", 200, AT), entries, 50, 150)
    with pytest.raises(LedgerError, match="only contributions are acknowledged"):
        validate_acknowledgement(Acknowledgement("a5", "x2", "bob", 100, AT), entries)
    with pytest.raises(LedgerError, match="not in the ledger"):
        validate_acknowledgement(Acknowledgement("a6", "nope", "bob", 100, AT), entries)
    with pytest.raises(LedgerError, match="whole percentage"):
        Acknowledgement("a7", "x1", "bob", 1.5, AT)  # type: ignore[arg-type]


def test_entries_are_immutable_hashable_values() -> None:
    e = entry(dimensions={"joy": 2, "hardship": 1})
    assert list(e.dimensions) == ["hardship", "joy"]
    assert e.dimensions == {"joy": 2, "hardship": 1}
    assert hash(e) == hash(entry(dimensions={"hardship": 1, "joy": 2}))
    assert copy.deepcopy(e) == e
    assert pickle.loads(pickle.dumps(e)) == e
    with pytest.raises(TypeError):
        e.dimensions["joy"] = 3  # type: ignore[index]


def test_index_entries_dedupes_identical_and_refuses_edits() -> None:
    a = entry(dimensions={"joy": 2})
    same = entry(dimensions={"joy": 2})
    assert index_entries([a, same]) == {"x1": a}
    with pytest.raises(LedgerError, match="never edited"):
        index_entries([a, entry(amount=61)])


# ------------------------------------------------------------------------------------------ balances


def test_each_kind_posts_to_two_accounts_and_sums_to_zero() -> None:
    c = entry(id="c", kind="contribution")
    x = entry(id="x", kind="expense", unit="EUR", amount=1800)
    r = entry(id="r", kind="revenue", unit="EUR", amount=10_000)
    t = entry(id="t", kind="transfer", counterparty="bob", amount=30)
    d = entry(
        id="d", kind="distribution", unit="EUR", amount=7, lines=(PayoutLine("bob", 4), PayoutLine("dan", 3))
    )
    assert postings(c) == [("alice", "min", 60), (PROJECT_ACCOUNT, "min", -60)]
    assert postings(x) == [("alice", "EUR", 1800), (PROJECT_ACCOUNT, "EUR", -1800)]
    assert postings(r) == [("alice", "EUR", -10_000), (PROJECT_ACCOUNT, "EUR", 10_000)]
    assert postings(t) == [("alice", "min", -30), ("bob", "min", 30)]
    assert postings(d) == [("bob", "EUR", 4), ("dan", "EUR", 3), (PROJECT_ACCOUNT, "EUR", -7)]
    gift = entry(id="g", kind="transfer", counterparty=PROJECT_ACCOUNT, amount=60)
    assert postings(gift) == [("alice", "min", -60), (PROJECT_ACCOUNT, "min", 60)]
    assert balances([c, gift]) == {}
    rev = make_reversal(t, id="z", author="alice", at=AT)
    assert postings(rev, {"t": t}) == [("alice", "min", 30), ("bob", "min", -30)]
    assert balances([c, x, r, t, d]) == {
        "EUR": {PROJECT_ACCOUNT: 8193, "alice": -8200, "bob": 4, "dan": 3},
        "min": {PROJECT_ACCOUNT: -60, "alice": 30, "bob": 30},
    }


def test_worked_example_balances() -> None:
    # docs/dividend.md, "Balances": the values before the dividend is paid out.
    assert balances(example_entries()) == {
        "EUR": {PROJECT_ACCOUNT: 5_700, "alice": -10_000, "bob": 2_500, "chloe": 1_800},
        "kg": {PROJECT_ACCOUNT: -5, "chloe": 5},
        "min": {PROJECT_ACCOUNT: -1_930, "alice": 540, "bob": 420, "chloe": 970},
    }


def test_reversal_cancels_exactly_and_concurrent_reversals_count_once() -> None:
    e = entry(id="e", amount=600, member="dan", author="dan")
    r1 = make_reversal(e, id="r1", author="dan", at="2025-06-08T10:05:00Z")
    r2 = make_reversal(e, id="r0", author="alice", at="2025-06-08T10:06:00Z")  # concurrent, later
    assert balances([e, r1]) == {}
    assert balances([e, r1, r2]) == {}
    assert effective_reversals([r2, e, r1]) == {"e": "r1"}
    assert reversed_ids([e, r1, r2]) == {"e"}
    issues = ledger_issues([e, r1, r2])
    assert [(i.entry_id, i.message) for i in issues] == [("r0", "e is already reversed by r1: no effect")]
    assert ledger_issues([e, r1, r2], "fr")[0].message == "e est déjà annulée par r1 : sans effet"


def test_reversals_without_effect_are_reported_not_dropped_silently() -> None:
    dangling = entry(id="r9", kind=EntryKind.REVERSAL, author="bob", amount=5, reverses="gone")
    assert balances([dangling]) == {}
    assert ledger_issues([dangling])[0].message == "reverses gone, which is not in the ledger: no effect"


def test_credit_limits_flag_a_breach_that_only_appears_after_a_merge() -> None:
    # A time bank: nobody may owe more than 10 hours. Two peers each record a 6-hour transfer from dan,
    # each fine on its own; after the merge dan is at -720 min: flagged, never hidden.
    limits = [CreditLimit(ANY_MEMBER, "min", -600), CreditLimit("alice", "min", -60)]
    peer1 = [entry(id="t1", kind="transfer", author="dan", counterparty="alice", amount=360)]
    peer2 = [entry(id="t2", kind="transfer", author="dan", counterparty="bob", amount=360)]
    assert check_credit_limits(balances(peer1), limits) == []
    assert check_credit_limits(balances(peer2), limits) == []
    breaches = check_credit_limits(balances(peer1 + peer2), limits)
    assert breaches == [Breach("dan", "min", -720, -600)]
    assert breaches[0].message() == "dan: balance -720 min is below the credit limit -600 min"
    assert breaches[0].message("fr") == "dan : solde -720 min sous la limite de crédit -600 min"
    # an account's own limit wins; money limits print in euros
    assert check_credit_limits({"min": {"alice": -61}}, limits) == [Breach("alice", "min", -61, -60)]
    money = check_credit_limits({"EUR": {"bob": -2050}}, [CreditLimit("bob", "EUR", -2000)])
    assert money[0].message() == "bob: balance -20.50 EUR is below the credit limit -20.00 EUR"
    # an account with a limit but no entries yet is at zero
    assert check_credit_limits({}, [CreditLimit("eve", "min", 10)]) == [Breach("eve", "min", 0, 10)]


def test_period_bounds() -> None:
    start, stop = parse_period("2025-06-01", "2025-06-30")
    assert start.isoformat() == "2025-06-01T00:00:00+00:00"
    assert stop.isoformat() == "2025-07-01T00:00:00+00:00"
    start, stop = parse_period("2025-06-01T00:00:00Z", "2025-06-30T12:00:00+02:00")
    assert stop.isoformat() == "2025-06-30T10:00:00.000001+00:00"
    with pytest.raises(LedgerError, match="before it starts"):
        parse_period("2025-07-01", "2025-06-01")
    with pytest.raises(LedgerError, match="not an ISO 8601"):
        parse_period("June", "2025-06-30")


# ------------------------------------------------------------------------------------------ plain data


def test_plain_data_round_trips() -> None:
    for e in [
        *example_entries(),
        entry(id="t", kind="transfer", counterparty="bob", note="thanks"),
        entry(id="d", kind="distribution", unit="EUR", amount=5, lines=(PayoutLine("bob", 5, "bob: 5"),)),
    ]:
        assert entry_from_data(entry_to_data(e)) == e
    ack = Acknowledgement("a1", "e01", "bob", 110, AT)
    assert acknowledgement_from_data(acknowledgement_to_data(ack)) == ack
    limit = CreditLimit(ANY_MEMBER, "min", -600)
    assert credit_limit_from_data(credit_limit_to_data(limit)) == limit


def test_untrusted_data_is_checked() -> None:
    data = entry_to_data(contribution("e1", "alice", 60, "min", AT))
    data["future_field"] = "ignored"
    assert entry_from_data(data).id == "e1"
    with pytest.raises(LedgerError, match="missing field 'amount'"):
        entry_from_data({k: v for k, v in data.items() if k != "amount"})
    with pytest.raises(LedgerError, match="whole number of minor units"):
        entry_from_data({**data, "amount": 1.0})
    with pytest.raises(LedgerError, match="must be a mapping"):
        entry_from_data(["e1"])
    with pytest.raises(LedgerError, match="lines must be a list"):
        entry_from_data({**data, "lines": "bob"})
    with pytest.raises(LedgerError, match="whole percentage"):
        acknowledgement_from_data({"id": "a", "entry_id": "e1", "by": "bob", "factor_pct": "100", "at": AT})
