"""Catalogue: every item of every peer, filtered as you type; details, answers, and your own items."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Select, Static

from reliance.i18n import kind_short, status_label
from reliance.model.catalogue import Item, ItemKind, Status
from reliance.tui.common import actions
from reliance.tui.common.base import RelianceScreen
from reliance.tui.common.data import CatalogueFilter, FilterCache, Row
from reliance.tui.common.render import item_details, status_kind_rows
from reliance.tui.common.widgets import Column, VirtualTable, plain_options


class CatalogueScreen(RelianceScreen):
    MODE = "catalogue"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "key.new_item"),
        Binding("e", "edit", "key.edit"),
        Binding("a", "archive", "key.archive"),
        Binding("h", "answer('can_help')", "key.can_help"),
        Binding("i", "answer('interested')", "key.interested"),
        Binding("slash", "search", "key.search"),
        Binding("m", "mine", "key.mine"),
        Binding("escape", "escape", "key.clear_filters", show=False),
        Binding("down", "focus_table", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter = CatalogueFilter()
        self._cache = FilterCache()
        self.shown: list[Row] = []
        self._authors: list[tuple[str, str]] = []

    # -- layout --------------------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        lang = self.lang
        f = self.filter
        with Container(id="filters"):
            yield Input(f.text, placeholder=self.t("catalogue.search"), id="search", compact=True)
            yield Select(
                [(self.t(f"kind.{k.value}"), k.value) for k in ItemKind],
                prompt=self.t("filter.every_kind"),
                value=f.kind or Select.NULL,
                id="kind",
                compact=True,
            )
            yield Select(
                status_kind_rows(lang),
                value=f.status,
                allow_blank=False,
                id="status",
                compact=True,
            )
            yield Select(
                plain_options(self._author_options()),
                prompt=self.t("filter.every_author"),
                value=f.author or Select.NULL,
                id="author",
                compact=True,
            )
            yield Input(f.tag, placeholder=self.t("catalogue.tag"), id="tag", compact=True)
        with Horizontal(id="body"):
            with Vertical(id="list-panel"):
                yield VirtualTable(self._columns(), self._format, dim=self._dim, id="items")
                yield Static("", id="count")
            with VerticalScroll(id="details", classes="panel"):
                yield Static("", id="details-text")

    def _columns(self) -> list[Column]:
        return [
            Column("kind", self.t("col.kind"), 8),
            Column("title", self.t("col.title"), 0),
            Column("author", self.t("col.author"), 14),
            Column("status", self.t("col.status"), 9, min_table_width=64),
            Column("place", self.t("col.place"), 14, min_table_width=84),
            Column("date", self.t("col.date"), 10, min_table_width=100),
        ]

    def _format(self, row: Row) -> list[str]:
        item = row.item
        author = self.t("details.you") if item.author == self.data.me else row.author_name
        return [
            kind_short(item.kind, self.lang),
            item.title,
            author,
            status_label(item.status, self.lang),
            item.place,
            item.created[:10],
        ]

    @staticmethod
    def _dim(row: Row) -> bool:
        return row.item.status == Status.ARCHIVED

    def _author_options(self) -> list[tuple[str, str]]:
        me = self.data.me
        options = [(self.t("filter.me"), me)]
        options.extend((name, peer) for name, peer in self._authors if peer != me)
        return options

    def on_mount(self) -> None:  # the base class handler runs too (Textual calls each class's)
        self.query_one("#items", VirtualTable).focus()

    # -- data ----------------------------------------------------------------------------------------------
    def refresh_data(self, doc_ids: set[str] | None = None) -> None:
        data = self.data
        authors = data.authors()
        if authors != self._authors:
            self._authors = authors
            select = self.query_one("#author", Select)
            with select.prevent(Select.Changed):
                select.set_options(plain_options(self._author_options()))
                if self.filter.author:
                    select.value = self.filter.author
        self.apply_filter()

    def apply_filter(self) -> None:
        table = self.query_one("#items", VirtualTable)
        current = table.current
        current_id = current.item.id if isinstance(current, Row) else None
        self.shown = self._cache.apply(self.filter, self.data.rows)
        if not self.data.rows:
            table.empty = self.t("catalogue.loading") if not self.data.loaded else self.t("catalogue.empty")
        else:
            table.empty = self.t("catalogue.no_match")
        table.set_rows(self.shown, keep=(lambda r: r.item.id == current_id) if current_id else None)
        self.query_one("#count", Static).update(
            Text(self.t("catalogue.count", shown=len(self.shown), total=len(self.data.rows)), style="dim")
        )
        self._show_details(table.current)

    def _show_details(self, row: object) -> None:
        widget = self.query_one("#details-text", Static)
        if isinstance(row, Row):
            item = self.data.items_by_id.get(row.item.id, row.item)
            widget.update(item_details(item, self.data, self.lang))
        else:
            widget.update(Text(self.t("catalogue.details_none"), style="dim"))

    def on_virtual_table_highlighted(self, event: VirtualTable.Highlighted) -> None:
        self._show_details(event.row)
        row = event.row
        self.bindings_state(None if not isinstance(row, Row) else row.item.author == self.data.me)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("edit", "archive", "answer"):
            found = list(self.query("#items").results(VirtualTable))
            row = found[0].current if found else None  # check_action may run before compose
            if not isinstance(row, Row):
                return None  # shown, greyed out
            mine = row.item.author == self.data.me
            return mine if action != "answer" else not mine
        return True

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        if isinstance(event.row, Row):
            self.rapp.show_item(event.row.item.id)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "search":
            self.filter = replace(self.filter, text=event.value)
        elif event.input.id == "tag":
            self.filter = replace(self.filter, tag=event.value.strip().lstrip("#").lower())
        else:
            return
        self.apply_filter()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#items", VirtualTable).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        value = "" if event.value is Select.NULL else str(event.value)
        if event.select.id == "kind":
            self.filter = replace(self.filter, kind=value)
        elif event.select.id == "status":
            self.filter = replace(self.filter, status=value or "active")
        elif event.select.id == "author":
            self.filter = replace(self.filter, author=value)
        else:
            return
        self.apply_filter()

    def set_filter(self, new: CatalogueFilter) -> None:
        """Set every filter at once (tests, command palette)."""
        self.filter = new
        self.query_one("#search", Input).value = new.text
        self.query_one("#tag", Input).value = new.tag
        self.query_one("#kind", Select).value = new.kind or Select.NULL
        self.query_one("#status", Select).value = new.status
        self.query_one("#author", Select).value = new.author or Select.NULL
        self.apply_filter()

    # -- actions -------------------------------------------------------------------------------------------
    def selected_item(self) -> Item | None:
        row = self.query_one("#items", VirtualTable).current
        if isinstance(row, Row):
            return self.data.items_by_id.get(row.item.id, row.item)
        self.notify(self.t("error.no_selection"), severity="warning")
        return None

    def action_new(self) -> None:
        kind = ItemKind(self.filter.kind) if self.filter.kind else None
        actions.new_item(self.rapp, kind)

    def action_edit(self) -> None:
        item = self.selected_item()
        if item is not None:
            actions.edit_item(self.rapp, item)

    def action_archive(self) -> None:
        item = self.selected_item()
        if item is not None:
            actions.archive_item(self.rapp, item)

    def action_answer(self, kind: str) -> None:
        item = self.selected_item()
        if item is not None:
            actions.answer_item(self.rapp, item, kind)

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_focus_table(self) -> None:
        self.query_one("#items", VirtualTable).focus()

    def action_mine(self) -> None:
        select = self.query_one("#author", Select)
        select.value = Select.NULL if self.filter.author == self.data.me else self.data.me

    def action_escape(self) -> None:
        focused = self.focused
        if isinstance(focused, Input | Select):
            self.query_one("#items", VirtualTable).focus()
        elif self.filter != CatalogueFilter():
            self.set_filter(CatalogueFilter())
