"""Answering an item, replying under an answer, and taking an answer back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.widgets import Input

from reliance.tui.common.dialogs.base import Dialog, T
from reliance.tui.common.widgets import plain_options


class MessageDialog(Dialog[T]):
    """A form that sends a message and, optionally, a contact or a meeting point: Enter in the message
    moves on to the contact, Enter there sends."""

    FOCUS = "#message"
    OK_KEY = "button.send"
    ASK_BEFORE_DISCARD = True
    ENTER_MOVES_ON = True
    ENTER_SUBMITS_IN = "contact"

    def message_fields(self, message: str = "", contact: str = "", hint_key: str = "") -> ComposeResult:
        yield from self.field(
            "field.message",
            Input(message, id="message", placeholder=self.t("hint.message"), compact=True),
            hint_key,
        )
        yield from self.field(
            "field.contact", Input(contact, id="contact", placeholder=self.t("hint.contact"), compact=True)
        )

    def message_and_contact(self) -> tuple[str, str]:
        return self.value("message").strip(), self.value("contact").strip()


@dataclass(frozen=True)
class AnswerDraft:
    kind: str
    message: str
    contact: str = ""


class AnswerDialog(MessageDialog[AnswerDraft]):
    """An answer (or, when I already gave one of this kind, its new wording: one answer per kind)."""

    TITLE_KEY = "dialog.answer"

    def __init__(self, title: str, kind: str, message: str = "", contact: str = "") -> None:
        super().__init__()
        self.item_title = title
        self.kind = kind
        self.message = message
        self.contact = contact

    def title_text(self) -> str:
        return self.t("dialog.answer_title", answer=self.t(f"answer.{self.kind}"), title=self.item_title)

    def compose_fields(self) -> ComposeResult:
        yield from self.message_fields(self.message, self.contact, "hint.answer")

    def result(self) -> AnswerDraft:
        return AnswerDraft(self.kind, *self.message_and_contact())


@dataclass(frozen=True)
class ReplyDraft:
    answer_id: str
    message: str
    contact: str = ""


class ReplyDialog(MessageDialog[ReplyDraft]):
    """A message under an answer: to whom (when there are several answers I may reply to), what, and
    optionally a contact or a meeting point."""

    def __init__(self, title: str, answers: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.item_title = title
        self.answers = list(answers)  # (label, answer id)

    def title_text(self) -> str:
        return self.t("dialog.reply", title=self.item_title)

    def compose_fields(self) -> ComposeResult:
        yield from self.choice("field.reply_to", "answer", plain_options(self.answers), self.answers[0][1])
        yield from self.message_fields()

    def result(self) -> ReplyDraft:
        return ReplyDraft(self.chosen("answer"), *self.message_and_contact())


class WithdrawAnswerDialog(Dialog[str]):
    """Which of my answers to an item to take back (its kind)."""

    FOCUS = "#kind"
    OK_KEY = "key.withdraw"

    def __init__(self, title: str, kinds: Sequence[str]) -> None:
        super().__init__()
        self.item_title = title
        self.kinds = list(kinds)

    def title_text(self) -> str:
        return self.t("dialog.withdraw_answer", title=self.item_title)

    def compose_fields(self) -> ComposeResult:
        kinds = [(self.t(f"answer.{kind}"), kind) for kind in self.kinds]
        yield from self.choice("field.answer_kind", "kind", kinds, self.kinds[0])

    def result(self) -> str:
        return self.chosen("kind")
