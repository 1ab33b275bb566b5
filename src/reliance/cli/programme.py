"""The `programme` command: what happens day by day, with its time, place and places left."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from reliance.cli.context import Context, echo, emit_json, pass_ctx, say
from reliance.cli.items import places_left
from reliance.display import clean
from reliance.i18n import kind_short, t
from reliance.model.catalogue import ItemKind
from reliance.model.dates import describe_day, parse_when
from reliance.model.messages import InputError


@click.command("programme")
@click.option("--day", help="Only this day, as people write it: 14/07/2026, '14 juillet', samedi, demain.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (days, entries, undated events).")
@pass_ctx
def programme_cmd(ctx: Context, day: str | None, as_json: bool) -> None:
    """Events, and offers, needs and calls with a date, day by day, with their time and place."""
    lang = ctx.lang()
    chosen = ""
    if day is not None:
        try:
            chosen = parse_when(day, lang).day.isoformat()
        except InputError as error:
            raise InputError(error.key, field="day", **error.params) from None
    data = ctx.call("programme", start=chosen or None, end=chosen or None)
    if chosen:
        data["undated"] = []  # a day was asked for: events without one are not on it
    if as_json:
        emit_json(data)
        return
    if not data["days"] and not data["undated"]:
        echo(say("cli.programme.empty_day" if chosen else "cli.programme.empty"))
    for index, listed in enumerate(data["days"]):
        if index:
            echo()
        echo(describe_day(date.fromisoformat(listed["day"]), lang))
        for entry in listed["entries"]:
            echo("  " + _programme_line(entry, lang))
    if data["undated"]:
        if data["days"]:
            echo()
        echo(t("programme.no_date", lang))
        for entry in data["undated"]:
            echo("  " + _programme_line(entry, lang))


def _programme_line(entry: dict[str, Any], lang: str) -> str:
    """« 10:00–12:00  Atelier pain (Offre) · Fournil — Zoé »: the time on that day, what, where (and the
    places left, for an item with a capacity), who."""
    starts, ends = entry.get("starts_at"), entry.get("ends_at")
    if starts and ends:
        when = f"{starts}–{ends}"
    elif starts:
        when = starts
    elif ends:
        when = f"…–{ends}"
    elif "day" in entry or "starts_at" in entry:
        when = t("programme.all_day", lang)
    else:
        when = ""
    title = clean(entry["title"])
    if entry["kind"] != ItemKind.EVENT.value:
        title = t("cli.programme.with_kind", lang, title=title, kind=kind_short(str(entry["kind"]), lang))
    place = clean(entry.get("place") or "")
    who = clean(entry.get("author_name") or entry["author"][:14])
    what = f"{title} · {place}" if place else title
    places = places_left(entry["attendance"])
    if places:
        what += f"  [{places}]"
    return f"{when:11}  {what}  — {who}" if when else f"{what}  — {who}"


def register(cli: click.Group) -> None:
    cli.add_command(programme_cmd)
