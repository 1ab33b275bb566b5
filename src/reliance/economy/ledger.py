"""The project ledger: entries, reversals, acknowledgements, balances and credit limits.

Pure functions of immutable values: no I/O, no automerge. Every peer holding the same *set* of entries
computes the same balances, whatever order the entries arrived in. The accounting rules are explained in
docs/dividend.md.

Double entry: every entry posts amounts to accounts in one unit, and the postings of an entry sum to zero, so
the balances of a unit always sum to zero. The accounts are the members (peer ids) and `PROJECT_ACCOUNT`.
A positive balance is a claim on the rest of the project (the project owes it), a negative one a debt.

    contribution   member +amount, project -amount   (the project recognises what the member gave)
    expense        member +amount, project -amount   (the member paid for the project out of pocket)
    revenue        member -amount, project +amount   (the member received money that is the project's)
    transfer       member -amount, counterparty +amount   (credit moves from member to counterparty,
                   which may be PROJECT_ACCOUNT: giving a claim up)
    distribution   each line: member +line amount; project -(sum of lines)   (the reserve stays put)
    reversal       the exact opposite of the postings of the entry it reverses
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from reliance.economy.format import check_lang, format_amount
from reliance.errors import ModelError
from reliance.i18n import t

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


class EntryKind(StrEnum):
    CONTRIBUTION = "contribution"
    EXPENSE = "expense"
    REVENUE = "revenue"
    TRANSFER = "transfer"
    DISTRIBUTION = "distribution"
    REVERSAL = "reversal"


class Action(StrEnum):
    """ValueFlows actions an entry can carry."""

    WORK = "work"
    TRANSFER = "transfer"
    USE = "use"
    CITE = "cite"
    PRODUCE = "produce"
    CONSUME = "consume"


# The four kinds of contribution people talk about, and the ValueFlows action each one records.
CONTRIBUTION_ACTIONS: Mapping[str, Action] = MappingProxyType(
    {"time": Action.WORK, "money": Action.TRANSFER, "resource": Action.USE, "knowledge": Action.CITE}
)
DEFAULT_ACTIONS: Mapping[EntryKind, str] = MappingProxyType(
    {
        EntryKind.CONTRIBUTION: Action.WORK,
        EntryKind.EXPENSE: Action.TRANSFER,
        EntryKind.REVENUE: Action.TRANSFER,
        EntryKind.TRANSFER: Action.TRANSFER,
        EntryKind.DISTRIBUTION: Action.TRANSFER,
        EntryKind.REVERSAL: "",  # a reversal repeats the action of the entry it reverses (see make_reversal)
    }
)
_ACTIONS = frozenset(a.value for a in Action)
_POSITIVE_KINDS = frozenset(
    {EntryKind.CONTRIBUTION, EntryKind.EXPENSE, EntryKind.REVENUE, EntryKind.TRANSFER}
)


# --------------------------------------------------------------------------------------------- checks


def is_int(value: object) -> bool:
    """A whole number, and not a bool (True is an int to Python, never to a ledger)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _check_text(value: object, what: str, limit: int, *, required: bool = True) -> str:
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
    name = _check_text(value, what, MAX_ID)
    if name != name.strip():
        raise LedgerError(f"{what} {name!r} has leading or trailing spaces")
    if name.startswith("@") or name == ANY_MEMBER:
        raise LedgerError(f"{what} {name!r} is reserved (names starting with '@', and '*')")
    return name


def check_unit(value: object, what: str = "the unit") -> str:
    unit = _check_text(value, what, MAX_UNIT)
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


