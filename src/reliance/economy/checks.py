"""The ledger's checks of single values: ids, account names, units, amounts, times, periods, and the
wealth-matrix dimensions people type. Every ledger value is built through these, so a bad field is refused
with one readable sentence before it reaches a balance.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from reliance.errors import ModelError

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
    """An entry, acknowledgement or credit limit that breaks a ledger rule (one readable sentence)."""


# --------------------------------------------------------------------------------------------- checks


def is_int(value: object) -> bool:
    """A whole number, and not a bool (True is an int to Python, never to a ledger)."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_text(value: object, what: str, limit: int, *, required: bool = True) -> str:
    if not isinstance(value, str):
        raise LedgerError(f"{what} must be text, got {type(value).__name__}")
    if required and not value.strip():
        raise LedgerError(f"{what} is empty")
    if len(value) > limit:
        raise LedgerError(f"{what} is longer than {limit} characters")
    if "\x00" in value:
        raise LedgerError(f"{what} cannot contain NUL characters")
    return value


def check_account_name(value: object, what: str) -> str:
    """A member id usable as an account: non-empty text, not reserved ('@…' or '*')."""
    name = check_text(value, what, MAX_ID)
    if name != name.strip():
        raise LedgerError(f"{what} {name!r} has leading or trailing spaces")
    if name.startswith("@") or name == ANY_MEMBER:
        raise LedgerError(f"{what} {name!r} is reserved (names starting with '@', and '*')")
    return name


def check_unit(value: object, what: str = "the unit") -> str:
    unit = check_text(value, what, MAX_UNIT)
    if unit != unit.strip() or any(c.isspace() for c in unit):
        raise LedgerError(f"{what} {unit!r} cannot contain spaces")
    return unit


def check_amount(value: object, what: str, *, minimum: int) -> int:
    if not is_int(value):
        shown = repr(value) if isinstance(value, float | str) else type(value).__name__
        raise LedgerError(f"{what} must be a whole number of minor units (cents, minutes…), got {shown}")
    assert isinstance(value, int)
    if value < minimum:
        rule = "positive" if minimum == 1 else "zero or more" if minimum == 0 else f"at least {minimum}"
        raise LedgerError(f"{what} must be {rule}, got {value}")
    if abs(value) > MAX_AMOUNT:
        raise LedgerError(f"{what} is out of range (at most {MAX_AMOUNT:,} in absolute value)")
    return value


def parse_instant(value: object, what: str = "the time") -> datetime:
    """Parse an ISO 8601 time with an offset (e.g. 2025-06-14T10:00:00Z) into an aware UTC datetime."""
    if not isinstance(value, str) or not value.strip():
        raise LedgerError(f"{what} must be an ISO 8601 time such as 2025-06-14T10:00:00Z")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise LedgerError(f"{what}: not an ISO 8601 time: {value!r} (e.g. 2025-06-14T10:00:00Z)") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise LedgerError(f"{what}: {value!r} has no UTC offset (write it as 2025-06-14T10:00:00Z)")
    return parsed.astimezone(UTC)


_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")  # fullmatch


def parse_period(period_from: str, period_to: str) -> tuple[datetime, datetime]:
    """The period [from, to], both ends included, as a half-open UTC interval [start, stop).

    A bare date covers its whole day (UTC): from 2025-06-01 to 2025-06-30 is all of June. A time without an
    offset is taken as UTC.
    """
    start = _period_bound(period_from, "the start of the period", end=False)
    stop = _period_bound(period_to, "the end of the period", end=True)
    if stop <= start:
        raise LedgerError(f"the period ends ({period_to}) before it starts ({period_from})")
    return start, stop


def _period_bound(value: object, what: str, *, end: bool) -> datetime:
    if not isinstance(value, str):
        raise LedgerError(f"{what} must be an ISO 8601 date or time, got {type(value).__name__}")
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise LedgerError(f"{what}: not an ISO 8601 date or time: {value!r} (e.g. 2025-06-30)") from None
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if end:
        parsed += timedelta(days=1) if _DATE_ONLY.fullmatch(text) else timedelta(microseconds=1)
    return parsed


class DimensionError(LedgerError):
    """A typed dimension that is not NAME=INTEGER; `text` is the part as typed, for the caller's message."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"dimension {text!r}: {reason} (write NAME=INTEGER, e.g. joy=2)")
        self.text = text


_WHOLE = re.compile(r"-?[0-9]+")  # ASCII digits: int() also takes '+1', '1_000', '٣'


def parse_dimension(text: str) -> tuple[str, int]:
    """One typed wealth-matrix dimension `NAME=INTEGER` (e.g. `joy=2`, `Hardship = -1`).

    Returns the name stripped and lower-cased, and the number. Only the syntax is checked here; the entry
    that carries the dimension checks its name and range.
    """
    name, sep, number = text.partition("=")
    name, number = name.strip().lower(), number.strip()
    if not sep:
        raise DimensionError(text, "no '='")
    if not name:
        raise DimensionError(text, "no name before '='")
    if not _WHOLE.fullmatch(number):
        raise DimensionError(text, f"{number!r} is not a whole number")
    if len(number.lstrip("-")) > len(str(MAX_AMOUNT)):  # before int(): its digit limit raises ValueError
        raise DimensionError(text, "the number is out of range")
    return name, int(number)


def parse_dimensions(parts: Iterable[str]) -> dict[str, int]:
    """Typed dimensions, one `NAME=INTEGER` per part; a name given twice keeps its last value."""
    dimensions: dict[str, int] = {}
    for part in parts:
        name, value = parse_dimension(part)
        dimensions[name] = value
    return dimensions


# --------------------------------------------------------------------------------------------- values
