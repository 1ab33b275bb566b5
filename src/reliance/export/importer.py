"""`reliance import FILE`: merge a JSON export (`reliance export --format json`) into your own document.

Rules (see docs/cli.md, "Economy and exchange formats"):
- the whole file is checked first; a file that is not JSON, not a `reliance-export/1` export, or has a
  field of the wrong type is refused with the reason, and nothing changes;
- only what is yours is written, because only you can sign your document: your items and your answers that
  your document lacks are re-created with the same id and fields (an item whose status is `draft` goes to
  your drafts file instead, on this device only); the social-code sections that are empty in your
  document are filled from the file;
- nothing that exists is changed: an item or answer already here stays as it is (even if the file differs),
  a section with text stays as it is, your name is not touched;
- other participants' documents and projects are never written (their authors sign them): they are
  counted and come by sync or a bundle.
Everything is written in one signed change, so an import is applied entirely or not at all.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from reliance.app.workspace import Workspace
from reliance.automerge.crdt import ROOT_ID, CrdtDoc, Writer
from reliance.doc import participant
from reliance.errors import ModelError, PeerIdError, RelianceError
from reliance.export.exporters import EXPORT_FORMAT
from reliance.fsutil import FileTooLarge, read_regular_file
from reliance.i18n import Phrase, phrase
from reliance.identity import decode_peer_id
from reliance.jsontext import parse_json
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.model.catalogue import (
    Answer,
    AnswerKind,
    Item,
    ItemKind,
    Repeat,
    Status,
    validate_answer_message,
)
from reliance.model.codesocial import SECTION_IDS, validate_section_text

_RECORD_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # fullmatch


class ImportRefused(RelianceError):
    """The file cannot be imported; nothing was changed."""


@dataclass
class ImportSummary:
    items_added: list[str] = field(default_factory=list)
    items_kept: list[str] = field(default_factory=list)
    answers_added: list[str] = field(default_factory=list)
    answers_kept: list[str] = field(default_factory=list)
    sections_filled: list[str] = field(default_factory=list)
    sections_kept: list[str] = field(default_factory=list)
    other_participants: int = 0
    other_items: int = 0
    projects: int = 0
    found_mine: bool = False
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.items_added or self.answers_added or self.sections_filled)

    def to_json(self) -> dict[str, Any]:
        return {
            "items_added": self.items_added,
            "items_kept": self.items_kept,
            "answers_added": self.answers_added,
            "answers_kept": self.answers_kept,
            "sections_filled": self.sections_filled,
            "sections_kept": self.sections_kept,
            "not_imported": {
                "participants": self.other_participants,
                "items": self.other_items,
                "projects": self.projects,
            },
            "dry_run": self.dry_run,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], found_mine: bool) -> ImportSummary:
        """The summary `to_json` gave (with `found_mine`, which it leaves out), read back."""
        others = data["not_imported"]
        return cls(
            items_added=list(data["items_added"]),
            items_kept=list(data["items_kept"]),
            answers_added=list(data["answers_added"]),
            answers_kept=list(data["answers_kept"]),
            sections_filled=list(data["sections_filled"]),
            sections_kept=list(data["sections_kept"]),
            other_participants=int(others["participants"]),
            other_items=int(others["items"]),
            projects=int(others["projects"]),
            found_mine=bool(found_mine),
            dry_run=bool(data["dry_run"]),
        )

    def message(self) -> str:
        """One line for people."""
        verb = "would import" if self.dry_run else "imported"
        if not self.found_mine:
            parts = ["this file holds nothing of yours"]
        elif self.changed:
            parts = [
                f"{verb} {_count(len(self.items_added), 'item')}, {_count(len(self.answers_added), 'answer')}"
                f" and {_count(len(self.sections_filled), 'social-code section')} into your document"
            ]
        else:
            parts = ["nothing to import: your document already holds everything of yours in this file"]
        kept = []
        if self.items_kept:
            kept.append(f"{_count(len(self.items_kept), 'item')} already here")
        if self.answers_kept:
            kept.append(f"{_count(len(self.answers_kept), 'answer')} already here")
        if self.sections_kept:
            kept.append(f"{_count(len(self.sections_kept), 'section')} already written")
        if kept and self.changed:
            parts.append("left as they are: " + ", ".join(kept))
        others = []
        if self.other_participants:
            people = _count(self.other_participants, "other participant")
            others.append(f"{_count(self.other_items, 'item')} of {people}")
        if self.projects:
            others.append(_count(self.projects, "project"))
        if others:
            parts.append(
                "not imported: "
                + " and ".join(others)
                + " (only their authors can sign them: they come by sync or a bundle)"
            )
        return "; ".join(parts)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# ----------------------------------------------------------------------------------------- checking


def _refuse(path: str, key: str, **params: object) -> ImportRefused:
    """The file refused at `path` (a JSON path such as participants[0].items[2]) for the reason `key`."""
    return ImportRefused(
        "export.import.at" if path else "export.import.plain", place=path, reason=phrase(key, **params)
    )


def _refused_by(path: str, error: RelianceError) -> ImportRefused:
    """The file refused at `path` because the model refused a value in it (worded for the reader)."""
    return ImportRefused("export.import.at", place=path, reason=error)


def _get(
    data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], path: str, *, default: Any = ...
) -> Any:
    if key not in data or (data[key] is None and default is not ...):
        if default is ...:
            raise _refuse(path, "export.import.missing", name=key)
        return default
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _kinds(kind)):
        raise _refuse(f"{path}.{key}", "export.import.type", wanted=_describe(kind), got=_json_type(value))
    return value


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


_KIND_NAMES = {str: "text", list: "list", dict: "object", int: "whole", bool: "boolean"}


def _describe(kind: type | tuple[type, ...]) -> Phrase:
    """What a field must be, in the reader's words (« du texte », "text")."""
    names = [_KIND_NAMES.get(k, "other") for k in _kinds(kind)]
    return phrase(f"export.import.kind.{names[0]}") if len(names) == 1 else phrase("export.import.kind.other")


