"""Item actions shared by the catalogue, the programme, the feed and the details dialog."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from reliance.i18n import answer_label
from reliance.localapi.ops import item_args
from reliance.model.catalogue import Item, ItemKind
from reliance.tui.common.dialogs import (
    AnswerDialog,
    AnswerDraft,
    ConfirmDialog,
    Dialog,
    ItemForm,
    ReplyDialog,
    ReplyDraft,
    WithdrawAnswerDialog,
)
from reliance.tui.common.render import item_details
from reliance.tui.common.widgets import AppFooter

if TYPE_CHECKING:
    from reliance.tui.app import RelianceApp


def project_choices(app: RelianceApp) -> list[tuple[str, str]]:
    projects = app.data.projects
    return sorted(((view.name or pid, pid) for pid, view in projects.items()), key=lambda p: p[0].lower())


def new_item(app: RelianceApp, kind: ItemKind | None = None) -> None:
    def done(draft: Item | None) -> None:
        if draft is None:
            return
        app.perform(
            app.operate(app.workspace.peer_id, "item.add", item_args(draft)),
            done=app.t("done.item_created", title=draft.title),
        )

    app.push_screen(ItemForm(None, app.workspace.peer_id, project_choices(app), kind), done)


def edit_item(app: RelianceApp, item: Item) -> None:
    if item.author != app.workspace.peer_id:
        app.notify(app.t("error.not_mine"), severity="warning")
        return

    def done(draft: Item | None) -> None:
        if draft is None:
            return
        args = item_args(draft) | {"item_id": item.id}
        app.perform(
            app.operate(app.workspace.peer_id, "item.edit", args),
            done=app.t("done.item_saved", title=draft.title),
        )

    app.push_screen(ItemForm(item, app.workspace.peer_id, project_choices(app)), done)


def _confirm_own(app: RelianceApp, item: Item, operation: str, confirm: str, finished: str) -> None:
    """Ask to confirm, then the `operation` on `item.id` as me: only on my own item."""
    if item.author != app.workspace.peer_id:
        app.notify(app.t("error.not_mine"), severity="warning")
        return

    def done(yes: bool | None) -> None:
        if yes:
            app.perform(
                app.operate(app.workspace.peer_id, operation, {"item_id": item.id}),
                done=app.t(finished, title=item.title),
            )

    app.push_screen(ConfirmDialog(app.t(confirm, title=item.title)), done)


def archive_item(app: RelianceApp, item: Item) -> None:
    _confirm_own(app, item, "item.archive", "confirm.archive", "done.item_archived")


def answer_item(app: RelianceApp, item: Item, kind: str) -> None:
    if item.author == app.workspace.peer_id:
        app.notify(app.t("error.answer_own"), severity="warning")
        return
    current = next((a for a in app.data.mine(item) if a.kind.value == kind), None)

    def done(draft: AnswerDraft | None) -> None:
        if draft is None:
            return
        args = {"item_id": item.id, "kind": kind, "message": draft.message, "contact": draft.contact}
        app.perform(
            app.operate(app.workspace.peer_id, "item.answer", args),
            done=app.t("done.answered", title=item.title),
        )

    message, contact = (current.message, current.contact) if current else ("", "")
    app.push_screen(AnswerDialog(item.title, kind, message, contact), done)


def reply_choices(app: RelianceApp, item: Item) -> list[tuple[str, str]]:
    """The answers I may write under: all of them on my item, mine on someone else's: (label, id)."""
    data = app.data
    mine = item.author == data.me
    out: list[tuple[str, str]] = []
    for answer in data.standing(item):
        if not mine and answer.author != data.me:
            continue
        who = app.t("details.you") if answer.author == data.me else data.name(answer.author)
        label = f"{answer_label(answer.kind, app.lang)} — {who}"
        if answer.message:
            label += f": {answer.message[:40]}"
        out.append((label, answer.id))
    return out


def reply_to_answer(app: RelianceApp, item: Item) -> None:
    choices = reply_choices(app, item)
    if not choices:
        app.notify(app.t("error.nothing_to_reply"), severity="warning")
        return

    def done(draft: ReplyDraft | None) -> None:
        if draft is None:
            return
        args = {"answer_id": draft.answer_id, "message": draft.message, "contact": draft.contact}
        app.perform(
            app.operate(app.workspace.peer_id, "item.reply", args),
            done=app.t("done.replied", title=item.title),
        )

    app.push_screen(ReplyDialog(item.title, choices), done)


def withdraw_answer(app: RelianceApp, item: Item) -> None:
    kinds = [a.kind.value for a in app.data.mine(item)]
    if not kinds:
        app.notify(app.t("error.no_answer_to_withdraw"), severity="warning")
        return

    def done(kind: str | None) -> None:
        if kind is None:
            return
        args = {"item_id": item.id, "kind": kind, "withdraw": True}
        app.perform(
            app.operate(app.workspace.peer_id, "item.answer", args),
            done=app.t("done.answer_withdrawn", title=item.title),
        )

    app.push_screen(WithdrawAnswerDialog(item.title, kinds), done)


def withdraw_item(app: RelianceApp, item: Item) -> None:
    _confirm_own(app, item, "item.withdraw", "confirm.withdraw", "done.item_withdrawn")


class ItemDetailsDialog(Dialog[None]):
    """One item in full, with what you can do with it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "key.close"),
        Binding("h", "answer('can_help')", "key.can_help"),
        Binding("i", "answer('interested')", "key.interested"),
        Binding("c", "answer('coming')", "key.coming"),
        Binding("r", "reply", "key.reply"),
        Binding("u", "withdraw_answer", "key.withdraw_answer"),
        Binding("e", "edit", "key.edit"),
        Binding("a", "archive", "key.archive"),
        Binding("w", "withdraw", "key.withdraw"),
    ]

    def __init__(self, item: Item) -> None:
        super().__init__()
        self.item = item

    def compose(self) -> ComposeResult:
        body = VerticalScroll(classes="dialog-body")
        body.can_focus = False
        with Vertical(classes="dialog details"), body:
            yield Static(item_details(self.item, self.rapp.data, self.rapp.lang), id="details-text")
        yield AppFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        mine = self.item.author == self.rapp.workspace.peer_id
        if action in ("edit", "archive", "withdraw"):
            return mine
        if action in ("answer", "withdraw_answer"):
            return not mine
        return True

    def refresh_item(self) -> None:
        fresh = self.rapp.data.items_by_id.get(self.item.id)
        if fresh is not None:
            self.item = replace(fresh)
        self.query_one("#details-text", Static).update(
            item_details(self.item, self.rapp.data, self.rapp.lang)
        )

    def action_answer(self, kind: str) -> None:
        self.dismiss(None)
        answer_item(self.rapp, self.item, kind)

    def action_edit(self) -> None:
        self.dismiss(None)
        edit_item(self.rapp, self.item)

    def action_archive(self) -> None:
        self.dismiss(None)
        archive_item(self.rapp, self.item)

    def action_reply(self) -> None:
        self.dismiss(None)
        reply_to_answer(self.rapp, self.item)

    def action_withdraw_answer(self) -> None:
        self.dismiss(None)
        withdraw_answer(self.rapp, self.item)

    def action_withdraw(self) -> None:
        self.dismiss(None)
        withdraw_item(self.rapp, self.item)
