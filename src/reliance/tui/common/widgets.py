"""Widgets shared by the screens: the navigation bar, a virtual table for long lists, a QR code, bars."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.dom import DOMNode
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Footer, Static
from textual.worker import Worker

from reliance.display import clean
from reliance.i18n import MESSAGES, t

# -- other people's text -----------------------------------------------------------------------------------


def plain(text: str, style: str = "", *, multiline: bool = False) -> Text:
    """Text from a document or a peer, ready for any widget: inert (`display.clean`) and never read as
    markup (a `Text` is drawn as it is, where a `str` given to Static, Label, OptionList, Select, DataTable
    or a Rich table would be parsed: `[b]` would turn bold, `[@click=…]` into an action)."""
    return Text(clean(text, multiline=multiline), style=style)


def plain_options(options: Sequence[tuple[str, Any]]) -> list[tuple[Text, Any]]:
    """Select options whose labels hold names or places: each label a `plain` Text."""
    return [(plain(label), value) for label, value in options]


def spawn(node: DOMNode, work: Callable[[], Coroutine[None, None, None]], **options: Any) -> Worker[None]:
    """`node.run_worker` for a coroutine function, given uncalled: a cancelled worker leaves no warning."""
    return node.run_worker(work, **options)


# -- localised bindings ------------------------------------------------------------------------------------


def binding_label(source: str, lang: str) -> str:
    """A binding's description in `lang`: ours are catalogue keys; Textual's own are English sentences,
    looked up by their text (`textual.<words>`); anything else is shown as it is."""
    if source in MESSAGES:
        return t(source, lang)
    key = "textual." + re.sub(r"[^a-z0-9]+", "_", source.lower()).strip("_")
    return t(key, lang) if key in MESSAGES else source


def localize_tree(root: DOMNode, lang: str) -> bool:
    """Every widget under `root` (and `root`) with its bindings in `lang`; whether any had to change."""
    changed = False
    for node in [root, *root.walk_children()]:
        if getattr(node, "_i18n_lang", None) != lang:
            localize_bindings(node, lang)
            changed = True
    return changed


def localize_bindings(node: DOMNode, lang: str) -> None:
    """Rewrite the descriptions of `node`'s bindings (written as i18n keys) in `lang`.

    Footer, key panel and command palette all read `node._bindings`, a per-instance copy of BINDINGS.
    """
    node._i18n_lang = lang  # type: ignore[attr-defined]
    keys: dict[tuple[str, str], str] | None = getattr(node, "_i18n_binding_keys", None)
    bindings_map = node._bindings
    if keys is None:
        keys = {}
        for key, bindings in bindings_map.key_to_bindings.items():
            for binding in bindings:
                keys[(key, binding.action)] = binding.description
        node._i18n_binding_keys = keys  # type: ignore[attr-defined]
    for key, bindings in list(bindings_map.key_to_bindings.items()):
        fresh: list[Binding] = []
        for binding in bindings:
            source = keys.get((key, binding.action), binding.description)
            label = binding_label(source, lang) if source else ""
            fresh.append(replace(binding, description=label, tooltip=label if binding.tooltip else ""))
        bindings_map.key_to_bindings[key] = fresh


class AppFooter(Footer):
    """Textual's footer, rebuilt only when the bindings it shows change (not on every focus change)."""

    def __init__(self) -> None:
        super().__init__()
        self._shown: object = None

    def bindings_changed(self, screen: Screen[Any]) -> None:
        shown = tuple(
            (key, binding.description, enabled, binding.show)
            for key, (_node, binding, enabled, _tooltip) in screen.active_bindings.items()
        )
        if shown == self._shown and self._bindings_ready:
            return
        self._shown = shown
        super().bindings_changed(screen)


# -- navigation --------------------------------------------------------------------------------------------

NAV: tuple[tuple[str, str, str], ...] = (
    ("home", "1", "nav.home"),
    ("code", "2", "nav.code"),
    ("catalogue", "3", "nav.catalogue"),
    ("programme", "4", "nav.programme"),
    ("projects", "5", "nav.projects"),
    ("peers", "6", "nav.peers"),
    ("settings", "7", "nav.settings"),
)


