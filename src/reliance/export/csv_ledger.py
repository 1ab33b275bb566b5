"""CSV export of one project's ledger, for a spreadsheet (RFC 4180: header row, CRLF, quoted as needed).

One row per ledger entry, oldest first (by time, then id); `not_counted` gives the reason an entry counts in
no total (strong removal, docs/sync-protocol.md), empty for the others. Amounts stay integers in minor units
(`amount`); `amount_display` shows them for people (`31.07 EUR`). Text written by people (names, notes)
that a spreadsheet would take for a formula (starting with =, +, -, @, tab or carriage return) is prefixed
with an apostrophe.
"""

from __future__ import annotations

import csv
import io

from reliance.app import projects
from reliance.app.workspace import OnUnreadable, Workspace
from reliance.economy import PROJECT_ACCOUNT, format_amount

COLUMNS = (
    "id",
    "at",
    "kind",
    "action",
    "author",
    "author_name",
    "member",
    "member_name",
    "amount",
    "unit",
    "amount_display",
    "counterparty",
    "reverses",
    "reversed_by",
    "note",
    "dimensions",
    "lines",
    "not_counted",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Text a spreadsheet will show as text, never evaluate."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def export_csv(ws: Workspace, project_ref: str, on_unreadable: OnUnreadable | None = None) -> str:
    """The ledger of one project. A participant document that cannot be read leaves its name blank and
    is reported to `on_unreadable` (logged without one)."""
    from reliance.export.exporters import once_each

    skip = once_each(on_unreadable)
    project_id = projects.resolve_project(ws, project_ref)
    names: dict[str, str] = {}

    def name(account: str | None) -> str:
        if not account:
            return ""
        if account == PROJECT_ACCOUNT:
            return "project"
        if account not in names:
            names[account] = ws.participant_name(account, skip)
        return names[account]

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for row in projects.ledger(ws, project_id):
        dims = row.get("dimensions") or {}
        lines = row.get("lines") or []
        writer.writerow(
            [
                row["id"],
                row["at"],
                row["kind"],
                row.get("action", ""),
                row["author"],
                safe_text(name(row["author"])),
                row["member"],
                safe_text(name(row["member"])),
                row["amount"],
                row["unit"],
                format_amount(row["amount"], row["unit"]),
                row.get("counterparty") or "",
                row.get("reverses") or "",
                row.get("reversed_by") or "",
                safe_text(row.get("note") or ""),
                ";".join(f"{k}={dims[k]}" for k in sorted(dims)),
                ";".join(f"{line['member']}={line['amount']}" for line in lines),
                row.get("not_counted") or "",
            ]
        )
    return out.getvalue()
