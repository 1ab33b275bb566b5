"""The node: transport, discovery and sync sessions wired together in one asyncio loop.

- Listens with the Noise transport; dials peers found by mDNS, typed addresses and known peers
  (exponential backoff). One connection per pair of peers: when both dial at once, the connection
  opened by the smaller key is kept on both sides.
- An mDNS advert proves nothing (anyone on the network can send one, with any id, name and address):
  an advertised address is dialled with a backoff of its own, and given to a peer, saved, only once
  a handshake there proved that peer's key; a peer's name comes only from its own handshake.
- Every connection runs a sans-IO `Session`. Sessions and the store are driven from one worker
  thread, so a large batch never stalls heartbeats or the terminal UI sharing the loop.
- Changes that arrive from one peer are offered to every other connected peer (gossip); changes
  written by another process on the same home are announced through the local API (`refresh_from_disk`,
  see reliance.localapi): the CLI and the app beside `serve` tell the owner at once. The store's logs
  are shared safely through `flock` (docs/storage.md) and read again every `poll_interval` (30 s), a
  safety net for writers that do not speak the API.
- Liveness comes from transport heartbeats, never from mDNS.
- `HOME/peers.json` keeps known peers (addresses, accepted): those accepted by hand or typed, and
  up to `Limits.max_remembered_peers` others this node connected with. A stranger refused by the
  policy `known` waits as pending in memory only (at most `Limits.max_pending_peers`).
  `HOME/node-state.json` is rewritten while running so that `reliance peers` in another process can
  show live state.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import itertools
import json
import logging
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from reliance.app import settings
from reliance.app.workspace import Workspace
from reliance.errors import RelianceError
from reliance.fsutil import atomic_write, open_private
from reliance.identity import decode_peer_id, encode_peer_id
from reliance.limits import Limits
from reliance.net import events as ev
from reliance.net import transport
from reliance.net.events import NodeEvent, PeerInfo, PeerState
from reliance.replication.protocol import (
    BatchRefused,
    ChangesReceived,
    Declined,
    InSync,
    RefusedByPeer,
    Session,
    SyncHost,
)
from reliance.replication.quota import Quotas, QuotaUsage
from reliance.store.repository import doc_kind

if TYPE_CHECKING:
    from reliance.net.discovery import DiscoveredPeer
    from reliance.net.doctor import Finding

log = logging.getLogger("reliance.node")
T = TypeVar("T")

DEFAULT_PORT = 7447
PEERS_FILE = "peers.json"
PEERS_LOCK = "peers.lock"
STATE_FILE = "node-state.json"

# Environment variables read by `reliance serve` (see docs/operations.md): tests and benchmarks shorten the
# timers with them, and run each test on its own mDNS service type.
ENV_TIMERS = {
    "RELIANCE_HEARTBEAT": "heartbeat_interval",
    "RELIANCE_HANDSHAKE_TIMEOUT": "handshake_timeout",
    "RELIANCE_REDIAL_MIN": "redial_min",
    "RELIANCE_REDIAL_MAX": "redial_max",
    "RELIANCE_POLL_INTERVAL": "poll_interval",
}
ENV_SERVICE_TYPE = "RELIANCE_SERVICE_TYPE"
ENV_MDNS_INTERFACES = "RELIANCE_MDNS_INTERFACES"


@dataclass
class NodeConfig:
    port: int = DEFAULT_PORT
    listen: str = "0.0.0.0"
    mdns: bool = True
    service_type: str | None = None  # None: the standard _reliance._tcp.local.
    interfaces: list[str] | None = None
    heartbeat_interval: float = 5.0
    handshake_timeout: float = 10.0
    redial_min: float = 1.0
    redial_max: float = 60.0
    poll_interval: float = 30.0  # the store is read again for writers outside the local API
    tick_interval: float = 0.5  # redials and settings are looked at this often
    write_state: bool = True
    # Seconds `stop` waits for the connections, then as long for the sync worker (a store write under way),
    # then as long for the last file writes; past each, it logs what it leaves behind and goes on.
    stop_timeout: float = 10.0
    # Every limit the node enforces, the largest message (`max_frame`) included; None: the workspace's,
    # which are the home's (config.json's `limits`, then `RELIANCE_LIMIT_*`): the door and the store agree.
    limits: Limits | None = None


def config_from_env(config: NodeConfig, environ: Mapping[str, str] | None = None) -> NodeConfig:
    """Apply the RELIANCE_* overrides (timers in seconds, mDNS service type and interfaces) to `config`."""
    env = os.environ if environ is None else environ
    for name, attribute in ENV_TIMERS.items():
        text = env.get(name, "").strip()
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not 0 < value <= 3600:
            raise RelianceError(f"{name} must be a number of seconds between 0 and 3600, not {text!r}")
        setattr(config, attribute, value)
    config.redial_max = max(config.redial_max, config.redial_min)
    service_type = env.get(ENV_SERVICE_TYPE, "").strip()
    if service_type:
        from reliance.net.discovery import _SERVICE_TYPE_RE

        if not _SERVICE_TYPE_RE.fullmatch(service_type):
            raise RelianceError(f"{ENV_SERVICE_TYPE} must look like _name._tcp.local., not {service_type!r}")
        config.service_type = service_type
    interfaces = [i.strip() for i in env.get(ENV_MDNS_INTERFACES, "").split(",") if i.strip()]
    if interfaces:
        config.interfaces = interfaces
    return config


@dataclass
class _Peer:
    key: bytes
    name: str = ""
    addresses: list[tuple[str, int]] = field(default_factory=list)
    source: str = "known"
    accepted: bool = False
    state: PeerState = PeerState.DISCOVERED
    last_seen: float | None = None
    last_error: str = ""
    conn: transport.SecureConnection | None = None
    conn_initiator: bytes = b""
    session: Session | None = None
    outbox: _Outbox | None = None
    backoff: float = 0.0
    next_dial: float = 0.0
    dialing: bool = False
    known: bool = False  # a connection with it completed, or it was saved before: worth remembering

    @property
    def peer_id(self) -> str:
        return encode_peer_id(self.key)

    def accept(self) -> None:
        self.accepted = True
        if self.state == PeerState.PENDING:
            self.state = PeerState.DISCOVERED
            self.next_dial = 0.0


@dataclass
class _Advert:
    """An address some mDNS advert gave, dialled with a backoff of its own until a handshake there proves
    whose it is (an advert may claim any key: `claimed` is only what to expect)."""

    address: tuple[str, int]
    claimed: bytes | None
    backoff: float = 0.0
    next_dial: float = 0.0
    dialing: bool = False
    seen: float = 0.0


class _SendBudget:
    """The bytes waiting in every outbox, against one limit (`connections_outbox_total_bytes`)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.outboxes: set[_Outbox] = set()

    def grew(self) -> None:
        """Over the limit: drop the outbox whose peer has left its next frame unread the longest (a peer
        that reads sees its frames leave at once, however many were queued in a burst)."""
        if self.size > self.limit:
            waiting = [o for o in self.outboxes if o.frames]
            if waiting:
                stalled = min(waiting, key=lambda o: o.head_since)
                stalled._fail(f"peer does not read: {stalled.size} bytes waiting while the node's are full")


