"""The contributive dividend: sharing a pool among members according to a policy that is data.

A policy splits the pool into buckets (reserve / equal base / by contribution) by percentages, and weighs
each contribution by its action and unit. Nothing is ever evaluated: the formula is fixed (docs/dividend.md)
and only its numbers come from the project. Money paths use int and fractions.Fraction, never float;
largest-remainder rounding makes the payouts and the reserve sum exactly to the pool; every result is a
function of the *sets* of entries, acknowledgements and members, whatever their order.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Any

from reliance.economy.format import check_lang, format_amount, format_points, group
from reliance.economy.ledger import (
    MAX_EXPLANATION,
    MAX_FACTOR_PCT,
    MAX_ID,
    MAX_LINES,
    MAX_NOTE,
    Acknowledgement,
    Action,
    Entry,
    EntryKind,
    LedgerError,
    PayoutLine,
    PayoutWhy,
    Quantity,
    check_account_name,
    check_amount,
    check_unit,
    effective_reversals,
    fraction_from_data,
    fraction_to_data,
    index_entries,
    is_int,
    parse_instant,
    parse_period,
    payout_lines_from_data,
    payout_lines_to_data,
)
from reliance.errors import ModelError
from reliance.i18n import action_label, t

MAX_BUCKETS = 8
MAX_WEIGHTS = 256
MAX_NAME = 64
MAX_WEIGHT = 10**6
MAX_VERSION = 2**31 - 1
MAX_MEMBERS = 10_000
MAX_HEADS = 1_000
ANY_UNIT = "*"
"""In a weight, applies to every unit of the action that has no weight of its own."""


class PolicyError(ModelError):
    """A dividend policy that cannot be used, with the exact reason."""


class Rule(StrEnum):
    RESERVE = "reserve"
    EQUAL = "equal"
    CONTRIBUTION = "contribution"


_RULE_ORDER = (Rule.RESERVE, Rule.EQUAL, Rule.CONTRIBUTION)
_ACTION_ORDER = tuple(a.value for a in Action)


def _name(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(f"{what} must be a non-empty name")
    if len(value) > MAX_NAME:
        raise PolicyError(f"{what} is longer than {MAX_NAME} characters")
    return value


@dataclass(frozen=True)
class Bucket:
    """A share of the pool, in whole percent, handed out by one rule."""

    name: str
    percent: int
    rule: Rule

    def __post_init__(self) -> None:
        _name(self.name, "a bucket's name")
        label = f"bucket {self.name!r}"
        try:
            object.__setattr__(self, "rule", Rule(self.rule))
        except ValueError:
            raise PolicyError(
                f"{label}: unknown rule {self.rule!r}; use reserve, equal or contribution"
            ) from None
        if not is_int(self.percent) or not 0 <= self.percent <= 100:
            raise PolicyError(f"{label}: percent must be a whole number from 0 to 100, got {self.percent!r}")


@dataclass(frozen=True)
class Weight:
    """Points per minor unit for contributions with this action and unit (unit ANY_UNIT: any other unit)."""

    action: str
    unit: str
    weight: Fraction

    def __post_init__(self) -> None:
        if self.action not in _ACTION_ORDER:
            known = ", ".join(_ACTION_ORDER)
            raise PolicyError(f"weight: unknown action {self.action!r}; use one of: {known}")
        object.__setattr__(self, "action", Action(self.action))
        if self.unit != ANY_UNIT:
            try:
                check_unit(self.unit, f"the unit of the weight for {self.action}")
            except LedgerError as exc:
                raise PolicyError(str(exc)) from None
        label = f"weight for {self.action}/{self.unit}"
        value = self.weight
        if is_int(value):
            value = Fraction(value)
        if not isinstance(value, Fraction):
            raise PolicyError(f"{label} must be a whole number or a fraction, got {value!r}")
        if value < 0 or value > MAX_WEIGHT:
            raise PolicyError(f"{label} must be between 0 and {MAX_WEIGHT:,}, got {value}")
        if value.denominator > MAX_WEIGHT:
            raise PolicyError(f"{label}: denominator larger than {MAX_WEIGHT:,}")
        object.__setattr__(self, "weight", value)


@dataclass(frozen=True)
class Policy:
    """A versioned dividend policy. Buckets are kept in rule order and weights sorted, so that two equal
    policies compare equal whatever order they were written in."""

    version: int
    buckets: tuple[Bucket, ...]
    weights: tuple[Weight, ...]
    ack_factor_min: int = 50
    ack_factor_max: int = 150

    def __post_init__(self) -> None:
        if not is_int(self.version) or not 0 <= self.version <= MAX_VERSION:
            raise PolicyError(f"version must be a whole number from 0 to {MAX_VERSION}, got {self.version!r}")
        buckets = tuple(self.buckets)
        if not buckets:
            raise PolicyError("a policy needs at least one bucket")
        if len(buckets) > MAX_BUCKETS:
            raise PolicyError(f"at most {MAX_BUCKETS} buckets, got {len(buckets)}")
        names = [b.name for b in buckets]
        for name in names:
            if names.count(name) > 1:
                raise PolicyError(f"two buckets are named {name!r}")
        rules = [b.rule for b in buckets]
        for rule in rules:
            if rules.count(rule) > 1:
                raise PolicyError(f"two buckets use the rule {rule.value!r}: merge them into one")
        total = sum(b.percent for b in buckets)
        if total != 100:
            raise PolicyError(f"bucket percentages sum to {total}, not 100")
        object.__setattr__(self, "buckets", tuple(sorted(buckets, key=lambda b: _RULE_ORDER.index(b.rule))))
        weights = tuple(self.weights)
        if len(weights) > MAX_WEIGHTS:
            raise PolicyError(f"at most {MAX_WEIGHTS} weights, got {len(weights)}")
        keys = [(w.action, w.unit) for w in weights]
        for key in keys:
            if keys.count(key) > 1:
                raise PolicyError(f"two weights for {key[0]}/{key[1]}")
        object.__setattr__(self, "weights", tuple(sorted(weights, key=lambda w: (w.action, w.unit))))
        low, high = self.ack_factor_min, self.ack_factor_max
        if not is_int(low) or not is_int(high):
            raise PolicyError("ack_factor_min and ack_factor_max must be whole percentages")
        if not 0 <= low <= 100 <= high <= MAX_FACTOR_PCT:
            raise PolicyError(
                f"acknowledgement bounds must satisfy 0 <= min <= 100 <= max <= {MAX_FACTOR_PCT}, "
                f"got min {low} and max {high}"
            )

    def weight(self, action: str, unit: str) -> Fraction:
        """Points per minor unit: the weight for (action, unit), else (action, '*'), else 0."""
        fallback = Fraction(0)
        for w in self.weights:
            if w.action == action and w.unit == unit:
                return w.weight
            if w.action == action and w.unit == ANY_UNIT:
                fallback = w.weight
        return fallback

    def bucket(self, rule: Rule) -> Bucket | None:
        return next((b for b in self.buckets if b.rule is rule), None)


DEFAULT_POLICY = Policy(
    version=0,
    buckets=(
        Bucket("reserve", 10, Rule.RESERVE),
        Bucket("base", 20, Rule.EQUAL),
        Bucket("contribution", 70, Rule.CONTRIBUTION),
    ),
    weights=(
        Weight(Action.WORK, "min", Fraction(1)),  # one point per minute of work
        Weight(Action.CITE, "min", Fraction(1)),  # a minute spent sharing knowledge counts like work
        Weight(Action.USE, "min", Fraction(1, 4)),  # an hour of a member's tool, van or room: 15 points
        Weight(Action.TRANSFER, "EUR", Fraction(1, 25)),  # 1 point per 25 cents: 15 EUR = 60 points = 1 hour
    ),
    ack_factor_min=50,
    ack_factor_max=150,
)
"""The policy of a project that has not written one. Version 0, frozen: to differ, write your own."""


# ----------------------------------------------------------------------------------------- policy as data

_POLICY_KEYS = {"version", "buckets", "weights", "ack_factor_min", "ack_factor_max"}
_DECIMAL = re.compile(r"[0-9]{1,12}(\.[0-9]{1,12})?")  # fullmatch
_RATIO = re.compile(r"[0-9]{1,12}/[0-9]{1,12}")  # fullmatch


def _parse_weight(value: object, label: str) -> Fraction:
    if isinstance(value, bool | float):
        raise PolicyError(
            f"{label}: {value!r} is not allowed; write a whole number or a text such as '0.5' or '1/25'"
        )
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, str):
        text = value.strip()
        if _DECIMAL.fullmatch(text) or _RATIO.fullmatch(text):
            if _RATIO.fullmatch(text) and int(text.split("/")[1]) == 0:
                raise PolicyError(f"{label}: division by zero in {value!r}")
            return Fraction(text)
    raise PolicyError(f"{label} must be a whole number or a text such as '0.5' or '1/25', got {value!r}")


def policy_from_data(data: object) -> Policy:
    """Build a Policy from untrusted plain data (e.g. read from the project document).

    Expected shape (see policy_to_data): {"version": 1, "buckets": [{"name", "percent", "rule"}, ...],
    "weights": [{"action", "unit", "weight"}, ...], "ack_factor_min": 50, "ack_factor_max": 150}.
    Weights are whole numbers or texts such as "0.5" or "1/25" (never floats). Unknown fields are refused,
    since a field this version does not know could change the result.
    """
    if not isinstance(data, Mapping):
        raise PolicyError("a policy must be a mapping of fields")
    unknown = sorted(str(k) for k in data if k not in _POLICY_KEYS)
    if unknown:
        raise PolicyError(f"unknown policy field(s): {', '.join(unknown)}")
    for key in ("version", "buckets"):
        if key not in data:
            raise PolicyError(f"a policy needs {key!r}")
    raw_buckets = data["buckets"]
    if not isinstance(raw_buckets, list | tuple):
        raise PolicyError("'buckets' must be a list")
    if len(raw_buckets) > MAX_BUCKETS:
        raise PolicyError(f"at most {MAX_BUCKETS} buckets, got {len(raw_buckets)}")
    buckets: list[Bucket] = []
    for number, raw in enumerate(raw_buckets, 1):
        if not isinstance(raw, Mapping) or set(raw) != {"name", "percent", "rule"}:
            raise PolicyError(f"bucket {number} must have exactly the fields name, percent and rule")
        name = _name(raw["name"], f"bucket {number}'s name")
        buckets.append(Bucket(name, raw["percent"], raw["rule"]))
    raw_weights = data.get("weights", [])
    if not isinstance(raw_weights, list | tuple):
        raise PolicyError("'weights' must be a list")
    if len(raw_weights) > MAX_WEIGHTS:
        raise PolicyError(f"at most {MAX_WEIGHTS} weights, got {len(raw_weights)}")
    weights: list[Weight] = []
    for number, raw in enumerate(raw_weights, 1):
        if not isinstance(raw, Mapping) or set(raw) != {"action", "unit", "weight"}:
            raise PolicyError(f"weight {number} must have exactly the fields action, unit and weight")
        action, unit = raw["action"], raw["unit"]
        if not isinstance(action, str) or not isinstance(unit, str):
            raise PolicyError(f"weight {number}: action and unit must be text")
        weights.append(Weight(action, unit, _parse_weight(raw["weight"], f"weight for {action}/{unit}")))
    return Policy(
        version=data["version"],
        buckets=tuple(buckets),
        weights=tuple(weights),
        ack_factor_min=data.get("ack_factor_min", 50),
        ack_factor_max=data.get("ack_factor_max", 150),
    )


def policy_to_data(policy: Policy) -> dict[str, Any]:
    """Plain data for storage; weights are ints, or texts such as '1/25' when not whole."""
    return {
        "version": policy.version,
        "buckets": [{"name": b.name, "percent": b.percent, "rule": b.rule.value} for b in policy.buckets],
        "weights": [
            {
                "action": str(w.action),
                "unit": w.unit,
                "weight": w.weight.numerator if w.weight.denominator == 1 else str(w.weight),
            }
            for w in policy.weights
        ],
        "ack_factor_min": policy.ack_factor_min,
        "ack_factor_max": policy.ack_factor_max,
    }


# ----------------------------------------------------------------------------------------- arithmetic


def largest_remainder(total: int, shares: Sequence[tuple[str, Fraction | int]]) -> dict[str, int]:
    """Split `total` in proportion to `shares` so that the parts sum exactly to `total`.

    Each key gets the whole part of its exact share; the units left over go one each to the largest
    remainders. Ties go to the key listed first, so callers list keys in a deterministic order (member ids
    sorted). Keys with a zero share get nothing.
    """
    if not is_int(total) or total < 0:
        raise ValueError(f"the total must be a non-negative integer, got {total!r}")
    keys = [key for key, _ in shares]
    if len(set(keys)) != len(keys):
        raise ValueError("largest_remainder: a key appears twice")
    weights = [Fraction(weight) for _, weight in shares]
    if any(w < 0 for w in weights):
        raise ValueError("largest_remainder: shares must not be negative")
    whole = sum(weights, Fraction(0))
    if whole == 0:
        if total:
            raise ValueError("largest_remainder: nothing to divide by (all shares are zero)")
        return dict.fromkeys(keys, 0)
    exact = [total * w / whole for w in weights]
    parts = [e.numerator // e.denominator for e in exact]
    left = total - sum(parts)
    ranking = sorted(range(len(keys)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in ranking[:left]:
        parts[i] += 1
    return dict(zip(keys, parts, strict=True))


def acknowledgement_factors(
    entries: Iterable[Entry], acknowledgements: Iterable[Acknowledgement], policy: Policy
) -> dict[str, Fraction]:
    """Contribution id -> acknowledgement factor (Fraction; 1 means 100 %), for contributions that have any.

    Each member's latest acknowledgement of an entry counts (by time, then id); acknowledgements of one's own
    entry (as its member or author) and of anything but a contribution are ignored. Every factor is clamped to
    the policy's bounds and the factor of the entry is their mean. Without acknowledgements it is 100 %.
    """
    index = index_entries(entries)
    by_id: dict[str, Acknowledgement] = {}
    for ack in acknowledgements:
        seen = by_id.get(ack.id)
        if seen is not None and seen != ack:
            raise LedgerError(f"two different acknowledgements share the id {ack.id}")
        by_id[ack.id] = ack
    latest: dict[tuple[str, str], Acknowledgement] = {}
    for ack in by_id.values():
        target = index.get(ack.entry_id)
        if target is None or target.kind is not EntryKind.CONTRIBUTION:
            continue
        if ack.by in (target.member, target.author):
            continue
        key = (ack.entry_id, ack.by)
        best = latest.get(key)
        if best is None or (parse_instant(ack.at), ack.id) > (parse_instant(best.at), best.id):
            latest[key] = ack
    factors: dict[str, list[int]] = defaultdict(list)
    for (entry_id, _), ack in latest.items():
        factors[entry_id].append(min(max(ack.factor_pct, policy.ack_factor_min), policy.ack_factor_max))
    return {eid: Fraction(sum(factors[eid]), 100 * len(factors[eid])) for eid in sorted(factors)}


def net_revenue(entries: Iterable[Entry], unit: str, period_from: str, period_to: str) -> int:
    """Revenues minus expenses in `unit` over [from, to], reversed entries left out (a pool suggestion)."""
    start, stop = parse_period(period_from, period_to)
    index = index_entries(entries)
    cancelled = effective_reversals(index.values())
    total = 0
    for entry in index.values():
        if entry.unit != unit or entry.id in cancelled or not start <= entry.instant < stop:
            continue
        if entry.kind is EntryKind.REVENUE:
            total += entry.amount
        elif entry.kind is EntryKind.EXPENSE:
            total -= entry.amount
    return total


# ----------------------------------------------------------------------------------------- distribution


@dataclass(frozen=True)
class NotesWhy:
    """What a distribution's notes say, as data: each reader words them in their own language
    (`distribution_notes`); the stored `notes` are the author's sentences, shown when this is absent."""

    reserve_bucket: tuple[str, int, int] | None  # (name, percent, amount) of the reserve bucket, if any
    kept_equal: int  # the equal bucket, kept when there is nobody to share it
    kept_contribution: int  # the contribution bucket, kept when nobody has weighted points
    total_points: Fraction


