"""Turning model objects into text for people, in French or English."""

from __future__ import annotations

from datetime import date, datetime

from rich.text import Text

from reliance.display import clean
from reliance.i18n import answer_label, kind_label, reciprocity_label, status_label, t
from reliance.model.catalogue import AnswerKind, Item, ItemKind, Status
from reliance.model.rsvp import attendance_text
from reliance.tui.common.data import AppData, FeedEntry, short_id

KIND_STYLE = {
    ItemKind.OFFER: "green",
    ItemKind.NEED: "yellow",
    ItemKind.CALL: "magenta",
    ItemKind.EVENT: "cyan",
    ItemKind.SEED: "blue",
}
FEED_ICONS = {
    "item_new": ("＋", "green"),
    "item_update": ("✎", "cyan"),
    "answer": ("↩", "magenta"),
    "reply": ("↪", "magenta"),
    "ledger": ("€", "yellow"),
    "amend": ("§", "blue"),
    "peer_new": ("☺", "green"),
    "project_new": ("◆", "green"),
    "peer": ("⇄", "cyan"),
    "rejected": ("✖", "red"),
    "error": ("!", "red"),
}


def when_text(begins: str, ends: str) -> str:
    """'2026-07-14 18:00 → 20:00' style, from ISO strings (shown as written: they are local wall times)."""

    def show(value: str) -> str:
        return value.replace("T", " ")[:16]

    if not begins and not ends:
        return ""
    if begins and ends:
        if begins[:10] == ends[:10] and len(ends) > 10:
            return f"{show(begins)} → {ends[11:16]}"
        return f"{show(begins)} → {show(ends)}"
    return show(begins or ends)


def parse_day(value: str) -> date | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def day_label(day: date, lang: str) -> str:
    weekday = t(f"day.{day.weekday()}", lang)
    month = t(f"month.{day.month}", lang)
    return f"{weekday} {day.day} {month} {day.year}"


def item_details(item: Item, data: AppData, lang: str) -> Text:
    """Everything about one item, and the answers it received (its author's and answerers' text inert)."""
    text = Text()
    text.append(clean(item.title) + "\n", style="bold")
    text.append(kind_label(item.kind, lang), style=KIND_STYLE.get(item.kind, ""))
    text.append(" · " + status_label(item.status, lang))
    author = t("details.you", lang) if item.author == data.me else data.name(item.author)
    text.append(" · " + t("details.by", lang, name=clean(author)) + "\n")
    rows: list[tuple[str, str]] = []
    when = when_text(item.begins, item.ends)
    if when:
        rows.append((t("field.when", lang), when))
    if item.place:
        rows.append((t("field.place", lang), item.place))
    if item.reciprocity:
        rows.append((t("field.reciprocity", lang), reciprocity_label(item.reciprocity, lang)))
    if item.project:
        rows.append((t("field.project", lang), data.project_name(item.project)))
    seen = data.attendance(item)
    places = attendance_text(seen, lang)
    if places:
        rows.append((t("details.places", lang), places))
    if item.tags:
        rows.append((t("field.tags", lang), " ".join("#" + tag for tag in item.tags)))
    rows.append((t("field.created", lang), item.created.replace("T", " ")[:16]))
    rows.append((t("field.id", lang), item.id))
    for label, value in rows:
        text.append(f"{label}: ", style="dim")
        text.append(clean(value) + "\n")
    if item.description:
        text.append("\n" + clean(item.description, multiline=True) + "\n")
    answers = data.standing(item)
    waiting = {a.author: n for n, a in enumerate(seen.waiting, start=1)}
    text.append("\n")
    text.append(t("details.answers", lang, count=len(answers)) + "\n", style="bold")
    for answer in answers:
        who = t("details.you", lang) if answer.author == data.me else data.name(answer.author)
        text.append("  ↳ ")
        text.append(answer_label(answer.kind, lang), style="green")
        text.append(f" — {clean(who)}")
        if answer.message:
            text.append(f": {clean(answer.message)}")
        text.append(f"  ({answer.created.replace('T', ' ')[:16]})", style="dim")
        if answer.kind is AnswerKind.COMING and answer.author in waiting:
            text.append("  " + t("details.waiting", lang, position=waiting[answer.author]), style="yellow")
        text.append("\n")
        if answer.contact:
            text.append(
                "      " + t("details.contact", lang, contact=clean(answer.contact)) + "\n", style="cyan"
            )
        for reply in data.thread(answer):
            writer = t("details.you", lang) if reply.author == data.me else data.name(reply.author)
            text.append("      ↪ ", style="magenta")
            text.append(clean(writer), style="bold")
            if reply.message:
                text.append(f": {clean(reply.message)}")
            text.append(f"  ({reply.created.replace('T', ' ')[:16]})\n", style="dim")
            if reply.contact:
                line = t("details.contact", lang, contact=clean(reply.contact))
                text.append("        " + line + "\n", style="cyan")
    if not answers:
        text.append("  " + t("details.no_answers", lang) + "\n", style="dim")
    text.append("\n")
    if item.author == data.me:
        text.append(t("details.hint_mine", lang) + "\n", style="dim italic")
        text.append(t("details.hint_rsvp_mine", lang), style="dim italic")
    else:
        text.append(t("details.hint_other", lang) + "\n", style="dim italic")
        text.append(t("details.hint_rsvp_other", lang), style="dim italic")
    return text


def feed_text(entry: FeedEntry, lang: str) -> Text:
    """One line of the activity feed (names, titles, messages and reasons in it shown inert); an unread
    arrival is marked."""
    from reliance.app.arrivals import describe

    icon, color = FEED_ICONS.get(entry.kind, ("·", ""))
    text = Text(no_wrap=False)
    if entry.unread:
        text.append("● ", style="bold yellow")
    text.append(f"{entry.at} ", style="dim")
    text.append(icon + " ", style=color)
    text.append(describe(entry.kind, entry.params, lang, clean), style="bold" if entry.unread else "")
    return text


def status_kind_rows(lang: str) -> list[tuple[str, str]]:
    rows = [(t("filter.status_active", lang), "active"), (t("filter.status_all", lang), "all")]
    rows.extend((status_label(s, lang), s.value) for s in Status)
    return rows


def peer_label(peer_id: str, name: str) -> str:
    return f"{name} ({short_id(peer_id)})" if name else short_id(peer_id)