class NavItem(Static):
    """One entry of the navigation bar; click it (or press its digit) to go there."""

    def __init__(self, mode: str, digit: str, label_key: str, *, active: bool) -> None:
        super().__init__(classes="nav-item -active" if active else "nav-item", id=f"nav-{mode}")
        self.mode = mode
        self.digit = digit
        self.label_key = label_key
        self.active = active
        self.compact = False

    def render(self) -> Text:
        lang = getattr(self.app, "lang", "en")
        if self.compact and not self.active:
            return Text(f" {self.digit} ")
        return Text.assemble((f" {self.digit}", "bold"), f" {t(self.label_key, lang)} ")

    async def on_click(self, event: events.Click) -> None:
        event.stop()
        await self.app.run_action(f"go('{self.mode}')")


class NavBar(Horizontal):
    """The top line of every screen: where you are, where you can go, and the network state."""

    def __init__(self, active: str) -> None:
        super().__init__(id="nav")
        self.active = active

    def compose(self) -> Any:
        for mode, digit, key in NAV:
            yield NavItem(mode, digit, key, active=mode == self.active)
        yield Static("", id="nav-status")

    def set_compact(self, compact: bool) -> None:
        for item in self.query(NavItem):
            if item.compact != compact:
                item.compact = compact
                item.refresh(layout=True)

    def set_status(self, text: Text | str) -> None:
        self.query_one("#nav-status", Static).update(text)


# -- a table that renders only what is visible -------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int  # cells; 0 = takes the remaining width
    min_table_width: int = 0  # hidden when the table is narrower than this


class VirtualTable(ScrollView, can_focus=True):
    """A read-only table over a Python list: filtering 10,000 rows costs one list, drawing costs one screen.

    Rows are any objects; `formatter(row)` returns one string per column, called only for visible rows.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", show=False),
        Binding("down", "cursor(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "edge(0)", show=False),
        Binding("end", "edge(1)", show=False),
        Binding("enter", "select", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-table--header",
        "virtual-table--cursor",
        "virtual-table--dim",
    }
    DEFAULT_CSS = """
    VirtualTable {
        overflow-x: hidden;
        overflow-y: auto;
        background: $surface;
        height: 1fr;
        & > .virtual-table--header { text-style: bold; color: $text-accent; background: $panel; }
        & > .virtual-table--cursor { background: $block-cursor-blurred-background; }
        & > .virtual-table--dim { color: $text-muted; }
        &:focus > .virtual-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    cursor: reactive[int] = reactive(0, repaint=False, init=False)

    class Highlighted(Message):
        def __init__(self, table: VirtualTable, index: int, row: Any) -> None:
            super().__init__()
            self.table = table
            self.index = index
            self.row = row

        @property
        def control(self) -> VirtualTable:
            return self.table

    class Selected(Highlighted):
        pass

    def __init__(
        self,
        columns: Sequence[Column],
        formatter: Callable[[Any], Sequence[str]],
        *,
        dim: Callable[[Any], bool] | None = None,
        empty: str = "",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.columns = list(columns)
        self.formatter = formatter
        self.dim = dim
        self.empty = empty
        self.rows: Sequence[Any] = []

    # -- data ----------------------------------------------------------------------------------------------
    def set_rows(self, rows: Sequence[Any], *, keep: Callable[[Any], bool] | None = None) -> None:
        """Replace the rows; the cursor stays on the row `keep` recognises, else on the first row."""
        self.rows = rows
        index = 0
        if keep is not None:
            for position, row in enumerate(rows):
                if keep(row):
                    index = position
                    break
        self.virtual_size = Size(self.size.width, len(rows) + 1)
        self.set_reactive(VirtualTable.cursor, min(index, max(len(rows) - 1, 0)))
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.Highlighted(self, self.cursor, self.current))

    def set_columns(self, columns: Sequence[Column]) -> None:
        self.columns = list(columns)
        self.refresh()

    @property
    def current(self) -> Any:
        if 0 <= self.cursor < len(self.rows):
            return self.rows[self.cursor]
        return None

    # -- cursor --------------------------------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.Highlighted(self, new, self.current))

    def _visible_rows(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def _scroll_cursor_into_view(self) -> None:
        top = round(self.scroll_y)
        visible = self._visible_rows()
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * self._visible_rows())

    def action_edge(self, end: int) -> None:
        if self.rows:
            self.cursor = len(self.rows) - 1 if end else 0

    def action_select(self) -> None:
        if self.current is not None:
            self.post_message(self.Selected(self, self.cursor, self.current))

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return
        index = round(self.scroll_y) + event.y - 1
        if 0 <= index < len(self.rows):
            self.focus()
            self.cursor = index
            if event.chain >= 2:
                self.action_select()

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.rows) + 1)
        self._scroll_cursor_into_view()

    # -- drawing -------------------------------------------------------------------------------------------
    def _layout(self, width: int) -> list[tuple[Column, int]]:
        shown = [c for c in self.columns if width >= c.min_table_width]
        fixed = sum(c.width + 1 for c in shown if c.width)
        flex = [c for c in shown if not c.width]
        spare = max(width - fixed - len(flex), 0)
        out: list[tuple[Column, int]] = []
        remaining = spare
        for column in shown:
            if column.width:
                out.append((column, column.width))
            else:
                share = remaining if column is flex[-1] else spare // len(flex)
                remaining -= share
                out.append((column, max(share, 4)))
        return out

    def _strip(
        self, cells: Sequence[str], layout: list[tuple[Column, int]], style: Style, width: int
    ) -> Strip:
        segments: list[Segment] = []
        for (_column, size), cell in zip(layout, cells, strict=False):
            text = clean(cell)  # cells hold titles, names, notes: drawn as segments, straight to the terminal
            if cell_len(text) > size:
                text = set_cell_size(text, size - 1) + "…"
            segments.append(Segment(set_cell_size(text, size) + " ", style))
        return Strip(segments).adjust_cell_length(width, style)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        layout = self._layout(width)
        if y == 0:
            header = base + self.get_component_rich_style("virtual-table--header")
            return self._strip([c.label for c, _ in layout], layout, header, width)
        index = round(self.scroll_y) + y - 1
        if index >= len(self.rows):
            if not self.rows and y == 1 and self.empty:
                dim = base + self.get_component_rich_style("virtual-table--dim")
                return Strip([Segment(" " + self.empty, dim)]).adjust_cell_length(width, dim)
            return Strip.blank(width, base)
        row = self.rows[index]
        cells = list(self.formatter(row))
        by_key = {c.key: i for i, c in enumerate(self.columns)}
        shown = [cells[by_key[c.key]] if by_key[c.key] < len(cells) else "" for c, _ in layout]
        style = base
        if self.dim is not None and self.dim(row):
            style = style + self.get_component_rich_style("virtual-table--dim")
        if index == self.cursor:
            style = style + self.get_component_rich_style("virtual-table--cursor")
        return self._strip(shown, layout, style, width)


