"""The wealth matrix ("matrice de richesses"): member x dimension, summed over the ledger.

The dimensions are the kinds of wealth the project's social code recognises beyond money and time
(satisfaction, hardship, joy, kg, kWh…). Each entry may carry integers for some of them; the matrix adds them
up per member. A dimension named like a unit (e.g. "min" or "EUR") also counts the amounts of the member's
contributions in that unit, so time and money can sit in the same table. Reversed entries and reversals are
left out.
"""

from __future__ import annotations

from collections.abc import Iterable

from reliance.economy.checks import LedgerError, parse_period
from reliance.economy.entries import Entry, EntryKind
from reliance.economy.ledger import effective_reversals, index_entries


def wealth_matrix(
    entries: Iterable[Entry],
    dimensions: Iterable[str],
    members: Iterable[str] | None = None,
    *,
    period: tuple[str, str] | None = None,
) -> dict[str, dict[str, int]]:
    """member -> dimension -> total; rows sorted by member, columns in the order given by `dimensions`.

    Without `members`, there is a row for every member whose entries carry one of the dimensions (or a
    contribution in a unit named as a dimension). With `members`, exactly those rows, zeros included.
    With `period` (from, to), only entries dated in [from, to] count (see parse_period).
    """
    columns: list[str] = []
    for name in dimensions:
        if not isinstance(name, str) or not name:
            raise LedgerError("ledger.error.dimension_name", name=name)
        if name not in columns:
            columns.append(name)
    wanted = set(columns)
    window = parse_period(*period) if period is not None else None
    index = index_entries(entries)
    cancelled = effective_reversals(index.values())
    totals: dict[str, dict[str, int]] = {}
    for entry in index.values():
        if entry.kind is EntryKind.REVERSAL or entry.id in cancelled:
            continue
        if window is not None and not window[0] <= entry.instant < window[1]:
            continue
        cells = {name: value for name, value in entry.dimensions.items() if name in wanted}
        if entry.kind is EntryKind.CONTRIBUTION and entry.unit in wanted:
            cells[entry.unit] = cells.get(entry.unit, 0) + entry.amount
        if not cells:
            continue
        row = totals.setdefault(entry.member, dict.fromkeys(columns, 0))
        for name, value in cells.items():
            row[name] += value
    if members is not None:
        rows = sorted(set(members))
        return {m: totals.get(m, dict.fromkeys(columns, 0)) for m in rows}
    return {m: totals[m] for m in sorted(totals)}