class Dimensions(Mapping[str, int]):
    """An immutable, hashable mapping of wealth-matrix dimension -> whole number, sorted by name."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, int] | None = None) -> None:
        self._items: dict[str, int] = {k: items[k] for k in sorted(items)} if items else {}

    def __getitem__(self, key: str) -> int:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(tuple(self._items.items()))

    def __repr__(self) -> str:
        return f"Dimensions({self._items!r})"

    def __copy__(self) -> Dimensions:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Dimensions:
        return self

    def __reduce__(self) -> tuple[type[Dimensions], tuple[dict[str, int]]]:
        return (Dimensions, (dict(self._items),))


@dataclass(frozen=True)
class Quantity:
    """An amount of one action and unit in an explanation; `factor` is the acknowledgement factor."""

    action: str
    unit: str
    amount: int
    factor: Fraction = Fraction(1)


@dataclass(frozen=True)
class PayoutWhy:
    """Why a member gets their payout, as data: each reader words it in their own language
    (`reliance.economy.dividend.explain_line`). Stored beside the author's sentence, which older versions
    show and which is shown as is when this is absent (lines written before it existed)."""

    equal: (
        tuple[int, int, int] | None
    )  # (the member's equal share, the equal bucket, members); None: no bucket
    contribution: int  # their share of the contribution bucket
    points: Fraction  # their weighted points
    total_points: Fraction  # everybody's
    counted: tuple[Quantity, ...] = ()  # their weighted contributions, by action and unit
    unweighted: tuple[Quantity, ...] = ()  # contributions the policy gives no weight
    no_weighted: bool = False  # the policy shares by contribution, but they have no weighted points


@dataclass(frozen=True)
class PayoutLine:
    """One member's payout in a distribution, with the sentence that explains it (in its author's language)
    and, since it exists, the same explanation as data (`why`)."""

    member: str
    amount: int
    explanation: str = ""
    why: PayoutWhy | None = None

    def __post_init__(self) -> None:
        check_account_name(self.member, "a payout line's member")
        check_amount(self.amount, f"the payout of {self.member}", minimum=0)
        _check_text(self.explanation, "a payout explanation", MAX_EXPLANATION, required=False)


@dataclass(frozen=True)
class Entry:
    """One ledger entry. Entries are append-only: a mistake is corrected by a reversal, never by editing.

    `member` is whose account the entry is about (the contributor, the payer, the sender of a transfer); it
    defaults to `author`, the peer who recorded it. `amount` is an integer in the minor units of `unit`.
    """

    id: str
    kind: EntryKind
    author: str
    amount: int
    unit: str
    at: str
    member: str = ""
    action: str = ""
    note: str = ""
    dimensions: Mapping[str, int] = field(default_factory=Dimensions)
    counterparty: str | None = None
    reverses: str | None = None
    lines: tuple[PayoutLine, ...] = ()

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        eid = _check_text(self.id, "an entry id", MAX_ID)
        try:
            kind = EntryKind(self.kind)
        except ValueError:
            known = ", ".join(k.value for k in EntryKind)
            raise LedgerError(f"entry {eid}: unknown kind {self.kind!r}; use one of: {known}") from None
        set_(self, "kind", kind)
        check_account_name(self.author, f"entry {eid}: the author")
        set_(self, "member", check_account_name(self.member or self.author, f"entry {eid}: the member"))
        minimum = 1 if kind in _POSITIVE_KINDS else 0
        check_amount(self.amount, f"entry {eid}: the amount", minimum=minimum)
        check_unit(self.unit, f"entry {eid}: the unit")
        parse_instant(self.at, f"entry {eid}: the time")
        action = self.action or DEFAULT_ACTIONS[kind]
        if action not in _ACTIONS and not (kind is EntryKind.REVERSAL and action == ""):
            known = ", ".join(a.value for a in Action)
            raise LedgerError(f"entry {eid}: unknown action {action!r}; use one of: {known}")
        set_(self, "action", Action(action) if action else "")
        _check_text(self.note, f"entry {eid}: the note", MAX_NOTE, required=False)
        set_(self, "dimensions", _check_dimensions(self.dimensions, eid, self.unit))
        self._check_links(eid, kind)

    def _check_links(self, eid: str, kind: EntryKind) -> None:
        if kind is EntryKind.TRANSFER:
            if self.counterparty is None:
                raise LedgerError(f"entry {eid}: a transfer needs a counterparty (who receives it)")
            if self.counterparty != PROJECT_ACCOUNT:  # a transfer to the project gives a claim up
                check_account_name(self.counterparty, f"entry {eid}: the counterparty")
            if self.counterparty == self.member:
                raise LedgerError(f"entry {eid}: a transfer cannot go from {self.member} to themselves")
        elif self.counterparty is not None:
            raise LedgerError(f"entry {eid}: only a transfer has a counterparty")
        if kind is EntryKind.REVERSAL:
            if self.reverses is None:
                raise LedgerError(f"entry {eid}: a reversal must name the entry it reverses")
            _check_text(self.reverses, f"entry {eid}: the reversed entry id", MAX_ID)
            if self.reverses == self.id:
                raise LedgerError(f"entry {eid}: an entry cannot reverse itself")
        elif self.reverses is not None:
            raise LedgerError(f"entry {eid}: only a reversal names an entry to reverse")
        if not isinstance(self.lines, tuple) or not all(isinstance(x, PayoutLine) for x in self.lines):
            raise LedgerError(f"entry {eid}: payout lines must be a tuple of PayoutLine")
        if kind is EntryKind.DISTRIBUTION or (kind is EntryKind.REVERSAL and self.lines):
            if len(self.lines) > MAX_LINES:
                raise LedgerError(f"entry {eid}: more than {MAX_LINES} payout lines")
            members = [line.member for line in self.lines]
            if len(set(members)) != len(members):
                raise LedgerError(f"entry {eid}: a member appears twice in the payout lines")
            paid = sum(line.amount for line in self.lines)
            if paid != self.amount:
                raise LedgerError(
                    f"entry {eid}: the payout lines sum to {paid}, not to the amount {self.amount}"
                )
        elif self.lines:
            raise LedgerError(f"entry {eid}: only a distribution has payout lines")

    @property
    def instant(self) -> datetime:
        return parse_instant(self.at)


def _check_dimensions(value: object, eid: str, unit: str) -> Mapping[str, int]:
    if not isinstance(value, Mapping):
        raise LedgerError(f"entry {eid}: dimensions must be a mapping of name to whole number")
    if len(value) > MAX_DIMENSIONS:
        raise LedgerError(f"entry {eid}: more than {MAX_DIMENSIONS} dimensions")
    checked: dict[str, int] = {}
    for name in sorted(value, key=str):
        _check_text(name, f"entry {eid}: a dimension name", MAX_DIMENSION_NAME)
        if name == unit:
            raise LedgerError(
                f"entry {eid}: dimension {name!r} repeats the unit (the amount already counts it)"
            )
        amount = value[name]
        if not is_int(amount):
            raise LedgerError(f"entry {eid}: dimension {name!r} must be a whole number, got {amount!r}")
        if abs(amount) > MAX_AMOUNT:
            raise LedgerError(f"entry {eid}: dimension {name!r} is out of range")
        checked[name] = amount
    return Dimensions(checked)


@dataclass(frozen=True)
class Acknowledgement:
    """Another member's recognition of a contribution, with a factor in percent (100 = as declared)."""

    id: str
    entry_id: str
    by: str
    factor_pct: int
    at: str

    def __post_init__(self) -> None:
        aid = _check_text(self.id, "an acknowledgement id", MAX_ID)
        _check_text(self.entry_id, f"acknowledgement {aid}: the entry id", MAX_ID)
        check_account_name(self.by, f"acknowledgement {aid}: who acknowledges")
        if not is_int(self.factor_pct) or not 0 <= self.factor_pct <= MAX_FACTOR_PCT:
            raise LedgerError(
                f"acknowledgement {aid}: the factor must be a whole percentage between 0 and "
                f"{MAX_FACTOR_PCT}, got {self.factor_pct!r}"
            )
        parse_instant(self.at, f"acknowledgement {aid}: the time")


