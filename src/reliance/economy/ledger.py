"""The project ledger: entries, reversals, acknowledgements, balances and credit limits.

Pure functions of immutable values: no I/O, no automerge. Every peer holding the same *set* of entries
computes the same balances, whatever order the entries arrived in. The accounting rules are explained in
docs/dividend.md.

Double entry: every entry posts amounts to accounts in one unit, and the postings of an entry sum to zero, so
the balances of a unit always sum to zero. The accounts are the members (peer ids) and `PROJECT_ACCOUNT`.
A positive balance is a claim on the rest of the project (the project owes it), a negative one a debt.

    contribution   member +amount, project -amount   (the project recognises what the member gave)
    expense        member +amount, project -amount   (the member paid for the project out of pocket)
    revenue        member -amount, project +amount   (the member received money that is the project's)
    transfer       member -amount, counterparty +amount   (credit moves from member to counterparty,
                   which may be PROJECT_ACCOUNT: giving a claim up)
    distribution   each line: member +line amount; project -(sum of lines)   (the reserve stays put)
    reversal       the exact opposite of the postings of the entry it reverses
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from reliance.economy.checks import ANY_MEMBER, MAX_FACTOR_PCT, PROJECT_ACCOUNT, LedgerError
from reliance.economy.entries import Acknowledgement, Breach, CreditLimit, Entry, EntryKind, LedgerIssue
from reliance.economy.format import check_lang
from reliance.i18n import phrase


def make_reversal(original: Entry, *, id: str, author: str, at: str, note: str = "") -> Entry:
    """The entry that cancels `original` exactly (same amount, unit, member, counterparty, action, lines)."""
    if original.kind is EntryKind.REVERSAL:
        raise LedgerError("ledger.error.reverse_reversal", id=original.id)
    return Entry(
        id=id,
        kind=EntryKind.REVERSAL,
        author=author,
        member=original.member,
        amount=original.amount,
        unit=original.unit,
        at=at,
        action=original.action,
        note=note,
        counterparty=None,
        reverses=original.id,
        lines=original.lines,
    )


def index_entries(entries: Iterable[Entry]) -> dict[str, Entry]:
    """Entries by id, sorted by id. The same entry given twice counts once; two different ones with the
    same id are refused (entries are never edited)."""
    index: dict[str, Entry] = {}
    for entry in entries:
        seen = index.get(entry.id)
        if seen is None:
            index[entry.id] = entry
        elif seen != entry:
            raise LedgerError("ledger.error.id_shared", id=entry.id)
    return {eid: index[eid] for eid in sorted(index)}


def _order_key(entry: Entry) -> tuple[datetime, str]:
    return (entry.instant, entry.id)


def _reversal_matches(reversal: Entry, target: Entry) -> bool:
    return (
        reversal.amount == target.amount
        and reversal.unit == target.unit
        and reversal.member == target.member
        and reversal.action == target.action
        and reversal.lines == target.lines
    )


def effective_reversals(entries: Iterable[Entry]) -> dict[str, str]:
    """Reversed entry id -> id of the reversal that cancels it.

    When several reversals of one entry exist (recorded concurrently on two peers), the earliest (by time,
    then id) cancels it and the others have no effect (see ledger_issues). A reversal of a missing entry, of
    another reversal, or that does not repeat its entry's amount and unit has no effect either.
    """
    return _effective(index_entries(entries))


def _effective(index: Mapping[str, Entry]) -> dict[str, str]:
    chosen: dict[str, Entry] = {}
    for entry in index.values():
        if entry.kind is not EntryKind.REVERSAL or entry.reverses is None:
            continue
        target = index.get(entry.reverses)
        if target is None or target.kind is EntryKind.REVERSAL or not _reversal_matches(entry, target):
            continue
        best = chosen.get(target.id)
        if best is None or _order_key(entry) < _order_key(best):
            chosen[target.id] = entry
    return {tid: chosen[tid].id for tid in sorted(chosen)}


def reversed_ids(entries: Iterable[Entry]) -> frozenset[str]:
    """Ids of the entries cancelled by a reversal."""
    return frozenset(effective_reversals(entries))


def validate_entry(entry: Entry, existing: Iterable[Entry]) -> Entry:
    """Check `entry` against the entries already recorded; returns it, or raises LedgerError."""
    index = index_entries(existing)
    if entry.id in index:
        raise LedgerError("ledger.error.id_used", id=entry.id)
    if entry.kind is EntryKind.REVERSAL:
        assert entry.reverses is not None
        target = index.get(entry.reverses)
        if target is None:
            raise LedgerError("ledger.error.reverses_missing", id=entry.id, target=entry.reverses)
        if target.kind is EntryKind.REVERSAL:
            raise LedgerError("ledger.error.reverse_reversal", id=entry.reverses)
        if entry.reverses in _effective(index):
            raise LedgerError("ledger.error.already_reversed", id=entry.reverses)
        if not _reversal_matches(entry, target):
            raise LedgerError("ledger.error.reversal_mismatch", id=entry.id, target=target.id)
    return entry


def validate_acknowledgement(
    ack: Acknowledgement, entries: Iterable[Entry], factor_min: int = 0, factor_max: int = MAX_FACTOR_PCT
) -> Acknowledgement:
    """Check an acknowledgement before recording it; pass the policy's ack_factor_min/max as bounds."""
    index = index_entries(entries)
    target = index.get(ack.entry_id)
    if target is None:
        raise LedgerError("ledger.error.ack_missing", id=ack.id, entry=ack.entry_id)
    if target.kind is not EntryKind.CONTRIBUTION:
        raise LedgerError(
            "ledger.error.ack_kind", id=ack.id, entry=target.id, kind=phrase(f"entry.{target.kind}")
        )
    if ack.by in (target.member, target.author):
        raise LedgerError("ledger.error.ack_own", id=ack.id)
    if not factor_min <= ack.factor_pct <= factor_max:
        raise LedgerError(
            "ledger.error.ack_bounds", id=ack.id, factor=ack.factor_pct, min=factor_min, max=factor_max
        )
    return ack


