"""`reliance arrived`: what arrived since last looked at, as the app's Home shows it (app/arrivals.py)."""

from __future__ import annotations

from typing import Any

import click

from reliance.app.arrivals import Arrival, describe
from reliance.cli.context import Context, echo, emit_json, pass_ctx, say
from reliance.display import clean


def _arrival(data: dict[str, Any]) -> Arrival:
    return Arrival(
        str(data["kind"]),
        str(data["doc"]),
        str(data["key"]),
        str(data["at"]),
        {str(k): str(v) for k, v in data["params"].items()},
        str(data.get("item", "")),
        bool(data["read"]),
    )


@click.command("arrived")
@click.option("--all", "show_all", is_flag=True, help="Also what was already read (the latest kept).")
@click.option("--read", "mark_read", is_flag=True, help="Then mark everything read.")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@pass_ctx
def arrived_cmd(ctx: Context, show_all: bool, mark_read: bool, as_json: bool) -> None:
    """What arrived since you last looked: items, answers and replies to yours, ledger entries, amendments
    of codes you follow, projects you were added to. Unread ones are marked with a dot."""
    result = ctx.call("arrived", mark_read=mark_read)
    entries = [_arrival(e) for e in result["entries"]]
    shown = entries if show_all else [e for e in entries if not e.read]
    if as_json:
        emit_json({"new": result["new"], "entries": [e.to_json() for e in shown]})
        return
    if not shown:
        echo(say("cli.arrived.nothing"))
        return
    lang = ctx.lang()
    for entry in shown:
        mark = " " if entry.read else "●"
        when = clean(entry.at.replace("T", " ").rstrip("Z"))
        echo(f"{mark} {when}  {describe(entry.kind, entry.params, lang, clean)}")
    if mark_read:
        echo(say("cli.arrived.marked"))


def register(cli: click.Group) -> None:
    cli.add_command(arrived_cmd)
