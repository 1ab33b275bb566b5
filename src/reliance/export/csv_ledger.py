"""CSV export of one project's ledger, for a spreadsheet that opens it with a double click.

- UTF-8 with a byte order mark (without it, Excel reads UTF-8 as the machine's old code page);
- fields separated as the reader's spreadsheet expects: `;` in French (where `,` is the decimal point),
  `,` in English (catalogue entry `export.csv.delimiter`), or the one given (`--delimiter`);
- RFC 4180 otherwise: a header row, CRLF line ends, fields quoted as needed;
- `at_utc` is the entry's time in UTC as `2026-06-01 09:00:00`, which spreadsheets read as a date and time
  (ISO 8601 with its `T` and offset they keep as text); a time that cannot be read is given as written;
- `amount` stays an integer in minor units (cents, minutes), `amount_major` is the same amount in major
  units with the reader's decimal point (`50,00` / `50.00`), a number the spreadsheet can add up, and
  `amount_display` shows it with its unit (`50,00 EUR`);
- one row per ledger entry, in the ledger's causal order (`reliance.export.order`): a reversal comes after
  the entry it reverses even within one second;
- `not_counted` gives the reason an entry counts in no total (strong removal, docs/sync-protocol.md);
- text written by people (names, notes) that a spreadsheet would take for a formula (starting with =, +,
  -, @, tab or carriage return) is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from reliance.app import projects
from reliance.app.workspace import OnUnreadable, Workspace
from reliance.economy import PROJECT_ACCOUNT, format_amount
from reliance.economy.format import split_minor
from reliance.export.order import causal_key
from reliance.i18n import t
from reliance.model.messages import InputError, shown

COLUMNS = (
    "id",
    "at_utc",
    "kind",
    "action",
    "author",
    "author_name",
    "member",
    "member_name",
    "amount",
    "amount_major",
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
BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t"}
_NOT_DELIMITERS = "\"'\r\n"


def safe_text(value: str) -> str:
    """Text a spreadsheet will show as text, never evaluate."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_delimiter(text: str | None, lang: str) -> str:
    """The field separator: `text` (one character, or `tab`) when given, else the reader's language's."""
    if text is None:
        return t("export.csv.delimiter", lang)
    delimiter = _DELIMITER_NAMES.get(text.lower(), text)
    if len(delimiter) != 1 or delimiter.isalnum() or delimiter in _NOT_DELIMITERS:
        raise InputError("export.csv.bad_delimiter", field="delimiter", delimiter=shown(repr(text)))
    return delimiter


def spreadsheet_time(at: str) -> str:
    """`2026-06-01T09:00:00+00:00` as `2026-06-01 09:00:00` (UTC); text that is not a time as it is."""
    try:
        parsed = datetime.fromisoformat(at.strip().replace("Z", "+00:00"))
    except ValueError:
        return safe_text(at)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.strftime("%Y-%m-%d %H:%M:%S")


def major_units(amount: int, unit: str, lang: str) -> str:
    """Minor units as a plain number in major units, with the reader's decimal point: 5000 EUR -> 50,00."""
    sign, whole, minor = split_minor(amount, unit)
    return f"{sign}{whole}{t('number.point', lang) + minor if minor else ''}"


def export_csv(
    ws: Workspace,
    project_ref: str,
    on_unreadable: OnUnreadable | None = None,
    *,
    lang: str = "fr",
    delimiter: str | None = None,
) -> str:
    """The ledger of one project, for a reader of `lang` (see the module). A participant document that
    cannot be read leaves its name blank and is reported to `on_unreadable` (logged without one)."""
    from reliance.export.exporters import once_each

    separator = csv_delimiter(delimiter, lang)
    skip = once_each(on_unreadable)
    project_id = projects.resolve_project(ws, project_ref)
    names: dict[str, str] = {}

    def name(account: str | None) -> str:
        if not account:
            return ""
        if account == PROJECT_ACCOUNT:
            return t("export.csv.project_account", lang)
        if account not in names:
            names[account] = ws.participant_name(account, skip)
        return names[account]

    rows = projects.ledger(ws, project_id)
    position = causal_key(ws.repo.open(project_id).crdt)
    rows.sort(key=lambda row: position(row["id"], row["at"]))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for row in rows:
        dims = row.get("dimensions") or {}
        lines = row.get("lines") or []
        amount, unit = row["amount"], row["unit"]
        writer.writerow(
            [
                row["id"],
                spreadsheet_time(row["at"]),
                row["kind"],
                row.get("action", ""),
                row["author"],
                safe_text(name(row["author"])),
                row["member"],
                safe_text(name(row["member"])),
                amount,
                major_units(amount, unit, lang),
                unit,
                format_amount(amount, unit, lang),
                row.get("counterparty") or "",
                row.get("reverses") or "",
                row.get("reversed_by") or "",
                safe_text(row.get("note") or ""),
                ";".join(f"{k}={dims[k]}" for k in sorted(dims)),
                ";".join(f"{line['member']}={line['amount']}" for line in lines),
                row.get("not_counted") or "",
            ]
        )
    return BOM + out.getvalue()