class _Outbox:
    """The frames waiting to be sent on one connection, sent in order by one task.

    Nothing that produces frames (a peer's own session, the fan-out of another peer's changes, the poll of
    the store) ever waits on a socket: a peer that stops reading can only stall its own outbox. It is
    dropped when one frame is not taken within `stall` seconds plus one second per 64 KiB, when more
    than `limit` bytes wait, or when it has the most waiting while all outboxes together are over the
    shared budget.
    """

    def __init__(
        self,
        conn: transport.SecureConnection,
        *,
        stall: float,
        limit: int,
        budget: _SendBudget | None = None,
    ) -> None:
        self.conn = conn
        self.stall = stall
        self.limit = limit
        self.budget = budget or _SendBudget(limit)
        self.budget.outboxes.add(self)
        self.frames: deque[bytes] = deque()
        self.size = 0
        self.head_since = 0.0  # when the first frame waiting became first
        self.failure = ""
        self._ready = asyncio.Event()
        self._task = asyncio.ensure_future(self._pump())
        self._closing: asyncio.Future[None] | None = None

    def put(self, frames: list[bytes]) -> None:
        if self.failure or not frames:
            return
        if not self.frames:
            self.head_since = time.monotonic()
        for frame in frames:
            self.frames.append(frame)
            self.size += len(frame)
            self.budget.size += len(frame)
        self._ready.set()
        if self.size > self.limit:
            self._fail(f"peer does not read: {self.size} bytes waiting to be sent")
        else:
            self.budget.grew()

    async def flush(self, timeout: float) -> None:
        """Wait (up to `timeout`) until everything queued was handed to the transport."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self.frames and not self.failure and not self._task.done():
                    await asyncio.sleep(0.01)

    async def close(self) -> None:
        self._task.cancel()
        self._release()
        for task in (self._task, self._closing):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    def _fail(self, reason: str) -> None:
        if not self.failure:
            self.failure = reason
            self._release()  # nothing more is sent: the frames waiting are dropped
            self._closing = asyncio.ensure_future(self.conn.close())  # recv() raises at once

    def _release(self) -> None:
        self.budget.size -= self.size
        self.budget.outboxes.discard(self)
        self.frames.clear()
        self.size = 0

    async def _pump(self) -> None:
        while True:
            if not self.frames:
                self._ready.clear()
                await self._ready.wait()
                continue
            frame = self.frames[0]
            try:
                async with asyncio.timeout(self.stall + len(frame) / 65536):
                    await self.conn.send(frame)
            except TimeoutError:
                self._fail(f"peer does not read: a {len(frame)}-byte message not taken in time")
                return
            except transport.TransportError:
                return
            if self.frames and self.frames[0] is frame:
                self.frames.popleft()
                self.size -= len(frame)
                self.budget.size -= len(frame)
                self.head_since = time.monotonic()


class _SyncWorker:
    """The one thread that runs the sessions and the store, jobs in order; except that a new peer's first
    frame (`urgent`) goes before the work the other peers have waiting, so that a crowd of busy peers
    (each with one turn waiting at a time) never delays a newcomer's first frame by more than a turn."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.PriorityQueue[tuple[int, int, Callable[[], None] | None]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def submit(self, func: Callable[..., T], *args: Any, urgent: bool = False) -> Future[T]:
        if self._closed:
            raise RuntimeError("the sync worker has stopped")
        future: Future[T] = Future()

        def job() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(func(*args))
            except BaseException as exc:  # an automerge panic too: the caller decides
                future.set_exception(exc)

        self._jobs.put((0 if urgent else 1, next(self._order), job))
        return future

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Run what is queued, then stop the thread (`join` waits for it)."""
        if not self._closed:
            self._closed = True
            self._jobs.put((2, next(self._order), None))

    def join(self, timeout: float | None = None) -> bool:
        """Wait up to `timeout` seconds for the thread to end; whether it did."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def shutdown(self) -> None:
        """Run what is queued, then stop the thread (and wait for it)."""
        self.close()
        self.join()

    def _serve(self) -> None:
        while True:
            job = self._jobs.get()[2]
            if job is None:
                return
            job()


def parse_address(text: str, default_port: int = DEFAULT_PORT) -> tuple[str, int]:
    """`host:port`, `host` (default port) or `[v6]:port`."""
    text = text.strip()
    if not text:
        raise RelianceError("an address is HOST:PORT, e.g. 192.168.1.20:7447")
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.lstrip(":")
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, ""
    if not host:
        raise RelianceError(f"no host in address {text!r}")
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise RelianceError(f"bad port in address {text!r}")
    return host, int(port_text)


