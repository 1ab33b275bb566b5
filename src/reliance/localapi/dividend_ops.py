"""Local API operations of the contributive dividend (`reliance project dividend`): computed, and recorded
by a steward, by the owner of the home when one runs (else by the command, holding the home)."""

from __future__ import annotations

from typing import Any

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.economy import Distribution, format_amount
from reliance.errors import ModelError
from reliance.i18n import resolve_lang
from reliance.localapi.protocol import AMOUNT, READ, SHORT, WRITE, Operation, Outcome, Param


def _distribution(ws: Workspace, project: str, args: dict[str, Any]) -> Distribution:
    lang = resolve_lang(args["lang"])
    return projects.dividend(ws, project, args["start"], args["end"], args["pool"], args["unit"], lang)


def _result(ws: Workspace, dist: Distribution, dist_id: str | None) -> dict[str, Any]:
    lines = [
        {
            "member": line.member,
            "name": ws.participant_name(line.member),
            "amount": line.amount,
            "explanation": line.explanation,
        }
        for line in dist.lines
    ]
    return {
        "id": dist_id,
        "pool": dist.pool,
        "unit": dist.unit,
        "reserve": dist.reserve,
        "lines": lines,
        "policy_version": dist.policy_version,
        "notes": list(dist.notes),
    }


def dividend(ws: Workspace, args: dict[str, Any]) -> Outcome:
    """The distribution of a period, every payout explained in `lang`; nothing written."""
    return Outcome(_result(ws, _distribution(ws, args["project"], args), None))


def dividend_record(ws: Workspace, args: dict[str, Any]) -> Outcome:
    """Compute and record it (a steward); an empty pool only with `empty_ok`."""
    project_id = projects.resolve_project(ws, args["project"])  # a name is looked up once
    dist = _distribution(ws, project_id, args)
    if dist.pool == 0 and not args["empty_ok"]:
        pool = format_amount(0, args["unit"], resolve_lang(args["lang"]))
        raise ModelError("cli.dividend.empty_pool", pool=pool)
    dist_id = projects.record_distribution(ws, project_id, dist)
    return Outcome(_result(ws, dist, dist_id), (project_id,))


PERIOD = {
    "project": Param(str, required=True, most=SHORT),
    "start": Param(str, required=True, most=SHORT),
    "end": Param(str, required=True, most=SHORT),
    "pool": Param(int, most=AMOUNT),
    "unit": Param(str, required=True, most=SHORT),
    "lang": Param(str, required=True, most=SHORT),
}

DIVIDEND_OPERATIONS = [
    Operation("project.dividend", READ, dividend, PERIOD, doc="a period's contributive dividend"),
    Operation(
        "project.dividend_record",
        WRITE,
        dividend_record,
        {**PERIOD, "empty_ok": Param(bool, default=False)},
        doc="compute and record a period's contributive dividend (stewards)",
    ),
]