@dataclass(frozen=True)
class CreditLimit:
    """The lowest balance an account may reach in a unit (e.g. -600 min). `member` may be ANY_MEMBER ('*')."""

    member: str
    unit: str
    floor: int

    def __post_init__(self) -> None:
        if self.member not in (ANY_MEMBER, PROJECT_ACCOUNT):
            check_account_name(self.member, "a credit limit's member")
        check_unit(self.unit, "a credit limit's unit")
        check_amount(self.floor, f"the credit limit of {self.member} in {self.unit}", minimum=-MAX_AMOUNT)


@dataclass(frozen=True)
class Breach:
    """An account whose balance is below its floor (after a merge, or an entry recorded elsewhere)."""

    account: str
    unit: str
    balance: int
    floor: int

    def message(self, lang: str = "en") -> str:
        check_lang(lang)
        bal, flo = format_amount(self.balance, self.unit, lang), format_amount(self.floor, self.unit, lang)
        return t("ledger.breach", lang, account=self.account, balance=bal, floor=flo)


@dataclass(frozen=True)
class LedgerIssue:
    """An entry that has no effect on balances, and why (shown to users, never dropped silently)."""

    entry_id: str
    message: str


# --------------------------------------------------------------------------------------------- building


def make_reversal(original: Entry, *, id: str, author: str, at: str, note: str = "") -> Entry:
    """The entry that cancels `original` exactly (same amount, unit, member, counterparty, action, lines)."""
    if original.kind is EntryKind.REVERSAL:
        raise LedgerError(
            f"entry {original.id} is itself a reversal: record the original entry again instead"
        )
    return Entry(
        id=id,
        kind=EntryKind.REVERSAL,
        author=author,
        member=original.member,
        amount=original.amount,
        unit=original.unit,
        at=at,
        action=original.action,
        note=note,
        counterparty=None,
        reverses=original.id,
        lines=original.lines,
    )


