"""The programme: events and dated offers, needs and calls by day, with repetitions as their occurrences."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reliance.limits import DEFAULT_LIMITS
from reliance.model.catalogue import Frequency, Item, ItemKind, Repeat, Status
from reliance.model.programme import Entry, occurrences, programme

ALICE = "rl" + "a" * 56


def item(title: str, kind: ItemKind = ItemKind.EVENT, **fields: object) -> Item:
    base: dict[str, object] = {
        "id": title.lower().replace(" ", "-"),
        "kind": kind,
        "title": title,
        "author": ALICE,
    }
    base.update(fields)
    return Item(**base)  # type: ignore[arg-type]


def lines(entries: tuple[Entry, ...]) -> list[tuple[str, str, str]]:
    def clock(value: time | None) -> str:
        return value.strftime("%H:%M") if value else ""

    return [(entry.item.title, clock(entry.starts_at), clock(entry.ends_at)) for entry in entries]


def test_dated_offers_needs_and_calls_appear_beside_events() -> None:
    found = programme(
        [
            item("Bal", begins="2026-07-14T21:00", place="Place du village"),
            item("Réparer un vélo", ItemKind.OFFER, begins="2026-07-14T10:00", ends="2026-07-14T12:00"),
            item("Bras pour la buvette", ItemKind.NEED, begins="2026-07-14"),
            item("Appel à bénévoles", ItemKind.CALL, begins="2026-07-15T09:00"),
            item("Compost", ItemKind.SEED, begins="2026-07-14T10:00"),  # knowledge is not on a programme
            item("Une perceuse", ItemKind.OFFER),  # not dated: not on the programme
            item("Concert surprise"),  # an event without a date yet
            item("Vieux bal", begins="2026-07-14T20:00", status=Status.ARCHIVED),
        ]
    )
    assert [d.day for d in found.days] == [date(2026, 7, 14), date(2026, 7, 15)]
    assert lines(found.days[0].entries) == [
        ("Bras pour la buvette", "", ""),
        ("Réparer un vélo", "10:00", "12:00"),
        ("Bal", "21:00", ""),
    ]
    assert found.days[0].entries[2].item.place == "Place du village"
    assert lines(found.days[1].entries) == [("Appel à bénévoles", "09:00", "")]
    assert [i.title for i in found.undated] == ["Concert surprise"]
    assert found.places() == ["Place du village"]


def test_archived_items_only_when_asked() -> None:
    old = item("Vieux bal", begins="2026-07-14T20:00", status=Status.ARCHIVED)
    assert programme([old]).days == ()
    assert len(programme([old], include_archived=True).days) == 1


def test_a_window_keeps_its_days_only() -> None:
    items = [item(f"Jour {n}", begins=f"2026-07-{n:02d}T10:00") for n in range(10, 20)]
    found = programme(items, start=date(2026, 7, 12), end=date(2026, 7, 13))
    assert [d.day for d in found.days] == [date(2026, 7, 12), date(2026, 7, 13)]
    one = programme(items, start=date(2026, 7, 15), end=date(2026, 7, 15))
    assert [i.item.title for d in one.days for i in d.entries] == ["Jour 15"]


def test_daily_and_weekly_repetitions_are_their_occurrences() -> None:
    yoga = item(
        "Yoga",
        begins="2026-07-13T08:00",
        ends="2026-07-13T09:00",
        repeat=Repeat(Frequency.DAILY, "2026-07-16"),
    )
    repair = item("Repair café", begins="2026-07-04T14:00", repeat=Repeat(Frequency.WEEKLY, "2026-08-01"))
    found = programme([yoga, repair], start=date(2026, 7, 1), end=date(2026, 7, 31))
    assert [(d.day.day, lines(d.entries)) for d in found.days] == [
        (4, [("Repair café", "14:00", "")]),
        (11, [("Repair café", "14:00", "")]),
        (13, [("Yoga", "08:00", "09:00")]),
        (14, [("Yoga", "08:00", "09:00")]),
        (15, [("Yoga", "08:00", "09:00")]),
        (16, [("Yoga", "08:00", "09:00")]),
        (18, [("Repair café", "14:00", "")]),
        (25, [("Repair café", "14:00", "")]),
    ]
    assert [e.occurrence for d in found.days for e in d.entries if e.item.title == "Yoga"] == [0, 1, 2, 3]
    third = [e for d in found.days for e in d.entries if e.item.title == "Repair café"][2]
    assert third.begins.iso() == "2026-07-18T14:00" and third.occurrence == 2


def test_occurrences_far_away_are_reached_directly() -> None:
    forever = item("Soupe", begins="2026-07-13T19:00", repeat=Repeat(Frequency.DAILY, "9999-12-31"))
    (only,) = occurrences(forever, date(9000, 1, 1), date(9000, 1, 1))
    assert only.begins.iso() == "9000-01-01T19:00"
    assert only.index == (date(9000, 1, 1) - date(2026, 7, 13)).days


def test_an_event_over_several_days_is_on_each_of_them() -> None:
    festival = item("Festival", begins="2026-07-14T18:00", ends="2026-07-16T02:00")
    found = programme([festival])
    assert [(d.day.day, lines(d.entries)) for d in found.days] == [
        (14, [("Festival", "18:00", "")]),
        (15, [("Festival", "", "")]),
        (16, [("Festival", "", "02:00")]),
    ]
    assert [e.continued for d in found.days for e in d.entries] == [False, True, True]
    until_midnight = item("Veillée", begins="2026-07-14T20:00", ends="2026-07-15T00:00")
    assert [d.day.day for d in programme([until_midnight]).days] == [14]
    three_days = item("Camp", begins="2026-07-14", ends="2026-07-16")
    assert [d.day.day for d in programme([three_days]).days] == [14, 15, 16]


def test_an_offset_time_is_on_its_own_day() -> None:
    late = item("Late", begins="2026-07-14T23:30-05:00")
    (day,) = programme([late]).days
    assert day.day == date(2026, 7, 14) and day.entries[0].starts_at == time(23, 30)


def test_what_a_peer_wrote_wrong_does_not_break_the_programme() -> None:
    found = programme(
        [
            item("Bientôt", begins="bientôt"),  # an event: shown without a date
            item("Offre floue", ItemKind.OFFER, begins="14/07"),  # an offer: not shown
            item("À l'envers", begins="2026-07-14T10:00", ends="2026-07-13T10:00"),
            item("Sans fin", begins="2026-07-14T10:00", ends="jamais"),
            item("Un jour", begins="2026-07-15T10:00", repeat=Repeat(Frequency.DAILY, "bientôt")),
        ]
    )
    assert lines(found.days[1].entries) == [("Un jour", "10:00", "")] and len(found.days) == 2
    assert [i.title for i in found.undated] == ["Bientôt"]
    assert lines(found.days[0].entries) == [("À l'envers", "10:00", ""), ("Sans fin", "10:00", "")]
    assert all(e.ends is None for e in found.days[0].entries)


def test_each_item_gives_at_most_so_many_entries() -> None:
    forever = item("Soupe", begins="2026-07-13T19:00", repeat=Repeat(Frequency.DAILY, "9999-12-31"))
    endless = item("Fête sans fin", begins="2026-07-13", ends="9999-12-31")
    found = programme([forever, endless])
    counts: dict[str, int] = {}
    for day in found.days:
        for entry in day.entries:
            counts[entry.item.title] = counts.get(entry.item.title, 0) + 1
    assert counts == {
        "Soupe": DEFAULT_LIMITS.occurrences_per_item,
        "Fête sans fin": DEFAULT_LIMITS.occurrences_per_item,
    }
    small = DEFAULT_LIMITS.replace(occurrences_per_item=3)
    assert len(programme([forever], limits=small).days) == 3


def test_json_for_the_cli_and_the_web() -> None:
    offer = item(
        "Réparer un vélo",
        ItemKind.OFFER,
        begins="2026-07-14T10:00",
        ends="2026-07-14T12:00",
        place="Atelier",
        capacity=6,
    )
    data = programme([offer, item("Concert surprise")]).to_json()
    assert data == {
        "days": [
            {
                "day": "2026-07-14",
                "entries": [
                    {
                        "id": "réparer-un-vélo",
                        "author": ALICE,
                        "kind": "offer",
                        "title": "Réparer un vélo",
                        "place": "Atelier",
                        "begins": "2026-07-14T10:00",
                        "ends": "2026-07-14T12:00",
                        "starts_at": "10:00",
                        "ends_at": "12:00",
                        "occurrence": 0,
                        "continued": False,
                        "repeat": None,
                        "capacity": 6,
                    }
                ],
            }
        ],
        "undated": [
            {"id": "concert-surprise", "author": ALICE, "kind": "event", "title": "Concert surprise"}
        ],
    }


@settings(max_examples=200)
@given(
    st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 1, 1)),
    st.sampled_from(list(Frequency)),
    st.integers(0, 60),
    st.integers(0, 3),
    st.dates(min_value=date(2025, 12, 1), max_value=date(2027, 3, 1)),
    st.integers(0, 40),
)
def test_occurrences_are_exactly_those_in_the_window(
    first: date, freq: Frequency, span: int, length: int, start: date, width: int
) -> None:
    until = first + timedelta(days=span)
    ends = first + timedelta(days=length)
    repeating = item(
        "R", begins=first.isoformat(), ends=ends.isoformat(), repeat=Repeat(freq, until.isoformat())
    )
    end = start + timedelta(days=width)
    step = 1 if freq is Frequency.DAILY else 7
    expected = [
        (k, first + timedelta(days=k * step + d))
        for k in range(span // step + 1)
        for d in range(length + 1)
        if start <= first + timedelta(days=k * step + d) <= end
    ]
    entries = [e for day in programme([repeating], start=start, end=end).days for e in day.entries]
    assert (
        sorted((e.occurrence, e.day) for e in entries)
        == sorted(expected)[: DEFAULT_LIMITS.occurrences_per_item]
    )


@pytest.mark.parametrize("freq", list(Frequency))
def test_until_is_the_last_day_it_can_begin(freq: Frequency) -> None:
    weekly = item("W", begins="2026-07-01T10:00", repeat=Repeat(freq, "2026-07-15"))
    begins = [o.begins.day for o in occurrences(weekly)]
    assert begins[0] == date(2026, 7, 1) and begins[-1] == date(2026, 7, 15)
