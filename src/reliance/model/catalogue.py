"""The contributive catalogue: offers, needs, calls, events and knowledge seeds."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from reliance.clock import SYSTEM_CLOCK
from reliance.i18n import Phrase, phrase, reciprocity_code
from reliance.model.messages import InputError, shown

MAX_TITLE = 200
MAX_DESCRIPTION = 20_000
MAX_TAGS = 32
MAX_TAG = 48
MAX_FIELD = 500
MAX_CAPACITY = 100_000


class ItemKind(StrEnum):
    OFFER = "offer"
    NEED = "need"
    CALL = "call"
    EVENT = "event"
    SEED = "seed"


class Status(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    MATCHED = "matched"
    ARCHIVED = "archived"


class AnswerKind(StrEnum):
    CAN_HELP = "can_help"
    INTERESTED = "interested"
    COMING = "coming"  # a place at an event: counted against its capacity (see reliance.model.rsvp)


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


# Reciprocity: one of these words, or free text describing the exchange.
RECIPROCITY_WORDS = ("gift", "time", "money", "barter")


def new_id() -> str:
    """A fresh id from the system's clock (code that writes takes a `Clock`: see reliance.clock)."""
    return SYSTEM_CLOCK.new_id()


def now_iso() -> str:
    """The time now from the system's clock (code that writes takes a `Clock`: see reliance.clock)."""
    return SYSTEM_CLOCK.now_iso()


def parse_kind(value: str) -> ItemKind:
    try:
        return ItemKind(value.strip().lower())
    except ValueError:
        known = ", ".join(k.value for k in ItemKind)
        raise InputError("model.error.unknown_kind", field="kind", value=value, known=known) from None


def parse_status(value: str) -> Status:
    try:
        return Status(value.strip().lower())
    except ValueError:
        known = ", ".join(s.value for s in Status)
        raise InputError("model.error.unknown_status", field="status", value=value, known=known) from None


def parse_answer_kind(value: str) -> AnswerKind:
    try:
        return AnswerKind(value.strip().lower().replace("-", "_"))
    except ValueError:
        known = ", ".join(a.value for a in AnswerKind)
        raise InputError("model.error.unknown_answer", value=value, known=known) from None


def parse_time(value: str, what: str) -> str:
    """Normalise an ISO 8601 date or date-time; naive times are taken as written (local wall time). `what`
    is the field (`begins`, `ends`): the error names it, and a form shows it there."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            "model.error.not_iso", field=what, what=phrase(f"model.what.{what}"), value=value
        ) from None
    if len(text) == 10:
        return parsed.date().isoformat()
    return parsed.isoformat(timespec="minutes" if parsed.second == 0 else "seconds")


def _comparable(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return (
        parsed.replace(tzinfo=None) if parsed.tzinfo is None else parsed.astimezone(UTC).replace(tzinfo=None)
    )


def _text(value: str, name: str, limit: int) -> str:
    """`name` is the field's: `model.what.<name>` names it in the error, and a form shows the error there."""
    value = value.strip()
    what = phrase(f"model.what.{name}")
    if len(value) > limit:
        raise InputError("model.error.too_long", field=name, what=what, limit=limit)
    if "\x00" in value:
        raise InputError("model.error.nul", field=name, what=what)
    check_encodable(value, what)
    return value