def index_entries(entries: Iterable[Entry]) -> dict[str, Entry]:
    """Entries by id, sorted by id. The same entry given twice counts once; two different ones with the
    same id are refused (entries are never edited)."""
    index: dict[str, Entry] = {}
    for entry in entries:
        seen = index.get(entry.id)
        if seen is None:
            index[entry.id] = entry
        elif seen != entry:
            raise LedgerError(f"two different entries share the id {entry.id} (entries are never edited)")
    return {eid: index[eid] for eid in sorted(index)}


def _order_key(entry: Entry) -> tuple[datetime, str]:
    return (entry.instant, entry.id)


def _reversal_matches(reversal: Entry, target: Entry) -> bool:
    return (
        reversal.amount == target.amount
        and reversal.unit == target.unit
        and reversal.member == target.member
        and reversal.action == target.action
        and reversal.lines == target.lines
    )


def effective_reversals(entries: Iterable[Entry]) -> dict[str, str]:
    """Reversed entry id -> id of the reversal that cancels it.

    When several reversals of one entry exist (recorded concurrently on two peers), the earliest (by time,
    then id) cancels it and the others have no effect (see ledger_issues). A reversal of a missing entry, of
    another reversal, or that does not repeat its entry's amount and unit has no effect either.
    """
    return _effective(index_entries(entries))


def _effective(index: Mapping[str, Entry]) -> dict[str, str]:
    chosen: dict[str, Entry] = {}
    for entry in index.values():
        if entry.kind is not EntryKind.REVERSAL or entry.reverses is None:
            continue
        target = index.get(entry.reverses)
        if target is None or target.kind is EntryKind.REVERSAL or not _reversal_matches(entry, target):
            continue
        best = chosen.get(target.id)
        if best is None or _order_key(entry) < _order_key(best):
            chosen[target.id] = entry
    return {tid: chosen[tid].id for tid in sorted(chosen)}


def reversed_ids(entries: Iterable[Entry]) -> frozenset[str]:
    """Ids of the entries cancelled by a reversal."""
    return frozenset(effective_reversals(entries))


def validate_entry(entry: Entry, existing: Iterable[Entry]) -> Entry:
    """Check `entry` against the entries already recorded; returns it, or raises LedgerError."""
    index = index_entries(existing)
    if entry.id in index:
        raise LedgerError(
            f"entry id {entry.id} is already used (entries are never edited: record a reversal)"
        )
    if entry.kind is EntryKind.REVERSAL:
        assert entry.reverses is not None
        target = index.get(entry.reverses)
        if target is None:
            raise LedgerError(f"entry {entry.id} reverses {entry.reverses}, which is not in the ledger")
        if target.kind is EntryKind.REVERSAL:
            raise LedgerError(
                f"entry {entry.reverses} is a reversal and cannot be reversed: "
                "record the original entry again"
            )
        if entry.reverses in _effective(index):
            raise LedgerError(f"entry {entry.reverses} is already reversed")
        if not _reversal_matches(entry, target):
            raise LedgerError(
                f"entry {entry.id} must repeat the amount, unit, member, action and lines of {target.id} "
                "(use make_reversal)"
            )
    return entry


