"""The owner of a home: its lock, its network node and its local API, started and stopped together.

`reliance serve` runs one; so does the app when no `serve` runs on its home (it is then the app's node:
`Owner` has the surface the app expects of a node). Every store operation a client asks for runs on the
node's worker, in turn with the peers' sessions; what a write changed is announced once: offered to the
connected peers, and pushed to the subscribers as a `documents` event. The node's own events (peers, sync
activity) are pushed too, with a `status` snapshot whenever it changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reliance.app import settings
from reliance.errors import RelianceError
from reliance.i18n import resolve_lang, t
from reliance.identity import encode_peer_id
from reliance.localapi.node_ops import WebControl
from reliance.localapi.ownership import OWNER_KINDS, OwnerLock, current_owner
from reliance.localapi.protocol import API_VERSION, Operation, Outcome
from reliance.localapi.server import ApiServer
from reliance.net import events as ev
from reliance.net.events import NodeEvent, PeerInfo, PeerState

if TYPE_CHECKING:
    from reliance.app.workspace import Workspace
    from reliance.net.doctor import Finding
    from reliance.net.node import Node

log = logging.getLogger("reliance.node")

STATUS_SECONDS = 1.0  # how often the status is compared with the last one pushed (in memory only)


class HomeOwned(RelianceError):
    """Another process owns this home."""

    def __init__(self, owner: dict[str, Any] | None, lang: str) -> None:
        who = (owner or {}).get("kind") or "?"
        pid = (owner or {}).get("pid") or "?"
        super().__init__(
            t(f"localapi.owned_by_{who}" if who in OWNER_KINDS else "localapi.owned", lang, pid=pid)
        )
        self.owner = owner


class Owner:
    """One home's owner (`kind` "serve", "app", or "invite": a `device invite` whose node neither listens
    nor dials, and serves the local API while the invitation runs)."""

    def __init__(self, workspace: Workspace, node: Node, kind: str) -> None:
        self.ws = workspace
        self.node = node
        self.kind = kind
        self.home = workspace.home
        self.lock = OwnerLock(self.home)
        self.server: ApiServer | None = None
        self._listeners: list[Callable[[NodeEvent], None]] = []
        self._watch: asyncio.Task[None] | None = None
        self._status_pending = False
        self._last_status: dict[str, Any] | None = None
        self._closed = False
        self.web: WebControl | None = None  # the web face, when the node serves one (reliance.web)
        node.subscribe(self._on_node_event)

    # -- what the app expects of a node ------------------------------------------------------------------
    @property
    def listen_address(self) -> tuple[str, int] | None:
        return self.node.listen_address

    @property
    def last_sync(self) -> float | None:
        return self.node.last_sync

    async def start(self) -> None:
        if not await asyncio.to_thread(self._take_home):
            raise HomeOwned(current_owner(self.home), self._lang())
        try:
            hello = {"api": API_VERSION, "owner": self.kind, "pid": os.getpid(), "peer_id": self.ws.peer_id}
            self.server = ApiServer(self.home, self, hello, self.node.limits)
            await self.server.start()  # before the node: a CLI that finds the lock taken finds the socket
            await self.node.start()
            self._watch = asyncio.ensure_future(self._watch_status())
        except BaseException:
            await self.stop()
            raise

    def _take_home(self) -> bool:
        """The home's lock; a command holding it while it writes the store itself (a bundle import with
        no owner) is waited for, `localapi_owner_wait_seconds` at most."""
        if self.lock.acquire(self.kind):
            return True
        holder = current_owner(self.home)
        if holder is None or holder["kind"] != "cli":
            return False
        return self.lock.acquire(self.kind, wait=float(self.node.limits.localapi_owner_wait_seconds))

    async def stop(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watch
        if self.server is not None:
            await self.server.close()
        try:
            await self.node.stop()
        finally:
            self.lock.release()

    def peers(self) -> list[PeerInfo]:
        return self.node.peers()

    def subscribe(self, callback: Callable[[NodeEvent], None]) -> None:
        self._listeners.append(callback)

    async def add_address(self, host: str, port: int) -> None:
        await self.node.add_address(host, port)

    def accept_peer(self, peer_id: str) -> None:
        self.node.accept_peer(peer_id)
        self._status_soon()

    def block_peer(self, peer_id: str, reason: str = "") -> None:
        self.node.block_peer(peer_id, reason)
        self._status_soon()

    def unblock_peer(self, peer_id: str) -> None:
        self.node.unblock_peer(peer_id)
        self._status_soon()

    def local_change(self, doc_id: str) -> None:
        """The app wrote `doc_id` in this process: to the peers, and to the API's subscribers."""
        self.node.local_change(doc_id)
        self._publish_documents([doc_id], "local")

    def diagnose(self) -> list[Finding]:
        findings: list[Finding] = self.node.diagnose()
        return findings

    async def run_operation(self, name: str, args: dict[str, Any]) -> Any:
        """A store operation of the local API asked by this process (the app that owns the home), run as a
        client's would be: checked, on the node's worker, and what it wrote announced once."""
        from reliance.localapi.ops import TABLE
        from reliance.localapi.protocol import WRITE, Request

        op, checked = TABLE.prepare(Request(0, name, args))
        outcome = await self.run_store(op, checked)
        if op.kind == WRITE and outcome.changed:
            self.announce(outcome.changed, "local")
        return outcome.result

    # -- what the API server needs (Backend) ---------------------------------------------------------------
    @property
    def control(self) -> Owner:
        return self

    async def run_store(self, op: Operation, args: dict[str, Any]) -> Outcome:
        outcome: Outcome = await self.node.in_store(op.handler, self.ws, args)
        return outcome

    def announce(self, doc_ids: tuple[str, ...], origin: str) -> None:
        """A client wrote these documents through the API: announced once, to peers and to subscribers,
        and to this process's own listeners (the app, when it is the owner)."""
        for doc_id in dict.fromkeys(doc_ids):
            self.node.local_change(doc_id)
            text = f"document {doc_id[:14]}… written by a local client"
            log.info("%s", text)
            self._tell(NodeEvent(ev.LOCAL_CHANGE, text, doc_id=doc_id))
        self._publish_documents(list(doc_ids), origin)

    # -- node operations (NodeControl) ---------------------------------------------------------------------
    async def status(self) -> dict[str, Any]:
        return self.snapshot()

    async def peer_rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = [p.to_json() for p in self.node.peers()]
        known = {row["peer_id"] for row in rows}
        blocked = await asyncio.to_thread(settings.blocked_keys, self.home)
        for peer_id in sorted(encode_peer_id(k) for k in blocked):
            if peer_id not in known:
                rows.append(PeerInfo(peer_id, "", PeerState.BLOCKED, "", None, "blocked").to_json())
        return rows

    async def add_address_text(self, host: str, port: int) -> str:
        from reliance.net.config import format_address

        await self.node.add_address(host, port)
        return format_address(host, port)

    async def set_accepted(self, peer_id: str) -> None:
        self.accept_peer(peer_id)

    async def forget(self, text: str) -> bool:
        from reliance.net.status import forget_in_file, forget_in_node

        in_node = forget_in_node(self.node, text)
        in_file = await asyncio.to_thread(forget_in_file, self.home, text)
        return in_node or in_file

    async def set_blocked(self, peer_id: str, blocked: bool, reason: str) -> None:
        if blocked:
            self.block_peer(peer_id, reason)
        else:
            self.unblock_peer(peer_id)

    async def refresh(self, doc_ids: list[str] | None) -> list[str]:
        return await self.node.refresh_from_disk(doc_ids)

    async def sync_once(self, host: str, port: int, timeout: float) -> dict[str, Any]:
        """`reliance sync` beside this owner: the one-shot session runs here, its store work on the node's
        worker (the one write path), and what it brought is announced like any other write."""
        from reliance.net.oneshot import SyncFailed, SyncUnfinished, sync_once

        result: dict[str, Any] = {"summary": None, "unfinished": None, "failed": None}
        try:
            result["summary"] = await sync_once(
                self.ws, host, port, timeout=timeout, in_store=self.node.in_store
            )
        except SyncUnfinished as exc:
            result["summary"] = exc.summary
            result["unfinished"] = {"why": exc.why, "timeout": exc.timeout}
        except SyncFailed as exc:
            result["failed"] = {"key": exc.key, "params": {k: str(v) for k, v in exc.params.items()}}
        changed = (result["summary"] or {}).get("documents_changed") or []
        if changed:
            self.announce(tuple(changed), "api")
        return result

    def web_control(self) -> WebControl | None:
        return self.web

    # -- events ----------------------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        from reliance.net.config import format_address

        address = self.node.listen_address
        return {
            "owner": self.kind,
            "pid": os.getpid(),
            "peer_id": self.ws.peer_id,
            "name": self.ws.identity.name,
            "listen": format_address(*address) if address else None,
            "last_sync": self.node.last_sync,
            "peers": [p.to_json() for p in self.node.peers()],
        }

    def _tell(self, event: NodeEvent) -> None:
        for callback in list(self._listeners):
            try:
                callback(event)
            except Exception as exc:  # a listener's bug must not stop the owner
                log.warning("event listener failed: %s", exc)

    def _on_node_event(self, event: NodeEvent) -> None:
        self._tell(event)
        server = self.server
        if server is None:
            return
        server.publish(
            "node",
            {
                "kind": event.kind,
                "text": event.text,
                "peer_id": event.peer_id,
                "doc_id": event.doc_id,
                "count": event.count,
            },
        )
        if event.doc_id and (event.kind == ev.LOCAL_CHANGE or (event.kind == ev.SYNCED and event.count)):
            self._publish_documents([event.doc_id], "disk" if event.kind == ev.LOCAL_CHANGE else "peer")
        self._status_soon()

    def _publish_documents(self, doc_ids: list[str], origin: str) -> None:
        if self.server is not None and doc_ids:
            self.server.publish("documents", {"doc_ids": list(dict.fromkeys(doc_ids)), "origin": origin})

    def _status_soon(self) -> None:
        if self._status_pending or self.server is None or self._closed:
            return
        self._status_pending = True
        with contextlib.suppress(RuntimeError):  # no loop: nobody to tell
            asyncio.get_running_loop().call_soon(self._push_status)

    def _push_status(self) -> None:
        self._status_pending = False
        if self.server is None or not self.server.subscribers:
            return
        snapshot = self.snapshot()
        if snapshot != self._last_status:
            self._last_status = snapshot
            self.server.publish("status", snapshot)

    async def _watch_status(self) -> None:
        """Sync state moves without events (a peer catching up): compared in memory, pushed when changed."""
        while True:
            await asyncio.sleep(STATUS_SECONDS)
            try:
                self._push_status()
            except Exception as exc:
                log.warning("status push failed: %s", exc)

    def _lang(self) -> str:
        try:
            return resolve_lang(str(settings.load_config(self.home).get("lang") or ""))
        except RelianceError:
            return resolve_lang("")
