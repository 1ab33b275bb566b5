"""Exports: JSON of everything held; Markdown of a social code and its items, of the catalogue and of the
programme for printing; the programme as a calendar."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, time
from typing import Any

from reliance.app.workspace import OnUnreadable, Workspace
from reliance.doc import participant
from reliance.errors import RelianceError
from reliance.i18n import group_label, kind_label, reciprocity_label, status_label, t
from reliance.model.catalogue import Item, ItemKind, Status
from reliance.model.codesocial import SECTIONS
from reliance.model.messages import InputError
from reliance.model.programme import Entry
from reliance.model.search import fold
from reliance.replication.participant_view import participant_view
from reliance.store.repository import DocKind, doc_kind

EXPORT_FORMAT = "reliance-export/1"

logger = logging.getLogger(__name__)


def once_each(on_unreadable: OnUnreadable | None) -> OnUnreadable:
    """`on_unreadable` told once per document however often it is met (a member's name and their
    document, say); logged without one. One unreadable document never stops an export."""
    told: set[str] = set()

    def tell(doc_id: str, exc: RelianceError) -> None:
        if doc_id in told:
            return
        told.add(doc_id)
        if on_unreadable is None:
            logger.warning("export: left out %s: %s", doc_id, exc)
        else:
            on_unreadable(doc_id, exc)

    return tell


def participant_json(ws: Workspace, doc_id: str) -> dict[str, Any]:
    doc = participant_view(ws.repo.open(doc_id))  # without what a revoked device signed beyond revocation
    return {
        "peer_id": doc_id,
        "name": participant.name(doc),
        "code": participant.read_code(doc),
        "code_history": [a.to_json() for a in participant.read_history(doc)],
        "items": [i.to_json() for i in sorted(participant.read_items(doc, doc_id), key=lambda i: i.id)],
        "answers": [a.to_json() for a in sorted(participant.read_answers(doc, doc_id), key=lambda a: a.id)],
    }


def export_json(ws: Workspace, on_unreadable: OnUnreadable | None = None) -> dict[str, Any]:
    """Every document held; one that cannot be read is left out and reported to `on_unreadable`."""
    from reliance.app.projects import project_json

    skip = once_each(on_unreadable)
    participants = []
    projects = []
    for doc_id in ws.repo.doc_ids():
        try:
            if doc_kind(doc_id) == DocKind.PARTICIPANT:
                participants.append(participant_json(ws, doc_id))
            else:
                projects.append(project_json(ws, doc_id))
        except RelianceError as exc:
            skip(doc_id, exc)
    return {
        "format": EXPORT_FORMAT,
        "exported_at": ws.clock.now_iso(),
        "exported_by": ws.peer_id,
        "participants": participants,
        "projects": projects,
    }


def one_line(text: str) -> str:
    """A peer's single-line field for Markdown: no control characters, no line break (it would start a
    heading or a list of its own)."""
    from reliance.export.ics import clean_text

    return " ".join(clean_text(text).split())


def code_markdown(title: str, texts: dict[str, str], lang: str) -> list[str]:
    """The sections that have something written in them, under their group's heading when they have one;
    nothing for a section or a group left empty (a printed page shows what was written)."""
    lines = [f"# {one_line(title)}", ""]
    current_group = None
    for section in SECTIONS:
        text = texts.get(section.id, "").strip()
        if not text:
            continue
        if section.group and section.group != current_group:
            lines += [f"## {group_label(section.group, lang)}", ""]
        current_group = section.group
        level = "###" if section.group else "##"
        lines += [f"{level} {section.label(lang)}", "", text, ""]
    return lines


def _repeat_text(item: Item, lang: str) -> str:
    """« chaque samedi jusqu'au samedi 29 août 2026 »; "" without a readable repetition."""
    from reliance.model.dates import describe_day
    from reliance.model.programme import first_occurrence, last_day_of_repeat

    first, until = first_occurrence(item), last_day_of_repeat(item)
    if item.repeat is None or first is None or until is None:
        return ""
    weekday = t(f"when.weekday.{first.begins.day.weekday()}", lang)
    return t(f"repeat.{item.repeat.freq.value}", lang, weekday=weekday, until=describe_day(until, lang))


