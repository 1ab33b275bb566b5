"""The ledger's values as plain data (str, int, list, dict, None) for the project document, and back from
untrusted data: every field is checked again when read, since a peer wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

from reliance.economy.checks import (
    MAX_DIMENSIONS,
    MAX_FACTOR_PCT,
    MAX_LINES,
    LedgerError,
    What,
    check_amount,
    check_unit,
    what,
)
from reliance.economy.entries import (
    ACTION_NAMES,
    Acknowledgement,
    Action,
    CreditLimit,
    Entry,
    PayoutLine,
    PayoutWhy,
    Quantity,
)


def _get(data: Mapping[str, Any], key: str, what: What) -> Any:
    if key not in data:
        raise LedgerError("ledger.error.missing_field", what=what, name=key)
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
        if not isinstance(cell, list | tuple) or len(cell) != 4 or cell[0] not in ACTION_NAMES:
            raise ValueError("not a quantity")
        factor = fraction_from_data(cell[3])
        if not 0 <= factor <= MAX_FACTOR_PCT:
            raise ValueError("factor out of range")
        out.append(
            Quantity(
                cell[0], check_unit(cell[1]), check_amount(cell[2], what("an_amount"), minimum=0), factor
            )
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
            share, bucket = (check_amount(v, what("an_amount"), minimum=0) for v in equal_raw[:2])
            members = check_amount(equal_raw[2], what("a_count"), minimum=1)
            if members > MAX_LINES:
                raise ValueError("too many members")
            equal = (share, bucket, members)
        no_weighted = raw.get("no_weighted", False)
        if not isinstance(no_weighted, bool):
            raise ValueError("not a flag")
        return PayoutWhy(
            equal=equal,
            contribution=check_amount(raw.get("contribution"), what("an_amount"), minimum=0),
            points=fraction_from_data(raw.get("points")),
            total_points=fraction_from_data(raw.get("total_points")),
            counted=_quantities_from_data(raw.get("counted", [])),
            unweighted=_quantities_from_data(raw.get("unweighted", [])),
            no_weighted=no_weighted,
        )
    except (ValueError, LedgerError):
        return None


def payout_lines_from_data(raw_lines: object, owner: What) -> tuple[PayoutLine, ...]:
    """Payout lines from untrusted plain data; `what` names their owner in the error messages."""
    if not isinstance(raw_lines, list | tuple):
        raise LedgerError("ledger.error.lines_not_list", what=owner)
    if len(raw_lines) > MAX_LINES:
        raise LedgerError("ledger.error.too_many_lines", what=owner, max=MAX_LINES)
    lines: list[PayoutLine] = []
    for raw in raw_lines:
        if not isinstance(raw, Mapping):
            raise LedgerError("ledger.error.line_not_mapping", what=owner)
        lines.append(
            PayoutLine(
                member=_get(raw, "member", owner),
                amount=_get(raw, "amount", owner),
                explanation=raw.get("explanation") or "",
                why=payout_why_from_data(raw.get("why")),
            )
        )
    return tuple(lines)


def entry_from_data(data: object) -> Entry:
    """Build and check an Entry from untrusted plain data. Unknown fields are ignored (newer peers may add
    some); wrong types raise LedgerError."""
    if not isinstance(data, Mapping):
        raise LedgerError("ledger.error.not_mapping", what=what("an_entry"))
    owner = what("entry_n", id=data.get("id", "?"))
    lines = payout_lines_from_data(data.get("lines") or [], owner)
    return Entry(
        id=_get(data, "id", what("an_entry")),
        kind=_get(data, "kind", owner),
        author=_get(data, "author", owner),
        member=data.get("member") or "",
        amount=_get(data, "amount", owner),
        unit=_get(data, "unit", owner),
        at=_get(data, "at", owner),
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
        raise LedgerError("ledger.error.not_mapping", what=what("an_acknowledgement"))
    owner = what("acknowledgement_n", id=data.get("id", "?"))
    return Acknowledgement(
        id=_get(data, "id", what("an_acknowledgement")),
        entry_id=_get(data, "entry_id", owner),
        by=_get(data, "by", owner),
        factor_pct=_get(data, "factor_pct", owner),
        at=_get(data, "at", owner),
    )


def credit_limit_to_data(limit: CreditLimit) -> dict[str, Any]:
    return {"member": limit.member, "unit": limit.unit, "floor": limit.floor}


def credit_limit_from_data(data: object) -> CreditLimit:
    if not isinstance(data, Mapping):
        raise LedgerError("ledger.error.not_mapping", what=what("a_credit_limit"))
    owner = what("a_credit_limit")
    return CreditLimit(
        member=_get(data, "member", owner), unit=_get(data, "unit", owner), floor=_get(data, "floor", owner)
    )
