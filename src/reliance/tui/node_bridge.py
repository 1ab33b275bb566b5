"""The app's bridge to the node that owns its home: plain code, no Textual.

`NodeBridge` gets the node (the app's own, or the running `serve`'s through the local API: `tui/node.py`),
starts it, listens to its events and turns each into messages for the app, posted through one callback:
`DocumentsChanged` (read them again), `FeedAdded`, `Notice` (a catalogue key to show), `NetworkChanged`,
`OwnerGone` (the `serve` we showed stopped: the app starts its own node). It also says what the app shows
of the network (`status_text`, `network_text`). The Textual app (`app_node.py`) only carries the messages
to its screens; tests drive the bridge with a fake node and a list for a callback
(tests/tui/test_node_bridge.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rich.text import Text

from reliance.app.workspace import Workspace
from reliance.errors import RelianceError
from reliance.i18n import t, tn
from reliance.net import events as ev
from reliance.tui.common.data import FeedEntry, clock
from reliance.tui.node import NodeFactory, NodeLike

logger = logging.getLogger(__name__)
ADDRESSES_SECONDS = 10.0  # this machine's addresses are read again after this long

__all__ = [
    "BridgeMessage",
    "DocumentsChanged",
    "FeedAdded",
    "NetworkChanged",
    "NodeBridge",
    "Notice",
    "OwnerGone",
]


@dataclass(frozen=True)
class DocumentsChanged:
    """These documents changed (a peer's batch, a write of the owner's): read them again."""

    doc_ids: tuple[str, ...]


@dataclass(frozen=True)
class FeedAdded:
    entry: FeedEntry


@dataclass(frozen=True)
class Notice:
    """A notification to show: a catalogue key and its parameters."""

    key: str
    params: dict[str, object] = field(default_factory=dict)  # an error among them is worded by the app
    severity: str = "information"  # information, warning, error
    timeout: float = 8.0


@dataclass(frozen=True)
class NetworkChanged:
    """Peers, addresses or the node's state changed: what shows the network is drawn again."""


@dataclass(frozen=True)
class OwnerGone:
    """The owner whose node was shown stopped; the bridge has no node any more."""


BridgeMessage = DocumentsChanged | FeedAdded | Notice | NetworkChanged | OwnerGone


