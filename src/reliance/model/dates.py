"""Dates and times as people write them, in French and English; ISO 8601 for storage.

`parse_when("samedi 14h", "fr", now=...)` understands what a person typed in a form, an option or a web
request ("14/07/2026 10h", "14 juillet 10:00", "2026-07-14 10:00", "demain 18h", "tomorrow 6pm", "next
saturday 2pm", a day alone) and returns a `When`: a whole day, a wall-clock time where it happens
("floating", as the catalogue has always stored times without an offset), or a time with a fixed offset
when the text gave one. `When.iso()` is what the catalogue stores (`Item.begins`, `Item.ends`), unchanged
from before; `describe_when` shows back what was understood, in the person's language, before saving.

Reading rules, so that the same text always means the same thing:
- ISO 8601 is read exactly (no parser library involved);
- anything else goes through `dateparser` (offline: no network, no locale of the machine), with both
  languages understood whatever the interface's language (its own first), numeric dates day first
  (14/07/2026; `date_order="MDY"` for the other way), and dates without a year, weekdays and times alone
  taken as the next ones after `now` ("18h" said at 19:00 is tomorrow);
- French hours ("18h", "18h30", "18 h 30", "midi", "minuit") are rewritten as 18:00… first: dateparser
  reads "18h" as a duration (18 hours from now);
- a day and month said on that very day ("14 juillet" on 14 July) is today, not next year;
- the weekday of today is today when its time is still ahead ("vendredi 20h" on Friday morning), unless
  the text says "next" or "prochain";
- a month or a year alone ("juillet", "2026", "next week") is refused as too vague;
- `now` is the wall clock in `tz` (the machine's when not given): it decides what "demain" is, never the
  stored value, which stays floating unless the text wrote an offset or a zone.

Errors are `InputError`s with catalogue keys (`when.error.*`), so each face shows them in its language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, Literal

from reliance.i18n import LANGS, t
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.model.messages import InputError, shown

WhenKind = Literal["date", "floating", "offset"]
DateOrder = Literal["DMY", "MDY", "YMD"]


_ISO = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?",
    re.IGNORECASE,
)
# "18h", "18h30", "18 h 30", "9h05" — and not "2 heures" (the h is not followed by a letter).
_FRENCH_HOUR = re.compile(r"(?<![\w:])(\d{1,2})\s?h\s?(\d{2})?(?![\w])")
_NOON_MIDNIGHT = {"midi": "12:00", "minuit": "00:00"}
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_WEEKDAYS_EN = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_NAMES = {name: n for names in (_WEEKDAYS_FR, _WEEKDAYS_EN) for n, name in enumerate(names)}
_NEXT_WORDS = {"prochain", "prochaine", "next"}
_CLOCK = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?|\d{1,2}\s?[ap]\.?m\.?", re.IGNORECASE)
_SECONDS = re.compile(r"\d:\d{2}:\d{2}")
_YEAR_WRITTEN = re.compile(r"(?<!\d)\d{4}(?!\d)|\d{1,2}[/.-]\d{1,2}[/.-]\d{2}")
# dateparser's periods: "time" when the text gave a time of day, "day" for a day; the rest is too vague.
_DAY_PERIODS = {"day", "time"}


@dataclass(frozen=True)
class When:
    """A day (`date`), a wall-clock time where it happens (naive `datetime`), or a time at a fixed offset."""

    value: date | datetime

    @property
    def kind(self) -> WhenKind:
        if not isinstance(self.value, datetime):
            return "date"
        return "floating" if self.value.tzinfo is None else "offset"

    @property
    def has_time(self) -> bool:
        return isinstance(self.value, datetime)

    @property
    def day(self) -> date:
        """The day as written (an offset time's own day, not the day in UTC)."""
        return self.value.date() if isinstance(self.value, datetime) else self.value

    @property
    def clock(self) -> time | None:
        """The time of day as written, without its offset; None for a whole day."""
        return self.value.time().replace(tzinfo=None) if isinstance(self.value, datetime) else None

    def sort_key(self) -> tuple[date, time]:
        """Order by the wall clock as written (a programme happens in one place); a whole day comes first."""
        return (self.day, self.clock or time.min)

    def iso(self) -> str:
        """ISO 8601 as the catalogue stores it: seconds only when not zero, offsets as ±HH:MM."""
        if not isinstance(self.value, datetime):
            return self.value.isoformat()
        exact = self.value.second or self.value.microsecond
        return self.value.replace(microsecond=0).isoformat(timespec="seconds" if exact else "minutes")

    @classmethod
    def from_iso(cls, text: str) -> When:
        """Read a stored value (`Item.begins`, `Item.ends`: ISO 8601, `Z` allowed)."""
        stripped = text.strip()
        if not _ISO.fullmatch(stripped):
            raise InputError("when.error.iso", text=shown(text))
        try:
            parsed = datetime.fromisoformat(stripped.upper().replace("Z", "+00:00"))
        except ValueError:
            raise InputError("when.error.iso", text=shown(text)) from None
        if len(stripped) == 10:
            return cls(parsed.date())
        return cls(parsed.replace(microsecond=0))

    def describe(self, lang: str) -> str:
        return describe_when(self, lang)

    def __str__(self) -> str:
        return self.iso()


def _now_on_the_wall(now: datetime | None, tz: tzinfo | None) -> datetime:
    """`now` as the clock on the wall says it in `tz` (naive): what "today" and "demain" are relative to."""
    if now is None:
        now = datetime.now(tz) if tz is not None else datetime.now().astimezone()
    elif now.tzinfo is not None and tz is not None:
        now = now.astimezone(tz)
    return now.replace(tzinfo=None, microsecond=0)


def _prepare(text: str) -> str:
    text = unicodedata.normalize("NFC", text).lower().replace("’", "'")
    text = " ".join(text.split())
    text = _FRENCH_HOUR.sub(lambda m: f"{int(m[1]):02d}:{m[2] or '00'}", text)
    for word, clock in _NOON_MIDNIGHT.items():
        text = re.sub(rf"\b{word}\b", clock, text)
    # "samedi prochain" is the next Saturday, which is what "samedi" already means (dateparser knows
    # "prochain samedi" but not this order).
    return re.sub(r"\b(" + "|".join(_WEEKDAY_NAMES) + r")\s+prochaine?\b", r"\1", text)


def _only_a_weekday(prepared: str, original: str) -> int | None:
    """The weekday the text names, when it names nothing else but times (not "next", not a day number)."""
    words = set(_WORD.findall(original.lower().replace("’", "'")))
    if words & _NEXT_WORDS:
        return None
    named = {_WEEKDAY_NAMES[w] for w in words if w in _WEEKDAY_NAMES}
    if len(named) != 1 or any(ch.isdigit() for ch in _CLOCK.sub(" ", prepared)):
        return None
    return named.pop()


def _dateparser(prepared: str, lang: str, base: datetime, order: DateOrder) -> tuple[datetime | None, str]:
    # Imported here: it costs ~0.1 s, and only free text needs it (ISO never does).
    from dateparser.date import DateDataParser

    languages = [lang, *(other for other in LANGS if other != lang)]
    parser = DateDataParser(
        languages=languages,
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": base,
            "DATE_ORDER": order,
            "RETURN_TIME_AS_PERIOD": True,
            "PREFER_DAY_OF_MONTH": "first",
            "STRICT_PARSING": False,
        },
        try_previous_locales=False,  # the same text always means the same thing, whatever came before
        use_given_order=True,
    )
    try:
        found: Any = parser.get_date_data(prepared)
    except (ValueError, OverflowError, TypeError, KeyError, IndexError, AttributeError, re.error):
        return None, ""
    value = found.date_obj if isinstance(found.date_obj, datetime) else None
    return value, str(found.period or "")


