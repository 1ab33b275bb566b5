"""The app's node bridge: the node's events, documents marked dirty and read again, the network's status.

`NodeApp` sits between `StoreApp` (reliance.tui.app_store) and `reliance.tui.app.RelianceApp`. The node
runs in the app's asyncio loop and reports through `subscribe`; `synced` and `local_change` events mark
their document dirty, and a burst of them is read again at once (`_flush_dirty` → `refresh_docs`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Iterable

from rich.text import Text

from reliance.i18n import tn
from reliance.net import events as ev
from reliance.tui.app_store import StoreApp
from reliance.tui.common.base import RelianceScreen
from reliance.tui.common.data import FeedEntry, clock
from reliance.tui.common.widgets import spawn
from reliance.tui.node import NodeLike

logger = logging.getLogger(__name__)
ADDRESSES_SECONDS = 10.0  # this machine's addresses are read again after this long


class NodeApp(StoreApp):
    """The node bridge of the app: what the node says, and what the app shows of the network."""

    _typeable: tuple[tuple[str, int], float, list[str]] | None = None  # listening, when read, addresses

    # -- documents changed ---------------------------------------------------------------------------------
    def documents_changed(self, doc_ids: Iterable[str]) -> None:
        """Tell the app that documents changed on disk or in memory (the node, a test, another process)."""
        for doc_id in doc_ids:
            self.mark_dirty(doc_id)

    def _changed_threadsafe(self, doc_id: str) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.mark_dirty, doc_id)

    def mark_dirty(self, doc_id: str) -> None:
        if self._shut_down or self._data is None:
            return
        self._dirty.add(doc_id)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            spawn(self, self._flush_dirty, group="refresh", exit_on_error=False)

    async def _flush_dirty(self) -> None:
        await asyncio.sleep(0.05)  # coalesce a burst of changes
        doc_ids, self._dirty = self._dirty, set()
        self._flush_scheduled = False
        try:
            await self.refresh_docs(doc_ids)
        except Exception as exc:
            self.report(exc)

    # -- the node ------------------------------------------------------------------------------------------
    def _start_node(self) -> None:
        try:
            node = self.node_factory(self.workspace)
        except Exception as exc:
            self.report(exc)
            node = None
        self.node = node
        if node is None:
            self.refresh_network()
            return
        node.subscribe(self._on_node_event)
        spawn(self, functools.partial(self._run_node, node), group="node", exit_on_error=False)

    async def _run_node(self, node: NodeLike) -> None:
        try:
            await node.start()
        except Exception as exc:
            self.node = None
            self.notify(self.t("net.start_failed", error=str(exc)), severity="error", timeout=10)
            self.data.add_feed(FeedEntry("error", clock(), {"text": str(exc)}))
        else:
            self._node_started = True
        self.refresh_network()

    def _on_node_event(self, event: ev.NodeEvent) -> None:
        try:
            self._handle_node_event(event)
        except Exception:
            logger.exception("cannot handle node event %r", event)

    def _handle_node_event(self, event: ev.NodeEvent) -> None:
        if self._data is None or self._shut_down:
            return
        kind = event.kind
        name = self._peer_name(event.peer_id) if event.peer_id else ""
        if kind == ev.OWNER_GONE:
            self._owner_gone()
        elif kind in (ev.SYNCED, ev.LOCAL_CHANGE) and event.doc_id:
            self.mark_dirty(event.doc_id)
        elif kind == ev.REJECTED:
            entry = FeedEntry("rejected", clock(), {"name": name, "reason": event.text}, doc_id=event.doc_id)
            self.data.add_feed(entry)
            self.notify(self.t("feed.rejected", name=name, reason=event.text), severity="warning", timeout=8)
        elif kind in (ev.PEER_CONNECTED, ev.PEER_DISCONNECTED, ev.PEER_PENDING):
            state = {ev.PEER_CONNECTED: "connected", ev.PEER_DISCONNECTED: "disconnected"}.get(
                kind, "pending"
            )
            self.data.add_feed(
                FeedEntry("peer", clock(), {"name": name, "state": state}, doc_id=event.peer_id)
            )
            if kind == ev.PEER_PENDING:
                self.notify(self.t("net.pending", name=name), timeout=8)
        elif kind == ev.ERROR:
            self.data.add_feed(FeedEntry("error", clock(), {"text": event.text}))
        self.refresh_network()

    def _owner_gone(self) -> None:
        """The `serve` whose node we showed stopped: start our own (we own the home now, if nobody else)."""
        self.node = None
        self._node_started = False
        self.notify(self.t("net.owner_gone"), timeout=8)
        if not self._shut_down:
            self._start_node()

    def _peer_name(self, peer_id: str) -> str:
        if self.node is not None:
            for info in self.node.peers():
                if info.peer_id == peer_id and info.name:
                    return info.name
        return self.data.name(peer_id)

    def refresh_network(self) -> None:
        if self._network_pending or self._data is None:
            return
        self._network_pending = True
        self.call_later(self._network_now)

    def _network_now(self) -> None:
        self._network_pending = False
        for screen in self._feature_screens():
            if isinstance(screen, RelianceScreen) and screen.is_mounted:
                try:
                    screen.network_changed()
                except Exception as exc:
                    self.report(exc)

    async def add_address(self, host: str, port: int) -> None:
        if self.node is not None:
            await self.node.add_address(host, port)
            return
        from reliance.net.status import remember_typed_address  # the node module loads after the first frame

        await self.io(remember_typed_address, self.home, host, port)

    def _peers_online(self) -> tuple[int, int, int]:
        """(connected, pending, syncing) peers."""
        if self.node is None:
            return 0, 0, 0
        peers = self.node.peers()
        connected = [p for p in peers if p.state == ev.PeerState.CONNECTED]
        pending = sum(1 for p in peers if p.state == ev.PeerState.PENDING)
        syncing = sum(1 for p in connected if p.docs_in_sync and not all(p.docs_in_sync.values()))
        return len(connected), pending, syncing

    def status_text(self) -> Text:
        text = Text()
        unread = self._data.unread if self._data is not None else 0
        if unread:  # what arrived and was not seen yet (Home lists it)
            text.append("✉ " + tn("home.unread", unread, self.lang), style="bold yellow")
            text.append(" · ", style="dim")
        if self.node is None or not self._node_started:
            text.append("○ " + self.t("net.offline_short"), style="dim")
            return text
        connected, pending, syncing = self._peers_online()
        text.append("● ", style="green" if connected else "yellow")
        text.append(tn("net.peers_short", connected, self.lang))
        if syncing:
            text.append(" ⟳", style="cyan")
        if pending:
            text.append(f" · {tn('net.pending_short', pending, self.lang)}", style="yellow")
        return text

    def typeable_addresses(self, listening: tuple[str, int]) -> list[str]:
        """The addresses others can type to reach this node (read again at most every few seconds)."""
        now = time.monotonic()
        cached = self._typeable
        if cached is not None and cached[0] == listening and now - cached[1] < ADDRESSES_SECONDS:
            return list(cached[2])
        from reliance.net.config import typeable_addresses

        try:
            found = typeable_addresses(*listening)
        except OSError:
            found = []
        self._typeable = (listening, now, found)
        return list(found)

    def network_text(self) -> Text:
        text = Text()
        node = self.node
        if node is None or not self._node_started:
            text.append("○ " + self.t("net.offline") + "\n", style="yellow")
            text.append(self.t("net.offline_hint"), style="dim")
            return text
        address = node.listen_address
        connected, pending, syncing = self._peers_online()
        if address is None:
            reach = self.t("net.not_listening")
        else:  # what another machine types: this machine's LAN addresses, never 0.0.0.0
            reach = ", ".join(self.typeable_addresses(address)) or self.t("net.address.none")
        rows = [
            (self.t("net.your_address"), reach),
            (
                self.t("net.online"),
                str(connected) + (f" · {tn('net.pending_short', pending, self.lang)}" if pending else ""),
            ),
            (
                self.t("net.sync"),
                tn("net.syncing", syncing, self.lang) if syncing else self.t("net.up_to_date"),
            ),
            (
                self.t("net.last_sync"),
                time.strftime("%H:%M:%S", time.localtime(node.last_sync))
                if node.last_sync
                else self.t("net.never"),
            ),
        ]
        for position, (label, value) in enumerate(rows):
            text.append(f"{label}: ", style="dim")
            text.append(value + ("\n" if position < len(rows) - 1 else ""))
        return text
