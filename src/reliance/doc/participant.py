"""Typed read and write of a participant document.

Schema (root map):
  schema = "reliance/participant", version = 1, owner = peer id (the document's id; never read as the author)
  profile: {name, updated}
  code: {section id: Text}
  code_history: [{section, at, by, before_heads: [hex], added, removed}]
  items: {item id: {kind, title, description: Text, tags: [str], place, begins, ends, status,
                    reciprocity, project, created, updated, repeat?: {freq, until}, capacity?: int}}
  answers: {answer id: {item, item_author, kind, message, created, withdrawn?, contact?}}
  replies?: {reply id: {answer, answer_author, item, item_author, message, created, contact?}}
  withdrawn_items?: {item id: ISO time}   (items withdrawn for everyone: deleted from `items`)

Keys marked ? are absent from documents written before them, and read as absent when malformed; versions
that do not know them ignore them (an item shows its first occurrence only, a withdrawn answer stays).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reliance.automerge.crdt import ROOT_ID, CrdtDoc, ObjId, Writer
from reliance.clock import SYSTEM_CLOCK, Clock
from reliance.errors import DocumentError, ModelError
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.model.catalogue import (
    Answer,
    AnswerKind,
    Item,
    ItemKind,
    Repeat,
    Reply,
    Status,
    parse_repeat,
    validate_capacity,
)
from reliance.model.codesocial import SECTION_IDS
from reliance.model.rsvp import fits

SCHEMA = "reliance/participant"
ITEM_FIELDS = (
    "kind",
    "title",
    "place",
    "begins",
    "ends",
    "status",
    "reciprocity",
    "project",
    "created",
    "updated",
)


@dataclass(frozen=True)
class Amendment:
    section: str
    at: str
    by: str
    before_heads: tuple[bytes, ...]
    added: int
    removed: int

    def to_json(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "at": self.at,
            "by": self.by,
            "added": self.added,
            "removed": self.removed,
        }


def _child(writer: Writer, key: str) -> ObjId:
    found = writer.child(ROOT_ID, key)
    if found is None:
        raise DocumentError("document.error.no_map", name=key)
    return found


def genesis(
    writer: Writer, owner: str, name: str, schema: str = SCHEMA, *, clock: Clock = SYSTEM_CLOCK
) -> None:
    writer.put(ROOT_ID, "schema", schema)
    writer.put(ROOT_ID, "version", 1)
    writer.put(ROOT_ID, "owner", owner)
    profile = writer.put_map(ROOT_ID, "profile")
    writer.put(profile, "name", name)
    writer.put(profile, "updated", clock.now_iso())
    writer.put_map(ROOT_ID, "code")
    writer.put_list(ROOT_ID, "code_history")
    writer.put_map(ROOT_ID, "items")
    writer.put_map(ROOT_ID, "answers")
    writer.put_map(ROOT_ID, "replies")
    writer.put_map(ROOT_ID, "withdrawn_items")


def set_section(
    writer: Writer,
    section: str,
    text: str,
    by: str,
    before_heads: Sequence[bytes],
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> bool:
    """Write a section's text (only the edited middle changes) and append to the history."""
    code = _child(writer, "code")
    existing = writer.child(code, section)
    old = writer.text(existing) if existing is not None else ""
    if old == text:
        return False
    writer.set_text(code, section, text)
    prefix = 0
    while prefix < min(len(old), len(text)) and old[prefix] == text[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(old), len(text)) - prefix and old[-1 - suffix] == text[-1 - suffix]:
        suffix += 1
    history = _child(writer, "code_history")
    entry = writer.append_map(history)
    writer.put(entry, "section", section)
    writer.put(entry, "at", clock.now_iso())
    writer.put(entry, "by", by)
    writer.put_list(entry, "before_heads", [h.hex() for h in before_heads])
    writer.put(entry, "added", len(text) - prefix - suffix)
    writer.put(entry, "removed", len(old) - prefix - suffix)
    return True


