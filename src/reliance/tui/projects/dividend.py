"""Store thread: the projects screen's dividend preview and the checks of recorded distributions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from reliance import economy
from reliance.app import projects as plib
from reliance.app.workspace import Workspace
from reliance.doc import project as pdoc
from reliance.errors import worded

ALL_TIME = "2000-01-01"


def dividend_preview(
    ws: Workspace, project_id: str, pool: int | None, lang: str
) -> tuple[economy.Distribution, bool]:
    """Store thread: the dividend of everything so far; the net revenue in EUR is the pool unless given.

    Returns the distribution and whether the pool is a stand-in (no revenue yet).
    """
    today = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    stand_in = False
    if pool is None:
        view = plib.ledger_view(plib.open_project(ws, project_id))
        pool = economy.net_revenue(view.entries, "EUR", ALL_TIME, today)
        if pool <= 0:
            pool, stand_in = 10_000, True
    return plib.dividend(ws, project_id, ALL_TIME, today, pool, "EUR", lang), stand_in


@dataclass(frozen=True)
class Extras:
    """What the balances tab shows besides balances: matrix, recorded distributions and their check."""

    matrix: dict[str, dict[str, int]]
    distributions: list[tuple[str, str, str, int, str, list[str]]]  # id, at, by, pool, unit, issues


def project_extras(ws: Workspace, project_id: str, lang: str) -> Extras:
    """Store thread: the wealth matrix and every recorded distribution, recomputed to check it."""
    matrix = plib.matrix(ws, project_id)
    recorded = pdoc.distributions(plib.open_project(ws, project_id).crdt)
    checked = []
    for dist_id, entry in sorted(recorded.items(), key=lambda kv: str(kv[1].get("at", ""))):
        try:
            issues = plib.verify_distribution(ws, project_id, dist_id, lang)
        except Exception as exc:  # a damaged record is reported, not fatal
            issues = [worded(exc, lang)]
        data = entry.get("data", {})
        checked.append(
            (
                dist_id,
                str(entry.get("at", "")),
                str(entry.get("by", "")),
                int(data.get("pool", 0)),
                str(data.get("unit", "")),
                issues,
            )
        )
    return Extras(matrix, checked)
