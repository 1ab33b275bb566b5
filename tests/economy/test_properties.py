"""Hypothesis properties: zero-sum balances, exact payouts, order and merge independence, exact reversals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reliance.economy import (
    DEFAULT_POLICY,
    Acknowledgement,
    Action,
    Bucket,
    Distribution,
    Entry,
    EntryKind,
    PayoutLine,
    Policy,
    Rule,
    Weight,
    balances,
    compute_dividend,
    distribution_from_data,
    distribution_to_data,
    entry_from_data,
    entry_to_data,
    largest_remainder,
    make_reversal,
    policy_from_data,
    policy_to_data,
    reversed_ids,
    verify_distribution,
    wealth_matrix,
)

MEMBERS = ("alice", "bob", "chloe", "dan", "eve")
UNITS = ("min", "EUR", "kg")
DIMENSIONS = ("joy", "hardship", "kWh")
START = datetime(2025, 6, 1, tzinfo=UTC)
PERIOD = ("2025-06-01", "2025-06-30")
KINDS = (EntryKind.CONTRIBUTION, EntryKind.EXPENSE, EntryKind.REVENUE, EntryKind.TRANSFER)

# Ledger-sized examples are costly to generate: fewer of them keep the suite fast (< 20 s in all).
LEDGER = settings(max_examples=60, deadline=None)
CHEAP = settings(max_examples=100, deadline=None)


def stamp(minutes: int) -> str:
    return (START + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


# One draw per entry: a tuple of its fields (cheaper to generate than one draw per field).
ENTRY_FIELDS = st.tuples(
    st.sampled_from(KINDS),
    st.sampled_from(MEMBERS),  # member
    st.sampled_from(MEMBERS),  # author
    st.integers(1, 5_000),
    st.sampled_from(UNITS),
    st.integers(-3 * 1440, 35 * 1440),  # minutes from 2025-06-01: some before, some after the period
    st.sampled_from(list(Action)),
    st.dictionaries(st.sampled_from(DIMENSIONS), st.integers(-10, 10), max_size=2),
    st.integers(1, len(MEMBERS) - 1),  # counterparty: that many places after the member
)
PAYOUTS = st.lists(
    st.tuples(st.sampled_from(MEMBERS), st.integers(0, 3_000)), max_size=4, unique_by=lambda t: t[0]
)


@st.composite
def ledgers(draw: st.DrawFn, max_entries: int = 16) -> list[Entry]:
    """Valid ledgers: plain entries, distributions, reversals (some concurrent), and a dangling reversal."""
    entries: list[Entry] = []
    for i, fields in enumerate(draw(st.lists(ENTRY_FIELDS, max_size=max_entries))):
        kind, member, author, amount, unit, minutes, action, dimensions, offset = fields
        other = MEMBERS[(MEMBERS.index(member) + offset) % len(MEMBERS)]
        entries.append(
            Entry(
                id=f"e{i:03d}",
                kind=kind,
                author=author,
                member=member,
                amount=amount,
                unit=unit,
                at=stamp(minutes),
                action=action if kind is EntryKind.CONTRIBUTION else "",
                dimensions=dimensions,
                counterparty=other if kind is EntryKind.TRANSFER else None,
            )
        )
    for j, (paid, minutes) in enumerate(
        draw(st.lists(st.tuples(PAYOUTS, st.integers(0, 40 * 1440)), max_size=2))
    ):
        entries.append(
            Entry(
                id=f"d{j}",
                kind=EntryKind.DISTRIBUTION,
                author="alice",
                amount=sum(a for _, a in paid),
                unit="EUR",
                at=stamp(minutes),
                lines=tuple(PayoutLine(m, a) for m, a in paid),
            )
        )
    if entries:
        # each entry: not reversed (0), reversed once (1), or reversed concurrently by two peers (2)
        counts = draw(st.lists(st.sampled_from((0, 0, 1, 2)), min_size=len(entries), max_size=len(entries)))
        for target, copies in zip(list(entries), counts, strict=True):
            for c in range(copies):
                at = stamp(50_000 + 7 * c)
                entries.append(make_reversal(target, id=f"r{target.id}{c}", author="bob", at=at))
    if draw(st.booleans()):
        dangling = Entry(
            id="zz", kind=EntryKind.REVERSAL, author="dan", amount=7, unit="min", at=stamp(0), reverses="gone"
        )
        entries.append(dangling)
    return entries


ACK_FIELDS = st.tuples(
    st.integers(0, 10**6),  # which contribution
    st.sampled_from(MEMBERS),  # by: includes self-acknowledgements, which must be ignored
    st.integers(0, 300),  # factor, often outside the policy's bounds
    st.integers(0, 40 * 1440),
)


@st.composite
def acknowledgements(draw: st.DrawFn, entries: list[Entry]) -> list[Acknowledgement]:
    contributions = [e for e in entries if e.kind is EntryKind.CONTRIBUTION]
    if not contributions:
        return []
    return [
        Acknowledgement(f"a{i:03d}", contributions[which % len(contributions)].id, by, factor, stamp(minutes))
        for i, (which, by, factor, minutes) in enumerate(draw(st.lists(ACK_FIELDS, max_size=12)))
    ]


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    rules = draw(st.lists(st.sampled_from(list(Rule)), min_size=1, max_size=3, unique=True))
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=len(rules) - 1, max_size=len(rules) - 1)))
    bounds = [0, *cuts, 100]
    buckets = tuple(Bucket(r.value, bounds[i + 1] - bounds[i], r) for i, r in enumerate(rules))
    pairs = draw(
        st.lists(
            st.tuples(st.sampled_from(list(Action)), st.sampled_from([*UNITS, "*"])), unique=True, max_size=8
        )
    )
    weights = tuple(
        Weight(a, u, Fraction(draw(st.integers(0, 50)), draw(st.integers(1, 60)))) for a, u in pairs
    )
    low = draw(st.integers(0, 100))
    high = draw(st.integers(100, 400))
    return Policy(draw(st.integers(0, 9)), buckets, weights, low, high)


def members_strategy() -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(MEMBERS), unique=True)


def dividend(
    entries: list[Entry], acks: list[Acknowledgement], members: list[str], policy: Policy, pool: int
) -> Distribution:
    return compute_dividend(entries, acks, members, policy, *PERIOD, pool, heads=["h"])


# ------------------------------------------------------------------------------------------ balances


@LEDGER
@given(ledgers())
def test_balances_sum_to_zero_per_unit(entries: list[Entry]) -> None:
    for unit, accounts in balances(entries).items():
        assert sum(accounts.values()) == 0, unit
        assert all(v != 0 for v in accounts.values())


@LEDGER
@given(ledgers(), st.randoms(use_true_random=False))
def test_balances_do_not_depend_on_entry_order(entries: list[Entry], rnd: Any) -> None:
    shuffled = list(entries)
    rnd.shuffle(shuffled)
    assert balances(shuffled) == balances(entries)
    assert reversed_ids(shuffled) == reversed_ids(entries)


@LEDGER
@given(ledgers(), st.data())
def test_a_reversal_cancels_its_entry_exactly(entries: list[Entry], data: st.DataObject) -> None:
    cancelled = reversed_ids(entries)
    candidates = [e for e in entries if e.kind is not EntryKind.REVERSAL and e.id not in cancelled]
    if not candidates:
        return
    target = data.draw(st.sampled_from(candidates))
    undo = make_reversal(target, id="undo", author="eve", at=stamp(60_000))
    with_undo = [*entries, undo]
    without = [e for e in entries if e.id != target.id]
    assert balances(with_undo) == balances(without)  # zero balances are left out: exact equality
    assert wealth_matrix(with_undo, DIMENSIONS) == wealth_matrix(without, DIMENSIONS)
    assert (
        dividend(with_undo, [], list(MEMBERS), DEFAULT_POLICY, 10_000).payouts
        == dividend(without, [], list(MEMBERS), DEFAULT_POLICY, 10_000).payouts
    )


# ------------------------------------------------------------------------------------------ dividend


@LEDGER
@given(ledgers(), st.data(), members_strategy(), policies(), st.integers(0, 10**9))
def test_payouts_and_reserve_sum_exactly_to_the_pool(
    entries: list[Entry], data: st.DataObject, members: list[str], policy: Policy, pool: int
) -> None:
    acks = data.draw(acknowledgements(entries))
    d = dividend(entries, acks, members, policy, pool)
    assert d.paid_out + d.reserve == pool
    assert sorted(d.payouts) == sorted(members)
    assert all(line.amount >= 0 for line in d.lines)
    reserve = policy.bucket(Rule.RESERVE)
    if reserve is not None:
        assert d.reserve >= pool * reserve.percent // 100 - 1


@LEDGER
@given(
    ledgers(),
    st.data(),
    members_strategy(),
    policies(),
    st.integers(0, 10**6),
    st.randoms(use_true_random=False),
)
def test_dividend_does_not_depend_on_entry_member_or_acknowledgement_order(
    entries: list[Entry], data: st.DataObject, members: list[str], policy: Policy, pool: int, rnd: Any
) -> None:
    acks = data.draw(acknowledgements(entries))
    reference = dividend(entries, acks, members, policy, pool)
    for shuffled in (entries, acks, members):
        rnd.shuffle(shuffled)
    assert dividend(entries, acks, members, policy, pool) == reference
    assert verify_distribution(reference, dividend(entries, acks, members, policy, pool)) == []


@LEDGER
@given(ledgers(), st.data(), st.integers(1, 4), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_merge_order(
    entries: list[Entry], data: st.DataObject, peers: int, rnd: Any
) -> None:
    """Each peer holds an overlapping subset; merged in any order, everyone computes the same results."""
    acks = data.draw(acknowledgements(entries))
    members = list(MEMBERS)
    expected = (
        balances(entries),
        wealth_matrix(entries, DIMENSIONS),
        dividend(entries, acks, members, DEFAULT_POLICY, 123_457),
    )
    # each entry is held by one or more peers (a non-empty set of peers, as a bit mask)
    masks = data.draw(st.lists(st.integers(1, 2**peers - 1), min_size=len(entries), max_size=len(entries)))
    holders = [[p for p in range(peers) if mask >> p & 1] for mask in masks]
    ack_holders = data.draw(st.lists(st.integers(0, peers - 1), min_size=len(acks), max_size=len(acks)))
    parts: list[list[Entry]] = [
        [e for e, h in zip(entries, holders, strict=True) if p in h] for p in range(peers)
    ]
    ack_parts = [[a for a, h in zip(acks, ack_holders, strict=True) if h == p] for p in range(peers)]
    order = list(range(peers))
    rnd.shuffle(order)
    merged = [e for p in order for e in parts[p]]
    merged_acks = [a for p in order for a in ack_parts[p]]
    assert (
        balances(merged),
        wealth_matrix(merged, DIMENSIONS),
        dividend(merged, merged_acks, members, DEFAULT_POLICY, 123_457),
    ) == expected


# ------------------------------------------------------------------------------------------ helpers, data


@CHEAP
@given(st.integers(0, 10**12), st.lists(st.integers(0, 10**6), min_size=1, max_size=12))
def test_largest_remainder_is_exact_and_fair(total: int, weights: list[int]) -> None:
    if sum(weights) == 0:
        return
    shares = [(f"k{i:02d}", w) for i, w in enumerate(weights)]
    parts = largest_remainder(total, shares)
    assert sum(parts.values()) == total
    for key, weight in shares:
        exact = Fraction(total * weight, sum(weights))
        assert exact - 1 < parts[key] < exact + 1


@CHEAP
@given(policies())
def test_policies_round_trip_through_plain_data(policy: Policy) -> None:
    assert policy_from_data(policy_to_data(policy)) == policy


@LEDGER
@given(ledgers(), st.data())
def test_entries_and_distributions_round_trip_through_plain_data(
    entries: list[Entry], data: st.DataObject
) -> None:
    for entry in entries:
        assert entry_from_data(entry_to_data(entry)) == entry
    d = dividend(entries, data.draw(acknowledgements(entries)), list(MEMBERS), DEFAULT_POLICY, 999)
    assert distribution_from_data(distribution_to_data(d)) == d
