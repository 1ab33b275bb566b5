"""Dates and times as people write them, in French and English, stored as ISO 8601."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reliance.i18n import t
from reliance.limits import DEFAULT_LIMITS
from reliance.model.catalogue import parse_time
from reliance.model.dates import When, describe_span, describe_when, parse_span, parse_when
from reliance.model.messages import InputError

# A Friday morning, as the clock on the wall says.
NOW = datetime(2026, 7, 10, 9, 30)


def iso(text: str, lang: str = "fr", now: datetime = NOW, **options: object) -> str:
    return parse_when(text, lang, now=now, **options).iso()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14/07/2026 10h", "2026-07-14T10:00"),
        ("14 juillet 10:00", "2026-07-14T10:00"),
        ("2026-07-14 10:00", "2026-07-14T10:00"),
        ("demain 18h", "2026-07-11T18:00"),
        ("samedi 14h", "2026-07-11T14:00"),
        ("Samedi 14h", "2026-07-11T14:00"),
        ("samedi prochain 14h", "2026-07-11T14:00"),
        ("14 juillet 2026 à 10h30", "2026-07-14T10:30"),
        ("le 1er août à 9h", "2026-08-01T09:00"),
        ("14 juil. 10h", "2026-07-14T10:00"),
        ("mardi 14 juillet 10 h 15", "2026-07-14T10:15"),
        ("aujourd'hui 20h", "2026-07-10T20:00"),
        ("après-demain 9h", "2026-07-12T09:00"),
        ("demain midi", "2026-07-11T12:00"),
        ("demain minuit", "2026-07-11T00:00"),
        ("14/07 10h", "2026-07-14T10:00"),
        ("18h", "2026-07-10T18:00"),
        ("8h", "2026-07-11T08:00"),  # already past this morning: tomorrow
        ("14/07/2026", "2026-07-14"),
        ("14 juillet", "2026-07-14"),
        ("2026-07-14", "2026-07-14"),
        ("demain", "2026-07-11"),
        ("samedi", "2026-07-11"),
        ("1er août", "2026-08-01"),
    ],
)
def test_french_as_people_write_it(text: str, expected: str) -> None:
    assert iso(text, "fr") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow 6pm", "2026-07-11T18:00"),
        ("next saturday 2pm", "2026-07-11T14:00"),
        ("14 July 10am", "2026-07-14T10:00"),
        ("July 14 10:30", "2026-07-14T10:30"),
        ("tuesday 14 july 10am", "2026-07-14T10:00"),
        ("today 8pm", "2026-07-10T20:00"),
        ("tomorrow noon", "2026-07-11T12:00"),
        ("2026-07-14 10:00", "2026-07-14T10:00"),
        ("14/07/2026", "2026-07-14"),
        ("next friday", "2026-07-17"),
        ("tomorrow", "2026-07-11"),
    ],
)
def test_english_as_people_write_it(text: str, expected: str) -> None:
    assert iso(text, "en") == expected


@pytest.mark.parametrize("text", ["demain 18h", "tomorrow 6pm", "samedi 14h", "next saturday 2pm"])
def test_either_language_is_understood_whatever_the_interface(text: str) -> None:
    assert iso(text, "fr") == iso(text, "en")


def test_numeric_dates_are_day_first_unless_asked() -> None:
    assert iso("03/04/2026", "fr") == "2026-04-03"
    assert iso("03/04/2026", "en") == "2026-04-03"
    assert iso("03/04/2026", "en", date_order="MDY") == "2026-03-04"
    assert iso("7/14/2026", "en", date_order="MDY") == "2026-07-14"


def test_the_weekday_of_today_is_today_when_the_time_is_still_ahead() -> None:
    assert iso("vendredi 20h") == "2026-07-10T20:00"
    assert iso("vendredi") == "2026-07-10"
    assert iso("vendredi 8h") == "2026-07-17T08:00"  # this morning is gone: next week
    assert iso("vendredi prochain 20h") == "2026-07-17T20:00"
    assert iso("next friday 8pm", "en") == "2026-07-17T20:00"


def test_dates_without_a_year_are_the_next_ones() -> None:
    assert iso("14 juillet", now=datetime(2026, 7, 20, 12, 0)) == "2027-07-14"
    on_the_day = datetime(2026, 7, 14, 9, 30)
    assert iso("14 juillet", now=on_the_day) == "2026-07-14"  # today is not in the past
    assert iso("14/07", now=on_the_day) == "2026-07-14"
    assert iso("14 juillet 20h", now=on_the_day) == "2026-07-14T20:00"
    assert iso("14 juillet 8h", now=on_the_day) == "2026-07-14T08:00"  # this morning, not next year
    assert iso("July 14", "en", now=on_the_day) == "2026-07-14"
    assert iso("14/07/2027", now=on_the_day) == "2027-07-14"  # a year written is kept
    assert iso("14/07/27", now=on_the_day) == "2027-07-14"
    assert iso("demain", now=datetime(2026, 12, 31, 22, 0)) == "2027-01-01"
    assert iso("5 janvier 10h", now=datetime(2026, 12, 20, 12, 0)) == "2027-01-05T10:00"
    assert iso("14/07/2025") == "2025-07-14"  # a written year is kept, even in the past


def test_offsets_written_are_kept_and_naive_times_stay_floating() -> None:
    assert parse_when("2026-07-14 10:00", now=NOW).kind == "floating"
    assert parse_when("14/07/2026", now=NOW).kind == "date"
    with_offset = parse_when("2026-07-14T10:00+02:00", now=NOW)
    assert with_offset.kind == "offset" and with_offset.iso() == "2026-07-14T10:00+02:00"
    assert iso("2026-07-14 10:00 +0200") == "2026-07-14T10:00+02:00"
    assert iso("2026-07-14T08:00Z") == "2026-07-14T08:00+00:00"
    assert iso("14/07/2026 10:00 CEST") == "2026-07-14T10:00+02:00"


def test_seconds_appear_only_when_written() -> None:
    assert iso("in 2 hours", "en", now=datetime(2026, 7, 10, 9, 30, 17)) == "2026-07-10T11:30"
    assert iso("dans 2 heures", now=datetime(2026, 7, 10, 9, 30, 17)) == "2026-07-10T11:30"
    assert iso("2026-07-14T10:00:30") == "2026-07-14T10:00:30"


def test_now_is_read_in_the_given_timezone() -> None:
    late_in_utc = datetime(2026, 7, 10, 23, 30, tzinfo=UTC)  # already Saturday 01:30 in Paris
    assert parse_when("demain", now=late_in_utc).iso() == "2026-07-11"
    assert parse_when("demain", now=late_in_utc, tz=ZoneInfo("Europe/Paris")).iso() == "2026-07-12"
    assert parse_when("demain 18h", now=late_in_utc, tz=ZoneInfo("Europe/Paris")).kind == "floating"


@pytest.fixture
def machine_timezone() -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Pacific/Kiritimati"  # UTC+14: far from every test clock
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.mark.usefixtures("machine_timezone")
def test_the_machine_timezone_changes_nothing_when_now_is_given() -> None:
    assert iso("demain 18h") == "2026-07-11T18:00"
    assert iso("in 2 hours", "en") == "2026-07-10T11:30"
    assert iso("2026-07-14 10:00") == "2026-07-14T10:00"


def test_the_result_does_not_depend_on_earlier_parses() -> None:
    first = iso("03/04/2026", "fr")
    for text in ("tomorrow 6pm", "7/14/2026", "next saturday 2pm"):
        parse_when(text, "en", now=NOW)
    assert iso("03/04/2026", "fr") == first


# -- errors: catalogue keys with parameters, the field they belong to ------------------------------------


def refused(text: str, lang: str = "fr") -> InputError:
    with pytest.raises(InputError) as caught:
        parse_when(text, lang, now=NOW)
    return caught.value


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty(text: str) -> None:
    assert refused(text).key == "when.error.empty"


@pytest.mark.parametrize(
    "text", ["n'importe quoi", "pas une date", "31/02/2026", "samedi 25h", "0/0/0", "99999999 days"]
)
def test_not_a_date(text: str) -> None:
    error = refused(text)
    assert error.key == "when.error.unknown" and error.params["text"] == text
    assert text in error.text("fr") and "demain 18h" in error.text("fr")
    assert "tomorrow 6pm" in error.text("en") and str(error) == error.text("en")
    assert error.text("fr") == t(error.key, "fr", **error.params)


@pytest.mark.parametrize("text", ["juillet", "2026", "next week", "la semaine prochaine"])
def test_a_month_or_a_year_is_not_a_day(text: str) -> None:
    assert refused(text).key == "when.error.vague"


def test_long_text_is_refused_before_any_parser_sees_it() -> None:
    limit = DEFAULT_LIMITS.typed_value_chars
    error = refused("1" * (limit + 1))
    assert error.key == "when.error.too_long" and error.params == {"limit": limit}
    small = DEFAULT_LIMITS.replace(typed_value_chars=5)
    with pytest.raises(InputError, match="too long"):
        parse_when("demain 18h", now=NOW, limits=small)


def test_a_quoted_text_is_short_and_on_one_line() -> None:
    error = refused("pas\nune\tdate " + "x" * 80)
    shown = str(error.params["text"])
    assert "\n" not in shown and len(shown) <= 40 and shown.endswith("…")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_a_date_or_a_catalogue_error(text: str) -> None:
    try:
        when = parse_when(text, "fr", now=NOW)
    except InputError as error:
        assert error.key.startswith("when.error.")
    else:
        assert When.from_iso(when.iso()) == when


# -- ISO 8601 for storage --------------------------------------------------------------------------------

offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
naive_times = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)).map(
    lambda d: d.replace(microsecond=0)
)
whens = st.one_of(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)).map(When),
    naive_times.map(When),
    st.tuples(naive_times, offsets).map(lambda pair: When(pair[0].replace(tzinfo=pair[1]))),
)


@settings(max_examples=300)
@given(whens)
def test_iso_is_what_the_catalogue_stores_and_reads_back(when: When) -> None:
    text = when.iso()
    assert parse_time(text, "begins") == text
    assert When.from_iso(text) == when
    assert parse_when(text, now=NOW) == when


@settings(max_examples=200)
@given(whens, st.sampled_from(["fr", "en"]))
def test_every_value_can_be_shown_back(when: When, lang: str) -> None:
    shown = describe_when(when, lang)
    assert str(when.day.year) in shown and "{" not in shown


def test_from_iso_refuses_what_is_not_iso() -> None:
    with pytest.raises(InputError) as caught:
        When.from_iso("14/07/2026")
    assert caught.value.key == "when.error.iso"


def test_naive_and_offset_values_compare_by_their_wall_clock() -> None:
    floating = When(datetime(2026, 7, 14, 10, 0))
    offset = When(datetime(2026, 7, 14, 9, 0, tzinfo=timezone(timedelta(hours=-5))))
    whole_day = When(date(2026, 7, 14))
    assert sorted([floating, offset, whole_day], key=When.sort_key) == [whole_day, offset, floating]
    assert offset.day == date(2026, 7, 14) and offset.has_time and not whole_day.has_time


# -- showing back what was understood ----------------------------------------------------------------------


def test_shown_back_in_each_language() -> None:
    saturday = parse_when("samedi 14h", now=NOW)
    assert describe_when(saturday, "fr") == "samedi 11 juillet 2026 à 14:00"
    assert describe_when(saturday, "en") == "Saturday 11 July 2026 at 14:00"
    first = parse_when("1er août", now=NOW)
    assert describe_when(first, "fr") == "samedi 1er août 2026"
    assert describe_when(first, "en") == "Saturday 1 August 2026"
    offset = When.from_iso("2026-07-14T10:00+02:00")
    assert describe_when(offset, "fr") == "mardi 14 juillet 2026 à 10:00 (UTC+02:00)"
    assert describe_when(When.from_iso("2026-07-14T10:00:30"), "en") == "Tuesday 14 July 2026 at 10:00:30"


def test_spans_shown_back() -> None:
    begins, ends = parse_span("samedi 14h", "16h", "fr", now=NOW)
    assert describe_span(begins, ends, "fr") == "samedi 11 juillet 2026, 14:00–16:00"
    assert describe_span(begins, ends, "en") == "Saturday 11 July 2026, 14:00–16:00"
    begins, ends = parse_span("14/07/2026", "16/07/2026", "fr", now=NOW)
    assert describe_span(begins, ends, "fr") == "du mardi 14 juillet 2026 au jeudi 16 juillet 2026"
    assert describe_span(begins, None, "en") == "Tuesday 14 July 2026"
    begins, ends = parse_span("samedi 22h", "2h", "en", now=NOW)
    assert describe_span(begins, ends, "en") == (
        "from Saturday 11 July 2026 at 22:00 to Sunday 12 July 2026 at 02:00"
    )


# -- a beginning and an end ---------------------------------------------------------------------------


def test_the_end_is_read_from_the_beginning() -> None:
    begins, ends = parse_span("samedi 14h", "16h", now=NOW)
    assert begins is not None and ends is not None
    assert (begins.iso(), ends.iso()) == ("2026-07-11T14:00", "2026-07-11T16:00")
    _, overnight = parse_span("samedi 22h", "2h", now=NOW)
    assert overnight is not None and overnight.iso() == "2026-07-12T02:00"
    _, last_day = parse_span("14/07/2026", "16/07/2026", now=NOW)
    assert last_day is not None and last_day.iso() == "2026-07-16"
    assert parse_span("", "  ", now=NOW) == (None, None)
    only, none = parse_span("demain", "", now=NOW)
    assert only is not None and only.iso() == "2026-07-11" and none is None


def test_span_errors_name_their_field() -> None:
    with pytest.raises(InputError) as caught:
        parse_span("14/07/2026 10h", "13/07/2026", now=NOW)
    assert caught.value.key == "when.error.ends_before" and caught.value.field == "ends"
    assert "13" in caught.value.text("fr") and "mardi 14 juillet 2026 à 10:00" in caught.value.text("fr")
    with pytest.raises(InputError) as caught:
        parse_span("n'importe quoi", "16h", now=NOW)
    assert caught.value.key == "when.error.unknown" and caught.value.field == "begins"
    with pytest.raises(InputError) as caught:
        parse_span("samedi 14h", "jamais", now=NOW)
    assert caught.value.key == "when.error.unknown" and caught.value.field == "ends"
    with pytest.raises(InputError) as caught:
        parse_span("", "16h", now=NOW)
    assert caught.value.key == "when.error.ends_alone" and caught.value.field == "ends"