@dataclass(frozen=True)
class Distribution:
    """A computed (or recorded) dividend: who gets what, and what it was computed from.

    `lines` has one PayoutLine per member (zero payouts included), sorted by member; `reserve` is what
    stays with the project. `heads` are the document heads the inputs were read at, `policy_version` the
    policy used. `notes` explain the reserve and anything left out; like the explanations they are text for
    people and are not compared by verify_distribution.
    """

    pool: int
    unit: str
    period_from: str
    period_to: str
    policy_version: int
    heads: tuple[str, ...]
    reserve: int
    lines: tuple[PayoutLine, ...]
    notes: tuple[str, ...] = ()
    why: NotesWhy | None = None

    def __post_init__(self) -> None:
        check_amount(self.pool, "the pool", minimum=0)
        check_unit(self.unit, "the pool's unit")
        parse_period(self.period_from, self.period_to)
        if not is_int(self.policy_version) or self.policy_version < 0:
            raise LedgerError(f"the policy version must be a whole number, got {self.policy_version!r}")
        heads = tuple(self.heads)
        if len(heads) > MAX_HEADS or not all(isinstance(h, str) and 0 < len(h) <= MAX_ID for h in heads):
            raise LedgerError("the heads must be a list of document head hashes")
        object.__setattr__(self, "heads", tuple(sorted(set(heads))))
        check_amount(self.reserve, "the reserve", minimum=0)
        lines = tuple(self.lines)
        if len(lines) > MAX_LINES or not all(isinstance(x, PayoutLine) for x in lines):
            raise LedgerError("the payout lines must be PayoutLine values")
        members = [x.member for x in lines]
        if len(set(members)) != len(members):
            raise LedgerError("a member appears twice in the payout lines")
        object.__setattr__(self, "lines", tuple(sorted(lines, key=lambda x: x.member)))
        notes = tuple(self.notes)
        if not all(isinstance(n, str) and len(n) <= MAX_NOTE for n in notes):
            raise LedgerError("notes must be short texts")
        object.__setattr__(self, "notes", notes)

    @property
    def payouts(self) -> dict[str, int]:
        """member -> amount, sorted by member."""
        return {line.member: line.amount for line in self.lines}

    @property
    def paid_out(self) -> int:
        return sum(line.amount for line in self.lines)


