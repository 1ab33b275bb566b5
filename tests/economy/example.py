"""The worked example of docs/dividend.md: a bike repair workshop ("atelier vélo") in June 2025.

Four members: alice, bob, chloe, dan. Money is in EUR cents, time in minutes.
"""

from __future__ import annotations

from reliance.economy import Acknowledgement, Entry, EntryKind, make_reversal

MEMBERS = ("alice", "bob", "chloe", "dan")
PERIOD = ("2025-06-01", "2025-06-30")
POOL = 10_000  # 100.00 EUR


def contribution(
    id: str,
    member: str,
    amount: int,
    unit: str,
    at: str,
    action: str = "work",
    note: str = "",
    dimensions: dict[str, int] | None = None,
) -> Entry:
    return Entry(
        id=id,
        kind=EntryKind.CONTRIBUTION,
        author=member,
        amount=amount,
        unit=unit,
        at=at,
        action=action,
        note=note,
        dimensions=dimensions or {},
    )


def example_entries() -> list[Entry]:
    entries = [
        contribution("e01", "alice", 480, "min", "2025-06-07T09:00:00Z", dimensions={"joy": 3}),
        contribution(
            "e02", "alice", 60, "min", "2025-06-14T18:00:00Z", action="cite", note="repair workshop"
        ),
        contribution("e03", "bob", 300, "min", "2025-06-07T09:00:00Z", dimensions={"hardship": 2}),
        contribution("e04", "bob", 2_500, "EUR", "2025-06-10T12:00:00Z", action="transfer"),
        contribution("e05", "chloe", 250, "min", "2025-06-21T10:00:00Z"),
        contribution(
            "e06", "chloe", 720, "min", "2025-06-30T22:00:00Z", action="use", note="cargo bike, 12 h"
        ),
        contribution("e07", "chloe", 5, "kg", "2025-06-21T10:00:00Z", action="use", note="spare parts"),
        contribution("e08", "dan", 600, "min", "2025-06-08T10:00:00Z"),
        contribution("e10", "bob", 120, "min", "2025-07-01T09:00:00Z"),
        Entry(
            id="e11",
            kind=EntryKind.REVENUE,
            author="alice",
            amount=10_000,
            unit="EUR",
            at="2025-06-28T20:00:00Z",
            note="bar takings",
        ),
        Entry(
            id="e12",
            kind=EntryKind.EXPENSE,
            author="chloe",
            amount=1_800,
            unit="EUR",
            at="2025-06-21T11:00:00Z",
            note="brake pads",
        ),
    ]
    dan_mistake = entries[7]
    entries.append(make_reversal(dan_mistake, id="e09", author="dan", at="2025-06-08T10:05:00Z", note="typo"))
    return entries


def example_acknowledgements() -> list[Acknowledgement]:
    return [
        Acknowledgement("a1", "e01", "bob", 100, "2025-06-08T08:00:00Z"),
        Acknowledgement("a2", "e03", "alice", 120, "2025-06-08T08:00:00Z"),
        Acknowledgement("a3", "e03", "chloe", 100, "2025-06-08T08:00:00Z"),
        Acknowledgement("a4", "e05", "dan", 200, "2025-06-22T08:00:00Z"),
        Acknowledgement("a5", "e05", "bob", 90, "2025-06-22T08:00:00Z"),
        Acknowledgement("a6", "e01", "alice", 150, "2025-06-22T08:00:00Z"),  # her own entry: ignored
    ]