def parse_when(
    text: str,
    lang: str = "fr",
    *,
    now: datetime | None = None,
    tz: tzinfo | None = None,
    date_order: DateOrder = "DMY",
    limits: Limits = DEFAULT_LIMITS,
) -> When:
    """What a person means by `text`, relative to `now` (the wall clock in `tz`). See the module's rules."""
    if len(text) > limits.typed_value_chars:
        raise InputError("when.error.too_long", limit=limits.typed_value_chars)
    stripped = " ".join(text.split())
    if not stripped:
        raise InputError("when.error.empty")
    if _ISO.fullmatch(stripped):
        try:
            return When.from_iso(stripped)
        except InputError:
            raise InputError("when.error.unknown", text=shown(text)) from None
    base = _now_on_the_wall(now, tz)
    prepared = _prepare(stripped)
    value, period = _dateparser(prepared, lang if lang in LANGS else "en", base, date_order)
    if value is None:
        raise InputError("when.error.unknown", text=shown(text))
    if period not in _DAY_PERIODS:
        raise InputError("when.error.vague", text=shown(text))
    if value.year == base.year + 1 and not _YEAR_WRITTEN.search(prepared):
        # A day and a month said on that very day: dateparser takes "future" strictly and moves it a
        # year ahead; a person means today.
        try:
            this_year = value.replace(year=base.year)
        except ValueError:  # 29 February
            this_year = value
        if this_year.date() == base.date():
            value = this_year
    weekday = _only_a_weekday(prepared, stripped)
    a_week_ahead = value.date() - base.date() == timedelta(days=7)
    still_ahead_today = period != "time" or value.time() >= base.time()
    if weekday == base.weekday() and a_week_ahead and still_ahead_today:
        value -= timedelta(days=7)
    if period != "time":
        return When(value.date())
    if value.tzinfo is not None:
        offset = value.utcoffset()
        value = value.replace(tzinfo=timezone(offset) if offset is not None else None)
    if not _SECONDS.search(prepared):
        value = value.replace(second=0)
    return When(value.replace(microsecond=0))


