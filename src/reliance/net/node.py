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
  see reliance.localapi): the CLI and the app beside `serve` ask the owner to write. The store is read
  again every `poll_interval` (30 s), a safety net for writers that do not speak the API (docs/storage.md).
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
import functools
import json
import logging
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from reliance.app import settings
from reliance.app.workspace import Workspace
from reliance.clock import Clock
from reliance.errors import RelianceError
from reliance.fsutil import atomic_write
from reliance.identity import decode_peer_id
from reliance.net import admission, dialing
from reliance.net import events as ev
from reliance.net.channel import Channel
from reliance.net.config import NodeConfig
from reliance.net.connection import SecureConnection, TransportConfig
from reliance.net.dialer import Dialer, Retry
from reliance.net.errors import ConnectionClosed, ConnectionLost
from reliance.net.events import NodeEvent, PeerInfo, PeerState
from reliance.net.hello import REVOKED_REASON, hello_name
from reliance.net.link import Link, Outbox, SendBudget, durably
from reliance.net.outcomes import session_outcome
from reliance.net.peerbook import PeerEvent
from reliance.net.server import Server, serve
from reliance.net.status import (
    STATE_FILE,
    PeersFile,
    apply_peers_data,
    peer_infos,
    peers_snapshot,
    remove_file,
    settings_if_changed,
    state_of,
)
from reliance.net.workers import Advert, Peer, SyncWorker, refresh
from reliance.replication.devices import revoked_of
from reliance.replication.protocol import (
    Session,
    SyncHost,
)
from reliance.replication.quota import Quotas

if TYPE_CHECKING:
    from reliance.net.discovery import DiscoveredPeer

log = logging.getLogger("reliance.node")
T = TypeVar("T")


