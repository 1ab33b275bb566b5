"""Projects: members and roles, the ledger, balances, contributions per member, and the dividend preview."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from reliance import economy
from reliance.app import projects as plib
from reliance.display import clean
from reliance.doc import project as pdoc
from reliance.errors import worded
from reliance.i18n import action_label, tn
from reliance.jsontext import parse_json
from reliance.model.amounts import parse_amount
from reliance.model.messages import InputError
from reliance.tui.common.base import RelianceScreen
from reliance.tui.common.data import ProjectView, short_id
from reliance.tui.common.dialogs import (
    ConfirmDialog,
    EntryDialog,
    EntryDraft,
    LimitDialog,
    LimitDraft,
    MemberDialog,
    MemberDraft,
    ProjectDialog,
    ProjectDraft,
    PromptDialog,
    VisibilityDialog,
)
from reliance.tui.common.widgets import Column, VirtualTable, plain, spawn
from reliance.tui.projects.balances import balances_renderable
from reliance.tui.projects.dividend import Extras, dividend_preview, project_extras

R = TypeVar("R")


class ProjectsScreen(RelianceScreen):
    MODE = "projects"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_project", "key.new_project"),
        Binding("c", "contribute", "key.contribute"),
        Binding("m", "add_member", "key.add_member"),
        Binding("x", "remove_member", "key.remove_member", show=False),
        Binding("v", "visibility", "key.visibility", show=False),
        Binding("r", "reverse", "key.reverse", show=False),
        Binding("k", "acknowledge", "key.acknowledge", show=False),
        Binding("d", "pool", "key.dividend"),
        Binding("p", "record_distribution", "key.record_distribution", show=False),
        Binding("L", "limit", "key.limit", show=False),
        Binding("P", "policy_file", "key.policy_file", show=False),
        Binding("o", "open_code", "key.project_code"),
        Binding("l", "tab('ledger')", "key.ledger", show=False),
        Binding("g", "tab('members')", "key.members", show=False),
        Binding("b", "tab('balances')", "key.balances", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.project_id = ""
        self.tab = "ledger"
        self.pool: int | None = None
        self.preview: economy.Distribution | None = None
        self.extras: Extras | None = None
        self._reversed_ids: set[str] = set()
        self._uncounted: dict[str, str] = {}  # entries that count for nothing, with the reason
        self._stand_in = False
        self._listed: list[str] = []
        self._labels: list[tuple[str, str, bool]] | None = None

    def compose_body(self) -> ComposeResult:
        self._labels = None  # a fresh list widget: fill it again
        with Horizontal(id="projects"):
            with Vertical(id="plist-panel"):
                plist = OptionList(id="plist")
                plist.border_title = self.t("projects.list")
                yield plist
            with Vertical(id="project-main"):
                yield Static("", id="project-head")
                with TabbedContent(initial=self.tab, id="ptabs"):
                    with TabPane(self.t("projects.tab_ledger"), id="ledger"):
                        yield VirtualTable(
                            [
                                Column("at", self.t("col.date"), 16, min_table_width=60),
                                Column("kind", self.t("col.entry"), 24),
                                Column("member", self.t("col.member"), 14),
                                Column("amount", self.t("col.amount"), 13),
                                Column("note", self.t("col.note"), 0),
                            ],
                            self._format_entry,
                            dim=self._reversed,
                            empty=self.t("projects.no_entry"),
                            id="ledger-table",
                        )
                    with TabPane(self.t("projects.tab_members"), id="members"):
                        yield VirtualTable(
                            [
                                Column("name", self.t("col.name"), 0),
                                Column("role", self.t("col.role"), 12),
                                Column("peer", self.t("col.peer_id"), 22, min_table_width=60),
                                Column("since", self.t("col.since"), 10, min_table_width=80),
                            ],
                            self._format_member,
                            id="members-table",
                        )
                    with (
                        TabPane(self.t("projects.tab_balances"), id="balances"),
                        VerticalScroll(id="balances-view"),
                    ):
                        yield Static("", id="balances-text")
                yield Static("", id="project-hint")

    def on_mount(self) -> None:  # the base class handler runs too (Textual calls each class's)
        self.query_one("#plist", OptionList).focus()

    # -- data ----------------------------------------------------------------------------------------------
    @property
    def current(self) -> ProjectView | None:
        return self.data.projects.get(self.project_id)

    def select_project(self, project_id: str) -> None:
        """Show another project (the list, the open app's callers)."""
        if project_id not in self.data.projects:
            return
        self.project_id = project_id
        self.preview = None
        self.pool = None
        self._highlight()
        self._show_project()
        self._update_bindings()

    def _update_bindings(self) -> None:
        self.bindings_state((self.project_id, self.data.role(self.project_id) if self.project_id else None))

    def _highlight(self) -> None:
        plist = self.query_one("#plist", OptionList)
        if self.project_id in self._listed:
            with plist.prevent(OptionList.OptionHighlighted):
                plist.highlighted = self._listed.index(self.project_id)

    def refresh_data(self, doc_ids: set[str] | None = None) -> None:
        listing = sorted(self.data.projects.values(), key=lambda v: (v.name.lower(), v.doc_id))
        labels = [(v.doc_id, v.name, self.data.me in v.members) for v in listing]
        plist = self.query_one("#plist", OptionList)
        if labels != self._labels:
            self._labels = labels
            self._listed = [v.doc_id for v in listing]
            with plist.prevent(OptionList.OptionHighlighted):
                plist.clear_options()
                for doc_id, name, member in labels:
                    plist.add_option(
                        Option(
                            Text.assemble(
                                ("◆ " if member else "◇ ", "green" if member else "dim"),
                                clean(name or short_id(doc_id)),
                            ),
                            id=doc_id,
                        )
                    )
                if not labels:
                    plist.add_option(Option(Text(self.t("projects.none"), style="dim"), disabled=True))
        if self.project_id not in self._listed:
            self.project_id = self._listed[0] if self._listed else ""
            doc_ids = None
        self._highlight()
        if doc_ids is None or self.project_id in doc_ids:
            self.preview = None
            self._show_project()
        self._update_bindings()

    def _show_project(self) -> None:
        view = self.current
        self._show_hint()
        head = self.query_one("#project-head", Static)
        ledger = self.query_one("#ledger-table", VirtualTable)
        members = self.query_one("#members-table", VirtualTable)
        if view is None:
            head.update(Text(self.t("projects.empty_hint"), style="dim"))
            ledger.set_rows([])
            members.set_rows([])
            self.query_one("#balances-text", Static).update("")
            return
        role = self.data.role(view.doc_id)
        text = Text()
        text.append(clean(view.name), style="bold")
        text.append(f"  {short_id(view.doc_id)}", style="dim")
        text.append(
            "\n"
            + tn("count.members", len(view.members), self.lang)
            + " · "
            + tn("count.entries", len(view.ledger.entries), self.lang)
        )
        text.append(" · " + (self.t(f"role.{role}") if role else self.t("projects.not_member")), style="dim")
        text.append(" · " + self.t(f"visibility.{view.visibility}"), style="dim")
        head.update(text)
        self._uncounted = {entry.id: reason.text(self.lang) for entry, reason in view.ledger.uncounted}
        everything = [*view.ledger.entries, *(entry for entry, _ in view.ledger.uncounted)]
        entries = sorted(everything, key=lambda e: (e.at, e.id), reverse=True)
        self._reversed_ids = set(economy.effective_reversals(view.ledger.entries))
        ledger.set_rows(entries)
        rows = sorted(
            view.members.values(), key=lambda m: (m.role != "steward", self.data.name(m.peer_id).lower())
        )
        members.set_rows(rows)
        self._show_balances()
        spawn(self, self._compute_preview, exclusive=True, group="dividend")

    def _format_entry(self, entry: economy.Entry) -> list[str]:
        kind = self.t(f"entry.{entry.kind.value}")
        if entry.action and entry.kind is economy.EntryKind.CONTRIBUTION:
            kind += " · " + action_label(str(entry.action), self.lang)
        member = self.t("details.you") if entry.member == self.data.me else self.data.name(entry.member)
        note = entry.note
        if entry.counterparty:
            note = f"→ {self._account(entry.counterparty)} {note}".strip()
        if entry.id in self._reversed_ids:
            note = f"[{self.t('projects.reversed')}] {note}"
        if entry.id in self._uncounted:
            note = f"[{self.t('projects.not_counted', reason=self._uncounted[entry.id])}] {note}"
        return [
            entry.at.replace("T", " ")[:16],
            kind,
            member,
            economy.format_amount(entry.amount, entry.unit, self.lang),
            note,
        ]

    def _reversed(self, entry: economy.Entry) -> bool:
        return entry.id in self._reversed_ids or entry.kind is economy.EntryKind.REVERSAL

    def _format_member(self, member: pdoc.Member) -> list[str]:
        name = self.data.name(member.peer_id)
        if member.peer_id == self.data.me:
            name += f" ({self.t('details.you')})"
        return [name, self.t(f"role.{member.role}"), member.peer_id, member.added_at[:10]]

    def _account(self, account: str) -> str:
        if account.startswith("@"):
            return self.t("entry.project_account")
        return self.data.name(account)

    # -- balances ------------------------------------------------------------------------------------------
    def _show_balances(self) -> None:
        view = self.current
        if view is None:
            return
        shown = balances_renderable(
            view,
            self.preview,
            self._stand_in,
            self.extras,
            t=self.t,
            lang=self.lang,
            account=self._account,
            name=self.data.name,
        )
        self.query_one("#balances-text", Static).update(shown)

    async def _compute_preview(self) -> None:
        project_id = self.project_id
        view = self.current
        if view is None or not view.members:
            return
        try:
            extras = await self.rapp.io(project_extras, self.ws, project_id, self.lang)
            dist, stand_in = await self.rapp.io(dividend_preview, self.ws, project_id, self.pool, self.lang)
        except Exception as exc:
            self.preview = None
            self.query_one("#balances-text", Static).update(
                plain(f"{self.t('projects.dividend')}: {worded(exc, self.lang)}", style="yellow")
            )
            return
        if project_id != self.project_id:
            return
        self.preview = dist
        self._stand_in = stand_in
        self.extras = extras
        self._show_balances()

    # -- events --------------------------------------------------------------------------------------------
    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "plist" and event.option.id and event.option.id != self.project_id:
            self.select_project(event.option.id)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id:
            self.tab = event.pane.id
            self._show_hint()

    def _show_hint(self) -> None:
        hint = self.t(f"projects.hint.{self.tab}") if self.project_id else ""
        self.query_one("#project-hint", Static).update(Text(hint, style="dim italic"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        role = self.data.role(self.project_id) if self.project_id else None
        if action in ("contribute", "reverse", "acknowledge"):
            return role is not None
        if action in (
            "add_member",
            "remove_member",
            "record_distribution",
            "limit",
            "policy_file",
            "visibility",
        ):
            return role == "steward"
        if action in ("open_code", "pool"):
            return bool(self.project_id)
        return True

    # -- actions -------------------------------------------------------------------------------------------
    def action_tab(self, tab: str) -> None:
        self.tab = tab
        self.query_one("#ptabs", TabbedContent).active = tab

    def action_new_project(self) -> None:
        def done(draft: ProjectDraft | None) -> None:
            if draft is not None:
                self.rapp.perform(self._create(draft), done=self.t("done.project_created", name=draft.name))

        self.app.push_screen(ProjectDialog(), done)

    async def _create(self, draft: ProjectDraft) -> None:
        made = await self.rapp.operate(
            None, "project.create", {"name": draft.name, "visibility": draft.visibility}
        )
        self.project_id = str(made["id"])
        self.refresh_data()

    def action_visibility(self) -> None:
        view = self.current
        if view is None:
            return

        def done(visibility: str | None) -> None:
            if visibility is not None and visibility != view.visibility:
                args = {"project": view.doc_id, "visibility": visibility}
                work = self.rapp.operate(view.doc_id, "project.visibility", args)
                shown = self.t(f"visibility.{visibility}")
                self.rapp.perform(work, done=self.t("done.visibility", project=view.name, visibility=shown))

        self.app.push_screen(VisibilityDialog(view.name, view.visibility), done)

    def action_contribute(self) -> None:
        view = self.current
        if view is None:
            return
        members = [(self.data.name(m), m) for m in view.members]

        def done(draft: EntryDraft | None) -> None:
            if draft is None:
                return
            pid = view.doc_id
            args: dict[str, Any] = {
                "project": pid,
                "kind": draft.kind,
                "amount": draft.amount,
                "unit": draft.unit,
                "note": draft.note,
                "dims": [f"{name}={value}" for name, value in draft.dimensions.items()],
            }
            if draft.kind in plib.CONTRIBUTION_KINDS:
                work = self.rapp.operate(pid, "project.contribute", args)
            else:
                args["counterparty"] = draft.counterparty or None
                work = self.rapp.operate(pid, "project.record", args)
            amount = economy.format_amount(draft.amount, draft.unit, self.lang)
            self.rapp.perform(work, done=self.t("done.recorded", amount=amount, project=view.name))

        self.app.push_screen(EntryDialog(view.name, members), done)

    def action_add_member(self) -> None:
        view = self.current
        if view is None:
            return
        known = [
            (p.name or short_id(pid), pid)
            for pid, p in sorted(self.data.participants.items(), key=lambda kv: kv[1].name.lower())
            if pid not in view.members
        ]

        def done(draft: MemberDraft | None) -> None:
            if draft is not None:
                args = {"project": view.doc_id, "peer_id": draft.peer_id, "role": draft.role}
                work = self.rapp.operate(view.doc_id, "project.add_member", args)
                self.rapp.perform(work, done=self.t("done.member_added", name=self.data.name(draft.peer_id)))

        self.app.push_screen(MemberDialog(known), done)

    def _highlighted(self, tab: str, kind: type[R]) -> R | None:
        """The row highlighted in a tab's table; else that tab is shown and the person told to choose."""
        row = self.query_one(f"#{tab}-table", VirtualTable).current
        if isinstance(row, kind):
            return row
        self.action_tab(tab)
        self.notify(self.t("error.no_selection"), severity="warning")
        return None

    def action_remove_member(self) -> None:
        view = self.current
        member = self._highlighted("members", pdoc.Member)
        if view is None or member is None:
            return
        peer_id = member.peer_id
        name = self.data.name(peer_id)

        def done(yes: bool | None) -> None:
            if yes:
                args = {"project": view.doc_id, "peer_id": peer_id}
                work = self.rapp.operate(view.doc_id, "project.remove_member", args)
                self.rapp.perform(work, done=self.t("done.member_removed", name=name))

        self.app.push_screen(
            ConfirmDialog(self.t("confirm.remove_member", name=name, project=view.name)), done
        )

    def action_reverse(self) -> None:
        view = self.current
        entry = self._highlighted("ledger", economy.Entry)
        if view is None or entry is None:
            return

        def done(yes: bool | None) -> None:
            if yes:
                args = {"project": view.doc_id, "entry_id": entry.id}
                work = self.rapp.operate(view.doc_id, "project.reverse", args)
                self.rapp.perform(work, done=self.t("done.reversed"))

        amount = economy.format_amount(entry.amount, entry.unit, self.lang)
        self.app.push_screen(ConfirmDialog(self.t("confirm.reverse", amount=amount, note=entry.note)), done)

    def action_acknowledge(self) -> None:
        view = self.current
        entry = self._highlighted("ledger", economy.Entry)
        if view is None or entry is None:
            return

        def done(value: str | None) -> None:
            if value is None:
                return
            if not value.isdigit():
                self.notify(self.t("error.percent"), severity="error")
                return
            args = {"project": view.doc_id, "entry_id": entry.id, "factor": int(value)}
            work = self.rapp.operate(view.doc_id, "project.acknowledge", args)
            self.rapp.perform(work, done=self.t("done.acknowledged"))

        self.app.push_screen(
            PromptDialog(self.t("dialog.acknowledge"), self.t("field.factor"), value="100"), done
        )

    def action_pool(self) -> None:
        if not self.project_id:
            return

        def done(value: str | None) -> None:
            if value is None:
                return
            try:
                cents = parse_amount(value, "EUR")  # as people write it: 250, 250,00, 1 250,50 €
            except InputError as error:
                self.notify(error.text(self.lang), title=self.t("error.title"), severity="error")
                return
            self.pool = cents
            self.preview = None
            self.action_tab("balances")
            self._show_balances()
            spawn(self, self._compute_preview, exclusive=True, group="dividend")

        self.app.push_screen(PromptDialog(self.t("dialog.pool"), self.t("field.pool"), value="100"), done)

    def action_record_distribution(self) -> None:
        dist = self.preview
        view = self.current
        if dist is None or view is None:
            self.notify(self.t("projects.computing"), severity="warning")
            return

        def done(yes: bool | None) -> None:
            if yes:
                # The owner computes it again over the same period and pool, from what it holds now.
                args = {
                    "project": view.doc_id,
                    "start": dist.period_from,
                    "end": dist.period_to,
                    "pool": dist.pool,
                    "unit": dist.unit,
                    "lang": self.lang,
                    "empty_ok": True,
                }
                work = self.rapp.operate(view.doc_id, "project.dividend_record", args)
                self.rapp.perform(work, done=self.t("done.distribution"))

        if self._stand_in:  # a preview's stand-in pool is no money the project has: say which first
            self.notify(self.t("projects.stand_in_record"), severity="warning")
            return
        pool = economy.format_amount(dist.pool, dist.unit, self.lang)
        key = "confirm.distribution_empty" if dist.pool == 0 else "confirm.distribution"
        self.app.push_screen(ConfirmDialog(self.t(key, pool=pool, project=view.name)), done)

    def action_limit(self) -> None:
        view = self.current
        if view is None:
            return
        members = [(self.t("projects.every_member"), economy.ANY_MEMBER)] + [
            (self.data.name(m), m) for m in view.members
        ]

        def done(draft: LimitDraft | None) -> None:
            if draft is not None:
                args = {
                    "project": view.doc_id,
                    "member": draft.member,
                    "unit": draft.unit,
                    "floor": draft.floor,
                }
                work = self.rapp.operate(view.doc_id, "project.limit", args)
                self.rapp.perform(work, done=self.t("done.limit"))

        self.app.push_screen(LimitDialog(members), done)

    def action_policy_file(self) -> None:
        view = self.current
        if view is None:
            return

        def done(path: str | None) -> None:
            if path:
                self.rapp.perform(self._set_policy(view.doc_id, path), done=self.t("done.policy"))

        self.app.push_screen(
            PromptDialog(self.t("dialog.policy"), self.t("field.policy_file"), placeholder="policy.json"),
            done,
        )

    async def _set_policy(self, project_id: str, path: str) -> None:
        def load() -> str:
            try:
                text = Path(path).expanduser().read_text("utf-8")
                parse_json(text)
            except (OSError, ValueError) as exc:
                raise economy.PolicyError(self.t("cli.cannot_read", file=path, reason=exc)) from None
            return text

        text = await self.rapp.io(load)
        await self.rapp.operate(project_id, "project.policy", {"project": project_id, "policy": text})

    def action_open_code(self) -> None:
        if self.project_id:
            self.rapp.open_code(self.project_id)
