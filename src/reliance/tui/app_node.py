"""The app's node layer: what the node bridge says, carried to the app's data and screens.

`NodeApp` sits between `StoreApp` (reliance.tui.app_store) and `reliance.tui.app.RelianceApp`. The node
and the translation of its events are `NodeBridge` (tui/node_bridge.py, no Textual), which posts messages:
changed documents are marked dirty here, and a burst of them is read again at once (`_flush_dirty` →
`refresh_docs`); feed entries, notices and the network's status go to the screens.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Iterable

from rich.text import Text
from textual.notifications import SeverityLevel

from reliance.i18n import tn
from reliance.tui.app_store import StoreApp
from reliance.tui.common.base import RelianceScreen
from reliance.tui.common.widgets import spawn
from reliance.tui.node_bridge import (
    BridgeMessage,
    DocumentsChanged,
    FeedAdded,
    NetworkChanged,
    Notice,
    OwnerGone,
)

logger = logging.getLogger(__name__)


class NodeApp(StoreApp):
    """The node bridge of the app: what the node says, and what the app shows of the network."""

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
        node = self.bridge.open(self.workspace)
        if node is not None:
            spawn(self, functools.partial(self.bridge.start, node), group="node", exit_on_error=False)

    def _on_bridge_message(self, message: BridgeMessage) -> None:
        """Carry what the node bridge says (tui/node_bridge.py) to the app's data and screens."""
        if self._data is None or self._shut_down:
            return
        if isinstance(message, DocumentsChanged):
            for doc_id in message.doc_ids:
                self.mark_dirty(doc_id)
        elif isinstance(message, FeedAdded):
            self.data.add_feed(message.entry)
        elif isinstance(message, Notice):
            severity: SeverityLevel = "error" if message.severity == "error" else "warning"
            if message.severity == "information":
                severity = "information"
            self.notify(self.t(message.key, **message.params), severity=severity, timeout=message.timeout)
        elif isinstance(message, NetworkChanged):
            self.refresh_network()
        elif isinstance(message, OwnerGone):
            self._start_node()  # the `serve` we showed stopped: we own the home now, if nobody else does

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

    def status_text(self) -> Text:
        text = Text()
        unread = self._data.unread if self._data is not None else 0
        if unread:  # what arrived and was not seen yet (Home lists it)
            text.append("✉ " + tn("home.unread", unread, self.lang), style="bold yellow")
            text.append(" · ", style="dim")
        text.append_text(self.bridge.status_text(self.lang))
        return text

    def network_text(self) -> Text:
        return self.bridge.network_text(self.lang)