class Component(Protocol):
    """Something served beside the node in its loop (the web face): started once the node listens, stopped
    first when it stops. `stop` may be called without `start` (a start that failed)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def is_participant_doc(doc_id: str) -> bool:
    return doc_id.startswith("rl")


def revocations_in(repo: Any, doc_ids: list[str] | None) -> dict[bytes, frozenset[bytes]]:
    """On the sync worker: the devices each of these participant documents (None: all held) revokes."""
    found: dict[bytes, frozenset[bytes]] = {}
    for doc_id in repo.doc_ids() if doc_ids is None else doc_ids:
        if not is_participant_doc(doc_id) or not repo.exists(doc_id):
            continue
        try:
            found[decode_peer_id(doc_id)] = revoked_of(repo.open(doc_id))
        except RelianceError:
            continue
    return found


class Node:
    def __init__(
        self,
        workspace: Workspace,
        config: NodeConfig | None = None,
        *,
        port: int | None = None,
        listen: str | None = None,
        mdns: bool | None = None,
        clock: Clock | None = None,
        write_file: Callable[[Path, bytes], None] = atomic_write,
    ) -> None:
        """`clock` (the workspace's unless given) times redials, maintenance and outboxes, and dates what
        the node records (a `FixedClock` in tests: its maintenance then runs the rounds the test lets
        through); `write_file` writes the node's status files, atomically (node-state.json: tests watch
        or slow it)."""
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
        self.my_key = workspace.identity.network_key
        self.peers_by_key: dict[bytes, Peer] = {}
        self.typed: list[tuple[str, int]] = []  # typed addresses whose key we do not know yet
        self._adverts: dict[tuple[str, int], Advert] = {}  # advertised addresses not yet any peer's
        self._typed_retry: dict[
            tuple[str, int], Retry
        ] = {}  # typed addresses that failed: when to dial again
        self.clock = clock or workspace.clock
        self._write_file = write_file
        self._dialer = Dialer(self.config.redial_min, self.config.redial_max, self.clock.monotonic)
        self._typed_dialing: set[tuple[str, int]] = set()
        self.listen_address: tuple[str, int] | None = None
        self.last_sync: float | None = None
        self._blocked: set[bytes] = settings.blocked_keys_or(self.home, set())
        # participant key -> the devices it revoked, as the participant documents held here say (kept up to
        # date by the sync worker; read by the handshake, which runs on the loop)
        self._revoked: dict[bytes, frozenset[bytes]] = {}
        self._policy = settings.load_config(self.home)["policy"]
        self._listeners: list[Callable[[NodeEvent], None]] = []
        self._worker = SyncWorker("reliance-sync")
        # Every file the node reads or writes but the documents (peers.json, node-state.json, the settings),
        # in order, on a thread of its own: a slow disk never stalls the loop the connections and the app
        # share, nor the sync worker.
        self._files = SyncWorker("reliance-files")
        self._peers_file = PeersFile(self.home)
        self._state_text = (
            ""  # node-state.json as last written, but its time: written again only if it differs
        )
        self._send_budget = SendBudget(self.limits.connections_outbox_total_bytes)
        self._server: Server | None = None
        self._discovery: Any = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._components: list[Component] = []
        self._stopping = False
        self._settings_mtime = 0.0  # the file thread's
        self.quotas = Quotas(workspace.repo, workspace.peer_id, self.limits)
        self._host = SyncHost(
            workspace.repo, blocked=lambda: self._blocked, limits=self.limits, quotas=self.quotas
        )
        self._transport_config = TransportConfig(
            max_message=self.limits.max_frame,
            heartbeat_interval=self.config.heartbeat_interval,
            handshake_timeout=self.config.handshake_timeout,
            read_timeout=max(30.0, self.config.heartbeat_interval * 3),
        )

    def _hello_name(self) -> str:
        """Our name as we send it: renamed while we run, or with controls an older version let in."""
        return hello_name(self.ws.identity.name)

    # -- public API ------------------------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[NodeEvent], None]) -> None:
        self._listeners.append(callback)

    def add_component(self, component: Component) -> None:
        """Serve `component` with the node (call before `start`)."""
        self._components.append(component)

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.stop()  # e.g. the port is taken: release the worker thread and what started
            raise

    async def _start(self) -> None:
        apply_peers_data(self, await self._in_files(self._peers_file.read))
        await self._in_worker(self.ws.repo.refresh_all)  # each document read once: what changes later is news
        await self._in_worker(self.quotas.scan)
        await self._update_revocations(None)
        if not self.config.serve:
            self._emit(ev.LISTENING, "not listening: peers come through attach() only")
            self._write_state()
            self._spawn(self._maintenance())
            await self._start_components()
            return
        self._server = await serve(
            self.config.listen,
            self.config.port,
            self.ws.identity.network_private_key,
            name=self._hello_name(),
            on_connection=self._on_incoming,
            accept=lambda hello: self._accept(hello.key, hello.certified_participant),
            config=self._transport_config,
            limits=self.limits,
            known=self._is_known,
            certificate=self.ws.identity.network_certificate,
            revoked=self._is_revoked,
        )
        self.listen_address = (self.config.listen, self._server.port)
        self._emit(ev.LISTENING, f"listening on {self.config.listen}:{self._server.port}")
        self._write_state()
        self._spawn(self._maintenance())  # typed and known peers are dialled while mDNS still probes
        if self.config.mdns:
            await dialing.start_discovery(self)
        await self._start_components()

    async def _start_components(self) -> None:
        for component in self._components:
            await component.start()

    async def stop(self) -> None:
        """Close everything, each step bounded by `NodeConfig.stop_timeout`: a step that does not end in
        time is logged and left behind (a stuck store write cannot keep the process from exiting)."""
        self._stopping = True
        bound = self.config.stop_timeout
        for component in self._components:
            try:
                async with asyncio.timeout(bound):
                    await component.stop()
            except Exception as exc:  # one component's failure must not keep the node running
                log.warning("a component did not stop cleanly: %s", exc)
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
            self._files.submit(remove_file, self.home / STATE_FILE)
        self._files.close()
        if not await asyncio.to_thread(self._files.join, bound):
            log.warning("the node's files were not written within %g s of the stop; leaving them", bound)
        elif saved is not None and saved.done() and saved.exception() is None:
            apply_peers_data(self, saved.result())

    def peers(self) -> list[PeerInfo]:
        return peer_infos(self)

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
        """Accept a peer; a participant's id accepts every device of theirs too."""
        key = decode_peer_id(peer_id)
        self._peer(key).accept()
        for peer in admission.of_participant(self, key):
            peer.accept()
        self._save_peers_file()

    def block_peer(self, peer_id: str, reason: str = "") -> None:
        block = functools.partial(settings.block, clock=self.clock)
        self._in_background(self._files.submit(block, self.home, peer_id, reason), "blocking")
        key = decode_peer_id(peer_id)
        self._blocked.add(key)
        for peer in admission.of_participant(self, key):  # a participant is blocked with their devices
            if peer.conn is not None:
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
        changed = await self._in_worker(refresh, self.ws.repo, self.quotas, doc_ids)
        for doc_id in changed:
            self._emit(ev.LOCAL_CHANGE, f"document {doc_id[:14]}… changed on disk", doc_id=doc_id)
            await self._fan_out(doc_id, except_key=None)
        return changed

    async def attach(
        self, channel: Channel, remote_key: bytes, *, name: str = "", initiator: bool = False
    ) -> str | None:
        """Run a peer over `channel`, whose far end is already known to hold `remote_key` (two nodes in one
        process joined by `memory_pair`): the admission of a connection (blocked keys, ourselves, and the
        policy for the side that did not open it), then the same session, link and events. Returns the
        refusal (the channel is closed with it), or None: the peer runs until the channel ends or `stop`.
        `initiator`: this side opened the channel (the smaller key's opener is kept when both do)."""
        refusal = self._refuse_dialled(remote_key) if initiator else self._accept(remote_key)
        if refusal is not None:
            await channel.close(refusal)
            return refusal
        peer = self._peer(remote_key)
        peer.known = peer.known or initiator
        if peer.source == "known" and not peer.name and not initiator:
            peer.source = "incoming"
        initiator_key = self.my_key if initiator else remote_key
        self._spawn(
            self._run(peer, channel, remote_key=remote_key, remote_name=name, initiator_key=initiator_key)
        )
        return None

    def _refuse_dialled(self, remote_key: bytes, participant: bytes | None = None) -> str | None:
        return admission.refuse_dialled(self, remote_key, participant)

    def diagnose(self) -> list[Any]:
        from reliance.net.doctor import diagnose

        connected = sum(1 for p in self.peers_by_key.values() if p.state == PeerState.CONNECTED)
        listening = self._server.port if self._server else None
        return diagnose(
            self.config.port, peers_found=connected, network_probes=True, listening_port=listening
        )

    # -- connections -----------------------------------------------------------------------------------------
    def _is_known(self, remote_key: bytes) -> bool:
        return admission.is_known(self, remote_key)

    def _accept(self, remote_key: bytes, participant: bytes | None = None) -> str | None:
        return admission.accept(self, remote_key, participant)

    def _is_revoked(self, participant: bytes, device: bytes) -> bool:
        """Whether `participant` revoked `device`, as the participant documents held here say."""
        return device in self._revoked.get(participant, frozenset())

    async def _update_revocations(self, doc_ids: list[str] | None) -> None:
        """Read again the revocations these participant documents hold (None: every one held); a device
        connected now that turns out revoked is disconnected, with the reason."""
        if doc_ids == []:
            return
        found = await self._in_worker(revocations_in, self.ws.repo, doc_ids)
        self._revoked.update(found)
        for peer in list(self.peers_by_key.values()):
            if peer.participant and peer.conn is not None and self._is_revoked(peer.participant, peer.key):
                log.info(
                    "%s (%s) was revoked by its participant: disconnecting", peer.device_name, peer.shown_id
                )
                self._spawn(peer.conn.close(REVOKED_REASON))

    async def _on_incoming(self, conn: SecureConnection) -> None:
        peer = self._peer(conn.remote_key)
        if conn.remote_port:
            address = (conn.remote_address[0], conn.remote_port)
            if address not in peer.addresses:
                peer.addresses.insert(0, address)
        if peer.source == "known" and not peer.name:
            peer.source = "incoming"
        await self._run(
            peer,
            conn,
            remote_key=conn.remote_key,
            remote_name=conn.remote_name,
            initiator_key=conn.remote_key,
            participant=conn.certified_participant,
            device_name=conn.remote_device_name,
        )

    async def _dial_address(
        self, host: str, port: int, expected: bytes | None, *, source: str, advert: Advert | None = None
    ) -> None:
        await dialing.dial_address(self, host, port, expected, source=source, advert=advert)

    async def _run(
        self,
        peer: Peer,
        conn: Channel,
        *,
        remote_key: bytes,
        remote_name: str,
        initiator_key: bytes,
        participant: bytes | None = None,
        device_name: str = "",
    ) -> None:
        if remote_name:
            peer.name = remote_name  # from its handshake: the only name a node takes for a peer
        # Whom it is a device of: from the certificate its handshake carried (checked there), or nobody.
        peer.participant, peer.device_name = participant or b"", device_name if participant else ""
        if peer.conn is not None and not peer.conn.closed:
            # Both dialled at once: keep the connection opened by the smaller key, on both sides.
            keep_new = initiator_key == min(self.my_key, remote_key) and peer.conn_initiator != initiator_key
            log.info("second connection with %s: keeping only one", peer.peer_id[:14])
            if not keep_new:
                await conn.close()
                return
            old = peer.conn
            await old.close()
        session = Session(self._host, peer_key=remote_key, reader=participant)
        outbox = Outbox(
            conn,
            stall=self._transport_config.frame_timeout,
            limit=2 * self.limits.max_frame + (1 << 20),
            budget=self._send_budget,
            clock=self.clock.monotonic,
        )
        peer.conn, peer.conn_initiator, peer.session, peer.outbox = conn, initiator_key, session, outbox
        if not peer.known:
            peer.known = True
            self._save_peers_file()  # met for the first time: remembered from now on
        peer.move(PeerEvent.CONNECT)
        peer.last_seen = self.clock.time()
        Dialer.succeeded(peer)
        peer.last_error = ""
        self._emit(ev.PEER_CONNECTED, f"connected to {peer.name or '?'} ({peer.peer_id[:14]}…)", peer.peer_id)
        self._write_state()
        reason = ""

        def seen() -> None:
            peer.last_seen = self.clock.time()

        async def opening(start: Callable[[], list[bytes]]) -> list[bytes]:
            return await self._in_worker(start, urgent=True)

        async def step(produce: Callable[[], list[bytes]]) -> list[bytes]:
            return await self._in_worker(durably, produce, self.ws.repo.flush)

        link = Link(
            session,
            conn,
            outbox,
            on_events=functools.partial(self._handle_events, peer, session),
            opening=opening,
            step=step,
            on_message=seen,
            flush_timeout=min(5.0, self._transport_config.frame_timeout),
        )
        try:
            await link.run()
        except ConnectionLost as exc:
            reason = outbox.failure or str(exc)
            if outbox.failure or not isinstance(exc, ConnectionClosed):
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
                peer.move(PeerEvent.DISCONNECT)
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

    async def _handle_events(self, peer: Peer, session: Session) -> bool:
        """What the session said, as node events; True when the connection must end (a refused batch)."""
        stop = False
        for outcome in map(functools.partial(session_outcome, peer), session.pop_events()):
            if outcome.synced:
                self.last_sync = self.clock.time()
            if outcome.last_error:
                peer.last_error = outcome.last_error
            if outcome.event is not None:
                self._emit(*outcome.event)
            if outcome.fan_out:
                await self._fan_out(outcome.fan_out, except_key=peer.key)
            stop = stop or outcome.stop
        return stop

    async def _fan_out(self, doc_id: str, *, except_key: bytes | None) -> None:
        if is_participant_doc(doc_id):
            await self._update_revocations([doc_id])  # a revocation may have come with it
        for peer in list(self.peers_by_key.values()):
            if peer.key == except_key or peer.session is None or peer.outbox is None:
                continue
            session, outbox = peer.session, peer.outbox
            outbox.put(await self._in_worker(session.local_change, doc_id))

    # -- discovery and redials (reliance.net.dialing) --------------------------------------------------------
    def _on_found(self, found: DiscoveredPeer) -> None:
        dialing.on_found(self, found)

    def _on_lost(self, found: DiscoveredPeer) -> None:
        dialing.on_lost(self, found)

    def _redial_due(self) -> None:
        dialing.redial_due(self)

    # -- maintenance -----------------------------------------------------------------------------------------
    async def _maintenance(self) -> None:
        clock = self.clock.monotonic
        last_state = clock() - 2.0
        last_refresh = clock()
        while not self._stopping:
            await self.clock.sleep(min(self.config.tick_interval, self.config.poll_interval))
            try:
                await self._reload_settings()
                if clock() - last_refresh >= self.config.poll_interval:
                    last_refresh = clock()
                    await self.refresh_from_disk()
                    await self._in_worker(self.ws.repo.compact_due)  # what peers' batches left due
                if self.config.dial:
                    self._redial_due()
                if clock() - last_state > 1.0:
                    self._write_state()
                    last_state = clock()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("maintenance step failed: %s: %s", type(exc).__name__, exc)

    def _schedule_redial(self, peer: Peer) -> None:
        self._dialer.failed(peer)

    def _typed_failed(self, address: tuple[str, int]) -> None:
        self._dialer.failed(self._typed_retry.setdefault(address, Retry()))

    async def _reload_settings(self) -> None:
        """What another process changed in the settings (blocks, policy) or in peers.json (peer add,
        peer accept), read on the file thread."""
        reloaded = await self._in_files(settings_if_changed, self, set(self._blocked))
        if reloaded is not None:
            self._blocked, self._policy = reloaded
            for peer in self.peers_by_key.values():
                blocked = peer.key in self._blocked or peer.participant in self._blocked
                if blocked and peer.conn is not None:
                    self._spawn(peer.conn.close())
        data = await self._in_files(self._peers_file.read_if_changed)
        if data is not None:
            apply_peers_data(self, data)

    # -- persistence -----------------------------------------------------------------------------------------
    def _peer(self, key: bytes) -> Peer:
        return admission.peer(self, key)

    def _load_peers_file(self) -> None:
        """Read peers.json now, on the calling thread (tools, tests); the node reads it on its file thread."""
        apply_peers_data(self, self._peers_file.read())

    def _save_peers_file(self) -> Future[dict[str, Any]] | None:
        """Save the peers (on the file thread, merged with what another process wrote meanwhile, which
        comes back into memory too). None once the node's files are closed."""
        if self._files.closed:
            return None
        future = self._files.submit(self._peers_file.save, peers_snapshot(self))

        def merge_back(done: Future[dict[str, Any]]) -> None:
            if not done.cancelled() and done.exception() is None and done.result():
                apply_peers_data(self, done.result())

        def on_loop(done: Future[dict[str, Any]]) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: the node has stopped
                loop.call_soon_threadsafe(merge_back, done)

        with contextlib.suppress(RuntimeError):  # no loop (a tool saving once): nothing comes back then
            loop = asyncio.get_running_loop()
            future.add_done_callback(on_loop)
        self._in_background(future, "saving peers.json")
        return future

    def _write_state(self) -> Future[None] | None:
        """Publish the node's state for `reliance peers` in other processes, on the file thread, and only
        when it differs from what was last written (an idle node writes nothing). None: nothing to write."""
        if not self.config.write_state or self._stopping or self._files.closed:
            return None
        state = state_of(self)
        text = json.dumps(state, sort_keys=True)
        if text == self._state_text:
            return None
        self._state_text = text
        data = json.dumps(state | {"updated": self.clock.time()}, indent=2, sort_keys=True).encode()
        future = self._files.submit(self._write_file, self.home / STATE_FILE, data)
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