def item_markdown(item: Item, lang: str, author_name: str = "") -> list[str]:
    from reliance.model.dates import describe_span
    from reliance.model.programme import first_occurrence

    byline = t(
        "export.md.byline",
        lang,
        kind=kind_label(item.kind.value, lang),
        status=status_label(item.status.value, lang),
        author=one_line(author_name) or item.author[:14],
    )
    lines = [f"### {one_line(item.title)}", "", byline, ""]
    first = first_occurrence(item)
    when = describe_span(first.begins, first.ends, lang) if first is not None else ""
    facts = [
        ("export.md.place", one_line(item.place)),
        ("export.md.when", when),
        # A date that cannot be read is shown as it was written, rather than not at all.
        ("export.md.begins", "" if first is not None else one_line(item.begins)),
        ("export.md.ends", "" if first is not None else one_line(item.ends)),
        ("export.md.repeat", _repeat_text(item, lang)),
        ("export.md.reciprocity", one_line(reciprocity_label(item.reciprocity, lang))),
        ("export.md.tags", " ".join("#" + one_line(tag) for tag in item.tags)),
    ]
    lines += [t("export.md.fact", lang, label=t(key, lang), value=value) for key, value in facts if value]
    description = clean_block(item.description)
    if description:
        lines += ["", description]
    return [*lines, ""]


def clean_block(text: str) -> str:
    from reliance.export.ics import clean_text

    return clean_text(text).strip()


def items_markdown(items: list[Item], lang: str, names: dict[str, str], heading: str = "##") -> list[str]:
    """Items under one heading per kind (in the catalogue's order of kinds), kinds without items left out."""
    lines: list[str] = []
    for kind in ItemKind:
        of_kind = sorted((i for i in items if i.kind is kind), key=lambda i: (fold(i.title), i.author, i.id))
        if not of_kind:
            continue
        lines += [f"{heading} {t(f'kind.{kind.value}', lang)}", ""]
        for item in of_kind:
            lines += item_markdown(item, lang, names.get(item.author, ""))
    return lines


def export_markdown(ws: Workspace, lang: str) -> str:
    """My social code and my items (drafts stay on this device)."""
    title = t("export.md.code_title", lang, name=ws.identity.name)
    lines = code_markdown(title, ws.code(), lang)
    mine = [i for i in ws.items(drafts=False) if i.author == ws.peer_id]
    if mine:
        lines += ["## " + t("export.md.catalogue", lang), ""]
        names = {ws.peer_id: ws.identity.name}
        for item in sorted(mine, key=lambda i: (i.kind.value, i.title)):
            lines += item_markdown(item, lang, names[ws.peer_id])
    return "\n".join(lines).rstrip() + "\n"


def _shared_items(ws: Workspace, skip: OnUnreadable) -> tuple[list[Item], dict[str, str]]:
    """Every published item held, anyone's, and their authors' names (drafts stay on this device)."""
    items = ws.items(drafts=False, on_unreadable=skip)
    names = {author: ws.participant_name(author, skip) for author in {i.author for i in items}}
    return items, names


def catalogue_markdown(ws: Workspace, lang: str, on_unreadable: OnUnreadable | None = None) -> str:
    """The catalogue for printing: every item held that is not archived, by kind."""
    skip = once_each(on_unreadable)
    items, names = _shared_items(ws, skip)
    shown = [i for i in items if i.status is not Status.ARCHIVED]
    lines = [f"# {t('export.md.catalogue', lang)}", "", *items_markdown(shown, lang, names)]
    return "\n".join(lines).rstrip() + "\n"


def _entry_when(entry: Entry, lang: str) -> str:
    from reliance.model.dates import describe_clock

    def clock(value: time | None) -> str:
        return describe_clock(datetime.combine(date.min, value)) if value is not None else ""

    starts, ends = clock(entry.starts_at), clock(entry.ends_at)
    if entry.continued:
        return t("export.md.continued", lang) + (f"–{ends}" if ends else "")
    if not starts:
        return t("programme.all_day", lang)
    return f"{starts}–{ends}" if ends else starts