def format_address(host: str, port: int) -> str:
    """The text `parse_address` reads back: an IPv6 host goes in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class Node:
    def __init__(
        self,
        workspace: Workspace,
        config: NodeConfig | None = None,
        *,
        port: int | None = None,
        listen: str | None = None,
        mdns: bool | None = None,
    ) -> None:
        self.ws = workspace
        self.config = config or NodeConfig()
        self.limits = self.config.limits or workspace.repo.limits
        if port is not None:
            self.config.port = port
        if listen is not None:
            self.config.listen = listen
        if mdns is not None:
            self.config.mdns = mdns
        self.home = workspace.home
        self.my_key = workspace.identity.public_key
        self.peers_by_key: dict[bytes, _Peer] = {}
        self.typed: list[tuple[str, int]] = []  # typed addresses whose key we do not know yet
        self._adverts: dict[tuple[str, int], _Advert] = {}  # advertised addresses not yet any peer's
        self._typed_retry: dict[tuple[str, int], tuple[float, float]] = {}  # address -> (backoff, next dial)
        self._typed_dialing: set[tuple[str, int]] = set()
        self.listen_address: tuple[str, int] | None = None
        self.last_sync: float | None = None
        self._blocked: set[bytes] = settings.blocked_keys_or(self.home, set())
        self._policy = settings.load_config(self.home)["policy"]
        self._listeners: list[Callable[[NodeEvent], None]] = []
        self._worker = _SyncWorker("reliance-sync")
        # Every file the node reads or writes but the documents (peers.json, node-state.json, the settings),
        # in order, on a thread of its own: a slow disk never stalls the loop the connections and the app
        # share, nor the sync worker.
        self._files = _SyncWorker("reliance-files")
        self._peers_file = _PeersFile(self.home)
        self._state_text = (
            ""  # node-state.json as last written, but its time: written again only if it differs
        )
        self._send_budget = _SendBudget(self.limits.connections_outbox_total_bytes)
        self._server: transport.Server | None = None
        self._discovery: Any = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping = False
        self._settings_mtime = 0.0  # the file thread's
        self.quotas = Quotas(workspace.repo, workspace.peer_id, self.limits)
        self._host = SyncHost(
            workspace.repo, blocked=lambda: self._blocked, limits=self.limits, quotas=self.quotas
        )
        self._transport_config = transport.TransportConfig(
            max_message=self.limits.max_frame,
            heartbeat_interval=self.config.heartbeat_interval,
            handshake_timeout=self.config.handshake_timeout,
            read_timeout=max(30.0, self.config.heartbeat_interval * 3),
        )

    def _hello_name(self) -> str:
        """Our name as we send it: renamed while we run, or with controls an older version let in."""
        return transport.hello_name(self.ws.identity.name)

    # -- public API ------------------------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[NodeEvent], None]) -> None:
        self._listeners.append(callback)

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.stop()  # e.g. the port is taken: release the worker thread and what started
            raise

    async def _start(self) -> None:
        self._apply_peers_data(await self._in_files(self._peers_file.read))
        await self._in_worker(self.ws.repo.refresh_all)  # each document read once: what changes later is news
        await self._in_worker(self.quotas.scan)
        self._server = await transport.serve(
            self.config.listen,
            self.config.port,
            self.ws.identity.private_key,
            name=self._hello_name(),
            on_connection=self._on_incoming,
            accept=self._accept,
            config=self._transport_config,
            limits=self.limits,
            known=self._is_known,
        )
        self.listen_address = (self.config.listen, self._server.port)
        self._emit(ev.LISTENING, f"listening on {self.config.listen}:{self._server.port}")
        self._write_state()
        self._spawn(self._maintenance())  # typed and known peers are dialled while mDNS still probes
        if self.config.mdns:
            await self._start_discovery()

    async def stop(self) -> None:
        """Close everything, each step bounded by `NodeConfig.stop_timeout`: a step that does not end in
        time is logged and left behind (a stuck store write cannot keep the process from exiting)."""
        self._stopping = True
        bound = self.config.stop_timeout
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            _, left = await asyncio.wait(tasks, timeout=bound)
            if left:
                log.warning("%d tasks did not end within %g s of the stop; leaving them", len(left), bound)
        if self._discovery is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(bound):
                    await self._discovery.stop()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(bound):
                for peer in self.peers_by_key.values():
                    if peer.conn is not None:
                        with contextlib.suppress(Exception):
                            await peer.conn.close()
                if self._server is not None:
                    await self._server.close()
        self._worker.close()
        if not await asyncio.to_thread(self._worker.join, bound):
            log.warning(
                "the sync worker did not stop within %g s (a document write still under way?); leaving it: "
                "what it had not written yet is not stored",
                bound,
            )
        saved = self._save_peers_file()
        if self.config.write_state:
            self._files.submit(_remove, self.home / STATE_FILE)
        self._files.close()
        if not await asyncio.to_thread(self._files.join, bound):
            log.warning("the node's files were not written within %g s of the stop; leaving them", bound)
        elif saved is not None and saved.done() and saved.exception() is None:
            self._apply_peers_data(saved.result())

    def peers(self) -> list[PeerInfo]:
        out = []
        for peer in self.peers_by_key.values():
            state = PeerState.BLOCKED if peer.key in self._blocked else peer.state
            docs: dict[str, bool] = {}
            if peer.session is not None and state == PeerState.CONNECTED:
                # Only documents already open: opening one here would race with the sync worker thread.
                for stored in self.ws.repo.loaded():
                    with contextlib.suppress(RelianceError):
                        docs[stored.doc_id] = peer.session.in_sync(stored.doc_id)
            address = f"{peer.addresses[0][0]}:{peer.addresses[0][1]}" if peer.addresses else ""
            out.append(
                PeerInfo(
                    peer.peer_id,
                    peer.name,
                    state,
                    address,
                    peer.last_seen,
                    peer.source,
                    docs,
                    peer.last_error,
                )
            )
        return sorted(out, key=lambda p: (p.state != PeerState.CONNECTED, p.name.lower(), p.peer_id))

    async def add_address(self, host: str, port: int) -> None:
        """A typed address: remembered, dialled now and redialled later."""
        if (host, port) not in self.typed:
            self.typed.append((host, port))
            self._save_peers_file()
        self._typed_retry.pop((host, port), None)
        if (host, port) not in self._typed_dialing:
            self._typed_dialing.add((host, port))
            self._spawn(self._dial_address(host, port, None, source="typed"))

    def accept_peer(self, peer_id: str) -> None:
        self._peer(decode_peer_id(peer_id)).accept()
        self._save_peers_file()

    def block_peer(self, peer_id: str, reason: str = "") -> None:
        self._in_background(self._files.submit(settings.block, self.home, peer_id, reason), "blocking")
        key = decode_peer_id(peer_id)
        self._blocked.add(key)
        peer = self.peers_by_key.get(key)
        if peer is not None and peer.conn is not None:
            self._spawn(peer.conn.close())

    def unblock_peer(self, peer_id: str) -> None:
        self._in_background(self._files.submit(settings.unblock, self.home, peer_id), "unblocking")
        key = decode_peer_id(peer_id)
        self._blocked.discard(key)
        peer = self.peers_by_key.get(key)
        if peer is not None:
            peer.next_dial = 0.0

    def local_change(self, doc_id: str) -> None:
        """A document was written in this process: offer it to every connected peer now."""
        self._spawn(self._fan_out(doc_id, except_key=None))

    async def in_store(self, func: Callable[..., T], *args: Any) -> T:
        """Run `func` where the node's store work runs (its worker), in turn with the peers' sessions."""
        return await self._in_worker(func, *args)

    async def refresh_from_disk(self, doc_ids: list[str] | None = None) -> list[str]:
        """Read what another process wrote to the store (these documents, or all), and announce each
        changed document once: a LOCAL_CHANGE event, and an offer to every connected peer."""
        changed = await self._in_worker(self._refresh, doc_ids)
        for doc_id in changed:
            self._emit(ev.LOCAL_CHANGE, f"document {doc_id[:14]}… changed on disk", doc_id=doc_id)
            await self._fan_out(doc_id, except_key=None)
        return changed

    def diagnose(self) -> list[Any]:
        from reliance.net.doctor import diagnose

        connected = sum(1 for p in self.peers_by_key.values() if p.state == PeerState.CONNECTED)
        listening = self._server.port if self._server else None
        return diagnose(
            self.config.port, peers_found=connected, network_probes=True, listening_port=listening
        )

    # -- connections -----------------------------------------------------------------------------------------
    def _is_known(self, remote_key: bytes) -> bool:
        """An accepted peer (typed address, `reliance peer accept`): served first when the node is full."""
        peer = self.peers_by_key.get(remote_key)
        return peer is not None and peer.accepted and remote_key not in self._blocked

    def _accept(self, remote_key: bytes) -> str | None:
        if remote_key in self._blocked:
            return "you are blocked by this node"
        if remote_key == self.my_key:
            return "this is the same identity (another device must have its own key)"
        if self._policy == "known":
            known = self.peers_by_key.get(remote_key)
            if known is None or not known.accepted:
                # Shown as pending until accepted, never saved: any key can knock, a key costs nothing.
                peer = known or self._pending_peer(remote_key)
                peer.state = PeerState.PENDING
                peer.last_seen = time.time()
                self._emit(ev.PEER_PENDING, f"{peer.peer_id[:14]}… waits for acceptance", peer.peer_id)
                return "this node only syncs with accepted peers; ask its owner to accept your peer id"
        return None

    def _pending_peer(self, key: bytes) -> _Peer:
        """A new pending stranger; the oldest ones are forgotten beyond `Limits.max_pending_peers`."""
        waiting = [
            p for p in self.peers_by_key.values() if self._forgettable(p) and p.state == PeerState.PENDING
        ]
        waiting.sort(key=lambda p: p.last_seen or 0.0)
        for peer in waiting[: max(0, len(waiting) - self.limits.max_pending_peers + 1)]:
            del self.peers_by_key[peer.key]
        return self._peer(key)

    def _forgettable(self, peer: _Peer) -> bool:
        return not peer.accepted and not peer.known and peer.conn is None and not peer.dialing

    async def _on_incoming(self, conn: transport.SecureConnection) -> None:
        peer = self._peer(conn.remote_key)
        if conn.remote_port:
            address = (conn.remote_address[0], conn.remote_port)
            if address not in peer.addresses:
                peer.addresses.insert(0, address)
        if peer.source == "known" and not peer.name:
            peer.source = "incoming"
        await self._run(peer, conn, initiator_key=conn.remote_key)

    async def _dial_address(
        self, host: str, port: int, expected: bytes | None, *, source: str, advert: _Advert | None = None
    ) -> None:
        # An advert's claim is only checked: its failure must not push back the real peer's own redial.
        peer = self.peers_by_key.get(expected) if expected and advert is None else None
        if peer is not None:
            if peer.dialing or peer.conn is not None or peer.key in self._blocked:
                return
            peer.dialing = True
            peer.state = PeerState.CONNECTING
        try:
            conn = await transport.connect(
                host,
                port,
                self.ws.identity.private_key,
                name=self._hello_name(),
                listen_port=self._server.port if self._server else None,
                expected_key=expected,
                config=self._transport_config,
            )
        except transport.HandshakeRefused as exc:
            if peer is not None:
                peer.last_error = exc.reason
                peer.state = PeerState.UNREACHABLE
                self._schedule_redial(peer)
            elif source == "typed":
                self._typed_failed((host, port))
            self._emit(ev.ERROR, f"{host}:{port} refused the connection: {exc.reason}")
            return
        except (transport.TransportError, OSError) as exc:
            if peer is not None:
                peer.last_error = str(exc)
                peer.state = PeerState.UNREACHABLE
                self._schedule_redial(peer)
            elif source == "typed":
                self._typed_failed((host, port))  # not there yet: it stays typed and is dialled again
            log.debug("dial %s:%s failed: %s", host, port, exc)
            return
        finally:
            if peer is not None:
                peer.dialing = False
            if advert is not None:
                advert.dialing = False
            elif expected is None:
                self._typed_dialing.discard((host, port))
        if conn.remote_key == self.my_key or conn.remote_key in self._blocked:
            await conn.close()
            if conn.remote_key == self.my_key and (host, port) in self.typed:
                self.typed.remove((host, port))  # our own address: never dial it again
                self._save_peers_file()
            elif expected is None and advert is None:
                self._typed_failed((host, port))
            return
        if source != "typed" and self._accept(conn.remote_key) is not None:
            await conn.close()  # found by mDNS, but this node only syncs with accepted peers: pending
            return
        if advert is not None:
            self._adverts.pop((host, port), None)  # the handshake proved whose address it is
        peer = self._peer(conn.remote_key)
        peer.known = True
        if (host, port) not in peer.addresses:
            peer.addresses.insert(0, (host, port))
        if source == "typed":
            peer.accepted = True
            self._typed_retry.pop((host, port), None)
            if (host, port) in self.typed:
                self.typed.remove((host, port))
        if peer.source in ("known", "incoming"):
            peer.source = source
        self._save_peers_file()
        await self._run(peer, conn, initiator_key=self.my_key)

    async def _run(self, peer: _Peer, conn: transport.SecureConnection, *, initiator_key: bytes) -> None:
        if conn.remote_name:
            peer.name = conn.remote_name  # from its handshake: the only name a node takes for a peer
        if peer.conn is not None and not peer.conn.closed:
            # Both dialled at once: keep the connection opened by the smaller key, on both sides.
            keep_new = (
                initiator_key == min(self.my_key, conn.remote_key) and peer.conn_initiator != initiator_key
            )
            log.info("second connection with %s: keeping only one", peer.peer_id[:14])
            if not keep_new:
                await conn.close()
                return
            old = peer.conn
            await old.close()
        session = Session(self._host, peer_key=conn.remote_key)
        outbox = _Outbox(
            conn,
            stall=self._transport_config.frame_timeout,
            limit=2 * self.limits.max_frame + (1 << 20),
            budget=self._send_budget,
        )
        peer.conn, peer.conn_initiator, peer.session, peer.outbox = conn, initiator_key, session, outbox
        if not peer.known:
            peer.known = True
            self._save_peers_file()  # met for the first time: remembered from now on
        peer.state = PeerState.CONNECTED
        peer.last_seen = time.time()
        peer.backoff = 0.0
        peer.last_error = ""
        self._emit(ev.PEER_CONNECTED, f"connected to {peer.name or '?'} ({peer.peer_id[:14]}…)", peer.peer_id)
        self._write_state()
        reason = ""
        try:
            outbox.put(await self._in_worker(session.start, urgent=True))
            while True:
                data = await conn.recv()
                peer.last_seen = time.time()
                outbox.put(
                    await self._in_worker(
                        self._durably, functools.partial(session.receive, data, one_turn=True)
                    )
                )
                # A frame may ask for more than one turn of work: the rest goes in turns, each a new
                # job behind the other peers' waiting ones, and this peer's next frame waits for it.
                while not (stop := await self._handle_events(peer, session)) and session.pending_work:
                    outbox.put(await self._in_worker(self._durably, session.work))
                if stop:
                    await outbox.flush(min(5.0, self._transport_config.frame_timeout))  # the refusal
                    break
        except transport.ConnectionLost as exc:
            reason = outbox.failure or str(exc)
            if outbox.failure or not isinstance(exc, transport.ConnectionClosed):
                peer.last_error = reason
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failing peer must never take the node down
            peer.last_error = reason = f"{type(exc).__name__}: {exc}"
            log.warning("connection with %s failed: %s", peer.peer_id[:14], peer.last_error)
        finally:
            if peer.conn is conn:
                peer.conn = None
                peer.session = None
                peer.outbox = None
                peer.state = PeerState.DISCOVERED
                self._schedule_redial(peer)
                self._emit(
                    ev.PEER_DISCONNECTED,
                    f"disconnected from {peer.name or peer.peer_id[:14]} ({reason or 'closed'})",
                    peer.peer_id,
                )
            await outbox.close()
            with contextlib.suppress(Exception):
                await conn.close()
            self._write_state()

    def _durably(self, produce: Callable[[], list[bytes]]) -> list[bytes]:
        """A session call (in the worker), then what it stored made durable before its frames go out:
        the session writes batches without fsync, one fsync a document covers all it stored."""
        frames = produce()
        self.ws.repo.flush()
        return frames

    async def _handle_events(self, peer: _Peer, session: Session) -> bool:
        """Turn session events into node events; True when the connection must end."""
        stop = False
        for event in session.pop_events():
            if isinstance(event, ChangesReceived):
                self.last_sync = time.time()
                self._emit(
                    ev.SYNCED,
                    f"synced {event.applied} changes of document {event.doc_id[:14]}… from {peer.name or '?'}"
                    + (f" ({event.pending} waiting for earlier changes)" if event.pending else ""),
                    peer.peer_id,
                    event.doc_id,
                    event.applied,
                )
                if event.applied:
                    await self._fan_out(event.doc_id, except_key=peer.key)
            elif isinstance(event, InSync):
                self.last_sync = time.time()
            elif isinstance(event, BatchRefused):
                self._emit(
                    ev.REJECTED,
                    f"rejected a batch from {peer.name or '?'} ({peer.peer_id[:14]}…) for document "
                    f"{event.doc_id or '-'}: {event.reason}",
                    peer.peer_id,
                    event.doc_id,
                )
                peer.last_error = event.reason
                stop = True
            elif isinstance(event, RefusedByPeer):
                peer.last_error = f"refused by peer: {event.reason}"
                log.info("%s refused our batch: %s", peer.peer_id[:14], event.reason)
            elif isinstance(event, Declined):
                self._emit(
                    ev.DECLINED,
                    f"did not store document {event.doc_id[:14]}… from {peer.name or '?'}: {event.reason}",
                    peer.peer_id,
                    event.doc_id,
                )
        return stop

    async def _fan_out(self, doc_id: str, *, except_key: bytes | None) -> None:
        for peer in list(self.peers_by_key.values()):
            if peer.key == except_key or peer.session is None or peer.outbox is None:
                continue
            session, outbox = peer.session, peer.outbox
            outbox.put(await self._in_worker(session.local_change, doc_id))

    # -- discovery -------------------------------------------------------------------------------------------
    async def _start_discovery(self) -> None:
        from reliance.net.discovery import SERVICE_TYPE, Discovery

        assert self._server is not None
        self._discovery = Discovery(
            peer_id=self.ws.peer_id,
            name=self._hello_name(),
            port=self._server.port,
            protocol_version=transport.PROTOCOL_VERSION,
            on_found=self._on_found,
            on_lost=self._on_lost,
            service_type=self.config.service_type or SERVICE_TYPE,
            interfaces=self.config.interfaces,
            announce=bool((await self._in_files(settings.load_config, self.home))["announce"]),
            limits=self.limits,
        )
        try:
            await self._discovery.start()
        except Exception as exc:  # no multicast here: typed addresses still work
            self._discovery = None
            self._emit(ev.ERROR, f"mDNS discovery is unavailable ({exc}); use 'reliance peer add HOST:PORT'")

    def _on_found(self, found: DiscoveredPeer) -> None:
        """An advert (new, or its data changed): note its addresses to dial. Nothing here names a peer,
        gives it an address or resets a backoff: an advert is a rumour until a handshake proves it."""
        claimed: bytes | None = None
        if found.peer_id:
            try:
                claimed = decode_peer_id(found.peer_id)
            except RelianceError:
                return
            if claimed == self.my_key:
                return
        if found.protocol_version != transport.PROTOCOL_VERSION:
            log.debug("advert at %s speaks protocol %s", found.addresses, found.protocol_version)
            return
        now = time.monotonic()
        for host in found.addresses[:4]:
            address = (host, found.port)
            advert = self._adverts.get(address)
            if advert is None:
                if (
                    len(self._adverts) >= self.limits.max_advertised_addresses
                    and not self._forget_an_advert()
                ):
                    log.debug(
                        "ignoring advert at %s: %d addresses noted already", address, len(self._adverts)
                    )
                    return
                advert = _Advert(address, claimed, next_dial=now + self._first_delay(address, claimed))
                self._adverts[address] = advert
                self._emit(ev.PEER_FOUND, f"found a node at {format_address(*address)} by mDNS")
            advert.claimed = claimed
            advert.seen = now

    def _first_delay(self, address: tuple[str, int], claimed: bytes | None) -> float:
        """Seconds before the first dial of a new advert: when both nodes can tell which of them dials first
        (the smaller key, else the smaller address), the other waits a little, so both rarely dial at once."""
        if claimed is not None:
            return 0.0 if self.my_key < claimed else 1.5
        mine = self._discovery.addresses if self._discovery is not None else []
        if not mine or self._server is None:
            return 0.0
        return 0.0 if (min(mine), self._server.port) < address else 1.5

    def _forget_an_advert(self) -> bool:
        """Make room for a new advert by dropping the least recently seen one not being dialled."""
        idle = [a for a in self._adverts.values() if not a.dialing]
        if not idle:
            return False
        del self._adverts[min(idle, key=lambda a: a.seen).address]
        return True

    def _on_lost(self, found: DiscoveredPeer) -> None:
        """A goodbye (unauthenticated too): forget the advert's addresses, nothing more."""
        for host in found.addresses:
            advert = self._adverts.get((host, found.port))
            if advert is not None and not advert.dialing:
                del self._adverts[(host, found.port)]

    # -- maintenance -----------------------------------------------------------------------------------------
    async def _maintenance(self) -> None:
        last_state = 0.0
        last_refresh = time.monotonic()
        while not self._stopping:
            await asyncio.sleep(min(self.config.tick_interval, self.config.poll_interval))
            try:
                await self._reload_settings()
                if time.monotonic() - last_refresh >= self.config.poll_interval:
                    last_refresh = time.monotonic()
                    await self.refresh_from_disk()
                    await self._in_worker(self.ws.repo.compact_due)  # what peers' batches left due
                self._redial_due()
                if time.monotonic() - last_state > 1.0:
                    self._write_state()
                    last_state = time.monotonic()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("maintenance step failed: %s: %s", type(exc).__name__, exc)

    def _redial_due(self) -> None:
        now = time.monotonic()
        # Strangers (peers not accepted) are dialled only while the connections, in and out, stay under
        # `connections_max`: those that came in once left an address, and must not make us open more.
        busy = sum(1 for p in self.peers_by_key.values() if p.conn is not None or p.dialing)
        for peer in list(self.peers_by_key.values()):
            if peer.conn is not None or peer.dialing or not peer.addresses or peer.key in self._blocked:
                continue
            if peer.state == PeerState.PENDING or now < peer.next_dial:
                continue
            if (self._policy == "known" or busy >= self.limits.connections_max) and not peer.accepted:
                continue
            busy += 1
            host, port = peer.addresses[0]
            peer.addresses.append(peer.addresses.pop(0))  # next time, try the next address
            self._schedule_redial(peer)
            self._spawn(self._dial_address(host, port, peer.key, source=peer.source))
        self._dial_adverts(now, busy)
        for address in list(self.typed):
            if any(p.conn is not None and address in p.addresses for p in self.peers_by_key.values()):
                self.typed.remove(address)  # already connected through it
                self._typed_retry.pop(address, None)
                continue
            if address in self._typed_dialing or now < self._typed_retry.get(address, (0.0, 0.0))[1]:
                continue
            self._typed_dialing.add(address)
            self._spawn(self._dial_address(address[0], address[1], None, source="typed"))

    def _dial_adverts(self, now: float, busy: int) -> None:
        """Dial advertised addresses that are nobody's yet, each at most once per its own backoff (however
        often it is advertised again): a flood of adverts costs one dial per address and backoff period.
        Like strangers, only while the connections stay under `connections_max`."""
        owned = {a: p for p in self.peers_by_key.values() for a in p.addresses}
        for advert in list(self._adverts.values()):
            owner = owned.get(advert.address)
            if owner is not None and not advert.dialing:
                # A peer proved this address in a handshake (it dialled us, or we it): its own redial
                # takes over, and it was found by mDNS too (a label for `reliance peers`).
                del self._adverts[advert.address]
                if owner.source in ("known", "incoming"):
                    owner.source = "mdns"
                continue
            if advert.dialing or now < advert.next_dial:
                continue
            claimed = self.peers_by_key.get(advert.claimed) if advert.claimed is not None else None
            if advert.claimed in self._blocked or (claimed is not None and claimed.conn is not None):
                continue
            if self._policy == "known" and advert.claimed is not None and not (claimed and claimed.accepted):
                continue
            if busy >= self.limits.connections_max:
                return
            busy += 1
            advert.dialing = True
            advert.backoff = self._next_backoff(advert.backoff)
            advert.next_dial = now + advert.backoff
            host, port = advert.address
            self._spawn(self._dial_address(host, port, advert.claimed, source="mdns", advert=advert))

    def _next_backoff(self, backoff: float) -> float:
        return min(self.config.redial_max, max(self.config.redial_min, backoff * 2))

    def _schedule_redial(self, peer: _Peer) -> None:
        peer.backoff = self._next_backoff(peer.backoff)
        peer.next_dial = time.monotonic() + peer.backoff

    def _typed_failed(self, address: tuple[str, int]) -> None:
        backoff = self._next_backoff(self._typed_retry.get(address, (0.0, 0.0))[0])
        self._typed_retry[address] = (backoff, time.monotonic() + backoff)

    async def _reload_settings(self) -> None:
        """What another process changed in the settings (blocks, policy) or in peers.json (peer add,
        peer accept), read on the file thread."""
        reloaded = await self._in_files(self._settings_if_changed, set(self._blocked))
        if reloaded is not None:
            self._blocked, self._policy = reloaded
            for peer in self.peers_by_key.values():
                if peer.key in self._blocked and peer.conn is not None:
                    self._spawn(peer.conn.close())
        data = await self._in_files(self._peers_file.read_if_changed)
        if data is not None:
            self._apply_peers_data(data)

    def _settings_if_changed(self, blocked: set[bytes]) -> tuple[set[bytes], str] | None:
        """On the file thread: the blocks and the policy, if either file changed since last read."""
        changed = False
        for name in ("blocks.json", "config.json"):
            with contextlib.suppress(OSError):
                mtime = (self.home / name).stat().st_mtime
                if mtime > self._settings_mtime:
                    self._settings_mtime = mtime
                    changed = True
        if not changed:
            return None
        return settings.blocked_keys_or(self.home, blocked), str(settings.load_config(self.home)["policy"])

    # -- persistence -----------------------------------------------------------------------------------------
    def _peer(self, key: bytes) -> _Peer:
        if key not in self.peers_by_key:
            self._forget_old_strangers()
            self.peers_by_key[key] = _Peer(key)
        return self.peers_by_key[key]

    def _forget_old_strangers(self) -> None:
        """Bound the peers kept in memory: beyond what may be saved and what may wait, the least recently
        seen peers nobody accepted, not connected, are forgotten (any key costs nothing to make)."""
        most = self.limits.max_remembered_peers + self.limits.max_pending_peers
        strangers = [
            p for p in self.peers_by_key.values() if not p.accepted and p.conn is None and not p.dialing
        ]
        if len(strangers) < most:
            return
        strangers.sort(key=lambda p: p.last_seen or 0.0)
        for peer in strangers[: len(strangers) - most + 1]:
            del self.peers_by_key[peer.key]

    def _load_peers_file(self) -> None:
        """Read peers.json now, on the calling thread (tools, tests); the node reads it on its file thread."""
        self._apply_peers_data(self._peers_file.read())

    def _apply_peers_data(self, data: Mapping[str, Any]) -> None:
        """Take what peers.json holds (written by another process: peer add, peer accept) into memory."""
        peers = data.get("peers")
        for peer_id, entry in (peers if isinstance(peers, dict) else {}).items():
            try:
                key = decode_peer_id(peer_id)
            except RelianceError:
                continue
            if not isinstance(entry, dict) or (not entry.get("accepted") and not entry.get("addresses")):
                continue  # a refused stranger an earlier version saved: nothing to dial, nothing to keep
            peer = self._peer(key)
            peer.known = True
            peer.name = peer.name or str(entry.get("name", ""))
            if entry.get("accepted") and not peer.accepted:
                peer.accept()  # `reliance peer accept` in another process
            addresses = entry.get("addresses")
            for text in addresses if isinstance(addresses, list) else []:
                with contextlib.suppress(RelianceError):
                    address = parse_address(str(text))
                    if address not in peer.addresses:
                        peer.addresses.append(address)
            if peer.source == "known":
                peer.source = str(entry.get("source", "known"))
        typed = data.get("typed")
        for text in typed if isinstance(typed, list) else []:
            with contextlib.suppress(RelianceError):
                address = parse_address(str(text))
                # Kept even when a known peer has this address: that peer may be gone, and someone else
                # (another key) may answer there now. `_redial_due` drops it once a connected peer has it.
                if address not in self.typed:
                    self.typed.append(address)

    def _save_peers_file(self) -> Future[dict[str, Any]] | None:
        """Save the peers (on the file thread, merged with what another process wrote meanwhile, which
        comes back into memory too). None once the node's files are closed."""
        if self._files.closed:
            return None
        future = self._files.submit(self._peers_file.save, self._peers_snapshot())

        def merge_back(done: Future[dict[str, Any]]) -> None:
            if not done.cancelled() and done.exception() is None and done.result():
                self._apply_peers_data(done.result())

        def on_loop(done: Future[dict[str, Any]]) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: the node has stopped
                loop.call_soon_threadsafe(merge_back, done)

        with contextlib.suppress(RuntimeError):  # no loop (a tool saving once): nothing comes back then
            loop = asyncio.get_running_loop()
            future.add_done_callback(on_loop)
        self._in_background(future, "saving peers.json")
        return future

    def _peers_snapshot(self) -> dict[str, Any]:
        # Peers accepted by hand (or typed) always; others this node connected with, the latest first, up to
        # the limit; never a stranger that only knocked.
        accepted = [p for p in self.peers_by_key.values() if p.accepted]
        met = [p for p in self.peers_by_key.values() if not p.accepted and p.known]
        met.sort(key=lambda p: -(p.last_seen or 0.0))
        return {
            "peers": {
                p.peer_id: {
                    "name": p.name,
                    "addresses": [format_address(h, port) for h, port in p.addresses[:8]],
                    "accepted": p.accepted,
                    "source": p.source,
                    "last_seen": p.last_seen,
                }
                for p in accepted + met[: self.limits.max_remembered_peers]
            },
            "typed": [format_address(h, p) for h, p in self.typed],
        }

    def _write_state(self) -> Future[None] | None:
        """Publish the node's state for `reliance peers` in other processes, on the file thread, and only
        when it differs from what was last written (an idle node writes nothing). None: nothing to write."""
        if not self.config.write_state or self._stopping or self._files.closed:
            return None
        state = {
            "pid": os.getpid(),
            "listen": f"{self.listen_address[0]}:{self.listen_address[1]}" if self.listen_address else None,
            "last_sync": self.last_sync,
            "peers": [p.to_json() for p in self.peers()],
            "quota": self.quotas.usage().to_json(),
        }
        text = json.dumps(state, sort_keys=True)
        if text == self._state_text:
            return None
        self._state_text = text
        data = json.dumps(state | {"updated": time.time()}, indent=2, sort_keys=True).encode()
        future = self._files.submit(atomic_write, self.home / STATE_FILE, data)
        self._in_background(future, "writing node-state.json")
        return future

    async def _in_files(self, func: Callable[..., T], *args: Any) -> T:
        return await asyncio.wrap_future(self._files.submit(func, *args))

    @staticmethod
    def _in_background(future: Future[Any], what: str) -> None:
        """Log the failure of a file job nobody waits for (a full disk: the node goes on)."""

        def report(done: Future[Any]) -> None:
            if not done.cancelled() and (exc := done.exception()) is not None:
                log.warning("%s failed: %s: %s", what, type(exc).__name__, exc)

        future.add_done_callback(report)

    # -- plumbing --------------------------------------------------------------------------------------------
    def _refresh_all(self) -> dict[str, list[bytes]]:
        """What other processes wrote (the CLI beside us), counted in the quotas too."""
        changed = self.ws.repo.refresh_all()
        for doc_id in changed:
            self.quotas.note(doc_id)
        return changed

    def _refresh(self, doc_ids: list[str] | None) -> list[str]:
        if doc_ids is None:
            return list(self._refresh_all())
        repo, changed = self.ws.repo, []
        loaded = {stored.doc_id: stored for stored in repo.loaded()}
        for doc_id in dict.fromkeys(doc_ids):
            with contextlib.suppress(RelianceError):
                doc_kind(doc_id)  # a document id, or StoreError: never a path
                if doc_id in loaded:
                    if not loaded[doc_id].refresh():
                        continue
                elif repo.exists(doc_id):
                    repo.open(doc_id)  # created by the other process
                else:
                    continue
                self.quotas.note(doc_id)
                changed.append(doc_id)
        return changed

    async def _in_worker(self, func: Callable[..., T], *args: Any, urgent: bool = False) -> T:
        return await asyncio.wrap_future(self._worker.submit(func, *args, urgent=urgent))

    def _spawn(self, coro: Any) -> None:
        if self._stopping:
            coro.close()
            return
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _emit(self, kind: str, text: str, peer_id: str = "", doc_id: str = "", count: int = 0) -> None:
        event = NodeEvent(kind, text, peer_id, doc_id, count)
        log.info("%s", text)
        for callback in list(self._listeners):
            try:
                callback(event)
            except Exception as exc:  # a listener's bug must not stop the node
                log.warning("event listener failed: %s", exc)