def check_encodable(value: str, what: Phrase) -> None:
    """Refuse text that is not valid Unicode (lone surrogates): it cannot be stored or sent."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("model.error.not_text", what=what) from None


def normalise_tags(tags: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    cleaned: list[str] = []
    for tag in tags:
        tag = tag.strip().lstrip("#").strip().lower()
        if not tag:
            continue
        check_encodable(tag, phrase("model.what.tag"))
        if len(tag) > MAX_TAG:
            raise InputError("model.error.tag_too_long", field="tags", tag=tag[:20], limit=MAX_TAG)
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise InputError("model.error.too_many_tags", field="tags", limit=MAX_TAGS)
    return tuple(cleaned)


@dataclass(frozen=True)
class Repeat:
    """A simple recurrence: the item happens again every day or every week, the last time on `until`.

    Stored in the item's map as `repeat: {freq, until}`; documents without it (all those written before)
    read as not repeating, and versions that do not know it show the first occurrence only.
    """

    freq: Frequency
    until: str  # ISO 8601 date of the last occurrence (inclusive)

    def validated(self, begins: str) -> Repeat:
        return parse_repeat(str(self.freq), str(self.until), begins)

    def to_json(self) -> dict[str, str]:
        return {"freq": self.freq.value, "until": self.until}


def parse_repeat(freq: str, until: str, begins: str) -> Repeat:
    """A repetition of an item that begins at `begins` (its stored ISO value), or an InputError."""
    try:
        frequency = Frequency(freq.strip().lower())
    except ValueError:
        raise InputError("repeat.error.freq", field="repeat", value=shown(freq)) from None
    until = until.strip()
    try:
        last = date.fromisoformat(until) if len(until) == 10 else None
    except ValueError:
        last = None
    if last is None:
        raise InputError("repeat.error.until", field="repeat", value=shown(until))
    if not begins:
        raise InputError("repeat.error.needs_begins", field="repeat")
    if last < date.fromisoformat(begins[:10]):
        raise InputError("repeat.error.until_before", field="repeat", until=until, begins=begins[:10])
    return Repeat(frequency, last.isoformat())


def validate_capacity(value: object) -> int:
    """A number of places: a whole number from 1 to MAX_CAPACITY."""
    if type(value) is not int or not 1 <= value <= MAX_CAPACITY:
        raise InputError("capacity.error", field="capacity", max=MAX_CAPACITY)
    return value


@dataclass(frozen=True)
class Item:
    id: str
    kind: ItemKind
    title: str
    author: str
    description: str = ""
    tags: tuple[str, ...] = ()
    place: str = ""
    begins: str = ""
    ends: str = ""
    status: Status = Status.PUBLISHED
    reciprocity: str = ""
    project: str = ""
    created: str = ""
    updated: str = ""
    repeat: Repeat | None = None
    capacity: int | None = None  # places for `coming` answers; None: no limit
    answers: tuple[Answer, ...] = field(default=(), compare=False)

    def validated(self) -> Item:
        """Return a normalised copy, or raise ModelError naming the first broken rule."""
        title = _text(self.title, "title", MAX_TITLE)
        if not title:
            raise InputError("model.error.no_title", field="title")
        begins = parse_time(self.begins, "begins") if self.begins else ""
        ends = parse_time(self.ends, "ends") if self.ends else ""
        if begins and ends and _comparable(ends) < _comparable(begins):
            raise InputError("model.error.ends_before", field="ends", ends=ends, begins=begins)
        return replace(
            self,
            kind=parse_kind(self.kind),
            title=title,
            description=_text(self.description, "description", MAX_DESCRIPTION),
            tags=normalise_tags(self.tags),
            place=_text(self.place, "place", MAX_FIELD),
            begins=begins,
            ends=ends,
            status=parse_status(self.status),
            # "don" or "Gift" typed in a form is the code `gift`, shown back in each reader's language.
            reciprocity=reciprocity_code(_text(self.reciprocity, "reciprocity", MAX_FIELD)),
            project=_text(self.project, "project", MAX_FIELD),
            repeat=self.repeat.validated(begins) if self.repeat is not None else None,
            capacity=validate_capacity(self.capacity) if self.capacity is not None else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "title": self.title,
            "author": self.author,
            "status": self.status.value,
            "tags": list(self.tags),
            "description": self.description,
            "place": self.place,
            "begins": self.begins or None,
            "ends": self.ends or None,
            "reciprocity": self.reciprocity or None,
            "project": self.project or None,
            "created": self.created,
            "updated": self.updated,
            "repeat": self.repeat.to_json() if self.repeat is not None else None,
            "capacity": self.capacity,
            "answers": [a.to_json() for a in self.answers],
        }


@dataclass(frozen=True)
class Answer:
    """A reply to someone's item, stored in the answerer's own document."""

    id: str
    item_id: str
    item_author: str
    kind: AnswerKind
    message: str
    author: str
    created: str
    withdrawn: str = ""  # when its author took it back (ISO 8601); "" while it stands
    contact: str = ""  # how to reach its author, or where to meet (one line, optional)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "item": self.item_id,
            "item_author": self.item_author,
            "kind": self.kind.value,
            "message": self.message,
            "author": self.author,
            "created": self.created,
            "withdrawn": self.withdrawn or None,
            "contact": self.contact or None,
        }


@dataclass(frozen=True)
class Reply:
    """A message under an answer: from the answered item's author, or from the answer's author (a short
    conversation). Stored in its writer's own document; shown only when its writer is one of those two."""

    id: str
    answer_id: str
    answer_author: str
    item_id: str
    item_author: str
    message: str
    author: str
    created: str
    contact: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "answer": self.answer_id,
            "answer_author": self.answer_author,
            "item": self.item_id,
            "item_author": self.item_author,
            "message": self.message,
            "author": self.author,
            "created": self.created,
            "contact": self.contact or None,
        }


def validate_answer_message(message: str) -> str:
    return _text(message, "message", MAX_DESCRIPTION)