class NodeBridge:
    """The node of the app's home, and what the app hears of it.

    `post` receives every message, in the thread and loop the node reports in (the app's). `name_of` names a
    peer the node does not (the app's own data: a name read in its participant document)."""

    def __init__(
        self,
        factory: NodeFactory,
        post: Callable[[BridgeMessage], None],
        *,
        name_of: Callable[[str], str] = lambda peer_id: peer_id[:14],
        now: Callable[[], str] = clock,
    ) -> None:
        self.factory = factory
        self.post = post
        self.name_of = name_of
        self.now = now
        self.node: NodeLike | None = None
        self.started = False
        self._typeable: tuple[tuple[str, int], float, list[str]] | None = None  # listening, read at, found

    # -- the node's life -------------------------------------------------------------------------------------
    def open(self, workspace: Workspace) -> NodeLike | None:
        """Get the home's node and listen to it (it is not started yet: `start`). None: offline, or the
        factory failed (said in the feed)."""
        try:
            node = self.factory(workspace)
        except Exception as exc:
            logger.exception("cannot make the node")
            self.post(FeedAdded(FeedEntry("error", self.now(), {"text": str(exc)})))
            node = None
        self.node, self.started = node, False
        if node is not None:
            node.subscribe(self.on_event)
        else:
            self.post(NetworkChanged())
        return node

    async def start(self, node: NodeLike) -> None:
        """Start `node` (what `open` returned); a failure is said, and leaves the app offline."""
        try:
            await node.start()
        except Exception as exc:
            if self.node is node:
                self.node = None
            reason: object = (
                exc if isinstance(exc, RelianceError) else str(exc)
            )  # ours: in the app's language
            self.post(Notice("net.start_failed", {"error": reason}, "error", 10))
            self.post(FeedAdded(FeedEntry("error", self.now(), {"text": str(exc)})))
        else:
            self.started = self.node is node
        self.post(NetworkChanged())

    async def stop(self, timeout: float = 10.0) -> None:
        node = self.node
        if node is not None and self.started:
            self.started = False
            try:
                await asyncio.wait_for(node.stop(), timeout=timeout)
            except Exception:
                logger.exception("the node did not stop cleanly")

    def local_change(self, doc_id: str) -> None:
        """A document was written here: the node offers it to its peers (nothing when offline)."""
        if self.node is not None and self.started:
            self.node.local_change(doc_id)

    # -- what the node says ----------------------------------------------------------------------------------
    def on_event(self, event: ev.NodeEvent) -> None:
        try:
            self._translate(event)
        except Exception:
            logger.exception("cannot handle node event %r", event)

    def _translate(self, event: ev.NodeEvent) -> None:
        kind = event.kind
        name = self.peer_name(event.peer_id) if event.peer_id else ""
        if kind == ev.OWNER_GONE:
            self.node, self.started = None, False
            self.post(Notice("net.owner_gone"))
            self.post(OwnerGone())
        elif kind in (ev.SYNCED, ev.LOCAL_CHANGE) and event.doc_id:
            self.post(DocumentsChanged((event.doc_id,)))
        elif kind == ev.REJECTED:
            params = {"name": name, "reason": event.text}
            self.post(FeedAdded(FeedEntry("rejected", self.now(), params, doc_id=event.doc_id)))
            self.post(Notice("feed.rejected", dict(params), "warning", 8))
        elif kind in (ev.PEER_CONNECTED, ev.PEER_DISCONNECTED, ev.PEER_PENDING):
            state = {ev.PEER_CONNECTED: "connected", ev.PEER_DISCONNECTED: "disconnected"}.get(
                kind, "pending"
            )
            entry = FeedEntry("peer", self.now(), {"name": name, "state": state}, doc_id=event.peer_id)
            self.post(FeedAdded(entry))
            if kind == ev.PEER_PENDING:
                self.post(Notice("net.pending", {"name": name}))
        elif kind == ev.ERROR:
            self.post(FeedAdded(FeedEntry("error", self.now(), {"text": event.text})))
        self.post(NetworkChanged())

    def peer_name(self, peer_id: str) -> str:
        if self.node is not None:
            for info in self.node.peers():
                if info.peer_id == peer_id and info.name:
                    return info.name
        return self.name_of(peer_id)

    # -- what the app shows of the network ---------------------------------------------------------------
    def peers_online(self) -> tuple[int, int, int]:
        """(connected, pending, syncing) peers."""
        if self.node is None:
            return 0, 0, 0
        peers = self.node.peers()
        connected = [p for p in peers if p.state == ev.PeerState.CONNECTED]
        pending = sum(1 for p in peers if p.state == ev.PeerState.PENDING)
        syncing = sum(1 for p in connected if p.docs_in_sync and not all(p.docs_in_sync.values()))
        return len(connected), pending, syncing

    def status_text(self, lang: str) -> Text:
        if self.node is None or not self.started:
            return Text("○ " + t("net.offline_short", lang), style="dim")
        connected, pending, syncing = self.peers_online()
        text = Text()
        text.append("● ", style="green" if connected else "yellow")
        text.append(tn("net.peers_short", connected, lang))
        if syncing:
            text.append(" ⟳", style="cyan")
        if pending:
            text.append(f" · {tn('net.pending_short', pending, lang)}", style="yellow")
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

    def network_text(self, lang: str) -> Text:
        text = Text()
        node = self.node
        if node is None or not self.started:
            text.append("○ " + t("net.offline", lang) + "\n", style="yellow")
            text.append(t("net.offline_hint", lang), style="dim")
            return text
        address = node.listen_address
        connected, pending, syncing = self.peers_online()
        if address is None:
            reach = t("net.not_listening", lang)
        else:  # what another machine types: this machine's LAN addresses, never 0.0.0.0
            reach = ", ".join(self.typeable_addresses(address)) or t("net.address.none", lang)
        rows = [
            (t("net.your_address", lang), reach),
            (
                t("net.online", lang),
                str(connected) + (f" · {tn('net.pending_short', pending, lang)}" if pending else ""),
            ),
            (
                t("net.sync", lang),
                tn("net.syncing", syncing, lang) if syncing else t("net.up_to_date", lang),
            ),
            (
                t("net.last_sync", lang),
                time.strftime("%H:%M:%S", time.localtime(node.last_sync))
                if node.last_sync
                else t("net.never", lang),
            ),
        ]
        for position, (label, value) in enumerate(rows):
            text.append(f"{label}: ", style="dim")
            text.append(value + ("\n" if position < len(rows) - 1 else ""))
        return text
