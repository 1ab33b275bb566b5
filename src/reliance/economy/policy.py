"""The dividend's policy, which is data: how the pool is split into buckets (reserve / equal base / by
contribution) and how much each contribution weighs, by action and unit. Nothing in it is ever evaluated:
the formula is fixed (docs/dividend.md) and only its numbers come from the project.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any

from reliance.economy.checks import MAX_FACTOR_PCT, LedgerError, What, check_unit, is_int
from reliance.economy.entries import Action
from reliance.errors import ModelError
from reliance.i18n import Phrase, phrase

MAX_BUCKETS = 8
MAX_WEIGHTS = 256
MAX_NAME = 64
MAX_WEIGHT = 10**6
MAX_VERSION = 2**31 - 1
ANY_UNIT = "*"
"""In a weight, applies to every unit of the action that has no weight of its own."""


class PolicyError(ModelError):
    """A dividend policy that cannot be used, with the exact reason."""


class Rule(StrEnum):
    RESERVE = "reserve"
    EQUAL = "equal"
    CONTRIBUTION = "contribution"


RULE_ORDER = (Rule.RESERVE, Rule.EQUAL, Rule.CONTRIBUTION)
ACTION_ORDER = tuple(a.value for a in Action)


def check_name(value: object, what: What) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PolicyError("dividend.policy.no_name", what=what)
    if len(value) > MAX_NAME:
        raise PolicyError("ledger.error.too_long", what=what, limit=MAX_NAME)
    return value


@dataclass(frozen=True)
class Bucket:
    """A share of the pool, in whole percent, handed out by one rule."""

    name: str
    percent: int
    rule: Rule

    def __post_init__(self) -> None:
        check_name(self.name, phrase("dividend.policy.bucket_name"))
        try:
            object.__setattr__(self, "rule", Rule(self.rule))
        except ValueError:
            raise PolicyError("dividend.policy.unknown_rule", name=self.name, rule=self.rule) from None
        if not is_int(self.percent) or not 0 <= self.percent <= 100:
            raise PolicyError("dividend.policy.percent", name=self.name, value=self.percent)


@dataclass(frozen=True)
class Weight:
    """Points per minor unit for contributions with this action and unit (unit ANY_UNIT: any other unit)."""

    action: str
    unit: str
    weight: Fraction

    def __post_init__(self) -> None:
        if self.action not in ACTION_ORDER:
            known = ", ".join(ACTION_ORDER)
            raise PolicyError("dividend.policy.unknown_action", action=self.action, known=known)
        object.__setattr__(self, "action", Action(self.action))
        if self.unit != ANY_UNIT:
            try:
                check_unit(self.unit, phrase("dividend.policy.weight_unit", action=self.action))
            except LedgerError as exc:
                raise PolicyError(exc.key, field=exc.field, **exc.params) from None
        label = phrase("dividend.policy.weight_for", action=self.action, unit=self.unit)
        value = self.weight
        if is_int(value):
            value = Fraction(value)
        if not isinstance(value, Fraction):
            raise PolicyError("dividend.policy.weight_type", what=label, value=value)
        if value < 0 or value > MAX_WEIGHT:
            raise PolicyError("dividend.policy.weight_range", what=label, max=f"{MAX_WEIGHT:,}", value=value)
        if value.denominator > MAX_WEIGHT:
            raise PolicyError("dividend.policy.denominator", what=label, max=f"{MAX_WEIGHT:,}")
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
            raise PolicyError("dividend.policy.version", max=MAX_VERSION, value=self.version)
        buckets = tuple(self.buckets)
        if not buckets:
            raise PolicyError("dividend.policy.no_bucket")
        if len(buckets) > MAX_BUCKETS:
            raise PolicyError("dividend.policy.too_many_buckets", max=MAX_BUCKETS, count=len(buckets))
        names = [b.name for b in buckets]
        for name in names:
            if names.count(name) > 1:
                raise PolicyError("dividend.policy.bucket_twice", name=name)
        rules = [b.rule for b in buckets]
        for rule in rules:
            if rules.count(rule) > 1:
                raise PolicyError("dividend.policy.rule_twice", rule=rule.value)
        total = sum(b.percent for b in buckets)
        if total != 100:
            raise PolicyError("dividend.policy.sum", total=total)
        object.__setattr__(self, "buckets", tuple(sorted(buckets, key=lambda b: RULE_ORDER.index(b.rule))))
        weights = tuple(self.weights)
        if len(weights) > MAX_WEIGHTS:
            raise PolicyError("dividend.policy.too_many_weights", max=MAX_WEIGHTS, count=len(weights))
        keys = [(w.action, w.unit) for w in weights]
        for key in keys:
            if keys.count(key) > 1:
                raise PolicyError("dividend.policy.weight_twice", action=key[0], unit=key[1])
        object.__setattr__(self, "weights", tuple(sorted(weights, key=lambda w: (w.action, w.unit))))
        low, high = self.ack_factor_min, self.ack_factor_max
        if not is_int(low) or not is_int(high):
            raise PolicyError("dividend.policy.bounds_type")
        if not 0 <= low <= 100 <= high <= MAX_FACTOR_PCT:
            raise PolicyError("dividend.policy.bounds", max_factor=MAX_FACTOR_PCT, low=low, high=high)

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


def _parse_weight(value: object, label: Phrase) -> Fraction:
    if isinstance(value, bool | float):
        raise PolicyError("dividend.policy.weight_float", what=label, value=value)
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, str):
        text = value.strip()
        if _DECIMAL.fullmatch(text) or _RATIO.fullmatch(text):
            if _RATIO.fullmatch(text) and int(text.split("/")[1]) == 0:
                raise PolicyError("dividend.policy.division_by_zero", what=label, value=value)
            return Fraction(text)
    raise PolicyError("dividend.policy.weight_text", what=label, value=value)


def policy_from_data(data: object) -> Policy:
    """Build a Policy from untrusted plain data (e.g. read from the project document).

    Expected shape (see policy_to_data): {"version": 1, "buckets": [{"name", "percent", "rule"}, ...],
    "weights": [{"action", "unit", "weight"}, ...], "ack_factor_min": 50, "ack_factor_max": 150}.
    Weights are whole numbers or texts such as "0.5" or "1/25" (never floats). Unknown fields are refused,
    since a field this version does not know could change the result.
    """
    if not isinstance(data, Mapping):
        raise PolicyError("dividend.policy.not_mapping")
    unknown = sorted(str(k) for k in data if k not in _POLICY_KEYS)
    if unknown:
        raise PolicyError("dividend.policy.unknown_fields", fields=", ".join(unknown))
    for key in ("version", "buckets"):
        if key not in data:
            raise PolicyError("dividend.policy.needs", name=key)
    raw_buckets = data["buckets"]
    if not isinstance(raw_buckets, list | tuple):
        raise PolicyError("dividend.policy.not_list", name="buckets")
    if len(raw_buckets) > MAX_BUCKETS:
        raise PolicyError("dividend.policy.too_many_buckets", max=MAX_BUCKETS, count=len(raw_buckets))
    buckets: list[Bucket] = []
    for number, raw in enumerate(raw_buckets, 1):
        if not isinstance(raw, Mapping) or set(raw) != {"name", "percent", "rule"}:
            raise PolicyError("dividend.policy.bucket_fields", number=number)
        name = check_name(raw["name"], phrase("dividend.policy.bucket_n_name", number=number))
        buckets.append(Bucket(name, raw["percent"], raw["rule"]))
    raw_weights = data.get("weights", [])
    if not isinstance(raw_weights, list | tuple):
        raise PolicyError("dividend.policy.not_list", name="weights")
    if len(raw_weights) > MAX_WEIGHTS:
        raise PolicyError("dividend.policy.too_many_weights", max=MAX_WEIGHTS, count=len(raw_weights))
    weights: list[Weight] = []
    for number, raw in enumerate(raw_weights, 1):
        if not isinstance(raw, Mapping) or set(raw) != {"action", "unit", "weight"}:
            raise PolicyError("dividend.policy.weight_fields", number=number)
        action, unit = raw["action"], raw["unit"]
        if not isinstance(action, str) or not isinstance(unit, str):
            raise PolicyError("dividend.policy.weight_text_fields", number=number)
        weights.append(
            Weight(
                action,
                unit,
                _parse_weight(raw["weight"], phrase("dividend.policy.weight_for", action=action, unit=unit)),
            )
        )
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