@dataclass
class _Share:
    equal: int = 0
    contribution: int = 0
    points: Fraction = Fraction(0)
    # (action, unit) -> [raw amount, points, weight]
    counted: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    unweighted: dict[tuple[str, str], int] = field(default_factory=dict)


def _check_members(members: Iterable[str]) -> list[str]:
    unique: set[str] = set()
    for member in members:
        unique.add(check_account_name(member, "a member"))
        if len(unique) > MAX_MEMBERS:
            raise LedgerError(f"more than {MAX_MEMBERS} members")
    return sorted(unique)


def compute_dividend(
    entries: Iterable[Entry],
    acknowledgements: Iterable[Acknowledgement],
    members: Iterable[str],
    policy: Policy,
    period_from: str,
    period_to: str,
    pool: int,
    *,
    unit: str = "EUR",
    heads: Iterable[str] = (),
    lang: str = "en",
    names: Mapping[str, str] | None = None,
) -> Distribution:
    """Share `pool` (minor units of `unit`) among `members` for the period [from, to] under `policy`.

    1. The pool is split between the policy's buckets by their percentages (largest remainder).
    2. The equal bucket is split equally among the members (ties: member id order).
    3. The contribution bucket is split in proportion to each member's points: the sum, over their
       contributions dated in the period and not reversed, of amount x weight(action, unit) x acknowledgement
       factor (largest remainder, ties: member id order).
    4. The reserve bucket, and any bucket nobody can receive (no members, no weighted contribution), stay in
       the reserve. Payouts plus reserve equal the pool exactly.
    Contributions of people not in `members` are not counted. `lang` ('en' or 'fr') and `names` (member id ->
    display name) only change the explanation texts.
    """
    check_lang(lang)
    check_amount(pool, "the pool", minimum=0)
    unit = check_unit(unit, "the pool's unit")
    start, stop = parse_period(period_from, period_to)
    people = _check_members(members)
    member_set = set(people)
    index = index_entries(entries)
    cancelled = effective_reversals(index.values())
    factors = acknowledgement_factors(index.values(), acknowledgements, policy)

    shares = {m: _Share() for m in people}
    for entry in index.values():
        if (
            entry.kind is not EntryKind.CONTRIBUTION
            or entry.id in cancelled
            or entry.member not in member_set
        ):
            continue
        if not start <= entry.instant < stop:
            continue
        share = shares[entry.member]
        key = (str(entry.action), entry.unit)
        weight = policy.weight(entry.action, entry.unit)
        if weight == 0:
            share.unweighted[key] = share.unweighted.get(key, 0) + entry.amount
            continue
        points = entry.amount * weight * factors.get(entry.id, Fraction(1))
        share.points += points
        cell = share.counted.setdefault(key, [0, Fraction(0), weight])
        cell[0] += entry.amount
        cell[1] += points

    # 1. buckets
    by_bucket = largest_remainder(pool, [(b.rule.value, b.percent) for b in policy.buckets])
    reserve = by_bucket.get(Rule.RESERVE.value, 0)
    equal_total = by_bucket.get(Rule.EQUAL.value, 0)
    contribution_total = by_bucket.get(Rule.CONTRIBUTION.value, 0)
    kept_equal = kept_contribution = 0
    # 2. equal base
    if people:
        for member, amount in largest_remainder(equal_total, [(m, 1) for m in people]).items():
            shares[member].equal = amount
    else:
        kept_equal = equal_total
    # 3. by contribution
    total_points = sum((s.points for s in shares.values()), Fraction(0))
    if total_points > 0:
        weighted = [(m, shares[m].points) for m in people if shares[m].points > 0]
        for member, amount in largest_remainder(contribution_total, weighted).items():
            shares[member].contribution = amount
    else:
        kept_contribution = contribution_total
    reserve += kept_equal + kept_contribution

    equal_bucket = policy.bucket(Rule.EQUAL)
    contribution_bucket = policy.bucket(Rule.CONTRIBUTION)
    shares_by_contribution = contribution_bucket is not None and contribution_bucket.percent > 0
    lines: list[PayoutLine] = []
    for member in people:
        share = shares[member]
        why = PayoutWhy(
            equal=(
                (share.equal, equal_total, len(people))
                if equal_bucket is not None and equal_bucket.percent > 0
                else None
            ),
            contribution=share.contribution,
            points=share.points,
            total_points=total_points,
            counted=tuple(
                Quantity(a, u, raw, points / (raw * weight))
                for (a, u), (raw, points, weight) in _sorted_cells(share.counted)
            ),
            unweighted=tuple(Quantity(a, u, q) for (a, u), q in _sorted_cells(share.unweighted)),
            no_weighted=share.points == 0 and shares_by_contribution,
        )
        amount = share.equal + share.contribution
        text = _line_text(member, amount, why, pool, unit, lang, names)
        lines.append(PayoutLine(member, amount, text, why))

    reserve_bucket = policy.bucket(Rule.RESERVE)
    notes_why = NotesWhy(
        reserve_bucket=(
            (reserve_bucket.name, reserve_bucket.percent, by_bucket[Rule.RESERVE.value])
            if reserve_bucket is not None and reserve_bucket.percent > 0
            else None
        ),
        kept_equal=kept_equal,
        kept_contribution=kept_contribution,
        total_points=total_points,
    )
    notes = _notes_text(notes_why, pool, unit, reserve, policy.version, lang)
    return Distribution(
        pool=pool,
        unit=unit,
        period_from=period_from,
        period_to=period_to,
        policy_version=policy.version,
        heads=tuple(heads),
        reserve=reserve,
        lines=tuple(lines),
        notes=notes,
        why=notes_why,
    )