def _json_type(value: object) -> Phrase:
    if value is None:
        return phrase("export.import.kind.null")
    if isinstance(value, bool):
        return phrase("export.import.kind.boolean")
    names = {str: "text", int: "number", float: "number", list: "list", dict: "object"}
    return phrase(f"export.import.kind.{names.get(type(value), 'other')}")


def _text(data: Mapping[str, Any], key: str, path: str) -> str:
    value: str = _get(data, key, str, path, default="")
    return value


def _str_list(data: Mapping[str, Any], key: str, path: str) -> list[str]:
    values: list[Any] = _get(data, key, list, path, default=[])
    for i, value in enumerate(values):
        if not isinstance(value, str):
            raise _refuse(
                f"{path}.{key}[{i}]", "export.import.type", wanted=_describe(str), got=_json_type(value)
            )
    return list(values)


def _record_id(data: Mapping[str, Any], key: str, path: str) -> str:
    value: str = _get(data, key, str, path)
    if not _RECORD_ID.fullmatch(value):
        raise _refuse(f"{path}.{key}", "export.import.bad_id", value=value[:40])
    return value


def _time(value: str, path: str) -> str:
    if value:
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _refuse(path, "export.import.bad_time", value=value[:40]) from None
    return value


def _peer(data: Mapping[str, Any], key: str, path: str) -> str:
    value: str = _get(data, key, str, path)
    try:
        decode_peer_id(value)
    except PeerIdError as exc:
        raise _refused_by(f"{path}.{key}", exc) from None
    return value


@dataclass(frozen=True)
class _Participant:
    peer_id: str
    code: dict[str, str]
    items: list[Mapping[str, Any]]
    answers: list[Mapping[str, Any]]


def _objects(data: Mapping[str, Any], key: str, path: str) -> list[Mapping[str, Any]]:
    values: list[Any] = _get(data, key, list, path, default=[])
    for i, value in enumerate(values):
        if not isinstance(value, dict):
            raise _refuse(
                f"{path}.{key}[{i}]", "export.import.type", wanted=_describe(dict), got=_json_type(value)
            )
    return values


def _check_item_shape(data: Mapping[str, Any], path: str) -> None:
    _record_id(data, "id", path)
    for key in ("kind", "title", "author"):
        _get(data, key, str, path)
    for key in ("status", "description", "place", "created", "updated"):
        _text(data, key, path)
    for key in ("begins", "ends", "reciprocity", "project"):
        _get(data, key, str, path, default=None)
    _str_list(data, "tags", path)
    _get(data, "answers", list, path, default=[])
    repeat = _get(data, "repeat", dict, path, default=None)
    if repeat is not None:
        for key in ("freq", "until"):
            _get(repeat, key, str, f"{path}.repeat")
    _get(data, "capacity", int, path, default=None)


