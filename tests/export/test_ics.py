"""Calendar export (RFC 5545): every field read back with icalendar."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Event

from reliance.export import exporters
from reliance.export.ics import calendar_ics, item_uid
from reliance.model.catalogue import Frequency, Item, ItemKind, Repeat, Status
from tests.conftest import CliResult, run_cli
from tests.export.conftest import World

ALICE = "rl" + "a" * 56
BOB = "rl" + "b" * 56
NAMES = {ALICE: "Alice", BOB: "Bob"}
STAMP = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def item(title: str, kind: ItemKind = ItemKind.EVENT, **fields: object) -> Item:
    base: dict[str, object] = {
        "id": hashlib.sha256(title.encode()).hexdigest()[:16],
        "kind": kind,
        "title": title,
        "author": ALICE,
        "created": "2026-06-30T08:00:00+00:00",
        "updated": "2026-06-30T09:15:00+00:00",
    }
    base.update(fields)
    return Item(**base)  # type: ignore[arg-type]


def events(items: list[Item], **options: object) -> dict[str, Event]:
    data = calendar_ics(items, names=NAMES, stamp=STAMP, **options)  # type: ignore[arg-type]
    calendar = Calendar.from_ical(data)
    return {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}


def test_the_calendar_itself() -> None:
    data = calendar_ics([item("Bal", begins="2026-07-14T21:00")], names=NAMES, stamp=STAMP, name="Festival")
    calendar = Calendar.from_ical(data)
    assert str(calendar["VERSION"]) == "2.0" and "reliance" in str(calendar["PRODID"])
    assert str(calendar["CALSCALE"]) == "GREGORIAN" and str(calendar["X-WR-CALNAME"]) == "Festival"
    assert "METHOD" not in calendar  # a published feed, not a scheduling message
    lines = data.split(b"\r\n")
    assert data.endswith(b"\r\n") and all(len(line) <= 75 for line in lines)
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_floating_times_stay_floating() -> None:
    workshop = events(
        [
            item(
                "Réparer un vélo",
                ItemKind.OFFER,
                begins="2026-07-14T10:00",
                ends="2026-07-14T12:00",
                place="Atelier, cour B; porte 2",
                description="Apportez votre vélo.\nOutils fournis.",
                tags=("vélo", "réparation"),
            )
        ]
    )["Réparer un vélo"]
    assert workshop.decoded("DTSTART") == datetime(2026, 7, 14, 10, 0)
    assert workshop.decoded("DTEND") == datetime(2026, 7, 14, 12, 0)
    assert str(workshop["LOCATION"]) == "Atelier, cour B; porte 2"
    assert str(workshop["DESCRIPTION"]) == "Apportez votre vélo.\nOutils fournis."
    assert [str(c) for c in workshop["CATEGORIES"].cats] == ["vélo", "réparation"]
    assert str(workshop["CONTACT"]) == "Alice"
    assert str(workshop["STATUS"]) == "CONFIRMED"
    assert workshop.decoded("DTSTAMP") == datetime(2026, 6, 30, 9, 15, tzinfo=UTC)
    assert workshop.decoded("LAST-MODIFIED") == datetime(2026, 6, 30, 9, 15, tzinfo=UTC)
    assert workshop.decoded("CREATED") == datetime(2026, 6, 30, 8, 0, tzinfo=UTC)


def test_fixed_offsets_become_utc() -> None:
    paris = events([item("Concert", begins="2026-07-14T21:00+02:00", ends="2026-07-14T23:30+02:00")])
    concert = paris["Concert"]
    assert concert.decoded("DTSTART") == datetime(2026, 7, 14, 19, 0, tzinfo=UTC)
    assert concert.decoded("DTEND") == datetime(2026, 7, 14, 21, 30, tzinfo=UTC)
    assert b"TZID" not in calendar_ics([item("Concert", begins="2026-07-14T21:00+02:00")], stamp=STAMP)
    # An end written without an offset is read in the beginning's offset.
    mixed = events([item("Mixte", begins="2026-07-14T21:00+02:00", ends="2026-07-14T23:00")])["Mixte"]
    assert mixed.decoded("DTEND") == datetime(2026, 7, 14, 21, 0, tzinfo=UTC)


def test_a_floating_beginning_keeps_an_offset_end_floating() -> None:
    mixed = events([item("Mixte", begins="2026-07-14T21:00", ends="2026-07-14T23:00+02:00")])["Mixte"]
    assert mixed.decoded("DTSTART") == datetime(2026, 7, 14, 21, 0)
    assert mixed.decoded("DTEND") == datetime(2026, 7, 14, 23, 0)


def test_whole_days_are_dates_and_the_end_is_the_day_after() -> None:
    found = events(
        [
            item("Buvette", ItemKind.NEED, begins="2026-07-14"),
            item("Camp", begins="2026-07-14", ends="2026-07-16"),
            item("Vers le soir", begins="2026-07-14", ends="2026-07-15T18:00"),
            item("Jusqu'au bout", begins="2026-07-14T18:00", ends="2026-07-16"),
        ]
    )
    assert found["Buvette"].decoded("DTSTART") == date(2026, 7, 14)
    assert found["Buvette"].decoded("DTEND") == date(2026, 7, 15)
    assert found["Buvette"]["DTSTART"].params.get("VALUE") == "DATE"
    assert (found["Camp"].decoded("DTSTART"), found["Camp"].decoded("DTEND")) == (
        date(2026, 7, 14),
        date(2026, 7, 17),
    )
    assert found["Vers le soir"].decoded("DTEND") == date(2026, 7, 16)
    assert found["Jusqu'au bout"].decoded("DTEND") == datetime(2026, 7, 17, 0, 0)


def test_a_time_without_an_end_is_an_instant() -> None:
    bal = events([item("Bal", begins="2026-07-14T21:00")])["Bal"]
    assert "DTEND" not in bal and "DURATION" not in bal


def test_repetitions_are_rrules_with_until_of_the_same_kind() -> None:
    found = events(
        [
            item(
                "Yoga",
                begins="2026-07-13T08:00",
                ends="2026-07-13T09:00",
                repeat=Repeat(Frequency.DAILY, "2026-07-19"),
            ),
            item(
                "Repair café", begins="2026-07-04T14:00+02:00", repeat=Repeat(Frequency.WEEKLY, "2026-08-29")
            ),
            item("Marché", begins="2026-07-04", repeat=Repeat(Frequency.WEEKLY, "2026-08-29")),
        ]
    )
    yoga = found["Yoga"]["RRULE"]
    assert yoga["FREQ"] == ["DAILY"] and yoga["UNTIL"] == [datetime(2026, 7, 19, 8, 0)]
    repair = found["Repair café"]["RRULE"]
    assert repair["FREQ"] == ["WEEKLY"] and repair["UNTIL"] == [datetime(2026, 8, 29, 12, 0, tzinfo=UTC)]
    market = found["Marché"]["RRULE"]
    assert market["UNTIL"] == [date(2026, 8, 29)]
    unreadable = item("Un jour", begins="2026-07-15T10:00", repeat=Repeat(Frequency.DAILY, "bientôt"))
    assert "RRULE" not in events([unreadable])["Un jour"]


def test_uids_are_stable_and_differ_per_author() -> None:
    mine = item("Bal", begins="2026-07-14T21:00")
    theirs = item("Bal", begins="2026-07-14T21:00", author=BOB)
    assert item_uid(mine) == item_uid(mine) != item_uid(theirs)
    assert item_uid(mine).endswith("@reliance") and all(c.isalnum() or c in "-@" for c in item_uid(mine))
    first = Calendar.from_ical(calendar_ics([mine], stamp=STAMP)).walk("VEVENT")[0]
    renamed = Calendar.from_ical(
        calendar_ics([item("Bal", begins="2026-07-15T21:00", id=mine.id)], stamp=STAMP)
    )
    assert str(first["UID"]) == str(renamed.walk("VEVENT")[0]["UID"]) == item_uid(mine)


def test_what_is_not_on_the_programme_is_not_in_the_calendar() -> None:
    found = events(
        [
            item("Compost", ItemKind.SEED, begins="2026-07-14T10:00"),
            item("Perceuse", ItemKind.OFFER),
            item("Concert surprise"),
            item("Bientôt", begins="bientôt"),
            item("Vieux bal", begins="2026-07-14T20:00", status=Status.ARCHIVED),
            item("Brouillon", begins="2026-07-14T20:00", status=Status.DRAFT),
        ]
    )
    assert set(found) == {"Brouillon"}
    assert str(found["Brouillon"]["STATUS"]) == "TENTATIVE"
    archived = events(
        [item("Vieux bal", begins="2026-07-14T20:00", status=Status.ARCHIVED)], include_archived=True
    )
    assert str(archived["Vieux bal"]["STATUS"]) == "CANCELLED"


def test_an_unreadable_end_is_left_out_and_dates_without_updated_use_the_stamp() -> None:
    odd = item("Odd", begins="2026-07-14T10:00", ends="2026-07-13T10:00", created="", updated="jamais")
    found = events([odd])["Odd"]
    assert "DTEND" not in found and "CREATED" not in found and "LAST-MODIFIED" not in found
    assert found.decoded("DTSTAMP") == STAMP


def test_text_from_peers_cannot_smuggle_lines_or_escapes() -> None:
    sneaky = item(
        "Bal\r\nEND:VEVENT\r\nBEGIN:VEVENT\x1b]52;c;aGk=\x07",
        begins="2026-07-14T21:00",
        place="Place\x00 du\x1b[2J village",
        description="ligne 1\r\nligne 2\x0b",
        author=BOB,
    )
    data = calendar_ics([sneaky], names={BOB: "Bob\x1b[31m"}, stamp=STAMP)
    calendar = Calendar.from_ical(data)
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Bal\nEND:VEVENT\nBEGIN:VEVENT]52;c;aGk="
    assert str(event["LOCATION"]) == "Place du[2J village"
    assert str(event["DESCRIPTION"]) == "ligne 1\nligne 2"
    assert str(event["CONTACT"]) == "Bob[31m"
    assert not any(ch in data for ch in (b"\x1b", b"\x00", b"\x07", b"\x0b"))


@settings(max_examples=50, deadline=None)
@given(st.randoms(use_true_random=False))
def test_the_same_items_in_any_order_give_the_same_bytes(rng: random.Random) -> None:
    items = [
        item(f"Item {n}", begins=f"2026-07-{10 + n % 5:02d}T{8 + n:02d}:00", author=(ALICE, BOB)[n % 2])
        for n in range(8)
    ]
    shuffled = list(items)
    rng.shuffle(shuffled)
    assert calendar_ics(shuffled, names=NAMES, stamp=STAMP) == calendar_ics(items, names=NAMES, stamp=STAMP)


offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@settings(max_examples=150, deadline=None)
@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)).map(
        lambda d: d.replace(second=0, microsecond=0)
    ),
    st.integers(0, 3000),
    st.one_of(st.none(), offsets),
)
def test_every_beginning_and_end_read_back_as_the_same_instant(
    start: datetime, minutes: int, offset: timezone | None
) -> None:
    begins = start.replace(tzinfo=offset)
    ends = begins + timedelta(minutes=minutes)
    event = events(
        [item("E", begins=begins.isoformat(timespec="minutes"), ends=ends.isoformat(timespec="minutes"))]
    )["E"]
    if offset is None:
        assert event.decoded("DTSTART") == begins and event.decoded("DTEND") == ends
    else:
        assert event.decoded("DTSTART") == begins.astimezone(UTC) and event.decoded(
            "DTEND"
        ) == ends.astimezone(UTC)


def test_a_calendar_without_a_name_has_none() -> None:
    assert "X-WR-CALNAME" not in Calendar.from_ical(calendar_ics([], stamp=STAMP))


def test_a_workspace_exports_everything_on_its_programme(shared_world: World) -> None:
    text = exporters.export(shared_world.bob, "ics")
    assert "\r\n" in text
    calendar = Calendar.from_ical(text)
    found = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(found) == {"Cours de vélo", "Fête des semences"}  # dated, not a seed, anyone's
    bike = found["Cours de vélo"]
    assert bike.decoded("DTSTART") == date(2026, 7, 1) and str(bike["CONTACT"]) == "Alice"
    assert str(bike["LOCATION"]) == "Atelier, 3 rue des Lilas, Lyon"
    party = found["Fête des semences"]
    assert party.decoded("DTSTART") == datetime(2026, 7, 14, 18, 0)
    assert party.decoded("DTEND") == datetime(2026, 7, 14, 23, 0)
    assert str(calendar["X-WR-CALNAME"]) == "Programme"


def test_the_command_line_writes_the_calendar(shared_world: World, tmp_path: Path) -> None:
    """`reliance export --format ics`: the same calendar to a file (bytes kept, CRLF) and to standard output,
    in either language, read back with icalendar."""
    world = shared_world
    home = world.bob.home
    target = tmp_path / "programme.ics"
    code, out, err = run_cli(home, "export", "--format", "ics", "--output", str(target), "--lang", "fr")
    assert code == 0, err
    assert out.strip() == f"wrote {target}"  # messages in the home's language, the file in --lang's
    data = target.read_bytes()
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in data.replace(b"\r\n", b""), "every line ends with CRLF (RFC 5545)"
    calendar = Calendar.from_ical(data)
    found = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(found) == {"Cours de vélo", "Fête des semences"}
    bike, party = found["Cours de vélo"], found["Fête des semences"]
    assert bike.decoded("DTSTART") == date(2026, 7, 1) and bike.decoded("DTEND") == date(2026, 7, 2)
    assert str(bike["DESCRIPTION"]) == "Réparer et rouler en ville."
    assert str(party["LOCATION"]) == "Parc de la Tête d'Or"
    assert party.decoded("DTSTART") == datetime(2026, 7, 14, 18, 0)  # floating: 18:00 wherever one is
    # The same UIDs from the other home, and from one export to the next: a subscribed calendar updates.
    code, again, err = run_cli(world.alice.home, "export", "--format", "ics", "--lang", "en")
    assert code == 0, err
    other = Calendar.from_ical(again.replace("\n", "\r\n"))
    assert {str(e["UID"]) for e in other.walk("VEVENT")} == {str(e["UID"]) for e in found.values()}
    items = {i.title: i for i in world.alice.items()}
    assert str(bike["UID"]) == item_uid(items["Cours de vélo"])


def test_the_command_line_calendar_handles_offsets_and_days(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    code, _, err = cli("init", "--name", "Zoé")
    assert code == 0, err
    for title, begins, ends in (
        ("Concert", "2026-07-14T21:00+02:00", "2026-07-14T23:30+02:00"),
        ("Camp", "2026-07-14", "2026-07-16"),
        ("Atelier", "2026-07-15T10:00", "2026-07-15T12:00"),
    ):
        code, _, err = cli(
            "item",
            "add",
            "event",
            "--title",
            title,
            "--begins",
            begins,
            "--ends",
            ends,
            "--place",
            "Grange",
            "--description",
            f"{title} au village",
        )
        assert code == 0, err
    target = tmp_path / "z.ics"
    code, _, err = cli("export", "--format", "ics", "--output", str(target))
    assert code == 0, err
    found = {str(e["SUMMARY"]): e for e in Calendar.from_ical(target.read_bytes()).walk("VEVENT")}
    concert, camp, workshop = found["Concert"], found["Camp"], found["Atelier"]
    assert concert.decoded("DTSTART") == datetime(2026, 7, 14, 19, 0, tzinfo=UTC)
    assert concert.decoded("DTEND") == datetime(2026, 7, 14, 21, 30, tzinfo=UTC)
    assert (camp.decoded("DTSTART"), camp.decoded("DTEND")) == (date(2026, 7, 14), date(2026, 7, 17))
    assert workshop.decoded("DTEND") == datetime(2026, 7, 15, 12, 0)
    assert all(str(e["LOCATION"]) == "Grange" for e in found.values())
    assert str(camp["DESCRIPTION"]) == "Camp au village"


def test_the_app_writes_the_same_calendar(shared_world: World, tmp_path: Path) -> None:
    from reliance.tui.prefs.screen import EXPORT_FORMATS, write_export

    assert "ics" in EXPORT_FORMATS
    target, left_out = write_export(shared_world.bob, "ics", str(tmp_path), "p.ics", None, "fr")
    assert left_out == [] and target.read_bytes() == exporters.export(shared_world.bob, "ics").encode()
    assert {str(e["SUMMARY"]) for e in Calendar.from_ical(target.read_bytes()).walk("VEVENT")} == {
        "Cours de vélo",
        "Fête des semences",
    }
