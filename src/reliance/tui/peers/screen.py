"""Peers: discovered, connected, pending, blocked; accept, block, add by address; the diagnosis."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from reliance.app import settings
from reliance.display import clean
from reliance.identity import peer_fingerprint
from reliance.net.events import PeerState
from reliance.tui.common.base import RelianceScreen
from reliance.tui.common.data import short_id
from reliance.tui.common.dialogs import AddressDialog, ConfirmDialog
from reliance.tui.common.widgets import Column, VirtualTable, spawn

if TYPE_CHECKING:
    from reliance.net.doctor import Finding

LEVEL_MARKS = {"ok": ("✓", "green"), "warning": ("!", "yellow"), "problem": ("✗", "red")}
STATE_ORDER: dict[str, int] = {
    PeerState.PENDING: 0,
    PeerState.CONNECTED: 1,
    PeerState.CONNECTING: 2,
    PeerState.DISCOVERED: 3,
    PeerState.UNREACHABLE: 4,
    PeerState.BLOCKED: 5,
}


@dataclass(frozen=True)
class PeerRow:
    peer_id: str
    name: str
    state: str
    address: str = ""
    source: str = ""
    last_seen: float | None = None
    docs_in_sync: dict[str, bool] = field(default_factory=dict)
    last_error: str = ""

    @property
    def label(self) -> str:
        return self.name or short_id(self.peer_id)


class PeersScreen(RelianceScreen):
    MODE = "peers"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "accept", "key.accept"),
        Binding("b", "block", "key.block"),
        Binding("u", "unblock", "key.unblock"),
        Binding("n", "add_address", "key.add_address"),
        Binding("d", "doctor", "key.doctor"),
        Binding("enter", "open_code", "key.peer_code", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.blocked: list[dict[str, str]] = []
        self.findings: list[Finding] | None = None
        self.diagnosing = False

    def compose_body(self) -> ComposeResult:
        yield Static("", id="peers-status")
        with Vertical(id="peers-panel"):
            yield VirtualTable(
                [
                    Column("state", self.t("col.state"), 12),
                    Column("name", self.t("col.name"), 0),
                    Column("peer", self.t("col.peer_id"), 12, min_table_width=56),
                    Column("address", self.t("col.address"), 21, min_table_width=72),
                    Column("seen", self.t("col.seen"), 8, min_table_width=90),
                    Column("sync", self.t("col.sync"), 10, min_table_width=64),
                    Column("source", self.t("col.source"), 8, min_table_width=104),
                ],
                self._format,
                dim=lambda row: row.state == PeerState.BLOCKED,
                empty=self.t("peers.none"),
                id="peers-table",
            )
            yield Static("", id="peer-detail")
        doctor = VerticalScroll(id="doctor", classes="panel")
        doctor.border_title = self.t("peers.doctor")
        with doctor:
            yield Static("", id="doctor-text")

    def on_mount(self) -> None:  # the base class handler runs too (Textual calls each class's)
        self.query_one("#peers-table", VirtualTable).focus()
        spawn(self, self._load_blocks, exclusive=True, group="blocks")

    # -- data ----------------------------------------------------------------------------------------------
    async def _load_blocks(self) -> None:
        try:
            self.blocked = await self.rapp.io(settings.blocks, self.rapp.home)
        except Exception as exc:
            self.rapp.report(exc)
            self.blocked = []
        self.refresh_peers()

    def refresh_data(self, doc_ids: set[str] | None = None) -> None:
        self.refresh_peers()

    def network_changed(self) -> None:
        super().network_changed()
        self.refresh_peers()

    def rows(self) -> list[PeerRow]:
        node = self.rapp.node
        rows: list[PeerRow] = []
        seen: set[str] = set()
        blocked_ids = {entry["peer_id"] for entry in self.blocked}
        if node is not None:
            for info in node.peers():
                seen.add(info.peer_id)
                name = info.name or self.data.name(info.peer_id)
                if info.device:  # a certified device of that participant: its name beside theirs
                    name = self.t("net.peer_device", name=name, device=info.device)
                rows.append(
                    PeerRow(
                        info.peer_id,
                        name,
                        PeerState.BLOCKED.value if info.peer_id in blocked_ids else info.state.value,
                        info.address,
                        info.source,
                        info.last_seen,
                        dict(info.docs_in_sync),
                        info.last_error,
                    )
                )
        for entry in self.blocked:
            if entry["peer_id"] not in seen:
                name = self.data.name(entry["peer_id"])
                rows.append(
                    PeerRow(
                        entry["peer_id"],
                        name,
                        PeerState.BLOCKED.value,
                        source="blocked",
                        last_error=entry.get("reason", ""),
                    )
                )
        rows.sort(key=lambda r: (STATE_ORDER.get(r.state, 9), r.name.lower()))
        return rows

    def refresh_peers(self) -> None:
        table = self.query_one("#peers-table", VirtualTable)
        current = table.current
        current_id = current.peer_id if isinstance(current, PeerRow) else None
        table.set_rows(self.rows(), keep=(lambda r: r.peer_id == current_id) if current_id else None)
        self.query_one("#peers-status", Static).update(self._status())
        self._show_detail(table.current)
        self._show_findings()
        self._update_bindings()

    def _status(self) -> Text:
        node = self.rapp.node
        config = self.rapp.config
        text = Text()
        if node is None:
            text.append("○ " + self.t("peers.offline") + "\n", style="yellow")
        else:
            address = node.listen_address
            where = f"{address[0]}:{address[1]}" if address else self.t("net.not_listening")
            text.append("● " + self.t("peers.listening", address=where) + "\n", style="green")
        text.append(
            self.t(
                "peers.config",
                policy=self.t(f"policy.{config.get('policy', 'open')}"),
                mdns=self.t("word.on") if config.get("mdns", True) else self.t("word.off"),
            ),
            style="dim",
        )
        return text

    def _format(self, row: PeerRow) -> list[str]:
        seen = time.strftime("%H:%M:%S", time.localtime(row.last_seen)) if row.last_seen else "—"
        docs = row.docs_in_sync
        if row.state == PeerState.CONNECTED and docs:
            in_sync = sum(1 for v in docs.values() if v)
            sync = "✓ " + self.t("peers.in_sync") if in_sync == len(docs) else f"⟳ {in_sync}/{len(docs)}"
        else:
            sync = ""
        return [
            self.t(f"peer_state.{row.state}"),
            row.name or peer_fingerprint(row.peer_id) or "?",
            short_id(row.peer_id),
            row.address or "—",
            seen,
            sync,
            self.t(f"source.{row.source}") if row.source else "",
        ]

    def _show_detail(self, row: object) -> None:
        widget = self.query_one("#peer-detail", Static)
        if not isinstance(row, PeerRow):
            widget.update(Text(self.t("peers.hint"), style="dim"))
            return
        text = Text()
        fingerprint = peer_fingerprint(row.peer_id)
        text.append(clean(row.name or fingerprint or "?"), style="bold")
        text.append(f"  {clean(row.peer_id)}", style="dim")
        if fingerprint:  # to compare with the fingerprint on the other's screen before accepting
            text.append("\n" + self.t("home.fingerprint") + " " + fingerprint, style="dim")
        if row.last_error:  # often a reason the peer gave
            text.append("\n" + clean(row.last_error), style="yellow")
        widget.update(text)

    def on_virtual_table_highlighted(self, event: VirtualTable.Highlighted) -> None:
        self._show_detail(event.row)
        self._update_bindings()

    def _update_bindings(self) -> None:
        row = self.selected()
        self.bindings_state((row.state, self.rapp.node is not None) if row is not None else None)

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        self.action_open_code()

    # -- doctor --------------------------------------------------------------------------------------------
    def _show_findings(self) -> None:
        widget = self.query_one("#doctor-text", Static)
        text = Text()
        if self.diagnosing:
            text.append(self.t("peers.diagnosing"), style="dim")
        elif self.findings is None:
            text.append(self.t("peers.doctor_hint"), style="dim")
        else:
            for finding in self.findings:
                mark, color = LEVEL_MARKS.get(finding.level, ("-", ""))
                advice = finding.advice(self.lang)
                text.append(f"{mark} ", style=color)
                text.append(clean(finding.message(self.lang)) + "\n")
                if advice:
                    text.append(f"   → {clean(advice)}\n", style="dim")
        widget.update(text)

    async def _diagnose(self) -> None:
        self.diagnosing = True
        self._show_findings()
        node = self.rapp.node
        try:
            if node is not None:
                findings: list[Finding] = list(await self.rapp.io(node.diagnose))
            else:  # a `reliance serve` may run on this home: the doctor then speaks of that node
                from reliance.net.status import diagnose_home

                findings = await self.rapp.io(diagnose_home, self.rapp.home, self.rapp.config["port"])
        except Exception as exc:
            self.rapp.report(exc)
            findings = []
        finally:
            self.diagnosing = False
        self.findings = findings
        self._show_findings()

    # -- actions -------------------------------------------------------------------------------------------
    def selected(self) -> PeerRow | None:
        found = list(self.query("#peers-table").results(VirtualTable))
        row = found[0].current if found else None  # check_action may run before compose
        return row if isinstance(row, PeerRow) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        row = self.selected()
        if action == "accept":
            return self.rapp.node is not None and row is not None and row.state == PeerState.PENDING
        if action == "block":
            return row is not None and row.state != PeerState.BLOCKED
        if action == "unblock":
            return row is not None and row.state == PeerState.BLOCKED
        return True

    def action_accept(self) -> None:
        row = self.selected()
        node = self.rapp.node
        if row is None or node is None:
            return
        try:
            node.accept_peer(row.peer_id)
        except Exception as exc:
            self.rapp.report(exc)
            return
        self.notify(self.t("done.accepted", name=row.label))
        self.refresh_peers()

    def action_block(self) -> None:
        row = self.selected()
        if row is None:
            return

        def done(yes: bool | None) -> None:
            if yes:
                self.rapp.perform(
                    self._set_blocked(row, True),
                    done=self.t("done.blocked", name=row.label),
                )

        self.app.push_screen(ConfirmDialog(self.t("confirm.block", name=row.label)), done)

    def action_unblock(self) -> None:
        row = self.selected()
        if row is not None:
            self.rapp.perform(
                self._set_blocked(row, False),
                done=self.t("done.unblocked", name=row.label),
            )

    async def _set_blocked(self, row: PeerRow, blocked: bool) -> None:
        home = self.rapp.home
        if blocked:
            await self.rapp.io(settings.block, home, row.peer_id, "")
        else:
            await self.rapp.io(settings.unblock, home, row.peer_id)
        node = self.rapp.node
        if node is not None:
            if blocked:
                node.block_peer(row.peer_id)
            else:
                node.unblock_peer(row.peer_id)
        self.blocked = await self.rapp.io(settings.blocks, home)
        self.refresh_peers()
        self.rapp.refresh_network()

    def action_add_address(self) -> None:
        from reliance.net.config import format_address  # the node module loads after the first frame

        def done(address: tuple[str, int] | None) -> None:
            if address is not None:
                host, port = address
                self.rapp.perform(
                    self.rapp.add_address(host, port),
                    done=self.t("done.address_added", address=format_address(host, port)),
                )

        self.app.push_screen(AddressDialog(), done)

    def action_doctor(self) -> None:
        if not self.diagnosing:
            spawn(self, self._diagnose, exclusive=True, group="doctor")

    def action_open_code(self) -> None:
        row = self.selected()
        if row is not None and self.rapp.workspace.repo.exists(row.peer_id):
            self.rapp.open_code(row.peer_id)
