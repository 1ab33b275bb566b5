"""The ledger's checks of single values: ids, account names, units, amounts, times, periods, and the
wealth-matrix dimensions people type. Every ledger value is built through these, so a bad field is refused
with one readable sentence before it reaches a balance.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from reliance.errors import ModelError
from reliance.i18n import Phrase, phrase

PROJECT_ACCOUNT = "@project"
"""The project's own account. Names starting with '@' are reserved and cannot be members."""
ANY_MEMBER = "*"
"""In a CreditLimit, the floor for every member account without a limit of its own."""

MAX_ID = 128
MAX_UNIT = 32
MAX_NOTE = 2_000
MAX_EXPLANATION = 4_000
MAX_DIMENSIONS = 32
MAX_DIMENSION_NAME = 64
MAX_AMOUNT = 10**15
MAX_LINES = 10_000
MAX_FACTOR_PCT = 1_000


class LedgerError(ModelError):
    """An entry, acknowledgement or credit limit that breaks a ledger rule (keys `ledger.error.…`)."""


What = Phrase | str
"""What a check is about, as it is named in its error: a phrase (`what("amount")`, worded in the reader's
language), or a name that is the same in every language (a member id, a unit)."""


def what(key: str, **params: object) -> Phrase:
    """The name of a checked field, from the catalogue's `ledger.what.…` entries."""
    return phrase(f"ledger.what.{key}", **params)


def in_entry(eid: str, key: str, **params: object) -> Phrase:
    """A field of entry `eid` (« écriture e1 : le montant », "entry e1: the amount")."""
    return phrase("ledger.what.in_entry", id=eid, field=what(key, **params))


def in_acknowledgement(aid: str, key: str) -> Phrase:
    return phrase("ledger.what.in_acknowledgement", id=aid, field=what(key))


# --------------------------------------------------------------------------------------------- checks


def is_int(value: object) -> bool:
    """A whole number, and not a bool (True is an int to Python, never to a ledger)."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_text(value: object, what: What, limit: int, *, required: bool = True) -> str:
    if not isinstance(value, str):
        raise LedgerError("ledger.error.not_text", what=what, type=type(value).__name__)
    if required and not value.strip():
        raise LedgerError("ledger.error.empty", what=what)
    if len(value) > limit:
        raise LedgerError("ledger.error.too_long", what=what, limit=limit)
    if "\x00" in value:
        raise LedgerError("ledger.error.nul", what=what)
    return value


def check_account_name(value: object, what: What) -> str:
    """A member id usable as an account: non-empty text, not reserved ('@…' or '*')."""
    name = check_text(value, what, MAX_ID)
    if name != name.strip():
        raise LedgerError("ledger.error.spaces_around", what=what, name=name)
    if name.startswith("@") or name == ANY_MEMBER:
        raise LedgerError("ledger.error.reserved_name", what=what, name=name)
    return name


def check_unit(value: object, what: What | None = None) -> str:
    what = what or phrase("ledger.what.unit")
    unit = check_text(value, what, MAX_UNIT)
    if unit != unit.strip() or any(c.isspace() for c in unit):
        raise LedgerError("ledger.error.unit_spaces", what=what, unit=unit)
    return unit


def check_amount(value: object, what: What, *, minimum: int) -> int:
    if not is_int(value):
        shown = repr(value) if isinstance(value, float | str) else type(value).__name__
        raise LedgerError("ledger.error.not_whole", what=what, value=shown)
    assert isinstance(value, int)
    if value < minimum:
        if minimum in (0, 1):
            raise LedgerError(f"ledger.error.below_{minimum}", what=what, value=value)
        raise LedgerError("ledger.error.below", what=what, minimum=minimum, value=value)
    if abs(value) > MAX_AMOUNT:
        raise LedgerError("ledger.error.out_of_range", what=what, max=f"{MAX_AMOUNT:,}")
    return value


def parse_instant(value: object, what: What | None = None) -> datetime:
    """Parse an ISO 8601 time with an offset (e.g. 2025-06-14T10:00:00Z) into an aware UTC datetime."""
    what = what or phrase("ledger.what.time")
    if not isinstance(value, str) or not value.strip():
        raise LedgerError("ledger.error.no_instant", what=what)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise LedgerError("ledger.error.not_instant", what=what, value=value) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise LedgerError("ledger.error.no_offset", what=what, value=value)
    return parsed.astimezone(UTC)


_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")  # fullmatch


def parse_period(period_from: str, period_to: str) -> tuple[datetime, datetime]:
    """The period [from, to], both ends included, as a half-open UTC interval [start, stop).

    A bare date covers its whole day (UTC): from 2025-06-01 to 2025-06-30 is all of June. A time without an
    offset is taken as UTC.
    """
    start = _period_bound(period_from, what("period_start"), end=False)
    stop = _period_bound(period_to, what("period_end"), end=True)
    if stop <= start:
        raise LedgerError("ledger.error.period_backwards", start=period_from, end=period_to)
    return start, stop


def _period_bound(value: object, what: What, *, end: bool) -> datetime:
    if not isinstance(value, str):
        raise LedgerError("ledger.error.period_type", what=what, type=type(value).__name__)
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise LedgerError("ledger.error.not_date", what=what, value=value) from None
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if end:
        parsed += timedelta(days=1) if _DATE_ONLY.fullmatch(text) else timedelta(microseconds=1)
    return parsed


class DimensionError(LedgerError):
    """A typed dimension that is not NAME=INTEGER; `typed` is the part as typed, for the caller's message."""

    def __init__(self, text: str, reason: str, **params: object) -> None:
        super().__init__("ledger.error.dimension", text=text, reason=phrase(reason, **params))
        self.typed = text


_WHOLE = re.compile(r"-?[0-9]+")  # ASCII digits: int() also takes '+1', '1_000', '٣'


def parse_dimension(text: str) -> tuple[str, int]:
    """One typed wealth-matrix dimension `NAME=INTEGER` (e.g. `joy=2`, `Hardship = -1`).

    Returns the name stripped and lower-cased, and the number. Only the syntax is checked here; the entry
    that carries the dimension checks its name and range.
    """
    name, sep, number = text.partition("=")
    name, number = name.strip().lower(), number.strip()
    if not sep:
        raise DimensionError(text, "ledger.dimension.no_equals")
    if not name:
        raise DimensionError(text, "ledger.dimension.no_name")
    if not _WHOLE.fullmatch(number):
        raise DimensionError(text, "ledger.dimension.not_whole", number=number)
    if len(number.lstrip("-")) > len(str(MAX_AMOUNT)):  # before int(): its digit limit raises ValueError
        raise DimensionError(text, "ledger.dimension.out_of_range")
    return name, int(number)


def parse_dimensions(parts: Iterable[str]) -> dict[str, int]:
    """Typed dimensions, one `NAME=INTEGER` per part; a name given twice keeps its last value."""
    dimensions: dict[str, int] = {}
    for part in parts:
        name, value = parse_dimension(part)
        dimensions[name] = value
    return dimensions


# --------------------------------------------------------------------------------------------- values