# -- QR code -----------------------------------------------------------------------------------------------


def qr_text(data: str) -> Text:
    """A QR code drawn with half blocks (two modules per character), dark on light whatever the theme."""
    import segno

    code = segno.make(data, error="m", boost_error=False)
    matrix = [list(row) for row in code.matrix_iter(scale=1, border=2)]
    if len(matrix) % 2:
        matrix.append([0] * len(matrix[0]))
    lines: list[str] = []
    for top, bottom in zip(matrix[0::2], matrix[1::2], strict=True):
        chars = []
        for upper, lower in zip(top, bottom, strict=True):
            chars.append("█" if upper and lower else "▀" if upper else "▄" if lower else " ")
        lines.append("".join(chars))
    return Text("\n".join(lines), style="#000000 on #ffffff", no_wrap=True, end="")


class QrCode(Static):
    DEFAULT_CSS = "QrCode { width: auto; height: auto; }"

    def __init__(self, data: str, *, id: str | None = None) -> None:
        super().__init__(qr_text(data), id=id)


# -- bars --------------------------------------------------------------------------------------------------


def bar_chart(values: Sequence[tuple[str, int, str]], width: int = 24, color: str = "green") -> Text:
    """Horizontal bars: (label, value, shown value) per line, scaled to the largest value."""
    text = Text(no_wrap=True)
    if not values:
        return text
    top = max(max(v for _, v, _ in values), 1)
    label_width = min(max(cell_len(label) for label, _, _ in values), 18)
    for position, (label, value, shown) in enumerate(values):
        cells = max(round(width * value / top), 1 if value > 0 else 0)
        text.append(set_cell_size(label, label_width) + " ")
        text.append("█" * cells, style=color)
        text.append(" " * (width - cells) + " " + shown)
        if position < len(values) - 1:
            text.append("\n")
    return text