# --------------------------------------------------------------------------------------------- balances


def postings(entry: Entry, index: Mapping[str, Entry] | None = None) -> list[tuple[str, str, int]]:
    """(account, unit, signed amount) posted by one entry; they sum to zero.

    A reversal needs `index` to find its entry and posts the exact opposite. (balances() also skips the
    reversals that have no effect: see effective_reversals.)
    """
    a, unit = entry.amount, entry.unit
    kind = entry.kind
    if kind in (EntryKind.CONTRIBUTION, EntryKind.EXPENSE):
        return [(entry.member, unit, a), (PROJECT_ACCOUNT, unit, -a)]
    if kind is EntryKind.REVENUE:
        return [(entry.member, unit, -a), (PROJECT_ACCOUNT, unit, a)]
    if kind is EntryKind.TRANSFER:
        assert entry.counterparty is not None
        return [(entry.member, unit, -a), (entry.counterparty, unit, a)]
    if kind is EntryKind.DISTRIBUTION:
        return [(line.member, unit, line.amount) for line in entry.lines] + [(PROJECT_ACCOUNT, unit, -a)]
    target = index.get(entry.reverses or "") if index is not None else None
    if target is None or target.kind is EntryKind.REVERSAL:
        return []
    return [(account, u, -amount) for account, u, amount in postings(target)]


def balances(entries: Iterable[Entry]) -> dict[str, dict[str, int]]:
    """unit -> account -> balance, sorted; zero balances are left out. Each unit's balances sum to zero."""
    index = index_entries(entries)
    effective = set(_effective(index).values())
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for entry in index.values():
        if entry.kind is EntryKind.REVERSAL and entry.id not in effective:
            continue
        for account, unit, amount in postings(entry, index):
            totals[unit][account] += amount
    result: dict[str, dict[str, int]] = {}
    for unit in sorted(totals):
        accounts = {acc: totals[unit][acc] for acc in sorted(totals[unit]) if totals[unit][acc] != 0}
        if accounts:
            result[unit] = accounts
    return result


def check_credit_limits(
    balances_by_unit: Mapping[str, Mapping[str, int]], limits: Iterable[CreditLimit]
) -> list[Breach]:
    """Every account below its floor, sorted by unit then account.

    An account's own limit wins over the ANY_MEMBER one; if several limits name the same account and unit, the
    strictest (highest floor) applies. The ANY_MEMBER limit does not apply to the project account.
    """
    own: dict[tuple[str, str], int] = {}
    default: dict[str, int] = {}
    for limit in limits:
        if limit.member == ANY_MEMBER:
            default[limit.unit] = max(default.get(limit.unit, limit.floor), limit.floor)
        else:
            key = (limit.member, limit.unit)
            own[key] = max(own.get(key, limit.floor), limit.floor)
    breaches: list[Breach] = []
    for unit in sorted(set(balances_by_unit) | {u for (_, u) in own}):
        accounts = balances_by_unit.get(unit, {})
        names = set(accounts) | {m for (m, u) in own if u == unit}
        for account in sorted(names):
            floor = own.get((account, unit))
            if floor is None and account != PROJECT_ACCOUNT:
                floor = default.get(unit)
            balance = accounts.get(account, 0)
            if floor is not None and balance < floor:
                breaches.append(Breach(account, unit, balance, floor))
    return breaches


def ledger_issues(entries: Iterable[Entry], lang: str = "en") -> list[LedgerIssue]:
    """Entries without effect that users must be told about: reversals of missing entries, of reversals,
    duplicate reversals (concurrent on two peers), reversals that do not repeat their entry. Sorted by id."""
    check_lang(lang)
    index = index_entries(entries)
    effective = _effective(index)
    issues: list[LedgerIssue] = []
    for entry in index.values():
        if entry.kind is not EntryKind.REVERSAL or entry.reverses is None:
            continue
        rid, tid = entry.id, entry.reverses
        target = index.get(tid)
        if target is None:
            why = phrase("ledger.issue.missing", target=tid)
        elif target.kind is EntryKind.REVERSAL:
            why = phrase("ledger.issue.of_reversal", target=tid)
        elif not _reversal_matches(entry, target):
            why = phrase("ledger.issue.mismatch", target=tid)
        elif effective.get(tid) != rid:
            why = phrase("ledger.issue.already", target=tid, by=effective[tid])
        else:
            continue
        issues.append(LedgerIssue(rid, why.describe(lang), why))
    return issues


# --------------------------------------------------------------------------------------------- plain data