def validate_acknowledgement(
    ack: Acknowledgement, entries: Iterable[Entry], factor_min: int = 0, factor_max: int = MAX_FACTOR_PCT
) -> Acknowledgement:
    """Check an acknowledgement before recording it; pass the policy's ack_factor_min/max as bounds."""
    index = index_entries(entries)
    target = index.get(ack.entry_id)
    if target is None:
        raise LedgerError(f"acknowledgement {ack.id}: entry {ack.entry_id} is not in the ledger")
    if target.kind is not EntryKind.CONTRIBUTION:
        raise LedgerError(
            f"acknowledgement {ack.id}: only contributions are acknowledged, {target.id} is a {target.kind}"
        )
    if ack.by in (target.member, target.author):
        raise LedgerError(f"acknowledgement {ack.id}: you cannot acknowledge your own entry")
    if not factor_min <= ack.factor_pct <= factor_max:
        raise LedgerError(
            f"acknowledgement {ack.id}: the factor {ack.factor_pct} % is outside the policy's bounds "
            f"({factor_min} % to {factor_max} %)"
        )
    return ack


# --------------------------------------------------------------------------------------------- balances


def postings(entry: Entry, index: Mapping[str, Entry] | None = None) -> list[tuple[str, str, int]]:
    """(account, unit, signed amount) posted by one entry; they sum to zero.

    A reversal needs `index` to find its entry and posts the exact opposite. (balances() also skips the
    reversals that have no effect: see effective_reversals.)
    """
    a, unit = entry.amount, entry.unit
    kind = entry.kind
    if kind in (EntryKind.CONTRIBUTION, EntryKind.EXPENSE):
        return [(entry.member, unit, a), (PROJECT_ACCOUNT, unit, -a)]
    if kind is EntryKind.REVENUE:
        return [(entry.member, unit, -a), (PROJECT_ACCOUNT, unit, a)]
    if kind is EntryKind.TRANSFER:
        assert entry.counterparty is not None
        return [(entry.member, unit, -a), (entry.counterparty, unit, a)]
    if kind is EntryKind.DISTRIBUTION:
        return [(line.member, unit, line.amount) for line in entry.lines] + [(PROJECT_ACCOUNT, unit, -a)]
    target = index.get(entry.reverses or "") if index is not None else None
    if target is None or target.kind is EntryKind.REVERSAL:
        return []
    return [(account, u, -amount) for account, u, amount in postings(target)]


def balances(entries: Iterable[Entry]) -> dict[str, dict[str, int]]:
    """unit -> account -> balance, sorted; zero balances are left out. Each unit's balances sum to zero."""
    index = index_entries(entries)
    effective = set(_effective(index).values())
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for entry in index.values():
        if entry.kind is EntryKind.REVERSAL and entry.id not in effective:
            continue
        for account, unit, amount in postings(entry, index):
            totals[unit][account] += amount
    result: dict[str, dict[str, int]] = {}
    for unit in sorted(totals):
        accounts = {acc: totals[unit][acc] for acc in sorted(totals[unit]) if totals[unit][acc] != 0}
        if accounts:
            result[unit] = accounts
    return result


def check_credit_limits(
    balances_by_unit: Mapping[str, Mapping[str, int]], limits: Iterable[CreditLimit]
) -> list[Breach]:
    """Every account below its floor, sorted by unit then account.

    An account's own limit wins over the ANY_MEMBER one; if several limits name the same account and unit, the
    strictest (highest floor) applies. The ANY_MEMBER limit does not apply to the project account.
    """
    own: dict[tuple[str, str], int] = {}
    default: dict[str, int] = {}
    for limit in limits:
        if limit.member == ANY_MEMBER:
            default[limit.unit] = max(default.get(limit.unit, limit.floor), limit.floor)
        else:
            key = (limit.member, limit.unit)
            own[key] = max(own.get(key, limit.floor), limit.floor)
    breaches: list[Breach] = []
    for unit in sorted(set(balances_by_unit) | {u for (_, u) in own}):
        accounts = balances_by_unit.get(unit, {})
        names = set(accounts) | {m for (m, u) in own if u == unit}
        for account in sorted(names):
            floor = own.get((account, unit))
            if floor is None and account != PROJECT_ACCOUNT:
                floor = default.get(unit)
            balance = accounts.get(account, 0)
            if floor is not None and balance < floor:
                breaches.append(Breach(account, unit, balance, floor))
    return breaches