def _sorted_cells(cells: Mapping[tuple[str, str], Any]) -> list[tuple[tuple[str, str], Any]]:
    items = list(cells.items())
    return sorted(items, key=lambda kv: (_ACTION_ORDER.index(kv[0][0]), kv[0][1]))


def _quantity(q: Quantity, lang: str) -> str:
    return t(
        "dividend.quantity",
        lang,
        action=action_label(q.action, lang),
        amount=format_amount(q.amount, q.unit, lang),
    )


def _line_text(
    member: str,
    amount: int,
    why: PayoutWhy,
    pool: int,
    unit: str,
    lang: str,
    names: Mapping[str, str] | None,
) -> str:
    def fmt(value: int) -> str:
        return format_amount(value, unit, lang)

    parts: list[str] = []
    if why.equal is not None:
        share, bucket, members = why.equal
        parts.append(t("dividend.equal", lang, amount=fmt(share), members=members, bucket=fmt(bucket)))
    if why.points > 0:
        details = []
        for q in why.counted:
            detail = _quantity(q, lang)
            if q.factor != 1:
                detail = t(
                    "dividend.acknowledged",
                    lang,
                    quantity=detail,
                    percent=format_points(q.factor * 100, lang),
                )
            details.append(detail)
        parts.append(
            t(
                "dividend.by_contribution",
                lang,
                amount=fmt(why.contribution),
                points=format_points(why.points, lang),
                total=format_points(why.total_points, lang),
                details=", ".join(details),
            )
        )
    body = " + ".join(parts) or t("dividend.no_share", lang)
    if why.no_weighted:
        body += t("dividend.no_weighted", lang)
    if why.unweighted:
        body += t(
            "dividend.unweighted", lang, quantities=", ".join(_quantity(q, lang) for q in why.unweighted)
        )
    who = (names or {}).get(member, member)
    text = t("dividend.line", lang, who=who, amount=fmt(amount), pool=fmt(pool), body=body)
    return text if len(text) <= MAX_EXPLANATION else text[: MAX_EXPLANATION - 1] + "…"


