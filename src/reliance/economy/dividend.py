"""The contributive dividend: sharing a pool among members according to a policy that is data.

A policy splits the pool into buckets (reserve / equal base / by contribution) by percentages, and weighs
each contribution by its action and unit. Nothing is ever evaluated: the formula is fixed (docs/dividend.md)
and only its numbers come from the project. Money paths use int and fractions.Fraction, never float;
largest-remainder rounding makes the payouts and the reserve sum exactly to the pool; every result is a
function of the *sets* of entries, acknowledgements and members, whatever their order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from reliance.economy.checks import (
    MAX_ID,
    MAX_LINES,
    MAX_NOTE,
    LedgerError,
    check_account_name,
    check_amount,
    check_unit,
    is_int,
    parse_instant,
    parse_period,
    what,
)
from reliance.economy.entries import Acknowledgement, Entry, EntryKind, PayoutLine, PayoutWhy, Quantity
from reliance.economy.explain import NotesWhy, line_text, notes_text
from reliance.economy.format import check_lang, group
from reliance.economy.ledger import effective_reversals, index_entries
from reliance.economy.ledger_data import (
    fraction_from_data,
    fraction_to_data,
    payout_lines_from_data,
    payout_lines_to_data,
)
from reliance.economy.policy import ACTION_ORDER, Policy, Rule, check_name
from reliance.errors import ModelError
from reliance.i18n import phrase, t

MAX_MEMBERS = 10_000
MAX_HEADS = 1_000


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
            raise LedgerError("dividend.error.ack_id_shared", id=ack.id)
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
        check_amount(self.pool, what("pool"), minimum=0)
        check_unit(self.unit, what("pool_unit"))
        parse_period(self.period_from, self.period_to)
        if not is_int(self.policy_version) or self.policy_version < 0:
            raise LedgerError("dividend.error.version", value=self.policy_version)
        heads = tuple(self.heads)
        if len(heads) > MAX_HEADS or not all(isinstance(h, str) and 0 < len(h) <= MAX_ID for h in heads):
            raise LedgerError("dividend.error.heads")
        object.__setattr__(self, "heads", tuple(sorted(set(heads))))
        check_amount(self.reserve, what("reserve"), minimum=0)
        lines = tuple(self.lines)
        if len(lines) > MAX_LINES or not all(isinstance(x, PayoutLine) for x in lines):
            raise LedgerError("dividend.error.lines")
        members = [x.member for x in lines]
        if len(set(members)) != len(members):
            raise LedgerError("dividend.error.member_twice")
        object.__setattr__(self, "lines", tuple(sorted(lines, key=lambda x: x.member)))
        notes = tuple(self.notes)
        if not all(isinstance(n, str) and len(n) <= MAX_NOTE for n in notes):
            raise LedgerError("dividend.error.notes")
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
        unique.add(check_account_name(member, what("a_member")))
        if len(unique) > MAX_MEMBERS:
            raise LedgerError("dividend.error.too_many_members", max=MAX_MEMBERS)
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
    check_amount(pool, what("pool"), minimum=0)
    unit = check_unit(unit, what("pool_unit"))
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
        text = line_text(member, amount, why, pool, unit, lang, names)
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
    notes = notes_text(notes_why, pool, unit, reserve, policy.version, lang)
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
    return sorted(items, key=lambda kv: (ACTION_ORDER.index(kv[0][0]), kv[0][1]))


def explain_line(
    line: PayoutLine, dist: Distribution, lang: str, names: Mapping[str, str] | None = None
) -> str:
    """A payout line's explanation in `lang`, with the reader's `names` for members: worded from its data
    when it has some, else its stored sentence as is (lines written before the data existed)."""
    if line.why is None:
        return line.explanation
    return line_text(line.member, line.amount, line.why, dist.pool, dist.unit, lang, names)


def distribution_notes(dist: Distribution, lang: str) -> tuple[str, ...]:
    """The notes of a distribution in `lang`; its stored sentences when it has no data for them."""
    if dist.why is None:
        return dist.notes
    return notes_text(dist.why, dist.pool, dist.unit, dist.reserve, dist.policy_version, lang)


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
            bucket = (
                check_name(name, phrase("dividend.policy.bucket_name")),
                percent,
                check_amount(amount, what("an_amount"), minimum=0),
            )
        return NotesWhy(
            reserve_bucket=bucket,
            kept_equal=check_amount(raw.get("kept_equal"), what("an_amount"), minimum=0),
            kept_contribution=check_amount(raw.get("kept_contribution"), what("an_amount"), minimum=0),
            total_points=fraction_from_data(raw.get("total_points")),
        )
    except (ValueError, ModelError):
        return None


def distribution_from_data(data: object) -> Distribution:
    """Build a Distribution from untrusted plain data; wrong shapes raise LedgerError."""
    if not isinstance(data, Mapping):
        raise LedgerError("ledger.error.not_mapping", what=what("a_distribution"))
    for key in ("pool", "unit", "period_from", "period_to", "policy_version", "heads", "reserve", "lines"):
        if key not in data:
            raise LedgerError("dividend.error.needs", name=key)
    heads, notes = data["heads"], data.get("notes") or []
    if not isinstance(heads, list | tuple) or not isinstance(notes, list | tuple):
        raise LedgerError("dividend.error.lists")
    lines = payout_lines_from_data(data["lines"], what("a_distribution"))
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
        note=note,  # the period and the policy are in the distribution record, as data: no sentence here
        lines=dist.lines,
    )
