"""Programme: the festival's events, and the offers, needs and calls that have a date, day by day and place
by place; a repeating item appears on each day it happens (`reliance.model.programme`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import OptionList, Select
from textual.widgets.option_list import Option

from reliance.i18n import kind_short
from reliance.model.catalogue import Item, ItemKind
from reliance.model.programme import Entry, programme
from reliance.model.search import fold
from reliance.tui.common import actions
from reliance.tui.common.base import RelianceScreen
from reliance.tui.common.data import Row
from reliance.tui.common.render import day_label
from reliance.tui.common.widgets import Column, VirtualTable, plain_options

NO_DAY = "none"


@dataclass(frozen=True, slots=True)
class ProgrammeRow:
    """One line of a day: a time an item happens (None for an event without a date) and its catalogue row."""

    row: Row
    entry: Entry | None

    @property
    def item(self) -> Item:
        return self.row.item

    @property
    def author_name(self) -> str:
        return self.row.author_name


def describe_clock_of(value: time | None) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M") if value is not None else ""


class ProgrammeScreen(RelianceScreen):
    MODE = "programme"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_event", "key.new_event"),
        Binding("h", "answer('can_help')", "key.can_help"),
        Binding("i", "answer('interested')", "key.interested"),
        Binding("left", "day(-1)", "key.prev_day", show=False),
        Binding("right", "day(1)", "key.next_day", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.day = ""
        self.place = ""
        self._days: list[tuple[str, list[ProgrammeRow]]] = []

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="programme"):
            with Vertical(id="days-panel"):
                days = OptionList(id="days")
                days.border_title = self.t("programme.days")
                yield days
            with Vertical(id="events-panel"):
                yield Select([], prompt=self.t("programme.every_place"), id="place", compact=True)
                yield VirtualTable(
                    [
                        Column("time", self.t("col.time"), 11),
                        Column("place", self.t("col.place"), 16, min_table_width=50),
                        Column("title", self.t("col.title"), 0),
                        Column("author", self.t("col.author"), 14, min_table_width=70),
                    ],
                    self._format,
                    empty=self.t("programme.empty"),
                    id="events",
                )

    def on_mount(self) -> None:  # the base class handler runs too (Textual calls each class's)
        self.query_one("#events", VirtualTable).focus()

    # -- data ----------------------------------------------------------------------------------------------
    def _format(self, row: ProgrammeRow) -> list[str]:
        item, entry = row.item, row.entry
        if entry is None:
            when = ""
        else:
            starts, ends = entry.starts_at, entry.ends_at
            start = describe_clock_of(starts)
            end = describe_clock_of(ends)
            if start and end:
                when = f"{start}–{end}"
            elif start or end:
                when = start or f"…–{end}"
            else:
                when = self.t("programme.all_day")
        title = item.title
        if item.kind != ItemKind.EVENT:
            title = self.t("programme.with_kind", title=title, kind=kind_short(item.kind, self.lang))
        author = self.t("details.you") if item.author == self.data.me else row.author_name
        return [when, item.place or "—", title, author]

    def refresh_data(self, doc_ids: set[str] | None = None) -> None:
        rows = {row.item.id: row for row in self.data.rows}
        found = programme(row.item for row in rows.values())
        days: list[tuple[str, list[ProgrammeRow]]] = [
            (d.day.isoformat(), [ProgrammeRow(rows[e.item.id], e) for e in d.entries]) for d in found.days
        ]
        if found.undated:
            days.append((NO_DAY, [ProgrammeRow(rows[i.id], None) for i in found.undated]))
        self._days = days
        days_list = self.query_one("#days", OptionList)
        with days_list.prevent(OptionList.OptionHighlighted):
            self._fill_days(days_list, days)

    def _fill_days(self, days_list: OptionList, days: list[tuple[str, list[ProgrammeRow]]]) -> None:
        days_list.clear_options()
        for key, rows in days:
            label = (
                self.t("programme.no_date")
                if key == NO_DAY
                else day_label(date.fromisoformat(key), self.lang)
            )
            days_list.add_option(Option(Text.assemble(label, (f"  {len(rows)}", "dim")), id=f"day-{key}"))
        keys = [key for key, _ in days]
        if self.day not in keys:
            today = date.today().isoformat()
            upcoming = [k for k in keys if k != NO_DAY and k >= today]
            self.day = upcoming[0] if upcoming else (keys[0] if keys else "")
        if self.day:
            days_list.highlighted = keys.index(self.day)
        self._show_day()

    def _show_day(self) -> None:
        rows = dict(self._days).get(self.day, [])
        places = sorted({r.item.place for r in rows if r.item.place}, key=lambda p: (fold(p), p))
        select = self.query_one("#place", Select)
        with select.prevent(Select.Changed):
            select.set_options(plain_options([(p, p) for p in places]))
            if self.place in places:
                select.value = self.place
            else:
                self.place = ""
        chosen = [r for r in rows if not self.place or r.item.place == self.place]  # in the day's order
        table = self.query_one("#events", VirtualTable)
        table.set_rows(chosen)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        option_id = event.option.id or ""
        if option_id.startswith("day-") and option_id[4:] != self.day:
            self.day = option_id[4:]
            self._show_day()

    def on_select_changed(self, event: Select.Changed) -> None:
        self.place = "" if event.value is Select.NULL else str(event.value)
        self._show_day()

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        if isinstance(event.row, ProgrammeRow):
            self.rapp.show_item(event.row.item.id)

    # -- actions -------------------------------------------------------------------------------------------
    def action_day(self, delta: int) -> None:
        keys = [key for key, _ in self._days]
        if not keys:
            return
        position = keys.index(self.day) if self.day in keys else 0
        self.query_one("#days", OptionList).highlighted = max(0, min(len(keys) - 1, position + delta))

    def action_new_event(self) -> None:
        actions.new_item(self.rapp, ItemKind.EVENT)

    def action_answer(self, kind: str) -> None:
        row = self.query_one("#events", VirtualTable).current
        if isinstance(row, ProgrammeRow):
            actions.answer_item(self.rapp, row.item, kind)
        else:
            self.notify(self.t("error.no_selection"), severity="warning")
