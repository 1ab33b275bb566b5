"""Calendar export (RFC 5545, with the `icalendar` package): the programme as an .ics file.

`calendar_ics(items, names=...)` gives the bytes of a calendar holding one VEVENT per item that is on the
programme (events, and offers, needs and calls with a readable date; see `reliance.model.programme`).
It takes plain items and names, not a workspace, so that `reliance export --format ics` and a web face
(`/programme.ics`) give the same file.

How each stored value becomes a calendar value:
- a whole day (`2026-07-14`) is a DATE; the end, inclusive in reliance, becomes the day after (DTEND is
  exclusive in RFC 5545), and a day without an end lasts that day;
- a time without an offset (`2026-07-14T10:00`, the wall clock where it happens) stays a floating
  DATE-TIME, so calendars show 10:00 wherever they are;
- a time with a fixed offset (`…T10:00+02:00`) becomes UTC (`…T080000Z`): RFC 5545 has no fixed offsets,
  only UTC or a TZID with its VTIMEZONE, and UTC is the exact instant every client reads;
- DTEND takes DTSTART's form, as RFC 5545 requires: an end written in another form is read in the
  beginning's (a day as its midnight, a floating time in the beginning's offset, an offset dropped when
  the beginning is floating); an end that cannot be read or is before the beginning is left out;
- a repetition is an RRULE (FREQ=DAILY or WEEKLY) whose UNTIL has DTSTART's form, on the last day at the
  time it begins.
UIDs are derived from the item's author and id, so a calendar that subscribes to the file updates the
same events. DTSTAMP is when the item was last changed (RFC 5545 3.8.7.2: without METHOD, it equals
LAST-MODIFIED). Text that peers wrote is stripped of control characters (escape sequences, NUL) before
icalendar escapes it, and the events are in a fixed order, so the same items always give the same bytes.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from icalendar import Calendar, Event

from reliance.model.catalogue import Item, ItemKind, Status
from reliance.model.dates import When
from reliance.model.programme import PROGRAMME_KINDS, first_occurrence
from reliance.model.programme import last_day_of_repeat as _last_day

PRODID = "-//reliance//reliance programme//EN"
UID_DOMAIN = "reliance"
STATUS = {
    Status.DRAFT: "TENTATIVE",
    Status.PUBLISHED: "CONFIRMED",
    Status.MATCHED: "CONFIRMED",
    Status.ARCHIVED: "CANCELLED",
}
ICalValue = date | datetime


def item_uid(item: Item) -> str:
    """The event's UID: the same for an item whatever changes, different for every (author, id)."""
    digest = hashlib.sha256(f"{item.author}\n{item.id}".encode()).hexdigest()[:32]
    return f"{digest}@{UID_DOMAIN}"


def clean_text(text: str) -> str:
    """Text a peer wrote, without control characters (line breaks kept as \\n, tabs kept)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def _instant(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _start(begins: When) -> ICalValue:
    value = begins.value
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


def _end(begins: When, ends: When) -> ICalValue:
    """DTEND in DTSTART's form (see the module's rules)."""
    start, end = begins.value, ends.value
    if not isinstance(start, datetime):
        # A whole day: the end's day, inclusive, becomes the exclusive day after (an end at midnight
        # already is the exclusive bound).
        if isinstance(end, datetime) and end.time() == time.min and end.date() > start:
            return end.date()
        return ends.day + timedelta(days=1)
    if not isinstance(end, datetime):
        end = datetime.combine(end + timedelta(days=1), time.min)
    if start.tzinfo is None:
        return end.replace(tzinfo=None)
    zone: tzinfo | None = start.tzinfo
    return (end if end.tzinfo is not None else end.replace(tzinfo=zone)).astimezone(UTC)


def _until(begins: When, last_day: date) -> ICalValue:
    """UNTIL in DTSTART's form: the last day at the time the item begins."""
    start = begins.value
    if not isinstance(start, datetime):
        return last_day
    at = datetime.combine(last_day, start.timetz())
    return at if start.tzinfo is None else at.astimezone(UTC)


def item_event(item: Item, *, author_name: str = "", stamp: datetime) -> Event | None:
    """The VEVENT of one item, or None when it has no readable beginning."""
    first = first_occurrence(item)
    if first is None:
        return None
    event = Event()
    event.add("uid", item_uid(item))
    updated, created = _instant(item.updated), _instant(item.created)
    event.add("dtstamp", updated or created or stamp.astimezone(UTC))
    if created is not None:
        event.add("created", created)
    if updated is not None:
        event.add("last-modified", updated)
    event.add("summary", clean_text(item.title))
    event.add("dtstart", _start(first.begins))
    if first.ends is not None:
        event.add("dtend", _end(first.begins, first.ends))
    elif not first.begins.has_time:
        event.add("dtend", first.begins.day + timedelta(days=1))
    last_day = _last_day(item)
    if item.repeat is not None and last_day is not None:
        event.add("rrule", {"freq": item.repeat.freq.value.upper(), "until": _until(first.begins, last_day)})
    if item.place:
        event.add("location", clean_text(item.place))
    if item.description:
        event.add("description", clean_text(item.description))
    if item.tags:
        event.add("categories", [clean_text(tag) for tag in item.tags])
    if author_name:
        event.add("contact", clean_text(author_name))
    event.add("status", STATUS[item.status])
    return event


def calendar_ics(
    items: Iterable[Item],
    *,
    names: Mapping[str, str] | None = None,
    stamp: datetime | None = None,
    name: str = "",
    kinds: tuple[ItemKind, ...] = PROGRAMME_KINDS,
    include_archived: bool = False,
) -> bytes:
    """The calendar of the `items` on the programme, as RFC 5545 bytes (UTF-8, CRLF, folded lines).

    `names` maps authors' peer ids to the names shown as each event's CONTACT; `stamp` (default: now) is
    the DTSTAMP of items whose own times cannot be read; `name` titles the calendar (X-WR-CALNAME).
    """
    stamp = stamp or datetime.now(UTC)
    names = names or {}
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if name:
        calendar.add("x-wr-calname", clean_text(name))
    chosen: list[tuple[tuple[date, time, str], Event]] = []
    for item in items:
        if item.kind not in kinds or (item.status == Status.ARCHIVED and not include_archived):
            continue
        event = item_event(item, author_name=names.get(item.author, ""), stamp=stamp)
        first = first_occurrence(item)
        if event is None or first is None:
            continue
        chosen.append(((*first.begins.sort_key(), item_uid(item)), event))
    for _, event in sorted(chosen, key=lambda pair: pair[0]):
        calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data
