"""A real node on loopback under hostile load: one peer's work, documents or connections must not starve
the others. Everything here runs in this process: the node, and the clients that speak the real wire
protocol to it over 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import json
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reliance.app import projects, settings
from reliance.app.workspace import Workspace
from reliance.identity import encode_peer_id
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.model.catalogue import Item, ItemKind
from reliance.net.config import NodeConfig
from reliance.net.connection import SecureConnection
from reliance.net.errors import ConnectionLost
from reliance.net.frames import FLAG_MORE, KIND_ACCEPT, KIND_DATA, KIND_PING, KIND_REFUSE
from reliance.net.handshake import connect
from reliance.net.node import Node
from reliance.net.server import Server
from reliance.replication.protocol import Session, SyncHost
from tests.net.busy import (
    HOST,
    WorkerHold,
    first_frame,
    hostile_opener,
    pack,
    port_of,
    project_ids,
    public,
    send_heavy_summary,
    summary_of,
    wait_for,
)
from tests.net.hostile import Raw, hello


@contextlib.asynccontextmanager
async def running_node(
    home: Path, limits: Limits | dict[str, int] = DEFAULT_LIMITS, **config: Any
) -> AsyncIterator[Node]:
    """A node on 127.0.0.1; `limits` as a mapping goes through the home's config.json."""
    workspace = Workspace.create(home, "Nora")
    if isinstance(limits, dict):
        (home / "config.json").write_text(json.dumps({"limits": limits}))
        limits = settings.load_limits(home)
    node = Node(
        workspace, NodeConfig(port=0, listen=HOST, mdns=False, write_state=False, limits=limits, **config)
    )
    await node.start()
    try:
        yield node
    finally:
        await node.stop()


# -- item: one frame must not freeze sync for everyone ----------------------------------------------------
# The order the node's one sync worker runs jobs in, not how long they take, is what these tests check: a
# spy inside the worker thread notes, when a peer's first frame is made, how far the other peers' work got.


@dataclass(frozen=True)
class FirstFrame:
    """Seen from the worker thread at the instant a peer's first frame was made."""

    turns_before: int  # turns of pending work (`Session.work`) the worker had run until then, all peers
    pending: tuple[bool, ...]  # whether each watched session still had work waiting
    refused: tuple[bool, ...]  # whether each watched session had refused its peer


class WorkerSpy:
    """Wraps `Session.start` and `Session.work` (they only run in the node's worker thread)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.turns = 0
        self.watched: list[Session] = []
        self.first_frames: dict[bytes, FirstFrame] = {}
        real_start, real_work = Session.start, Session.work
        spy = self

        def start(session: Session) -> list[bytes]:
            spy.first_frames[session.peer_key] = FirstFrame(
                spy.turns,
                tuple(s.pending_work for s in spy.watched),
                tuple(s.refused for s in spy.watched),
            )
            return real_start(session)

        def work(session: Session) -> list[bytes]:
            spy.turns += 1
            return real_work(session)

        monkeypatch.setattr(Session, "start", start)
        monkeypatch.setattr(Session, "work", work)

    async def first_frame(self, node: Node) -> FirstFrame:
        """An honest peer connects and gets its first frame (a digest): what the worker saw then."""
        key = Ed25519PrivateKey.generate()
        first, _ = await first_frame(node, key)
        assert first["t"] == "digest"
        return self.first_frames[public(key)]


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> WorkerSpy:
    return WorkerSpy(monkeypatch)


async def newcomer_while_held(node: Node, hold: WorkerHold) -> tuple[SecureConnection, bytes]:
    """A newcomer's handshake while the worker is held: returns once its first frame waits in the queue."""
    key = Ed25519PrivateKey.generate()
    conn = await connect(HOST, port_of(node), key, name="newcomer")
    # The node sets the session and submits its first frame in one step of the event loop.
    await wait_for(
        lambda: (p := node.peers_by_key.get(public(key))) is not None and p.session is not None,
        60,
        "the node never took the newcomer",
    )
    return conn, public(key)