def _notes_text(
    why: NotesWhy, pool: int, unit: str, reserve: int, version: int, lang: str
) -> tuple[str, ...]:
    def fmt(amount: int) -> str:
        return format_amount(amount, unit, lang)

    parts: list[str] = []
    if why.reserve_bucket is not None:
        name, percent, amount = why.reserve_bucket
        parts.append(t("dividend.note.bucket", lang, amount=fmt(amount), name=name, percent=percent))
    if why.kept_equal:
        parts.append(t("dividend.note.kept_equal", lang, amount=fmt(why.kept_equal)))
    if why.kept_contribution:
        parts.append(t("dividend.note.kept_contribution", lang, amount=fmt(why.kept_contribution)))
    detail = " + ".join(parts) or t("dividend.note.nothing", lang)
    return (
        t("dividend.note.reserve", lang, reserve=fmt(reserve), pool=fmt(pool), detail=detail),
        t("dividend.note.policy", lang, version=version, points=format_points(why.total_points, lang)),
    )


def explain_line(
    line: PayoutLine, dist: Distribution, lang: str, names: Mapping[str, str] | None = None
) -> str:
    """A payout line's explanation in `lang`, with the reader's `names` for members: worded from its data
    when it has some, else its stored sentence as is (lines written before the data existed)."""
    if line.why is None:
        return line.explanation
    return _line_text(line.member, line.amount, line.why, dist.pool, dist.unit, lang, names)


