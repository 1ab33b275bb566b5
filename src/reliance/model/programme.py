"""The programme: what happens when and where, day by day.

`programme(items, start=, end=)` takes catalogue items (events, and offers, needs and calls that have a
date; not knowledge seeds) and returns their entries grouped by day, in the order of the day: a whole day
first, then by the time it begins. A repeating item (`Item.repeat`) is expanded into its occurrences
inside the window, each `step` days after the previous one at the same wall-clock time, the last one
beginning on `until` at the latest; an occurrence over several days appears on each of them (`continued`
on the days after the first). Events without a date are listed apart (`undated`).

Everything here is read from what peers wrote, so nothing can break it or make it grow: a value that is
not ISO 8601 makes an event undated (and takes an offer off the programme), an end that is not after the
beginning is ignored, and each item gives at most `limits.occurrences_per_item` entries, however long
its repetition or its span.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.model.catalogue import Frequency, Item, ItemKind, Status
from reliance.model.dates import When
from reliance.model.messages import InputError
from reliance.model.search import fold

PROGRAMME_KINDS = (ItemKind.EVENT, ItemKind.OFFER, ItemKind.NEED, ItemKind.CALL)
STEP_DAYS = {Frequency.DAILY: 1, Frequency.WEEKLY: 7}


@dataclass(frozen=True)
class Occurrence:
    """One time an item happens: the first (`index` 0) or a repetition."""

    item: Item
    index: int
    begins: When
    ends: When | None

    @property
    def last_day(self) -> date:
        """The last day it is on: an end at midnight belongs to the day before."""
        if self.ends is None:
            return self.begins.day
        value = self.ends.value
        if isinstance(value, datetime) and value.time() == time.min and value.date() > self.begins.day:
            return value.date() - timedelta(days=1)
        return self.ends.day


@dataclass(frozen=True)
class Entry:
    """An occurrence on one day of the programme."""

    item: Item
    occurrence: int
    day: date
    begins: When
    ends: When | None
    continued: bool  # it began on an earlier day

    @property
    def starts_at(self) -> time | None:
        """The time it begins on this day; None for a whole day or a day it continues."""
        return None if self.continued else self.begins.clock

    @property
    def ends_at(self) -> time | None:
        """The time it ends on this day, when it ends on this day at a given time."""
        if self.ends is None or self.ends.day != self.day or self.ends.clock in (None, time.min):
            return None
        return self.ends.clock

    def sort_key(self) -> tuple[time, str, str, str, int]:
        return (
            self.starts_at or time.min,
            fold(self.item.title),
            self.item.author,
            self.item.id,
            self.occurrence,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.item.id,
            "author": self.item.author,
            "kind": self.item.kind.value,
            "title": self.item.title,
            "place": self.item.place,
            "begins": self.begins.iso(),
            "ends": self.ends.iso() if self.ends else None,
            "starts_at": _clock(self.starts_at),
            "ends_at": _clock(self.ends_at),
            "occurrence": self.occurrence,
            "continued": self.continued,
            "repeat": self.item.repeat.to_json() if self.item.repeat else None,
            "capacity": self.item.capacity,
        }


def _clock(value: time | None) -> str | None:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M") if value is not None else None


@dataclass(frozen=True)
class ProgrammeDay:
    day: date
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Programme:
    days: tuple[ProgrammeDay, ...]
    undated: tuple[Item, ...]  # events without a (readable) date

    def places(self) -> list[str]:
        """Every place named on the programme, in alphabetical order whatever the accents."""
        named = {e.item.place for d in self.days for e in d.entries if e.item.place}
        return sorted(named, key=lambda place: (fold(place), place))

    def to_json(self) -> dict[str, Any]:
        return {
            "days": [
                {"day": d.day.isoformat(), "entries": [e.to_json() for e in d.entries]} for d in self.days
            ],
            "undated": [
                {"id": i.id, "author": i.author, "kind": i.kind.value, "title": i.title} for i in self.undated
            ],
        }


def _stored(value: str) -> When | None:
    try:
        return When.from_iso(value) if value else None
    except InputError:
        return None


def first_occurrence(item: Item) -> Occurrence | None:
    """The item as it first happens; None when its beginning is not readable. An end that cannot be read
    or comes before the beginning is left out."""
    begins = _stored(item.begins)
    if begins is None:
        return None
    ends = _stored(item.ends)
    if ends is not None and not _not_before(ends, begins):
        ends = None
    return Occurrence(item, 0, begins, ends)


def _not_before(ends: When, begins: When) -> bool:
    def instant(when: When) -> datetime:
        value = when.value
        if not isinstance(value, datetime):
            return datetime.combine(value, time.min)
        if value.tzinfo is None:
            return value
        offset = value.utcoffset() or timedelta(0)
        return value.replace(tzinfo=None) - offset

    return instant(ends) >= instant(begins)


def _shift(when: When, days: int) -> When:
    return When(when.value + timedelta(days=days))


def last_day_of_repeat(item: Item) -> date | None:
    """The day a repetition ends, when it has one that can be read."""
    try:
        return date.fromisoformat(item.repeat.until) if item.repeat is not None else None
    except ValueError:
        return None


def occurrences(
    item: Item, start: date | None = None, end: date | None = None, *, limits: Limits = DEFAULT_LIMITS
) -> list[Occurrence]:
    """The times `item` happens that touch the days `start`..`end` (inclusive; None: no bound), at most
    `limits.occurrences_per_item` of them, in order. Nothing when its beginning is not readable."""
    first = first_occurrence(item)
    return _expand(first, start, end, limits) if first is not None else []


def _expand(first: Occurrence, start: date | None, end: date | None, limits: Limits) -> list[Occurrence]:
    item, repeat = first.item, first.item.repeat
    until = last_day_of_repeat(item)
    if repeat is None or until is None:
        touches = (start is None or first.last_day >= start) and (end is None or first.begins.day <= end)
        return [first] if touches else []
    step = STEP_DAYS[repeat.freq]
    span = (first.last_day - first.begins.day).days
    count = (until - first.begins.day).days // step + 1
    # The first occurrence whose last day reaches `start`, found by arithmetic (a daily item that
    # repeats for centuries costs no more than one that repeats for a week).
    index = 0 if start is None else max(0, -(-((start - first.begins.day).days - span) // step))
    found: list[Occurrence] = []
    while index < count and len(found) < limits.occurrences_per_item:
        days = index * step
        try:
            begins = _shift(first.begins, days)
            ends = _shift(first.ends, days) if first.ends is not None else None
        except OverflowError:
            break
        if end is not None and begins.day > end:
            break
        found.append(Occurrence(item, index, begins, ends))
        index += 1
    return found


def programme(
    items: Iterable[Item],
    *,
    start: date | None = None,
    end: date | None = None,
    kinds: tuple[ItemKind, ...] = PROGRAMME_KINDS,
    include_archived: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> Programme:
    """The programme of `items` for the days `start`..`end` (inclusive; None: no bound). See the module."""
    by_day: dict[date, list[tuple[tuple[time, str, str, str, int], Entry]]] = {}
    undated: list[Item] = []
    for item in items:
        if item.kind not in kinds or (item.status == Status.ARCHIVED and not include_archived):
            continue
        first = first_occurrence(item)
        if first is None:
            if item.kind == ItemKind.EVENT:
                undated.append(item)
            continue
        budget = limits.occurrences_per_item
        title = fold(item.title)  # once per item: the sort key of each of its entries needs it
        for occurrence in _expand(first, start, end, limits):
            day = max(occurrence.begins.day, start) if start is not None else occurrence.begins.day
            last = min(occurrence.last_day, end) if end is not None else occurrence.last_day
            while day <= last and budget > 0:
                entry = Entry(
                    item,
                    occurrence.index,
                    day,
                    occurrence.begins,
                    occurrence.ends,
                    continued=day != occurrence.begins.day,
                )
                key = (entry.starts_at or time.min, title, item.author, item.id, occurrence.index)
                by_day.setdefault(day, []).append((key, entry))
                budget -= 1
                if day == date.max:
                    break
                day += timedelta(days=1)
            if budget <= 0:
                break
    days = tuple(
        ProgrammeDay(day, tuple(entry for _, entry in sorted(by_day[day], key=lambda pair: pair[0])))
        for day in sorted(by_day)
    )
    undated.sort(key=lambda i: (fold(i.title), i.author, i.id))
    return Programme(days, tuple(undated))