def write_item(writer: Writer, item: Item, *, new: bool) -> None:
    items = _child(writer, "items")
    obj = writer.child(items, item.id)
    if obj is None:
        if not new:
            raise DocumentError("document.error.no_item", id=item.id)
        obj = writer.put_map(items, item.id)
    for field_name in ITEM_FIELDS:
        value = getattr(item, field_name)
        writer.put(obj, field_name, str(value))
    writer.set_text(obj, "description", item.description)
    current = writer.child(obj, "tags")
    if current is None or writer.list_values(current) != list(item.tags):
        writer.put_list(obj, "tags", list(item.tags))
    _write_repeat(writer, obj, item.repeat)
    if item.capacity is not None:
        writer.put(obj, "capacity", item.capacity)
    elif "capacity" in writer.keys(obj):
        writer.delete(obj, "capacity")


def _write_repeat(writer: Writer, obj: ObjId, repeat: Repeat | None) -> None:
    present = "repeat" in writer.keys(obj)
    if repeat is None:
        if present:
            writer.delete(obj, "repeat")
        return
    inner = writer.child(obj, "repeat") if present else None
    if inner is None:
        inner = writer.put_map(obj, "repeat")
    writer.put(inner, "freq", repeat.freq.value)
    writer.put(inner, "until", repeat.until)


def delete_item(writer: Writer, item_id: str) -> None:
    writer.delete(_child(writer, "items"), item_id)


def _child_made(writer: Writer, key: str) -> ObjId:
    """A root map that `genesis` makes, made on first use in documents written before it. (Two devices of
    one person making it concurrently in such a document: one map wins the key, the other's entries stay
    in the history only.)"""
    return writer.child(ROOT_ID, key) or writer.put_map(ROOT_ID, key)


def withdraw_item(writer: Writer, item_id: str, at: str) -> None:
    """Withdraw one of my items for everyone: it leaves `items` (older versions stop showing it too), and
    `withdrawn_items` says when, so that those who answered it can be told."""
    writer.delete(_child(writer, "items"), item_id)
    writer.put(_child_made(writer, "withdrawn_items"), item_id, at)


def write_reply(writer: Writer, reply: Reply) -> None:
    obj = writer.put_map(_child_made(writer, "replies"), reply.id)
    writer.put(obj, "answer", reply.answer_id)
    writer.put(obj, "answer_author", reply.answer_author)
    writer.put(obj, "item", reply.item_id)
    writer.put(obj, "item_author", reply.item_author)
    writer.put(obj, "message", reply.message)
    writer.put(obj, "created", reply.created)
    if reply.contact:
        writer.put(obj, "contact", reply.contact)


def write_answer(writer: Writer, answer: Answer) -> None:
    answers = _child(writer, "answers")
    obj = writer.put_map(answers, answer.id)
    writer.put(obj, "item", answer.item_id)
    writer.put(obj, "item_author", answer.item_author)
    writer.put(obj, "kind", answer.kind.value)
    writer.put(obj, "message", answer.message)
    writer.put(obj, "created", answer.created)
    if answer.withdrawn:
        writer.put(obj, "withdrawn", answer.withdrawn)
    if answer.contact:
        writer.put(obj, "contact", answer.contact)


def _answer_obj(writer: Writer, answer_id: str) -> ObjId:
    found = writer.child(_child(writer, "answers"), answer_id)
    if found is None:
        raise DocumentError("document.error.no_answer", id=answer_id)
    return found


def update_answer(writer: Writer, answer_id: str, message: str, contact: str | None = None) -> None:
    """A new message (and contact, unless None) for one of my answers; it keeps its id and its place
    (`created`)."""
    obj = _answer_obj(writer, answer_id)
    writer.put(obj, "message", message)
    if contact:
        writer.put(obj, "contact", contact)
    elif contact is not None and "contact" in writer.keys(obj):
        writer.delete(obj, "contact")