def distribution_notes(dist: Distribution, lang: str) -> tuple[str, ...]:
    """The notes of a distribution in `lang`; its stored sentences when it has no data for them."""
    if dist.why is None:
        return dist.notes
    return _notes_text(dist.why, dist.pool, dist.unit, dist.reserve, dist.policy_version, lang)


# ----------------------------------------------------------------------------------------- verification


def recompute_distribution(
    recorded: Distribution,
    entries: Iterable[Entry],
    acknowledgements: Iterable[Acknowledgement],
    members: Iterable[str],
    policy: Policy,
    *,
    lang: str = "en",
    names: Mapping[str, str] | None = None,
) -> Distribution:
    """Compute again what `recorded` claims, from the inputs read at `recorded.heads` and the policy of
    version `recorded.policy_version`; compare the two with verify_distribution."""
    return compute_dividend(
        entries,
        acknowledgements,
        members,
        policy,
        recorded.period_from,
        recorded.period_to,
        recorded.pool,
        unit=recorded.unit,
        heads=recorded.heads,
        lang=lang,
        names=names,
    )


def verify_distribution(recorded: Distribution, recomputed: Distribution, lang: str = "en") -> list[str]:
    """The differences between a recorded distribution and its recomputation; an empty list confirms it.

    Amounts, reserve, pool, unit, period, policy version and heads are compared; explanations and notes are
    not (they depend on the language).
    """
    check_lang(lang)
    out: list[str] = []

    def differ(label: str, a: object, b: object) -> None:
        if a != b:
            out.append(t("dividend.verify.differs", lang, what=label, recorded=a, recomputed=b))

    def field(name: str) -> str:
        return t(f"dividend.verify.{name}", lang)

    differ(field("policy_version"), recorded.policy_version, recomputed.policy_version)
    differ(field("unit"), recorded.unit, recomputed.unit)
    differ(field("pool"), group(recorded.pool, lang), group(recomputed.pool, lang))
    differ(field("period_from"), recorded.period_from, recomputed.period_from)
    differ(field("period_to"), recorded.period_to, recomputed.period_to)
    differ(field("heads"), ", ".join(recorded.heads), ", ".join(recomputed.heads))
    total = recorded.paid_out + recorded.reserve
    if total != recorded.pool:
        out.append(t("dividend.verify.sum", lang, total=group(total, lang), pool=group(recorded.pool, lang)))
    differ(field("reserve"), group(recorded.reserve, lang), group(recomputed.reserve, lang))
    mine, theirs = recorded.payouts, recomputed.payouts
    none = field("none")
    for member in sorted(set(mine) | set(theirs)):
        a = group(mine[member], lang) if member in mine else none
        b = group(theirs[member], lang) if member in theirs else none
        differ(member, a, b)
    return out