def programme_markdown(ws: Workspace, lang: str, on_unreadable: OnUnreadable | None = None) -> str:
    """The programme for printing: a heading per day in words, each thing on it with its time and place;
    events without a date last. Days with nothing on them are not printed."""
    from reliance.model.dates import describe_day
    from reliance.model.programme import programme

    skip = once_each(on_unreadable)
    items, _ = _shared_items(ws, skip)
    plan = programme(items)
    lines = [f"# {t('export.md.programme', lang)}", ""]
    if not plan.days and not plan.undated:
        lines += [t("export.md.programme_empty", lang), ""]
    for day in plan.days:
        lines += [f"## {describe_day(day.day, lang)}", ""]
        for entry in day.entries:
            lines.append(
                t("export.md.entry", lang, when=_entry_when(entry, lang), what=_what(entry.item, lang))
            )
        lines.append("")
    if plan.undated:
        lines += [f"## {t('programme.no_date', lang)}", ""]
        lines += [t("export.md.undated_entry", lang, what=_what(item, lang)) for item in plan.undated]
    return "\n".join(lines).rstrip() + "\n"


def _what(item: Item, lang: str) -> str:
    title, place = one_line(item.title), one_line(item.place)
    return t("export.md.title_at", lang, title=title, place=place) if place else title


def export_ics(
    ws: Workspace, *, include_archived: bool = False, on_unreadable: OnUnreadable | None = None
) -> bytes:
    """Every item on the programme that this node holds, anyone's, as an RFC 5545 calendar. The items of
    a participant document that cannot be read are left out (reported to `on_unreadable`)."""
    from reliance.export.ics import calendar_ics

    skip = once_each(on_unreadable)
    items = ws.items(drafts=False, on_unreadable=skip)  # a calendar is for others: drafts stay here
    names = {author: ws.participant_name(author, skip) for author in {i.author for i in items}}
    return calendar_ics(
        items, names=names, stamp=ws.clock.now(), name="Programme", include_archived=include_archived
    )


MARKDOWN_CONTENTS = ("code", "catalogue", "programme")


def export(
    ws: Workspace,
    fmt: str,
    *,
    project: str | None = None,
    lang: str = "fr",
    content: str = "code",
    delimiter: str | None = None,
    on_unreadable: OnUnreadable | None = None,
) -> str:
    """`ws` in format `fmt`, for a reader of `lang`. A document that cannot be read is left out of it and
    reported, once, to `on_unreadable` (logged without one); the rest is exported.

    Markdown is of `content`: `code` (my social code and my items), `catalogue` or `programme` (everything
    held, for printing). CSV is separated by `delimiter` (default: the one of `lang`'s spreadsheets)."""
    if delimiter is not None and fmt != "csv":
        raise InputError("export.delimiter_only_csv", field="delimiter")
    if content != "code" and fmt != "markdown":
        raise InputError("export.content_only_markdown", field="content")
    if fmt == "json":
        data = export_json(ws, on_unreadable)
        return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if fmt == "markdown":
        if content == "catalogue":
            return catalogue_markdown(ws, lang, on_unreadable)
        if content == "programme":
            return programme_markdown(ws, lang, on_unreadable)
        return export_markdown(ws, lang)  # only our own document: an unreadable one is an error
    if fmt == "jsonld":
        from reliance.export.jsonld import export_jsonld

        data = export_jsonld(ws, on_unreadable)
        return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if fmt == "ics":
        # CRLF line ends, as RFC 5545 requires: write it with newline="" (or as bytes) to keep them.
        return export_ics(ws, on_unreadable=on_unreadable).decode("utf-8")
    if fmt == "csv":
        from reliance.export.csv_ledger import export_csv

        if not project:
            raise InputError("export.csv_needs_project", field="project")
        return export_csv(ws, project, on_unreadable, lang=lang, delimiter=delimiter)
    raise InputError("export.unknown_format", field="format", format=repr(fmt))