def withdraw_answer(writer: Writer, answer_id: str, at: str) -> None:
    """Take one of my answers back: it stays in the document, marked with when (see model.rsvp)."""
    writer.put(_answer_obj(writer, answer_id), "withdrawn", at)


def set_name(writer: Writer, name: str, *, clock: Clock = SYSTEM_CLOCK) -> None:
    profile = _child(writer, "profile")
    writer.put(profile, "name", name)
    writer.put(profile, "updated", clock.now_iso())


# -- reading --------------------------------------------------------------------------------------------


def _str(doc: CrdtDoc, obj: ObjId, key: str, heads: Sequence[bytes] | None = None) -> str:
    value = doc.scalar(obj, key, heads)
    return value if isinstance(value, str) else ""


def _int(doc: CrdtDoc, obj: ObjId, key: str) -> int:
    value = doc.scalar(obj, key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def owner_field(doc: CrdtDoc) -> str:
    """What the document's `owner` field says. Never an author: the owner is the one its id names (the
    door refuses a document whose field says otherwise; an older copy may still hold one)."""
    return _str(doc, ROOT_ID, "owner")


def name(doc: CrdtDoc) -> str:
    profile = doc.child(ROOT_ID, "profile")
    return _str(doc, profile, "name") if profile is not None else ""


def read_code(doc: CrdtDoc, heads: Sequence[bytes] | None = None) -> dict[str, str]:
    """Every known section with text (unknown section keys from newer peers are ignored)."""
    code = doc.child(ROOT_ID, "code", heads)
    if code is None:
        return {}
    out: dict[str, str] = {}
    for key in doc.keys(code, heads):
        if key in SECTION_IDS:
            out[key] = _str(doc, code, key, heads)
    return {key: out[key] for key in SECTION_IDS if key in out}


def read_history(doc: CrdtDoc) -> list[Amendment]:
    history = doc.child(ROOT_ID, "code_history")
    if history is None:
        return []
    out: list[Amendment] = []
    for index in range(doc.length(history)):
        entry = doc.child_at(history, index)
        if entry is None:
            continue
        heads_list = doc.child(entry, "before_heads")
        before: list[bytes] = []
        if heads_list is not None:
            for j in range(doc.length(heads_list)):
                value = doc.scalar(heads_list, j)
                if isinstance(value, str):
                    try:
                        before.append(bytes.fromhex(value))
                    except ValueError:
                        continue
        out.append(
            Amendment(
                section=_str(doc, entry, "section"),
                at=_str(doc, entry, "at"),
                by=_str(doc, entry, "by"),
                before_heads=tuple(before),
                added=_int(doc, entry, "added"),
                removed=_int(doc, entry, "removed"),
            )
        )
    return out


def read_item(doc: CrdtDoc, item_id: str, author: str) -> Item | None:
    items = doc.child(ROOT_ID, "items")
    if items is None:
        return None
    obj = doc.child(items, item_id)
    if obj is None:
        return None
    fields = {name: _str(doc, obj, name) for name in ITEM_FIELDS}
    try:
        kind = ItemKind(fields["kind"])
    except ValueError:
        return None  # an item kind from a newer version: not shown
    try:
        status = Status(fields["status"])
    except ValueError:
        status = Status.PUBLISHED
    tags_obj = doc.child(obj, "tags")
    tags: list[str] = []
    if tags_obj is not None:
        for index in range(doc.length(tags_obj)):
            tag = doc.scalar(tags_obj, index)
            if isinstance(tag, str):
                tags.append(tag)
    return Item(
        id=item_id,
        kind=kind,
        title=fields["title"],
        author=author,
        description=_str(doc, obj, "description"),
        tags=tuple(tags),
        place=fields["place"],
        begins=fields["begins"],
        ends=fields["ends"],
        status=status,
        reciprocity=fields["reciprocity"],
        project=fields["project"],
        created=fields["created"],
        updated=fields["updated"],
        repeat=_read_repeat(doc, obj, fields["begins"]),
        capacity=_read_capacity(doc, obj),
    )


def draft_ids(doc: CrdtDoc) -> list[str]:
    """Items whose status is `draft` (only earlier versions wrote drafts into the document)."""
    items = doc.child(ROOT_ID, "items")
    if items is None:
        return []
    found = []
    for item_id in doc.keys(items):
        obj = doc.child(items, item_id)
        if obj is not None and _str(doc, obj, "status") == Status.DRAFT.value:
            found.append(item_id)
    return found


def _read_repeat(doc: CrdtDoc, obj: ObjId, begins: str) -> Repeat | None:
    """The item's repetition, or None when absent or not one this version can follow."""
    inner = doc.child(obj, "repeat")
    if inner is None:
        return None
    freq, until = doc.scalar(inner, "freq"), doc.scalar(inner, "until")
    if not isinstance(freq, str) or not isinstance(until, str):
        return None
    try:
        return parse_repeat(freq, until, begins)
    except ModelError:
        return None


def _read_capacity(doc: CrdtDoc, obj: ObjId) -> int | None:
    value = doc.scalar(obj, "capacity")
    if value is None:
        return None
    try:
        return validate_capacity(value)
    except ModelError:
        return None


def read_items(doc: CrdtDoc, author: str) -> list[Item]:
    """Every item, authored by `author`: the owner the document's id names."""
    items = doc.child(ROOT_ID, "items")
    if items is None:
        return []
    found = (read_item(doc, item_id, author) for item_id in doc.keys(items))
    return [item for item in found if item is not None]


def read_answers(doc: CrdtDoc, author: str, limits: Limits = DEFAULT_LIMITS) -> list[Answer]:
    """Every answer, authored by `author`: the owner the document's id names. One whose message or
    contact is past the limits is left out (see `model.rsvp`)."""
    answers = doc.child(ROOT_ID, "answers")
    if answers is None:
        return []
    out: list[Answer] = []
    for answer_id in doc.keys(answers):
        obj = doc.child(answers, answer_id)
        if obj is None:
            continue
        try:
            kind = AnswerKind(_str(doc, obj, "kind"))
        except ValueError:
            continue
        out.append(
            Answer(
                id=answer_id,
                item_id=_str(doc, obj, "item"),
                item_author=_str(doc, obj, "item_author"),
                kind=kind,
                message=_str(doc, obj, "message"),
                author=author,
                created=_str(doc, obj, "created"),
                withdrawn=_str(doc, obj, "withdrawn"),
                contact=_str(doc, obj, "contact"),
            )
        )
    return [a for a in out if fits(a.message, a.contact, limits)]


def read_replies(doc: CrdtDoc, author: str, limits: Limits = DEFAULT_LIMITS) -> list[Reply]:
    """Every reply, authored by `author` (the owner the document's id names); those past the limits are
    left out."""
    replies = doc.child(ROOT_ID, "replies")
    if replies is None:
        return []
    out: list[Reply] = []
    for reply_id in doc.keys(replies):
        obj = doc.child(replies, reply_id)
        if obj is None:
            continue
        reply = Reply(
            id=reply_id,
            answer_id=_str(doc, obj, "answer"),
            answer_author=_str(doc, obj, "answer_author"),
            item_id=_str(doc, obj, "item"),
            item_author=_str(doc, obj, "item_author"),
            message=_str(doc, obj, "message"),
            author=author,
            created=_str(doc, obj, "created"),
            contact=_str(doc, obj, "contact"),
        )
        if fits(reply.message, reply.contact, limits):
            out.append(reply)
    return out


def read_withdrawn_items(doc: CrdtDoc) -> dict[str, str]:
    """The items its owner withdrew for everyone: id -> when."""
    withdrawn = doc.child(ROOT_ID, "withdrawn_items")
    if withdrawn is None:
        return {}
    return {item_id: _str(doc, withdrawn, item_id) for item_id in doc.keys(withdrawn)}
