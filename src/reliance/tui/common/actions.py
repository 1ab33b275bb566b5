"""Item actions shared by the catalogue, the programme, the feed and the details dialog."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from reliance.model.catalogue import Item, ItemKind
from reliance.tui.common.dialogs import AnswerDialog, ConfirmDialog, Dialog, ItemForm
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
        ws = app.workspace
        app.perform(
            app.write(ws.peer_id, ws.add_item, draft), done=app.t("done.item_created", title=draft.title)
        )

    app.push_screen(ItemForm(None, app.workspace.peer_id, project_choices(app), kind), done)


def edit_item(app: RelianceApp, item: Item) -> None:
    if item.author != app.workspace.peer_id:
        app.notify(app.t("error.not_mine"), severity="warning")
        return

    def done(draft: Item | None) -> None:
        if draft is None:
            return
        ws = app.workspace
        changes = {
            name: getattr(draft, name)
            for name in (
                "kind",
                "title",
                "description",
                "tags",
                "place",
                "begins",
                "ends",
                "status",
                "reciprocity",
                "project",
            )
        }

        def update() -> Item:
            return ws.update_item(item.id, **changes)

        app.perform(app.write(ws.peer_id, update), done=app.t("done.item_saved", title=draft.title))

    app.push_screen(ItemForm(item, app.workspace.peer_id, project_choices(app)), done)


def archive_item(app: RelianceApp, item: Item) -> None:
    if item.author != app.workspace.peer_id:
        app.notify(app.t("error.not_mine"), severity="warning")
        return

    def done(yes: bool | None) -> None:
        if yes:
            ws = app.workspace
            app.perform(
                app.write(ws.peer_id, ws.archive_item, item.id),
                done=app.t("done.item_archived", title=item.title),
            )

    app.push_screen(ConfirmDialog(app.t("confirm.archive", title=item.title)), done)


def answer_item(app: RelianceApp, item: Item, kind: str) -> None:
    if item.author == app.workspace.peer_id:
        app.notify(app.t("error.answer_own"), severity="warning")
        return

    def done(draft: object) -> None:
        if draft is None:
            return
        message = getattr(draft, "message", "")
        ws = app.workspace
        app.perform(
            app.write(ws.peer_id, ws.answer, item.id, kind, message),
            done=app.t("done.answered", title=item.title),
        )

    app.push_screen(AnswerDialog(item.title, kind), done)


class ItemDetailsDialog(Dialog[None]):
    """One item in full, with what you can do with it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "key.close"),
        Binding("h", "answer('can_help')", "key.can_help"),
        Binding("i", "answer('interested')", "key.interested"),
        Binding("e", "edit", "key.edit"),
        Binding("a", "archive", "key.archive"),
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
        if action in ("edit", "archive"):
            return mine
        if action == "answer":
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