async def test_a_huge_summary_is_refused_before_another_peers_first_frame(
    tmp_path: Path, spy: WorkerSpy
) -> None:
    """100,000 ids, ten times the summary limit: refused by the job that read it, without a turn of work,
    so the honest peer's first frame (the next job) finds the hostile session already refused."""
    async with running_node(tmp_path / "node") as node:
        hostile, session = await send_heavy_summary(node, project_ids(100_000))
        spy.watched = [session]
        try:
            seen = await spy.first_frame(node)
            assert seen == FirstFrame(turns_before=0, pending=(False,), refused=(True,))
            reply = msgpack.unpackb(await asyncio.wait_for(hostile.recv(), 60))
            assert reply["t"] == "reject"
            assert "summary" in reply["reason"] and "10000" in reply["reason"]
        finally:
            await hostile.close()


async def test_work_within_the_limits_is_done_in_turns_that_let_other_peers_in(
    tmp_path: Path, spy: WorkerSpy
) -> None:
    """A summary the node accepts (the limit raised to let it in) still costs one peer its own turns
    only: another peer's first frame is made between two of them, the hostile's work still unfinished."""
    limits = DEFAULT_LIMITS.replace(summary_max_documents=200_000)
    async with running_node(tmp_path / "node", limits) as node:
        hostile, session = await send_heavy_summary(node, project_ids(100_000))
        spy.watched = [session]
        try:
            for _ in range(3):
                # Held, the worker lets the honest peer's first frame and the hostile's next turn queue up
                # together; without turns, the whole summary would be done before the hold even starts.
                hold = WorkerHold(node)
                await hold.held()
                conn, key = await newcomer_while_held(node, hold)
                try:
                    turns = spy.turns
                    await hold.release()
                    first = msgpack.unpackb(await asyncio.wait_for(conn.recv(), 60))
                    assert first["t"] == "digest"
                finally:
                    await conn.close()
                seen = spy.first_frames[key]
                assert seen.turns_before == turns, "a turn of the hostile's went before a first frame"
                assert seen.pending == (True,), "the honest peer waited for the whole of the hostile's work"
            # ...and the heavy work goes on: the node opens syncs for the hostile's documents.
            opened = msgpack.unpackb(await asyncio.wait_for(hostile.recv(), 60))
            assert opened["t"] == "sync" and opened["d"].startswith("pj")
            await wait_for(lambda: spy.turns > turns, 60, "the hostile's work stopped")
        finally:
            await hostile.close()


async def test_a_crowd_of_busy_peers_does_not_delay_a_newcomers_first_frame(
    tmp_path: Path, spy: WorkerSpy
) -> None:
    """Forty peers each with a summary at the limit (many turns of work each): a newcomer's first frame
    waits for the turn being worked, not for one turn of each of them."""
    crowd = 40
    limits = DEFAULT_LIMITS.replace(connections_max=crowd + 8, connections_max_per_address=crowd + 8)
    async with running_node(tmp_path / "node", limits) as node:
        openers = [await hostile_opener(node) for _ in range(crowd)]
        sessions = [session for _, session in openers]
        spy.watched = sessions
        try:
            frame = summary_of(project_ids(limits.summary_max_documents))
            befores = [session.bytes_in for session in sessions]
            for conn, _ in openers:
                await conn.send(frame)

            def all_busy() -> bool:
                return all(s.bytes_in > b for s, b in zip(sessions, befores, strict=True))

            await wait_for(all_busy, 60, "the node never read the summaries")
            # Held, the worker lets every busy peer queue its next turn, then the newcomer its first frame.
            hold = WorkerHold(node)
            await hold.held()
            busy = sum(session.pending_work for session in sessions)  # stays so: only the worker changes it
            assert busy > crowd // 2
            await wait_for(lambda: hold.queued() >= busy, 60, "the busy peers never queued their turns")
            conn, key = await newcomer_while_held(node, hold)
            try:
                turns = spy.turns
                await hold.release()
                first = msgpack.unpackb(await asyncio.wait_for(conn.recv(), 60))
                assert first["t"] == "digest"
            finally:
                await conn.close()
            seen = spy.first_frames[key]
            assert seen.turns_before == turns, f"{seen.turns_before - turns} turns went before the newcomer"
            assert sum(seen.pending) == busy, "the crowd's work was done before the newcomer's first frame"
        finally:
            for conn, _ in openers:
                await conn.close()