class _PeersFile:
    """peers.json as the node's file thread sees it: what changed since it last read or wrote it was
    written by another process (the CLI), and is merged, never overwritten."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self._mark: tuple[int, int] | None = None  # (inode, mtime) of the version last read or written

    def _current(self) -> tuple[int, int] | None:
        try:
            info = (self.home / PEERS_FILE).stat()
        except OSError:
            return None
        return info.st_ino, info.st_mtime_ns

    def read(self) -> dict[str, Any]:
        with peers_file_lock(self.home):
            self._mark = self._current()
            return read_peers_file(self.home)

    def read_if_changed(self) -> dict[str, Any] | None:
        if self._current() == self._mark:
            return None
        return self.read()

    def save(self, ours: dict[str, Any]) -> dict[str, Any]:
        """Write `ours`, with what another process wrote since (returned, for the node to take in; empty
        when nobody did)."""
        with peers_file_lock(self.home):
            theirs: dict[str, Any] = {}
            if self._current() != self._mark:
                theirs = read_peers_file(self.home)
                _merge_peers(ours, theirs)
            write_peers_file(self.home, ours)
            self._mark = self._current()
            return theirs


def _merge_peers(ours: dict[str, Any], theirs: Mapping[str, Any]) -> None:
    """Keep in `ours` what the CLI writes to peers.json: peers accepted (`peer accept`), addresses typed."""
    peers = theirs.get("peers")
    for peer_id, entry in (peers if isinstance(peers, dict) else {}).items():
        if not isinstance(entry, dict) or not entry.get("accepted"):
            continue
        mine = ours["peers"].get(peer_id)
        if mine is None:
            ours["peers"][peer_id] = entry
        else:
            mine["accepted"] = True
    typed = theirs.get("typed")
    for text in typed if isinstance(typed, list) else []:
        if isinstance(text, str) and text not in ours["typed"]:
            ours["typed"].append(text)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def read_peers_file(home: Path) -> dict[str, Any]:
    try:
        data = json.loads((home / PEERS_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {"peers": {}, "typed": []}
    return data if isinstance(data, dict) else {"peers": {}, "typed": []}


def write_peers_file(home: Path, data: dict[str, Any]) -> None:
    atomic_write(home / PEERS_FILE, json.dumps(data, indent=2, sort_keys=True).encode())


@contextlib.contextmanager
def peers_file_lock(home: Path) -> Iterator[None]:
    """Serialise read-modify-write of peers.json between the node and the CLI (`flock`)."""
    fd = open_private(home / PEERS_LOCK, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def remember_typed_address(home: Path, host: str, port: int) -> str:
    """Note HOST:PORT in peers.json so that a node on this home dials it (now if it runs, else at start)."""
    text = format_address(host, port)
    with peers_file_lock(home):  # a running node rewrites this file too
        data = read_peers_file(home)
        typed = list(data.get("typed", []))
        if text not in typed:
            typed.append(text)
        data["typed"] = typed
        data.setdefault("peers", {})
        write_peers_file(home, data)
    return text


def diagnose_home(home: Path, port: int) -> list[Finding]:
    """The doctor for this home. Beside a `reliance serve` running on it, the peers are that node's and
    its port, which it holds, is not probed (it would only look taken) but given in the advice. Then
    the quotas on other people's documents (the running node's count, else this home's)."""
    from reliance.net.doctor import diagnose, quota_findings

    state = read_state_file(home)
    if state is None:
        findings = diagnose(port)
    else:
        connected = sum(1 for p in state.get("peers", []) if p.get("state") == "connected")
        listening = str(state.get("listen")).rpartition(":")[2]
        held = int(listening) if listening.isdigit() else port
        findings = diagnose(port, peers_found=connected, listening_port=held)
    usage = home_quota_usage(home, state)
    return findings + (quota_findings(usage) if usage is not None else [])


