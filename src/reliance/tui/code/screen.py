"""Social code (#CodeSocial): mine, a peer's or a project's; editing; history; two codes side by side."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich import box
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import OptionList, Select, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.display import clean
from reliance.doc import participant
from reliance.doc.participant import Amendment
from reliance.i18n import group_label, section_hint, section_label
from reliance.model.codesocial import SECTIONS
from reliance.tui.common.base import RelianceScreen
from reliance.tui.common.dialogs import SectionEditor
from reliance.tui.common.widgets import Column, VirtualTable, plain, plain_options, spawn


@dataclass(frozen=True)
class CodeView:
    doc_id: str
    sections: dict[str, str]
    history: tuple[Amendment, ...]


def read_code(ws: Workspace, doc_id: str) -> CodeView:
    """Store thread: the sections and the history of one participant's or project's code."""
    if doc_id.startswith("pj"):
        return CodeView(
            doc_id, projects.project_code(ws, doc_id), tuple(projects.project_history(ws, doc_id))
        )
    return CodeView(doc_id, ws.code(doc_id), tuple(ws.history(doc_id)))


def amendment_diff(ws: Workspace, doc_id: str, history: Sequence[Amendment], index: int) -> tuple[str, str]:
    """Store thread: a section's text before and after one amendment (a project's code has the same shape)."""
    amendment = history[index]
    crdt = ws.repo.open(doc_id).crdt
    after_heads = history[index + 1].before_heads if index + 1 < len(history) else None
    before = participant.read_code(crdt, amendment.before_heads) if amendment.before_heads else {}
    after = participant.read_code(crdt, after_heads)
    return before.get(amendment.section, ""), after.get(amendment.section, "")


def diff_text(before: str, after: str) -> Text:
    text = Text()
    lines = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=2))
    for line in lines[2:]:
        style = (
            "green"
            if line.startswith("+")
            else "red"
            if line.startswith("-")
            else "dim"
            if line.startswith("@")
            else ""
        )
        text.append(clean(line) + "\n", style=style)
    return text


class CodeScreen(RelianceScreen):
    MODE = "code"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "edit", "key.edit_section"),
        Binding("s", "tab('sections')", "key.sections"),
        Binding("h", "tab('history')", "key.history"),
        Binding("c", "tab('compare')", "key.compare"),
        Binding("o", "whose", "key.whose"),
        Binding("f", "follow", "key.follow"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.doc_id = ""
        self.other = ""
        self.section = SECTIONS[0].id
        self.tab = "sections"
        self.view: CodeView | None = None
        self.other_view: CodeView | None = None
        self._options: list[tuple[str, str]] = []

    # -- layout --------------------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        if not self.doc_id:
            self.doc_id = self.ws.peer_id
        self._options = self._doc_options()
        with Horizontal(id="code-top"):
            yield Static(self.t("code.whose"), id="whose-label")
            yield Select(
                plain_options(self._options), value=self.doc_id, allow_blank=False, id="whose", compact=True
            )
            yield Static("", id="follow-state")
        with TabbedContent(initial=self.tab, id="code-tabs"):
            with TabPane(self.t("code.tab_sections"), id="sections"), Horizontal(classes="code-split"):
                yield OptionList(id="section-list")
                with VerticalScroll(id="section-view", classes="panel"):
                    yield Static("", id="section-text")
            with TabPane(self.t("code.tab_history"), id="history"), Horizontal(classes="code-split"):
                yield VirtualTable(
                    [
                        Column("at", self.t("col.when"), 16),
                        Column("by", self.t("col.who"), 14, min_table_width=50),
                        Column("section", self.t("col.section"), 0),
                        Column("change", self.t("col.change"), 9),
                    ],
                    self._format_amendment,
                    empty=self.t("code.no_history"),
                    id="history-table",
                )
                with VerticalScroll(id="diff-view", classes="panel"):
                    yield Static("", id="diff")
            with TabPane(self.t("code.tab_compare"), id="compare"), Vertical():
                with Horizontal(id="compare-top"):
                    yield Static(self.t("code.compare_with"), id="compare-label")
                    other_options = [(label, value) for label, value in self._options if value != self.doc_id]
                    yield Select(
                        plain_options(other_options),
                        value=self.other if self.other in {v for _, v in other_options} else Select.NULL,
                        prompt=self.t("field.choose"),
                        id="other",
                        compact=True,
                    )
                with VerticalScroll(id="compare-view"):
                    yield Static("", id="compare-text")

    def _doc_options(self) -> list[tuple[str, str]]:
        data = self.data
        me = self.ws.peer_id
        options = [(self.t("code.mine", name=self.ws.identity.name), me)]
        peers = sorted(
            (
                (view.name or doc_id[:10], doc_id)
                for doc_id, view in data.participants.items()
                if doc_id != me
            ),
            key=lambda pair: pair[0].lower(),
        )
        options.extend(peers)
        options.extend(
            sorted(
                ((f"◆ {view.name}", pid) for pid, view in data.projects.items()), key=lambda p: p[0].lower()
            )
        )
        if self.doc_id and self.doc_id not in {v for _, v in options}:
            options.append((self.doc_id[:12], self.doc_id))
        return options

    def on_mount(self) -> None:  # the base class handler runs too (Textual calls each class's)
        self.query_one("#section-list", OptionList).focus()

    # -- data ----------------------------------------------------------------------------------------------
    def editable(self) -> bool:
        if self.doc_id == self.ws.peer_id:
            return True
        return self.doc_id.startswith("pj") and self.data.is_member(self.doc_id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "edit":
            return self.editable()
        if action == "follow":
            return self.doc_id != self.ws.peer_id
        return True

    def refresh_data(self, doc_ids: set[str] | None = None) -> None:
        options = self._doc_options()
        if options != self._options:
            self._options = options
            for select_id, exclude in (("#whose", ""), ("#other", self.doc_id)):
                select = self.query_one(select_id, Select)
                chosen = [(label, value) for label, value in options if value != exclude]
                with select.prevent(Select.Changed):
                    select.set_options(plain_options(chosen))
                    current = self.doc_id if select_id == "#whose" else self.other
                    if current in {v for _, v in chosen}:
                        select.value = current
        if doc_ids is None or self.doc_id in doc_ids or (self.other and self.other in doc_ids):
            self.load()
        self._show_follow()

    def show_doc(self, doc_id: str) -> None:
        """Show someone's (or a project's) code; used by other screens."""
        self.doc_id = doc_id
        self._options = []  # the compare list leaves out the code shown: fill both lists again
        self.refresh_data()
        select = self.query_one("#whose", Select)
        with select.prevent(Select.Changed):
            select.value = doc_id
        self.refresh_bindings()

    def load(self) -> None:
        spawn(self, self._load, exclusive=True, group="code-load")

    async def _load(self) -> None:
        ws = self.ws
        doc_id, other = self.doc_id, self.other
        try:
            view = await self.rapp.io(read_code, ws, doc_id)
            other_view = await self.rapp.io(read_code, ws, other) if other else None
        except Exception as exc:
            self.rapp.report(exc)
            return
        if doc_id != self.doc_id:
            return
        self.view = view
        self.other_view = other_view
        self._show_sections()
        self._show_history()
        self._show_compare()

    def _show_follow(self) -> None:
        widget = self.query_one("#follow-state", Static)
        if self.doc_id == self.ws.peer_id:
            widget.update(Text(self.t("code.yours"), style="dim"))
        elif self.data.follows_doc(self.doc_id):
            widget.update(Text("★ " + self.t("code.following"), style="yellow"))
        else:
            widget.update(Text("☆ " + self.t("code.not_following"), style="dim"))

    # -- sections ------------------------------------------------------------------------------------------
    def _show_sections(self) -> None:
        view = self.view
        if view is None:
            return
        options = self.query_one("#section-list", OptionList)
        options.clear_options()
        group = ""
        for section in SECTIONS:
            if section.group and section.group != group:
                options.add_option(
                    Option(Text(group_label(section.group, self.lang), style="bold dim"), disabled=True)
                )
            group = section.group
            filled = bool(view.sections.get(section.id, "").strip())
            label = section_label(section.id, self.lang)
            options.add_option(
                Option(
                    Text.assemble(
                        ("  " if section.group else "", ""),
                        ("● " if filled else "○ ", "green" if filled else "dim"),
                        label,
                    ),
                    id=section.id,
                )
            )
        options.highlighted = options.get_option_index(self.section)
        self._show_section()

    def _show_section(self) -> None:
        view = self.view
        widget = self.query_one("#section-text", Static)
        if view is None:
            return
        body = view.sections.get(self.section, "")
        text = Text()
        text.append(section_label(self.section, self.lang) + "\n", style="bold")
        text.append(section_hint(self.section, self.lang) + "\n\n", style="dim italic")
        if body.strip():
            text.append(clean(body, multiline=True))
        else:
            key = "code.empty_section_mine" if self.editable() else "code.empty_section"
            text.append(self.t(key), style="dim italic")
        widget.update(text)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "section-list" and event.option.id:
            self.section = event.option.id
            self._show_section()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "section-list" and self.editable():
            self.action_edit()

    # -- history -------------------------------------------------------------------------------------------
    def _format_amendment(self, row: tuple[int, Amendment]) -> list[str]:
        _index, amendment = row
        who = self.t("details.you") if amendment.by == self.ws.peer_id else self.data.name(amendment.by)
        return [
            amendment.at.replace("T", " ")[:16],
            who,
            section_label(amendment.section, self.lang),
            f"+{amendment.added} −{amendment.removed}",
        ]

    def _show_history(self) -> None:
        view = self.view
        if view is None:
            return
        rows = list(enumerate(view.history))
        rows.reverse()  # newest first
        table = self.query_one("#history-table", VirtualTable)
        table.set_rows(rows)
        if not rows:
            self.query_one("#diff", Static).update("")

    def on_virtual_table_highlighted(self, event: VirtualTable.Highlighted) -> None:
        if event.table.id == "history-table" and isinstance(event.row, tuple):
            spawn(self, functools.partial(self._show_diff, event.row[0]), exclusive=True, group="code-diff")

    async def _show_diff(self, index: int) -> None:
        view = self.view
        if view is None or index >= len(view.history):
            return
        try:
            before, after = await self.rapp.io(amendment_diff, self.ws, view.doc_id, view.history, index)
        except Exception as exc:
            self.rapp.report(exc)
            return
        amendment = view.history[index]
        who = self.data.name(amendment.by)
        text = Text()
        title = self.t(
            "code.diff_title",
            who=clean(who),
            when=amendment.at.replace("T", " ")[:16],
            section=section_label(amendment.section, self.lang),
        )
        text.append(title + "\n\n", style="bold")
        text.append_text(diff_text(before, after))
        if not before and after:
            text.append("\n" + self.t("code.first_version"), style="dim")
        self.query_one("#diff", Static).update(text)

    # -- compare -------------------------------------------------------------------------------------------
    def _show_compare(self) -> None:
        widget = self.query_one("#compare-text", Static)
        view, other = self.view, self.other_view
        if view is None:
            return
        if other is None:
            widget.update(Text(self.t("code.compare_hint"), style="dim"))
            return
        names = {value: label for label, value in self._options}
        table = Table(box=box.SIMPLE_HEAD, expand=True, show_lines=False, padding=(0, 1))
        # Rich reads a str cell as markup: every name and text goes in as a plain Text.
        table.add_column(plain(names.get(view.doc_id, view.doc_id[:10])), ratio=1)
        table.add_column(plain(names.get(other.doc_id, other.doc_id[:10])), ratio=1)
        for section in SECTIONS:
            left = view.sections.get(section.id, "")
            right = other.sections.get(section.id, "")
            if not left.strip() and not right.strip():
                continue
            same = left.strip() == right.strip()
            mark = "=" if same else "≠"
            table.add_row(
                Text(
                    f"{mark} {section_label(section.id, self.lang)}", style="bold" if same else "bold yellow"
                ),
                "",
            )
            table.add_row(
                plain(left, multiline=True) if left else Text("—", style="dim"),
                plain(right, multiline=True) if right else Text("—", style="dim"),
                end_section=True,
            )
        if not table.rows:
            widget.update(Text(self.t("code.compare_empty"), style="dim"))
            return
        widget.update(table)

    def on_select_changed(self, event: Select.Changed) -> None:
        value = "" if event.value is Select.NULL else str(event.value)
        if event.select.id == "whose" and value and value != self.doc_id:
            self.doc_id = value
            if self.other == value:
                self.other = ""
            self.view = None
            self._options = []
            self.refresh_data()
            self.refresh_bindings()
        elif event.select.id == "other" and value != self.other:
            self.other = value
            self.load()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id:
            self.tab = event.pane.id
            if self.tab == "compare":
                self._default_other()

    def _default_other(self) -> None:
        """Compare with someone at once: the first other code that has text."""
        if self.other:
            return
        candidates = [value for _, value in self._options if value != self.doc_id]
        if candidates:
            self.query_one("#other", Select).value = candidates[0]

    # -- actions -------------------------------------------------------------------------------------------
    def action_tab(self, tab: str) -> None:
        self.tab = tab
        self.query_one("#code-tabs", TabbedContent).active = tab
        focus = {"sections": "#section-list", "history": "#history-table", "compare": "#other"}[tab]
        self.query_one(focus).focus()

    def action_whose(self) -> None:
        self.query_one("#whose", Select).focus()

    def action_edit(self) -> None:
        if not self.editable():
            self.notify(self.t("error.not_editable"), severity="warning")
            return
        current = self.view.sections.get(self.section, "") if self.view else ""
        whose = dict((v, label) for label, v in self._options).get(self.doc_id, "")
        label = section_label(self.section, self.lang)
        doc_id, section = self.doc_id, self.section

        def done(text: str | None) -> None:
            if text is None:
                return
            args = {"section": section, "text": text}
            if doc_id.startswith("pj"):
                args["project"] = doc_id
            self.rapp.perform(
                self.rapp.operate(doc_id, "code.set", args), done=self.t("done.section_saved", section=label)
            )

        hint = section_hint(section, self.lang)
        self.app.push_screen(SectionEditor(whose, label, current, hint), done)

    def action_follow(self) -> None:
        if self.doc_id == self.ws.peer_id:
            return
        self.rapp.toggle_follow(self.doc_id)
        self._show_follow()