# -- item: connections are bounded, known peers first -----------------------------------------------------


async def raw_from(node: Node, source: str) -> Raw:
    """A raw TCP connection to the node from the loopback address `source` (127.0.0.2, ...)."""
    reader, writer = await asyncio.open_connection(HOST, port_of(node), local_addr=(source, 0))
    return Raw(reader, writer)


async def stranger_from(node: Node, source: str) -> tuple[Raw, tuple[int, bytes] | None]:
    """A stranger with a fresh key from `source`, after its handshake, and the node's reply to it."""
    raw = await raw_from(node, source)
    key = Ed25519PrivateKey.generate()
    return raw, await raw.handshake(lambda static: hello(key, static))


def server_of(node: Node) -> Server:
    assert node._server is not None
    return node._server


async def known_peer(node: Node, tmp_path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    node.accept_peer(encode_peer_id(public(key)))
    return key


async def test_connections_are_capped_in_total_and_per_address_and_a_known_peer_still_gets_in(
    tmp_path: Path,
) -> None:
    limits = DEFAULT_LIMITS.replace(connections_max=6, connections_max_per_address=3)
    opened: list[Raw] = []
    # Heartbeats far apart: no stranger is dropped for its silence while the test runs, so a place can only
    # be made by the rule under test.
    async with running_node(tmp_path / "node", limits, heartbeat_interval=600) as node:
        try:
            replies: dict[str, list[tuple[int, bytes] | None]] = {}
            for source, count in (("127.0.0.2", 5), ("127.0.0.3", 3), ("127.0.0.4", 2)):
                for _ in range(count):
                    raw, reply = await stranger_from(node, source)
                    opened.append(raw)
                    replies.setdefault(source, []).append(reply)
            accepted = (KIND_ACCEPT, b"")
            full_address = (
                KIND_REFUSE,
                b"this node serves too many connections from your address; try again later",
            )
            full = (KIND_REFUSE, b"this node serves too many connections; try again later")
            assert replies == {
                "127.0.0.2": [accepted] * 3 + [full_address] * 2,
                "127.0.0.3": [accepted] * 3,
                "127.0.0.4": [full] * 2,
            }
            assert server_of(node).connections == 6

            # Full: a known peer takes the place of the oldest stranger, and is served.
            key = await known_peer(node, tmp_path)
            first, _ = await first_frame(node, key)
            assert first["t"] == "digest"
            assert await opened[0].dropped(60) is not None, "the oldest stranger was not let go"
            assert server_of(node).connections <= 6
        finally:
            for raw in opened:
                await raw.close()


async def test_sockets_in_their_handshake_are_bounded_the_oldest_dropped(tmp_path: Path) -> None:
    """Silent sockets (a slow-loris crowd) hold at most the limits; a newcomer still gets its turn."""
    limits = DEFAULT_LIMITS.replace(handshakes_max=4, handshakes_max_per_address=2)
    opened: list[Raw] = []
    # A handshake deadline longer than the test: a socket can only be dropped by the rule under test.
    async with running_node(tmp_path / "node", limits, handshake_timeout=600) as node:
        server = server_of(node)
        try:
            for source in ("127.0.0.2", "127.0.0.2", "127.0.0.2"):
                opened.append(await raw_from(node, source))
            # The third from 127.0.0.2 pushed out the first from there.
            assert await opened[0].dropped(60) is not None, "three silent sockets from one address held"
            await wait_for(lambda: server.handshaking == 2, 60, "the node did not take the sockets")
            for source in ("127.0.0.3", "127.0.0.3", "127.0.0.4"):
                opened.append(await raw_from(node, source))
            # Five in all: the oldest of all (the second from 127.0.0.2) went.
            assert await opened[1].dropped(60) is not None, "five silent sockets held"
            await wait_for(lambda: server.handshaking == 4, 60, "the node did not take the sockets")
            assert server.handshaking <= 4
            # The newcomer pushes out the oldest silent socket, and is served.
            first, _ = await first_frame(node)
            assert first["t"] == "digest"
            assert await opened[2].dropped(60) is not None, "the oldest silent socket held on"
        finally:
            for raw in opened:
                await raw.close()


async def test_bytes_strangers_leave_half_sent_are_bounded_in_total_known_peers_unhindered(
    tmp_path: Path,
) -> None:
    """Three strangers each start a 2 MB message, send 600 KB of it and keep the connection alive with
    pings: together they may hold no more than the node's receive budget (1 MiB here)."""
    limits = DEFAULT_LIMITS.replace(connections_buffer_total_bytes=1 << 20)
    opened: list[Raw] = []
    async with running_node(tmp_path / "node", limits, heartbeat_interval=0.3) as node:
        server = server_of(node)
        try:
            for index in range(3):
                raw, reply = await stranger_from(node, f"127.0.0.{2 + index}")
                assert reply == (KIND_ACCEPT, b"")
                opened.append(raw)
                raw.frame(KIND_DATA | FLAG_MORE, struct.pack(">I", 2_000_000) + b"\x00" * 60_000)
                for _ in range(9):
                    raw.frame(KIND_DATA | FLAG_MORE, b"\x00" * 60_000)

            async def keep_alive() -> None:
                while True:
                    for raw in opened:
                        with contextlib.suppress(Exception):
                            raw.frame(KIND_PING, b"")
                    await asyncio.sleep(0.1)

            pinger = asyncio.ensure_future(keep_alive())
            try:
                watches = [asyncio.ensure_future(raw.dropped(60)) for raw in opened]
                done, waiting = await asyncio.wait(watches, return_when=asyncio.FIRST_COMPLETED)
                for watch in waiting:
                    watch.cancel()
                assert any(w.result() is not None for w in done), "no stranger was let go"
                assert server.budget.peak <= 1 << 20
                # A known peer is served meanwhile, whatever the strangers hold.
                key = await known_peer(node, tmp_path)
                conn = await connect(HOST, port_of(node), key, name="friend")
                try:
                    await conn.send(pack({"t": "digest", "d": b"\x00" * 32}))
                    kinds = {msgpack.unpackb(await asyncio.wait_for(conn.recv(), 60))["t"] for _ in range(2)}
                    assert kinds == {"digest", "summary"}
                finally:
                    await conn.close()
            finally:
                pinger.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pinger
        finally:
            for raw in opened:
                await raw.close()
        assert server.budget.used == 0 or server.budget.used <= 1 << 20


# -- item: quotas on other people's documents -------------------------------------------------------------


def stranger_with_junk(root: Path, own_projects: int, strangers: int) -> Workspace:
    """Mallory's home: her own projects, and participant documents of `strangers` other keys."""
    mallory = Workspace.create(root / "mallory", "Mallory")
    for i in range(own_projects):
        projects.create_project(mallory, f"junk {i}", visibility="public")  # offered to anyone
    for i in range(strangers):
        puppet = Workspace.create(root / f"puppet{i}", f"Puppet {i}")
        puppet.add_item(Item(id="", kind=ItemKind.OFFER, title=f"junk {i}", author=""))
        a = Session(SyncHost(puppet.repo), peer_key=mallory.identity.public_key)
        b = Session(SyncHost(mallory.repo), peer_key=puppet.identity.public_key)
        to_b, to_a = a.start(), b.start()
        while to_a or to_b:
            to_a, to_b = (
                [out for frame in to_b for out in b.receive(frame)],
                [out for frame in to_a for out in a.receive(frame)],
            )
    return mallory


# test_nodes_in_memory.py holds the quota scenario, on nodes joined in memory (it uses the helper above).


async def test_strangers_that_left_an_address_are_not_dialled_beyond_the_cap(tmp_path: Path) -> None:
    """Peers that once came in left an address; redialling them all would open connections without
    bound. Four such strangers, a cap of two: never more than two dialled at once, all in turn."""
    accepted: dict[int, int] = {}
    live = [0, 0]  # open now, most at once

    async def listener(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = writer.get_extra_info("sockname")[1]
        accepted[port] = accepted.get(port, 0) + 1
        live[0] += 1
        live[1] = max(live)
        try:
            with contextlib.suppress(ConnectionError):
                while await reader.read(65536):  # never answers the handshake: the node gives up
                    pass
        finally:
            live[0] -= 1
            writer.close()

    servers = [await asyncio.start_server(listener, HOST, 0) for _ in range(4)]
    ports = [server.sockets[0].getsockname()[1] for server in servers]
    home = tmp_path / "node"
    limits = DEFAULT_LIMITS.replace(connections_max=2)
    try:
        workspace = Workspace.create(home, "Nora")
        peers = {
            encode_peer_id(public(Ed25519PrivateKey.generate())): {
                "name": "",
                "addresses": [f"{HOST}:{port}"],
                "accepted": False,
                "source": "incoming",
            }
            for port in ports
        }
        (home / "peers.json").write_text(json.dumps({"peers": peers, "typed": []}))
        config = NodeConfig(
            port=0,
            listen=HOST,
            mdns=False,
            write_state=False,
            limits=limits,
            handshake_timeout=0.3,
            redial_min=0.05,
            redial_max=0.1,
            poll_interval=0.02,
        )
        node = Node(workspace, config)
        await node.start()
        try:
            await wait_for(lambda: len(accepted) == 4, 20, "not every stranger was dialled in turn")
        finally:
            await node.stop()
        assert live[1] <= 2, f"{live[1]} strangers dialled at once"
    finally:
        for server in servers:
            server.close()
            await server.wait_closed()


# -- one source for the largest message: the home's limits ------------------------------------------------


async def test_the_limits_of_the_home_bound_every_message_the_node_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`RELIANCE_LIMIT_MAX_FRAME` (like config.json's `limits`) reaches the node that `serve` and the app
    start without limits of their own: its transport drops a peer that announces a larger message."""
    monkeypatch.setenv("RELIANCE_LIMIT_MAX_FRAME", str(64 * 1024))
    workspace = Workspace.create(tmp_path / "nora", "Nora")
    node = Node(workspace, NodeConfig(port=0, listen=HOST, mdns=False, write_state=False))
    await node.start()
    try:
        honest = await connect(HOST, port_of(node), Ed25519PrivateKey.generate(), name="honest")
        assert msgpack.unpackb(await honest.recv())["t"] == "digest"
        mallory = await connect(HOST, port_of(node), Ed25519PrivateKey.generate(), name="mallory")
        assert msgpack.unpackb(await mallory.recv())["t"] == "digest"
        await mallory.send(pack({"t": "digest", "d": b"\xff" * 32, "pad": bytes(128 * 1024)}))
        with pytest.raises(ConnectionLost):
            await asyncio.wait_for(mallory.recv(), 10)
        await honest.send(pack({"t": "digest", "d": b"\xff" * 32}))  # the node opens with it
        assert msgpack.unpackb(await asyncio.wait_for(honest.recv(), 10))["t"] == "summary"
        await honest.close()
        await mallory.close()
    finally:
        await node.stop()