def _check_answer_shape(data: Mapping[str, Any], path: str) -> None:
    _record_id(data, "id", path)
    for key in ("item", "kind", "author"):
        _get(data, key, str, path)
    for key in ("item_author", "message", "created"):
        _text(data, key, path)
    _get(data, "withdrawn", str, path, default=None)


def _participant(data: Mapping[str, Any], path: str) -> _Participant:
    peer_id = _peer(data, "peer_id", path)
    _get(data, "name", str, path, default="")
    code: dict[str, Any] = _get(data, "code", dict, path, default={})
    for key, value in code.items():
        if not isinstance(value, str):
            raise _refuse(
                f"{path}.code.{key}", "export.import.type", wanted=_describe(str), got=_json_type(value)
            )
    _objects(data, "code_history", path)
    items = _objects(data, "items", path)
    for i, item in enumerate(items):
        _check_item_shape(item, f"{path}.items[{i}]")
    answers = _objects(data, "answers", path)
    for i, answer in enumerate(answers):
        _check_answer_shape(answer, f"{path}.answers[{i}]")
    return _Participant(peer_id, code, items, answers)


def read_export(
    path: Path, limits: Limits = DEFAULT_LIMITS, label: str | None = None
) -> tuple[list[_Participant], int]:
    """Parse and check a JSON export; returns its participants and its number of projects. `label`: the
    file as the person named it, in messages (else `path`)."""
    shown = path if label is None else label
    most = limits.max_import_json_bytes
    try:
        raw = read_regular_file(path, most)
    except FileTooLarge:
        raise ImportRefused("export.import.too_large", file=shown, mib=most >> 20) from None
    except OSError as exc:
        raise ImportRefused("export.import.cannot_read", file=shown, reason=exc.strerror) from None
    try:
        data = parse_json(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ImportRefused("export.import.not_utf8", file=shown) from None
    except ValueError as exc:
        raise ImportRefused("export.import.not_json", file=shown, reason=exc) from None
    if not isinstance(data, dict):
        raise ImportRefused("export.import.not_object", file=shown, got=_json_type(data))
    fmt = data.get("format")
    if fmt != EXPORT_FORMAT:
        got = (
            phrase("export.import.no_format")
            if fmt is None
            else phrase("export.import.format_named", value=fmt)
        )
        raise ImportRefused("export.import.format", file=shown, got=got, wanted=EXPORT_FORMAT)
    participants = [
        _participant(p, f"participants[{i}]") for i, p in enumerate(_objects(data, "participants", ""))
    ]
    seen: set[str] = set()
    for p in participants:
        if p.peer_id in seen:
            raise ImportRefused("export.import.participant_twice", peer=p.peer_id, file=shown)
        seen.add(p.peer_id)
    projects = _objects(data, "projects", "")
    for i, project in enumerate(projects):
        _get(project, "id", str, f"projects[{i}]")
    return participants, len(projects)


# ----------------------------------------------------------------------------------------- building


def _item(data: Mapping[str, Any], owner: str, path: str) -> Item:
    if data["author"] != owner:
        raise _refuse(f"{path}.author", "export.import.item_author")
    try:
        kind = ItemKind(data["kind"])
    except ValueError:
        raise _refuse(f"{path}.kind", "export.import.unknown_kind", value=data["kind"]) from None
    try:
        status = Status(data.get("status") or "published")
    except ValueError:
        raise _refuse(f"{path}.status", "export.import.unknown_status", value=data["status"]) from None
    draft = Item(
        id=data["id"],
        kind=kind,
        title=data["title"],
        author=owner,
        description=data.get("description") or "",
        tags=tuple(data.get("tags") or ()),
        place=data.get("place") or "",
        begins=data.get("begins") or "",
        ends=data.get("ends") or "",
        status=status,
        reciprocity=data.get("reciprocity") or "",
        project=data.get("project") or "",
        created=_time(data.get("created") or "", f"{path}.created"),
        updated=_time(data.get("updated") or "", f"{path}.updated"),
        repeat=Repeat(data["repeat"]["freq"], data["repeat"]["until"]) if data.get("repeat") else None,
        capacity=data.get("capacity"),
    )
    try:
        return draft.validated()
    except ModelError as exc:
        raise _refused_by(path, exc) from None


def _answer(data: Mapping[str, Any], owner: str, path: str) -> Answer:
    if data["author"] != owner:
        raise _refuse(f"{path}.author", "export.import.answer_author")
    try:
        kind = AnswerKind(data["kind"])
    except ValueError:
        raise _refuse(f"{path}.kind", "export.import.unknown_answer", value=data["kind"]) from None
    item_author = data.get("item_author") or ""
    if not _RECORD_ID.fullmatch(data["item"]):
        raise _refuse(f"{path}.item", "export.import.bad_item_id", value=data["item"][:40])
    try:
        message = validate_answer_message(data.get("message") or "")
        if item_author:
            decode_peer_id(item_author)
    except (ModelError, PeerIdError) as exc:
        raise _refused_by(path, exc) from None
    return Answer(
        id=data["id"],
        item_id=data["item"],
        item_author=item_author,
        kind=kind,
        message=message,
        author=owner,
        created=_time(data.get("created") or "", f"{path}.created"),
        withdrawn=_time(data.get("withdrawn") or "", f"{path}.withdrawn"),
    )


def _keys(doc: CrdtDoc, container: str) -> set[str]:
    obj = doc.child(ROOT_ID, container)
    return set(doc.keys(obj)) if obj is not None else set()


def import_export(
    ws: Workspace, path: Path, *, dry_run: bool = False, label: str | None = None
) -> ImportSummary:
    """Merge the export at `path` into this participant's own document (see the module's rules); `label`
    names the file in messages (else `path`)."""
    participants, project_count = read_export(path, ws.repo.limits, label)
    summary = ImportSummary(projects=project_count, dry_run=dry_run)
    mine: _Participant | None = None
    mine_path = ""
    for index, p in enumerate(participants):
        if p.peer_id == ws.peer_id:
            mine = p
            mine_path = f"participants[{index}]"
        else:
            summary.other_participants += 1
            summary.other_items += len(p.items)
    if mine is None:
        return summary
    summary.found_mine = True
    items = [_item(d, ws.peer_id, f"{mine_path}.items[{i}]") for i, d in enumerate(mine.items)]
    answers = [_answer(d, ws.peer_id, f"{mine_path}.answers[{i}]") for i, d in enumerate(mine.answers)]
    for what, ids in (("item", [i.id for i in items]), ("answer", [a.id for a in answers])):
        counts = Counter(ids)
        twice = next((record_id for record_id in ids if counts[record_id] > 1), None)
        if twice is not None:
            shown = path if label is None else label
            raise ImportRefused(f"export.import.{what}_twice", id=twice, file=shown)
    sections: dict[str, str] = {}
    for sid, text in mine.code.items():
        if sid not in SECTION_IDS or not text.strip():
            continue  # a section of a newer version, or an empty one: nothing to fill
        try:
            sections[sid] = validate_section_text(text)
        except ModelError as exc:
            raise _refused_by(f"{mine_path}.code.{sid}", exc) from None

    if dry_run and not ws.repo.exists(ws.peer_id):  # a dry run does not even create the document
        have_items, have_answers, current_code = set(), set(), {}
    else:
        crdt = ws.my_doc().crdt
        have_items = _keys(crdt, "items") | {i.id for i in ws.drafts.items()}
        have_answers = _keys(crdt, "answers")
        current_code = ws.code()
    new_items = [i for i in items if i.id not in have_items]
    new_answers = [a for a in answers if a.id not in have_answers]
    summary.items_added = [i.id for i in new_items]
    summary.items_kept = [i.id for i in items if i.id in have_items]
    summary.answers_added = [a.id for a in new_answers]
    summary.answers_kept = [a.id for a in answers if a.id in have_answers]
    fill = {sid: text for sid, text in sections.items() if not current_code.get(sid, "").strip()}
    summary.sections_filled = [sid for sid in SECTION_IDS if sid in fill]
    summary.sections_kept = [sid for sid in SECTION_IDS if sid in sections and sid not in fill]
    if dry_run or not summary.changed:
        return summary
    doc = ws.my_doc()
    before = doc.heads()
    # A draft (in an export made by an earlier version, which kept drafts in the document) stays on
    # this device: it goes to the drafts file, never into the document.
    ws.drafts.put_many([item for item in new_items if item.status is Status.DRAFT])
    published = [item for item in new_items if item.status is not Status.DRAFT]
    if not (published or new_answers or summary.sections_filled):
        return summary

    def write(w: Writer) -> None:
        for item in published:
            participant.write_item(w, item, new=True)
        for answer in new_answers:
            participant.write_answer(w, answer)
        for sid in summary.sections_filled:
            participant.set_section(w, sid, fill[sid], ws.peer_id, before, clock=ws.clock)

    doc.local_change(ws.identity.sign, write)
    return summary