# ----------------------------------------------------------------------------------------- storage


def distribution_to_data(dist: Distribution) -> dict[str, Any]:
    return {
        "pool": dist.pool,
        "unit": dist.unit,
        "period_from": dist.period_from,
        "period_to": dist.period_to,
        "policy_version": dist.policy_version,
        "heads": list(dist.heads),
        "reserve": dist.reserve,
        "lines": payout_lines_to_data(dist.lines),
        "notes": list(dist.notes),
        **({"notes_why": notes_why_to_data(dist.why)} if dist.why is not None else {}),
    }


def notes_why_to_data(why: NotesWhy) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kept_equal": why.kept_equal,
        "kept_contribution": why.kept_contribution,
        "total_points": fraction_to_data(why.total_points),
    }
    if why.reserve_bucket is not None:
        data["reserve_bucket"] = list(why.reserve_bucket)
    return data


def notes_why_from_data(raw: object) -> NotesWhy | None:
    """The data of a distribution's notes from untrusted data; None when absent or unreadable (the stored
    sentences are shown then)."""
    if not isinstance(raw, Mapping):
        return None
    try:
        bucket_raw = raw.get("reserve_bucket")
        bucket: tuple[str, int, int] | None = None
        if bucket_raw is not None:
            if not isinstance(bucket_raw, list | tuple) or len(bucket_raw) != 3:
                raise ValueError("not a bucket")
            name, percent, amount = bucket_raw
            if not is_int(percent) or not 0 <= percent <= 100:
                raise ValueError("not a percent")
            bucket = (_name(name, "a bucket's name"), percent, check_amount(amount, "an amount", minimum=0))
        return NotesWhy(
            reserve_bucket=bucket,
            kept_equal=check_amount(raw.get("kept_equal"), "an amount", minimum=0),
            kept_contribution=check_amount(raw.get("kept_contribution"), "an amount", minimum=0),
            total_points=fraction_from_data(raw.get("total_points")),
        )
    except (ValueError, ModelError):
        return None