def ledger_issues(entries: Iterable[Entry], lang: str = "en") -> list[LedgerIssue]:
    """Entries without effect that users must be told about: reversals of missing entries, of reversals,
    duplicate reversals (concurrent on two peers), reversals that do not repeat their entry. Sorted by id."""
    check_lang(lang)
    index = index_entries(entries)
    effective = _effective(index)
    issues: list[LedgerIssue] = []
    for entry in index.values():
        if entry.kind is not EntryKind.REVERSAL or entry.reverses is None:
            continue
        rid, tid = entry.id, entry.reverses
        target = index.get(tid)
        if target is None:
            text = t("ledger.issue.missing", lang, target=tid)
        elif target.kind is EntryKind.REVERSAL:
            text = t("ledger.issue.of_reversal", lang, target=tid)
        elif not _reversal_matches(entry, target):
            text = t("ledger.issue.mismatch", lang, target=tid)
        elif effective.get(tid) != rid:
            text = t("ledger.issue.already", lang, target=tid, by=effective[tid])
        else:
            continue
        issues.append(LedgerIssue(rid, text))
    return issues


# --------------------------------------------------------------------------------------------- plain data


def _get(data: Mapping[str, Any], key: str, what: str) -> Any:
    if key not in data:
        raise LedgerError(f"{what}: missing field {key!r}")
    return data[key]


def entry_to_data(entry: Entry) -> dict[str, Any]:
    """Plain data (str, int, list, dict, None) for storage; optional empty fields are left out."""
    data: dict[str, Any] = {
        "id": entry.id,
        "kind": entry.kind.value,
        "author": entry.author,
        "member": entry.member,
        "amount": entry.amount,
        "unit": entry.unit,
        "at": entry.at,
        "action": str(entry.action),
    }
    if entry.note:
        data["note"] = entry.note
    if entry.dimensions:
        data["dimensions"] = dict(entry.dimensions)
    if entry.counterparty is not None:
        data["counterparty"] = entry.counterparty
    if entry.reverses is not None:
        data["reverses"] = entry.reverses
    if entry.lines:
        data["lines"] = payout_lines_to_data(entry.lines)
    return data