def home_quota_usage(home: Path, state: Mapping[str, Any] | None = None) -> QuotaUsage | None:
    """Other people's documents held in `home`: from the running node, else counted on disk (None when
    it cannot be: no identity, or a key behind a passphrase)."""
    from reliance.identity import has_identity, key_is_encrypted

    if state is not None and isinstance(state.get("quota"), dict):
        with contextlib.suppress(ValueError):
            return QuotaUsage.from_json(state["quota"])
    if not has_identity(home) or key_is_encrypted(home):
        return None
    try:
        workspace = Workspace.open(home)
    except RelianceError:
        return None
    return Quotas(workspace.repo, workspace.peer_id, settings.load_limits(home)).usage()


def read_state_file(home: Path) -> dict[str, Any] | None:
    """The running node's last published state, or None when no node runs on this home."""
    try:
        state = json.loads((home / STATE_FILE).read_text("utf-8"))
        pid = int(state["pid"])
        os.kill(pid, 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return state if isinstance(state, dict) else None


class SyncUnfinished(RelianceError):
    """A one-shot sync that could not end with both sides in sync: `why` is "timeout", "closed" (the peer
    ended the connection) or "not_started" (the peer never compared its documents with ours); `not_in_sync`
    the documents the summaries showed different that are still so. `summary` is what was done."""

    def __init__(self, why: str, summary: dict[str, Any], timeout: float) -> None:
        self.why = why
        self.summary = summary
        self.not_in_sync: list[str] = list(summary["not_in_sync"])
        self.timeout = timeout
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        from reliance.display import clean
        from reliance.i18n import t

        peer = f"{clean(self.summary['peer_name'] or '?')} ({self.summary['peer_id'][:14]}…)"
        if self.why == "not_started":
            reason = t("sync.unfinished_not_started", lang)
        elif self.why == "closed":
            reason = t("sync.unfinished_closed", lang)
        else:
            reason = t("sync.unfinished_timeout", lang, seconds=f"{self.timeout:g}")
        shown = ", ".join(d[:14] + "…" for d in self.not_in_sync[:3])
        more = ", …" if len(self.not_in_sync) > 3 else ""
        docs = f": {shown}{more}" if shown else ""
        return t("sync.unfinished", lang, peer=peer, why=reason, count=len(self.not_in_sync), docs=docs)


class SyncFailed(RelianceError):
    """A one-shot sync that could not start (nobody answered, the peer refused) or that a side refused."""

    def __init__(self, key: str, **params: object) -> None:
        from reliance.i18n import t

        self.key, self.params = key, params
        super().__init__(t(key, "en", **params))

    def message(self, lang: str) -> str:
        from reliance.i18n import t

        return t(self.key, lang, **self.params)


async def sync_once(workspace: Workspace, host: str, port: int, *, timeout: float = 60.0) -> dict[str, Any]:
    """Connect to one peer, sync until both sides hold the same, and return a summary (for scripts and
    cron). The end is the session's: the digests or summaries were compared and every document they showed
    different is in sync, with nothing left to send. Anything else within `timeout` seconds (the peer
    went silent, closed, or declined a document over its quota: it says nothing then) raises
    `SyncUnfinished`, which tells what was left; a peer that cannot be reached raises `SyncFailed`."""
    blocked = settings.blocked_keys(workspace.home)
    limits = workspace.repo.limits  # the home's: what the store reads back is what the door lets in
    config = transport.TransportConfig(max_message=limits.max_frame)
    started = time.monotonic()
    address = format_address(host, port)
    try:
        async with asyncio.timeout(timeout):
            conn = await transport.connect(
                host,
                port,
                workspace.identity.private_key,
                name=transport.hello_name(workspace.identity.name),
                config=config,
            )
    except TimeoutError:
        reason = f"no answer within {timeout:g} s"
        raise SyncFailed("sync.unreachable", address=address, reason=reason) from None
    except transport.HandshakeRefused as exc:
        raise SyncFailed("sync.unreachable", address=address, reason=exc.reason) from None
    except transport.TransportError as exc:
        raise SyncFailed("sync.unreachable", address=address, reason=str(exc)) from None
    if conn.remote_key in blocked:
        await conn.close()
        raise SyncFailed("sync.blocked")
    quotas = Quotas(workspace.repo, workspace.peer_id, limits)
    session = Session(
        SyncHost(workspace.repo, blocked=lambda: blocked, limits=limits, quotas=quotas),
        peer_key=conn.remote_key,
    )
    received: dict[str, int] = {}
    refused = ""
    why = ""
    try:
        async with asyncio.timeout(max(0.0, timeout - (time.monotonic() - started))):
            for frame in session.start():
                await conn.send(frame)
            while not session.settled:
                data = await conn.recv()
                frames = session.receive(data)
                workspace.repo.flush()  # what the session stored is durable before anything is answered
                for frame in frames:
                    await conn.send(frame)
                for event in session.pop_events():
                    if isinstance(event, ChangesReceived):
                        received[event.doc_id] = received.get(event.doc_id, 0) + event.applied
                    elif isinstance(event, BatchRefused | RefusedByPeer) and not refused:
                        refused = event.reason
                if refused:
                    break
    except TimeoutError:
        why = "timeout"
    except transport.ConnectionLost:
        why = "closed"
    finally:
        await conn.close()
        workspace.repo.compact_due()  # what the batches left due (they do not wait for it)
    if refused:
        raise SyncFailed("sync.refused", reason=refused)
    summary = {
        "peer_id": encode_peer_id(conn.remote_key),
        "peer_name": conn.remote_name,
        "complete": session.settled,
        "not_in_sync": session.unsettled,
        "received_changes": sum(received.values()),
        "documents_changed": sorted(d for d, n in received.items() if n),
        "sent_changes": session.sent_changes,
        "bytes_in": session.bytes_in,
        "bytes_out": session.bytes_out,
        "seconds": round(time.monotonic() - started, 3),
    }
    if not session.settled:
        if not session.unsettled:
            why = "not_started"  # no digest or summary from the peer: nothing was compared
        raise SyncUnfinished(why or "closed", summary, timeout)
    return summary