def distribution_from_data(data: object) -> Distribution:
    """Build a Distribution from untrusted plain data; wrong shapes raise LedgerError."""
    if not isinstance(data, Mapping):
        raise LedgerError("a distribution must be a mapping")
    for key in ("pool", "unit", "period_from", "period_to", "policy_version", "heads", "reserve", "lines"):
        if key not in data:
            raise LedgerError(f"a distribution needs {key!r}")
    heads, notes = data["heads"], data.get("notes") or []
    if not isinstance(heads, list | tuple) or not isinstance(notes, list | tuple):
        raise LedgerError("a distribution's heads and notes must be lists")
    lines = payout_lines_from_data(data["lines"], "a distribution")
    return Distribution(
        pool=data["pool"],
        unit=data["unit"],
        period_from=data["period_from"],
        period_to=data["period_to"],
        policy_version=data["policy_version"],
        heads=tuple(heads),
        reserve=data["reserve"],
        lines=lines,
        notes=tuple(notes),
        why=notes_why_from_data(data.get("notes_why")),
    )


def distribution_entry(dist: Distribution, *, id: str, author: str, at: str, note: str = "") -> Entry:
    """The ledger entry that pays a distribution out: each member +payout, project -(sum of payouts).
    The reserve stays on the project account."""
    return Entry(
        id=id,
        kind=EntryKind.DISTRIBUTION,
        author=author,
        amount=dist.paid_out,
        unit=dist.unit,
        at=at,
        note=note or f"dividend {dist.period_from} … {dist.period_to}, policy v{dist.policy_version}",
        lines=dist.lines,
    )
