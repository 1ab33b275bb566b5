"""The app's node when another process (`reliance serve`) owns the home: that owner, through the local API.

It has the surface the app expects of a node (`tui.node.NodeLike`): its peers, listening address and last
sync are the owner's, kept from the `status` events it pushes; its events are the owner's node events; a
document the app wrote is announced by the owner at once (`refresh`); accepting, blocking and adding an
address are asked of the owner. When the owner goes away, an `OWNER_GONE` event says so: the app then
becomes the owner itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.localapi.client import AsyncApiClient
from reliance.localapi.protocol import Event
from reliance.net import events as ev
from reliance.net.events import NodeEvent, PeerInfo, PeerState

if TYPE_CHECKING:
    from reliance.net.doctor import Finding

log = logging.getLogger("reliance.localapi")


def peer_from_json(row: dict[str, Any]) -> PeerInfo | None:
    """A peer row of a `status` event (None for one that does not read as one)."""
    try:
        state = PeerState(str(row.get("state")))
    except ValueError:
        return None
    docs = row.get("docs_in_sync")
    last_seen = row.get("last_seen")
    return PeerInfo(
        str(row.get("peer_id") or ""),
        str(row.get("name") or ""),
        state,
        str(row.get("address") or ""),
        float(last_seen) if isinstance(last_seen, int | float) else None,
        str(row.get("source") or ""),
        {str(k): bool(v) for k, v in docs.items()} if isinstance(docs, dict) else {},
        str(row.get("last_error") or ""),
        device=str(row.get("device") or ""),
        device_id=str(row.get("device_id") or ""),
    )


def _address(text: object) -> tuple[str, int] | None:
    if not isinstance(text, str) or not text:
        return None
    host, _, port = text.rpartition(":")
    return (host.strip("[]"), int(port)) if port.isdigit() else None


class RemoteNode:
    """The running owner's node, seen from the app."""

    def __init__(self, home: Path, limits: Limits = DEFAULT_LIMITS) -> None:
        self.home = Path(home)
        self.limits = limits
        self.client: AsyncApiClient | None = None
        self.owner: dict[str, Any] = {}
        self._peers: list[PeerInfo] = []
        self._listen: tuple[str, int] | None = None
        self._last_sync: float | None = None
        self._listeners: list[Callable[[NodeEvent], None]] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping = False

    @property
    def listen_address(self) -> tuple[str, int] | None:
        return self._listen

    @property
    def last_sync(self) -> float | None:
        return self._last_sync

    @property
    def connected(self) -> bool:
        return self.client is not None and not self.client.closed

    async def start(self) -> None:
        self.client = await AsyncApiClient.connect(self.home, self._on_event, self._on_close, self.limits)
        self.owner = self.client.hello
        await self.client.call("subscribe")
        self._apply_status(await self.client.call("status"))

    async def stop(self) -> None:
        self._stopping = True
        for task in list(self._tasks):
            task.cancel()
        if self.client is not None:
            await self.client.close()

    def peers(self) -> list[PeerInfo]:
        return list(self._peers)

    def subscribe(self, callback: Callable[[NodeEvent], None]) -> None:
        self._listeners.append(callback)

    async def add_address(self, host: str, port: int) -> None:
        from reliance.net.config import format_address

        await self._client().call("peer.add", {"address": format_address(host, port)})

    def accept_peer(self, peer_id: str) -> None:
        self._ask("peer.accept", {"peer_id": peer_id})

    def block_peer(self, peer_id: str) -> None:
        self._ask("peer.block", {"peer_id": peer_id})

    def unblock_peer(self, peer_id: str) -> None:
        self._ask("peer.unblock", {"peer_id": peer_id})

    def local_change(self, doc_id: str) -> None:
        """The app wrote `doc_id` to the store itself: the owner reads it and announces it now."""
        self._ask("refresh", {"doc_ids": [doc_id]})

    async def run_operation(self, name: str, args: dict[str, Any]) -> Any:
        """A store operation of the local API, run by the owner (a bundle import): it writes, not us."""
        return await self._client().call(name, args)

    def diagnose(self) -> list[Finding]:
        from reliance.app import settings
        from reliance.net.status import diagnose_home

        return diagnose_home(self.home, int(settings.load_config(self.home)["port"]))

    # -- plumbing --------------------------------------------------------------------------------------------
    def _client(self) -> AsyncApiClient:
        if self.client is None or self.client.closed:
            from reliance.localapi.unix import NoOwner

            raise NoOwner("localapi.error.went_away")
        return self.client

    def _ask(self, op: str, args: dict[str, Any]) -> None:
        """A request whose answer nobody waits for (the owner's events show its effect)."""

        async def ask() -> None:
            try:
                await self._client().call(op, args)
            except Exception as exc:
                log.warning("the owner refused %s: %s", op, exc)
                self._tell(NodeEvent(ev.ERROR, str(exc)))

        task = asyncio.ensure_future(ask())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _tell(self, event: NodeEvent) -> None:
        for callback in list(self._listeners):
            try:
                callback(event)
            except Exception as exc:
                log.warning("event listener failed: %s", exc)

    def _apply_status(self, data: object) -> None:
        if not isinstance(data, dict):
            return
        rows = data.get("peers")
        if isinstance(rows, list):
            self._peers = [
                p for p in (peer_from_json(r) for r in rows if isinstance(r, dict)) if p is not None
            ]
        self._listen = _address(data.get("listen"))
        last_sync = data.get("last_sync")
        self._last_sync = float(last_sync) if isinstance(last_sync, int | float) else None

    def _on_event(self, event: Event) -> None:
        data = event.data
        if event.kind == "status":
            self._apply_status(data)
            self._tell(NodeEvent("status", ""))
        elif event.kind == "node":
            kind = str(data.get("kind") or "")
            if kind in (ev.LOCAL_CHANGE,):
                return  # the `documents` event that goes with it says which document
            count = data.get("count")
            self._tell(
                NodeEvent(
                    kind,
                    str(data.get("text") or ""),
                    str(data.get("peer_id") or ""),
                    str(data.get("doc_id") or ""),
                    count if type(count) is int else 0,
                )
            )
        elif event.kind == "documents":
            if data.get("origin") == "peer":
                return  # its `synced` node event marks it
            for doc_id in data.get("doc_ids") or []:
                if isinstance(doc_id, str):
                    self._tell(NodeEvent(ev.LOCAL_CHANGE, "", doc_id=doc_id))

    def _on_close(self) -> None:
        if not self._stopping:
            self._tell(NodeEvent(ev.OWNER_GONE, "the node of this home (reliance serve) stopped"))
