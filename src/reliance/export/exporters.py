"""Exports: JSON of everything held, Markdown of a social code and its items, the programme as a calendar."""

from __future__ import annotations

import json
import logging
from typing import Any

from reliance.app.workspace import OnUnreadable, Workspace
from reliance.doc import participant
from reliance.errors import RelianceError
from reliance.i18n import group_label, kind_label, status_label, t
from reliance.model.catalogue import Item, now_iso
from reliance.model.codesocial import SECTIONS
from reliance.model.messages import InputError
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
    doc = ws.repo.open(doc_id).crdt
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
        "exported_at": now_iso(),
        "exported_by": ws.peer_id,
        "participants": participants,
        "projects": projects,
    }


def code_markdown(title: str, texts: dict[str, str], lang: str) -> list[str]:
    lines = [f"# {title}", ""]
    current_group = None
    for section in SECTIONS:
        if section.group != current_group:
            current_group = section.group
            if section.group:
                lines += [f"## {group_label(section.group, lang)}", ""]
        level = "###" if section.group else "##"
        lines += [f"{level} {section.label(lang)}", "", texts.get(section.id, "").strip() or "—", ""]
    return lines


def item_markdown(item: Item, lang: str) -> list[str]:
    lines = [
        f"### {item.title}",
        "",
        f"*{kind_label(item.kind.value, lang)} — {status_label(item.status.value, lang)}*",
        "",
    ]
    facts = [
        ("export.md.place", item.place),
        ("export.md.begins", item.begins),
        ("export.md.ends", item.ends),
        ("export.md.reciprocity", item.reciprocity),
        ("export.md.tags", " ".join("#" + tag for tag in item.tags)),
    ]
    lines += [t("export.md.fact", lang, label=t(key, lang), value=value) for key, value in facts if value]
    if item.description:
        lines += ["", item.description.strip()]
    return [*lines, ""]


def export_markdown(ws: Workspace, lang: str) -> str:
    title = t("export.md.code_title", lang, name=ws.identity.name)
    lines = code_markdown(title, ws.code(), lang)
    mine = [i for i in ws.items(drafts=False) if i.author == ws.peer_id]  # drafts stay on this device
    lines += ["## " + t("export.md.catalogue", lang), ""]
    if not mine:
        lines += ["—", ""]
    for item in sorted(mine, key=lambda i: (i.kind.value, i.title)):
        lines += item_markdown(item, lang)
    return "\n".join(lines).rstrip() + "\n"


def export_ics(
    ws: Workspace, *, include_archived: bool = False, on_unreadable: OnUnreadable | None = None
) -> bytes:
    """Every item on the programme that this node holds, anyone's, as an RFC 5545 calendar. The items of
    a participant document that cannot be read are left out (reported to `on_unreadable`)."""
    from reliance.export.ics import calendar_ics

    skip = once_each(on_unreadable)
    items = ws.items(drafts=False, on_unreadable=skip)  # a calendar is for others: drafts stay here
    names = {author: ws.participant_name(author, skip) for author in {i.author for i in items}}
    return calendar_ics(items, names=names, name="Programme", include_archived=include_archived)


def export(
    ws: Workspace,
    fmt: str,
    *,
    project: str | None = None,
    lang: str = "fr",
    on_unreadable: OnUnreadable | None = None,
) -> str:
    """`ws` in format `fmt`. A document that cannot be read is left out of it and reported, once, to
    `on_unreadable` (logged without one); the rest is exported."""
    if fmt == "json":
        data = export_json(ws, on_unreadable)
        return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if fmt == "markdown":
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
        return export_csv(ws, project, on_unreadable)
    raise InputError("export.unknown_format", field="format", format=repr(fmt))