def parse_span(
    begins: str,
    ends: str,
    lang: str = "fr",
    *,
    now: datetime | None = None,
    tz: tzinfo | None = None,
    date_order: DateOrder = "DMY",
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[When | None, When | None]:
    """A beginning and an optional end, as typed in two fields (empty text: none).

    The end is read from the beginning, not from now: "16h" is 16:00 on the day it begins, "2h" after a
    22:00 start is the next night. Errors name their field ("begins" or "ends").
    """
    begins_when = ends_when = None
    if begins.strip():
        try:
            begins_when = parse_when(begins, lang, now=now, tz=tz, date_order=date_order, limits=limits)
        except InputError as error:
            raise InputError(error.key, field="begins", **error.params) from None
    if not ends.strip():
        return begins_when, None
    if begins_when is None:
        raise InputError("when.error.ends_alone", field="ends")
    start = begins_when.value
    base = start if isinstance(start, datetime) else datetime.combine(start, time.min)
    try:
        ends_when = parse_when(ends, lang, now=base, tz=tz, date_order=date_order, limits=limits)
    except InputError as error:
        raise InputError(error.key, field="ends", **error.params) from None
    if _instant(ends_when) < _instant(begins_when):
        raise InputError("when.error.ends_before", field="ends", begins=begins_when, ends=ends_when)
    return begins_when, ends_when


def _instant(when: When) -> datetime:
    """The catalogue's comparison (`catalogue._comparable`): a day is its midnight, offsets compare in UTC."""
    value = when.value
    if not isinstance(value, datetime):
        return datetime.combine(value, time.min)
    return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)


# -- showing back ----------------------------------------------------------------------------------------


def describe_day(day: date, lang: str) -> str:
    """« samedi 11 juillet 2026 », "Saturday 11 July 2026" (French says « 1er » for the first)."""
    return t(
        "when.date",
        lang,
        weekday=t(f"when.weekday.{day.weekday()}", lang),
        day=t("when.first_of_month", lang) if day.day == 1 else str(day.day),
        month=t(f"when.month.{day.month}", lang),
        year=str(day.year),
    )


def describe_clock(value: datetime) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def _offset(value: datetime) -> str:
    offset = value.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def describe_when(when: When, lang: str) -> str:
    """What was understood, in words: « samedi 18 juillet 2026 à 14:00 », "Saturday 18 July 2026 at 14:00"."""
    value = when.value
    if not isinstance(value, datetime):
        return describe_day(value, lang)
    text = t("when.datetime", lang, date=describe_day(value.date(), lang), time=describe_clock(value))
    return t("when.with_offset", lang, when=text, offset=_offset(value)) if value.tzinfo else text


def describe_span(begins: When | None, ends: When | None, lang: str) -> str:
    """« samedi 11 juillet 2026, 14:00–16:00 », or « du … au … » across days; "" when there is nothing."""
    if begins is None:
        return ""
    if ends is None or ends == begins:
        return describe_when(begins, lang)
    first, last = begins.value, ends.value
    if (
        isinstance(first, datetime)
        and isinstance(last, datetime)
        and first.date() == last.date()
        and first.utcoffset() == last.utcoffset()
    ):
        text = t(
            "when.same_day",
            lang,
            date=describe_day(first.date(), lang),
            begins=describe_clock(first),
            ends=describe_clock(last),
        )
        return t("when.with_offset", lang, when=text, offset=_offset(first)) if first.tzinfo else text
    return t("when.span", lang, begins=describe_when(begins, lang), ends=describe_when(ends, lang))


def describe_repeat(freq: str, until: str, begins: date, lang: str) -> str:
    """« tous les jours jusqu'au mercredi 15 juillet 2026 », "every Sunday until …"; "" when unreadable."""
    try:
        last = date.fromisoformat(until)
    except ValueError:
        return ""
    if freq not in ("daily", "weekly"):
        return ""
    weekday = t(f"when.weekday.{begins.weekday()}", lang)
    return t(f"repeat.{freq}", lang, weekday=weekday, until=describe_day(last, lang))


def warm_up(lang: str = "fr") -> None:
    """Load the parser and its language data now (~0.3 s) rather than on the first date a person types."""
    parse_when("demain 18h", lang, now=datetime(2026, 1, 1))
    parse_when("tomorrow 6pm", lang, now=datetime(2026, 1, 1))
