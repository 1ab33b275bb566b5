"""The ledger's values: entries, their kinds and actions, payout lines and why they are paid,
acknowledgements, credit limits, and what the ledger reports (breaches, issues).

Entries are immutable and check themselves when built (`reliance.economy.checks`); the rules that need other
entries (reversals, balances) are in `reliance.economy.ledger`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType

from reliance.economy.checks import (
    ANY_MEMBER,
    MAX_AMOUNT,
    MAX_DIMENSION_NAME,
    MAX_DIMENSIONS,
    MAX_EXPLANATION,
    MAX_FACTOR_PCT,
    MAX_ID,
    MAX_LINES,
    MAX_NOTE,
    PROJECT_ACCOUNT,
    LedgerError,
    check_account_name,
    check_amount,
    check_text,
    check_unit,
    in_acknowledgement,
    in_entry,
    is_int,
    parse_instant,
    what,
)
from reliance.economy.format import check_lang, format_amount
from reliance.i18n import Phrase, t


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
ACTION_NAMES = frozenset(a.value for a in Action)
_POSITIVE_KINDS = frozenset(
    {EntryKind.CONTRIBUTION, EntryKind.EXPENSE, EntryKind.REVENUE, EntryKind.TRANSFER}
)


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
    (`reliance.economy.explain.line_text`). Stored beside the author's sentence, which older versions
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
        check_account_name(self.member, what("line_member"))
        check_amount(self.amount, what("line_payout", member=self.member), minimum=0)
        check_text(self.explanation, what("explanation"), MAX_EXPLANATION, required=False)


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
        eid = check_text(self.id, what("entry_id"), MAX_ID)
        try:
            kind = EntryKind(self.kind)
        except ValueError:
            known = ", ".join(k.value for k in EntryKind)
            raise LedgerError("ledger.error.unknown_kind", id=eid, kind=self.kind, known=known) from None
        set_(self, "kind", kind)
        check_account_name(self.author, in_entry(eid, "author"))
        set_(self, "member", check_account_name(self.member or self.author, in_entry(eid, "member")))
        minimum = 1 if kind in _POSITIVE_KINDS else 0
        check_amount(self.amount, in_entry(eid, "amount"), minimum=minimum)
        check_unit(self.unit, in_entry(eid, "unit"))
        parse_instant(self.at, in_entry(eid, "time"))
        action = self.action or DEFAULT_ACTIONS[kind]
        if action not in ACTION_NAMES and not (kind is EntryKind.REVERSAL and action == ""):
            known = ", ".join(a.value for a in Action)
            raise LedgerError("ledger.error.unknown_action", id=eid, action=action, known=known)
        set_(self, "action", Action(action) if action else "")
        check_text(self.note, in_entry(eid, "note"), MAX_NOTE, required=False)
        set_(self, "dimensions", _check_dimensions(self.dimensions, eid, self.unit))
        self._check_links(eid, kind)

    def _check_links(self, eid: str, kind: EntryKind) -> None:
        if kind is EntryKind.TRANSFER:
            if self.counterparty is None:
                raise LedgerError("ledger.error.no_counterparty", id=eid)
            if self.counterparty != PROJECT_ACCOUNT:  # a transfer to the project gives a claim up
                check_account_name(self.counterparty, in_entry(eid, "counterparty"))
            if self.counterparty == self.member:
                raise LedgerError("ledger.error.self_transfer", id=eid, member=self.member)
        elif self.counterparty is not None:
            raise LedgerError("ledger.error.only_transfer", id=eid)
        if kind is EntryKind.REVERSAL:
            if self.reverses is None:
                raise LedgerError("ledger.error.reversal_target", id=eid)
            check_text(self.reverses, in_entry(eid, "reversed_id"), MAX_ID)
            if self.reverses == self.id:
                raise LedgerError("ledger.error.reverses_itself", id=eid)
        elif self.reverses is not None:
            raise LedgerError("ledger.error.only_reversal", id=eid)
        if not isinstance(self.lines, tuple) or not all(isinstance(x, PayoutLine) for x in self.lines):
            raise LedgerError("ledger.error.lines_type", id=eid)
        if kind is EntryKind.DISTRIBUTION or (kind is EntryKind.REVERSAL and self.lines):
            if len(self.lines) > MAX_LINES:
                raise LedgerError("ledger.error.too_many_lines", what=what("entry_n", id=eid), max=MAX_LINES)
            members = [line.member for line in self.lines]
            if len(set(members)) != len(members):
                raise LedgerError("ledger.error.member_twice", id=eid)
            paid = sum(line.amount for line in self.lines)
            if paid != self.amount:
                raise LedgerError("ledger.error.lines_sum", id=eid, paid=paid, amount=self.amount)
        elif self.lines:
            raise LedgerError("ledger.error.only_distribution", id=eid)

    @property
    def instant(self) -> datetime:
        return parse_instant(self.at)


def _check_dimensions(value: object, eid: str, unit: str) -> Mapping[str, int]:
    if not isinstance(value, Mapping):
        raise LedgerError("ledger.error.dimensions_type", id=eid)
    if len(value) > MAX_DIMENSIONS:
        raise LedgerError("ledger.error.too_many_dimensions", id=eid, max=MAX_DIMENSIONS)
    checked: dict[str, int] = {}
    for name in sorted(value, key=str):
        check_text(name, in_entry(eid, "dimension_name"), MAX_DIMENSION_NAME)
        if name == unit:
            raise LedgerError("ledger.error.dimension_is_unit", id=eid, name=name)
        amount = value[name]
        if not is_int(amount):
            raise LedgerError("ledger.error.dimension_not_whole", id=eid, name=name, value=amount)
        if abs(amount) > MAX_AMOUNT:
            raise LedgerError("ledger.error.dimension_range", id=eid, name=name)
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
        aid = check_text(self.id, what("acknowledgement_id"), MAX_ID)
        check_text(self.entry_id, in_acknowledgement(aid, "entry_ref"), MAX_ID)
        check_account_name(self.by, in_acknowledgement(aid, "acknowledger"))
        if not is_int(self.factor_pct) or not 0 <= self.factor_pct <= MAX_FACTOR_PCT:
            raise LedgerError("ledger.error.factor", id=aid, max=MAX_FACTOR_PCT, value=self.factor_pct)
        parse_instant(self.at, in_acknowledgement(aid, "time"))


@dataclass(frozen=True)
class CreditLimit:
    """The lowest balance an account may reach in a unit (e.g. -600 min). `member` may be ANY_MEMBER ('*')."""

    member: str
    unit: str
    floor: int

    def __post_init__(self) -> None:
        if self.member not in (ANY_MEMBER, PROJECT_ACCOUNT):
            check_account_name(self.member, what("limit_member"))
        check_unit(self.unit, what("limit_unit"))
        check_amount(self.floor, what("limit_floor", member=self.member, unit=self.unit), minimum=-MAX_AMOUNT)


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
    """An entry that has no effect on balances, and why (shown to users, never dropped silently): `message`
    in the language asked for, `why` the same to word in any other."""

    entry_id: str
    message: str
    why: Phrase | None = None


# --------------------------------------------------------------------------------------------- building