def payout_lines_to_data(lines: Iterable[PayoutLine]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for x in lines:
        data: dict[str, Any] = {"member": x.member, "amount": x.amount, "explanation": x.explanation}
        if x.why is not None:
            data["why"] = payout_why_to_data(x.why)
        out.append(data)
    return out


def fraction_to_data(value: Fraction) -> str:
    return str(value)


_FRACTION = re.compile(r"-?[0-9]{1,40}(/[0-9]{1,40})?")


def fraction_from_data(value: object) -> Fraction:
    """A fraction written by fraction_to_data; anything else (a huge exponent, say) raises ValueError
    before any arithmetic."""
    if not isinstance(value, str) or _FRACTION.fullmatch(value) is None:
        raise ValueError("not a fraction")
    try:
        return Fraction(value)
    except ZeroDivisionError:
        raise ValueError("not a fraction") from None


def _quantity_to_data(q: Quantity) -> list[Any]:
    return [q.action, q.unit, q.amount, fraction_to_data(q.factor)]


def payout_why_to_data(why: PayoutWhy) -> dict[str, Any]:
    data: dict[str, Any] = {
        "contribution": why.contribution,
        "points": fraction_to_data(why.points),
        "total_points": fraction_to_data(why.total_points),
        "counted": [_quantity_to_data(q) for q in why.counted],
        "unweighted": [_quantity_to_data(q) for q in why.unweighted],
        "no_weighted": why.no_weighted,
    }
    if why.equal is not None:
        data["equal"] = list(why.equal)
    return data


def _quantities_from_data(raw: object) -> tuple[Quantity, ...]:
    if not isinstance(raw, list | tuple) or len(raw) > len(Action) * MAX_DIMENSIONS:
        raise ValueError("not a list of quantities")
    out: list[Quantity] = []
    for cell in raw:
        if not isinstance(cell, list | tuple) or len(cell) != 4 or cell[0] not in _ACTIONS:
            raise ValueError("not a quantity")
        factor = fraction_from_data(cell[3])
        if not 0 <= factor <= MAX_FACTOR_PCT:
            raise ValueError("factor out of range")
        out.append(
            Quantity(cell[0], check_unit(cell[1]), check_amount(cell[2], "an amount", minimum=0), factor)
        )
    return tuple(out)


def payout_why_from_data(raw: object) -> PayoutWhy | None:
    """The `why` of a payout line from untrusted data; None when it is absent or cannot be read (the line's
    sentence is shown then, as for lines written before it existed)."""
    if not isinstance(raw, Mapping):
        return None
    try:
        equal_raw = raw.get("equal")
        equal: tuple[int, int, int] | None = None
        if equal_raw is not None:
            if not isinstance(equal_raw, list | tuple) or len(equal_raw) != 3:
                raise ValueError("not an equal share")
            share, bucket = (check_amount(v, "an amount", minimum=0) for v in equal_raw[:2])
            members = check_amount(equal_raw[2], "a count", minimum=1)
            if members > MAX_LINES:
                raise ValueError("too many members")
            equal = (share, bucket, members)
        no_weighted = raw.get("no_weighted", False)
        if not isinstance(no_weighted, bool):
            raise ValueError("not a flag")
        return PayoutWhy(
            equal=equal,
            contribution=check_amount(raw.get("contribution"), "an amount", minimum=0),
            points=fraction_from_data(raw.get("points")),
            total_points=fraction_from_data(raw.get("total_points")),
            counted=_quantities_from_data(raw.get("counted", [])),
            unweighted=_quantities_from_data(raw.get("unweighted", [])),
            no_weighted=no_weighted,
        )
    except (ValueError, LedgerError):
        return None


def payout_lines_from_data(raw_lines: object, what: str) -> tuple[PayoutLine, ...]:
    """Payout lines from untrusted plain data; `what` names their owner in the error messages."""
    if not isinstance(raw_lines, list | tuple):
        raise LedgerError(f"{what}: lines must be a list")
    if len(raw_lines) > MAX_LINES:
        raise LedgerError(f"{what}: more than {MAX_LINES} payout lines")
    lines: list[PayoutLine] = []
    for raw in raw_lines:
        if not isinstance(raw, Mapping):
            raise LedgerError(f"{what}: a payout line must be a mapping")
        lines.append(
            PayoutLine(
                member=_get(raw, "member", what),
                amount=_get(raw, "amount", what),
                explanation=raw.get("explanation") or "",
                why=payout_why_from_data(raw.get("why")),
            )
        )
    return tuple(lines)


def entry_from_data(data: object) -> Entry:
    """Build and check an Entry from untrusted plain data. Unknown fields are ignored (newer peers may add
    some); wrong types raise LedgerError."""
    if not isinstance(data, Mapping):
        raise LedgerError("an entry must be a mapping")
    what = f"entry {data.get('id', '?')}"
    lines = payout_lines_from_data(data.get("lines") or [], what)
    return Entry(
        id=_get(data, "id", "an entry"),
        kind=_get(data, "kind", what),
        author=_get(data, "author", what),
        member=data.get("member") or "",
        amount=_get(data, "amount", what),
        unit=_get(data, "unit", what),
        at=_get(data, "at", what),
        action=data.get("action") or "",
        note=data.get("note") or "",
        dimensions=data.get("dimensions") or {},
        counterparty=data.get("counterparty"),
        reverses=data.get("reverses"),
        lines=lines,
    )


def acknowledgement_to_data(ack: Acknowledgement) -> dict[str, Any]:
    return {"id": ack.id, "entry_id": ack.entry_id, "by": ack.by, "factor_pct": ack.factor_pct, "at": ack.at}


def acknowledgement_from_data(data: object) -> Acknowledgement:
    if not isinstance(data, Mapping):
        raise LedgerError("an acknowledgement must be a mapping")
    what = f"acknowledgement {data.get('id', '?')}"
    return Acknowledgement(
        id=_get(data, "id", "an acknowledgement"),
        entry_id=_get(data, "entry_id", what),
        by=_get(data, "by", what),
        factor_pct=_get(data, "factor_pct", what),
        at=_get(data, "at", what),
    )


def credit_limit_to_data(limit: CreditLimit) -> dict[str, Any]:
    return {"member": limit.member, "unit": limit.unit, "floor": limit.floor}


def credit_limit_from_data(data: object) -> CreditLimit:
    if not isinstance(data, Mapping):
        raise LedgerError("a credit limit must be a mapping")
    what = "a credit limit"
    return CreditLimit(
        member=_get(data, "member", what), unit=_get(data, "unit", what), floor=_get(data, "floor", what)
    )
