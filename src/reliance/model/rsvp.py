"""Answers to an item: one per person and kind, withdrawal, and who has a place at an event.

Each answer lives in its author's own document (`participant.answers`), so there is no shared list to
append to: everything here is computed, by every peer alike, from the answers it holds.

- One answer per person and kind: answering again updates the standing answer (`plan_answer` gives its
  id) instead of adding one. Documents written before this rule may hold duplicates: `standing_answers`
  keeps, per (author, item, kind), the one that arrived first, showing the latest message.
- Withdrawal: an answer is never deleted, it is marked `withdrawn` with the time (a reply, a feed or an
  export can still say what happened). A withdrawn answer no longer counts; answering again afterwards
  writes a new answer, which arrives when it is written.
- Conversations: under an answer, the item's author and the answer's author write short messages
  (`Reply`, each in its writer's own document); anyone else's reply to it is never shown. An answer and a
  reply may carry a contact or a meeting point. Messages and contacts are bounded (`Limits`): longer ones
  are refused when written and left out, never shown cut, when read; a conversation shows its first
  `thread_max_replies` messages.
- Places: `coming` answers to an item with a `capacity` fill its places in arrival order; the rest wait,
  in the same order, and move up when someone withdraws. The answering side refuses `coming` to a full
  item (`plan_answer` raises `rsvp.full`); answers written concurrently on peers that had not yet seen
  each other can still exceed the capacity, and those past it are the waiting list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from reliance.i18n import answer_label, phrase, t, tn
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.model.catalogue import Answer, AnswerKind, Item, Reply
from reliance.model.messages import InputError

_NEVER = datetime.max.replace(tzinfo=UTC)


def _instant(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def arrival_key(answer: Answer | Reply, item: Item | None = None) -> tuple[datetime, str, str]:
    """Where an answer stands in arrival order: its time, then its author's peer id, then its id.

    There is no moment at which an answer "arrives" for everyone: answers are written in different
    documents, on devices that may not see each other for hours, and each peer receives them in its own
    order. So the order is taken from the answers themselves, which every peer holds identically: the
    time its author's device wrote it (`created`, compared as an instant), and, for answers written in
    the same second, the author's peer id (unique, and not chosen freely: it is a public key) and then
    the answer's id. Every peer holding the same answers computes the same list, whatever order they came
    in. The time is what the author's clock said: a clock set in the past could jump the queue, so an
    answer is never placed before the item it answers was created (`item.created`), and a time that
    cannot be read places the answer last.
    """
    when = _instant(answer.created) or _NEVER
    if item is not None and (created := _instant(item.created)) is not None:
        when = max(when, created)
    return (when, answer.author, answer.id)


def _answers_item(answer: Answer, item: Item) -> bool:
    return answer.item_id == item.id and answer.item_author == item.author


def standing_answers(answers: Iterable[Answer], item: Item | None = None) -> list[Answer]:
    """The answers that count, in arrival order: not withdrawn, one per (author, item, kind).

    Of several standing answers with the same author, item and kind (written before this rule), the one
    that arrived first keeps its place, with the message of the one written last. With `item`, only the
    answers to that item.
    """
    groups: dict[tuple[str, str, str, AnswerKind], list[Answer]] = {}
    for answer in answers:
        if answer.withdrawn or (item is not None and not _answers_item(answer, item)):
            continue
        groups.setdefault((answer.author, answer.item_id, answer.item_author, answer.kind), []).append(answer)
    standing: list[Answer] = []
    for group in groups.values():
        ordered = sorted(group, key=lambda a: arrival_key(a, item))
        latest = max(group, key=lambda a: (_instant(a.created) or _NEVER, a.id))
        standing.append(replace(ordered[0], message=latest.message))
    return sorted(standing, key=lambda a: arrival_key(a, item))


@dataclass(frozen=True)
class Attendance:
    """Who comes to an item: those with a place and those waiting, each in arrival order."""

    capacity: int | None
    coming: tuple[Answer, ...]
    waiting: tuple[Answer, ...]

    @property
    def places_left(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - len(self.coming))

    @property
    def full(self) -> bool:
        return self.places_left == 0

    def position(self, author: str) -> tuple[Literal["coming", "waiting"], int] | None:
        """("coming", n) or ("waiting", n), n counted from 1; None when `author` is not coming."""
        for n, answer in enumerate(self.coming, start=1):
            if answer.author == author:
                return "coming", n
        for n, answer in enumerate(self.waiting, start=1):
            if answer.author == author:
                return "waiting", n
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "capacity": self.capacity,
            "places_left": self.places_left,
            "coming": [a.author for a in self.coming],
            "waiting": [a.author for a in self.waiting],
        }


def attendance(item: Item, answers: Iterable[Answer]) -> Attendance:
    """The `coming` answers to `item` that stand, its places filled in arrival order, the rest waiting."""
    coming = [a for a in standing_answers(answers, item) if a.kind is AnswerKind.COMING]
    if item.capacity is None:
        return Attendance(None, tuple(coming), ())
    return Attendance(item.capacity, tuple(coming[: item.capacity]), tuple(coming[item.capacity :]))


def attendance_text(seen: Attendance, lang: str) -> str:
    """« 3 places restantes », "Full, 2 on the waiting list"; "" when the item has no capacity."""
    return places_text(seen.capacity, len(seen.coming), len(seen.waiting), lang)


def places_text(capacity: int | None, coming: int, waiting: int, lang: str) -> str:
    """`attendance_text` from the counts (what `--json` and the local API give)."""
    if capacity is None:
        return ""
    left = max(0, capacity - coming)
    if left:
        return tn("rsvp.places_left", left, lang)
    text = t("rsvp.full_short", lang)
    if waiting:
        text += ", " + tn("rsvp.waiting", waiting, lang)
    return text


@dataclass(frozen=True)
class _AnswerLabel:
    kind: AnswerKind

    def describe(self, lang: str) -> str:
        return answer_label(self.kind.value, lang)

    def __str__(self) -> str:
        return self.describe("en")


def _mine(item: Item, kind: AnswerKind, me: str, answers: Iterable[Answer]) -> list[Answer]:
    return sorted(
        (
            a
            for a in answers
            if a.author == me and a.kind is kind and not a.withdrawn and _answers_item(a, item)
        ),
        key=lambda a: arrival_key(a, item),
    )


def plan_answer(item: Item, kind: AnswerKind, me: str, answers: Iterable[Answer]) -> str | None:
    """What answering `kind` to `item` writes in my document: the id of my standing answer to update, or
    None for a new answer. `answers` are the answers to `item` this peer holds (anyone's).

    Raises InputError `rsvp.full` for `coming` to an item whose places are all taken, unless I am already
    coming or waiting (then only my message changes).
    """
    held = list(answers)
    mine = _mine(item, kind, me, held)
    if mine:
        return mine[0].id
    if kind is AnswerKind.COMING and attendance(item, held).full:
        raise InputError("rsvp.full", field="kind", title=item.title, capacity=item.capacity)
    return None


def plan_withdrawal(item: Item, kind: AnswerKind, me: str, answers: Iterable[Answer]) -> list[str]:
    """The ids of my standing answers of `kind` to `item`, to mark withdrawn (several only in documents
    from before one answer per kind). Raises InputError `rsvp.nothing_to_withdraw` when there is none."""
    ids = [a.id for a in _mine(item, kind, me, answers)]
    if not ids:
        raise InputError("rsvp.nothing_to_withdraw", field="kind", answer=_AnswerLabel(kind))
    return ids


# -- conversations ---------------------------------------------------------------------------------------


def checked_text(message: str, contact: str, limits: Limits = DEFAULT_LIMITS) -> tuple[str, str]:
    """The message and contact of an answer or a reply as they will be written (trimmed), or InputError
    when one is longer than its limit or the contact is not one line."""
    message, contact = message.strip(), contact.strip()
    for what, text, most in (
        ("rsvp.field.message", message, limits.answer_message_chars),
        ("rsvp.field.contact", contact, limits.answer_contact_chars),
    ):
        if len(text) > most:
            field = what.rsplit(".", 1)[1]
            raise InputError("rsvp.too_long", field=field, what=phrase(what), limit=most, length=len(text))
    if any(c in contact for c in "\r\n\u2028\u2029"):
        raise InputError("rsvp.contact_one_line", field="contact")
    return message, contact


def fits(message: str, contact: str, limits: Limits = DEFAULT_LIMITS) -> bool:
    """Whether a message and a contact read from a document are within the limits (else it is not shown)."""
    return len(message) <= limits.answer_message_chars and len(contact) <= limits.answer_contact_chars


def _under(reply: Reply, answer: Answer) -> bool:
    return (
        reply.answer_id == answer.id
        and reply.answer_author == answer.author
        and reply.item_id == answer.item_id
        and reply.item_author == answer.item_author
        and reply.author in (answer.item_author, answer.author)
    )


def thread(answer: Answer, replies: Iterable[Reply], limits: Limits = DEFAULT_LIMITS) -> list[Reply]:
    """The conversation under `answer`: the replies its item's author and its own author wrote to it (each
    document says who wrote it, so nobody else can join), in arrival order, at most
    `limits.thread_max_replies`."""
    found = sorted((r for r in replies if _under(r, answer)), key=lambda r: arrival_key(r))
    return found[: limits.thread_max_replies]


def reply_time(seen: Iterable[Reply], now: datetime | None = None) -> str:
    """The time of a new reply, to the millisecond, and later than every reply its writer has seen in the
    conversation: it was written after them, so it is shown after them, even when the two devices' clocks
    disagree or both replies fall in the same second."""
    when = now or datetime.now(UTC)
    for reply in seen:
        if (earlier := _instant(reply.created)) is not None and earlier >= when:
            when = earlier + timedelta(milliseconds=1)
    return when.isoformat(timespec="milliseconds")


def plan_reply(
    item: Item, answer: Answer, me: str, replies: Iterable[Reply], limits: Limits = DEFAULT_LIMITS
) -> None:
    """Check that I may write under `answer` now: I am the item's author or the answer's author, and the
    conversation has room. Raises InputError otherwise."""
    if me not in (item.author, answer.author) or answer.item_author != item.author:
        raise InputError("rsvp.reply_not_allowed")
    if len(thread(answer, replies, limits)) >= limits.thread_max_replies:
        raise InputError("rsvp.thread_full", limit=limits.thread_max_replies)
