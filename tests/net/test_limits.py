"""A real node on loopback under hostile load: one peer's work, documents or connections must not starve
the others. Everything here runs in this process: the node, and the clients that speak the real wire
protocol to it over 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import json
import struct
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgpack
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reliance import projects, settings
from reliance.identity import encode_peer_id
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.model.catalogue import Item, ItemKind
from reliance.sync import transport
from reliance.sync.node import Node, NodeConfig, diagnose_home, sync_once
from reliance.sync.protocol import Session, SyncHost
from reliance.sync.transport import FLAG_MORE, KIND_ACCEPT, KIND_DATA, KIND_PING, KIND_REFUSE
from reliance.workspace import Workspace
from tests.conftest import run_cli
from tests.net.hostile import Raw, hello

HOST = "127.0.0.1"
# A peer's first frame may wait for one turn of every busy peer on the sync worker, not for their work.
FIRST_FRAME_BOUND = 1.0


def pack(value: dict[str, Any]) -> bytes:
    packed: bytes = msgpack.packb(value, use_bin_type=True)
    return packed


def public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


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


def port_of(node: Node) -> int:
    assert node.listen_address is not None
    return node.listen_address[1]


async def wait_for(predicate: Any, timeout: float, what: str) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)
    assert predicate(), what


async def first_frame_latency(node: Node) -> float:
    """Seconds between an honest peer's accepted handshake and the node's first frame to it."""
    conn = await transport.connect(HOST, port_of(node), Ed25519PrivateKey.generate(), name="honest")
    try:
        start = time.monotonic()
        first = msgpack.unpackb(await asyncio.wait_for(conn.recv(), 30))
        latency = time.monotonic() - start
        assert first["t"] == "digest"
        return latency
    finally:
        await conn.close()


async def hostile_opener(node: Node) -> tuple[transport.SecureConnection, Session]:
    """A hostile peer that made the node the opener (its digest is larger), past the summaries."""
    mallory = Ed25519PrivateKey.generate()
    conn = await transport.connect(HOST, port_of(node), mallory, name="mallory")
    assert msgpack.unpackb(await conn.recv())["t"] == "digest"
    await conn.send(pack({"t": "digest", "d": b"\xff" * 32}))
    assert msgpack.unpackb(await conn.recv())["t"] == "summary"
    session = node.peers_by_key[public(mallory)].session
    assert session is not None
    return conn, session


def summary_of(ids: list[str]) -> bytes:
    return pack({"t": "summary", "docs": [[doc_id, b"\x01" * 8] for doc_id in ids]})


async def send_heavy_summary(node: Node, ids: list[str]) -> transport.SecureConnection:
    """A hostile peer that makes the node the opener, then lists `ids`; returns once the node's sync
    worker has started on that summary (the session counted its bytes)."""
    conn, session = await hostile_opener(node)
    frame = summary_of(ids)
    before = session.bytes_in
    await conn.send(frame)
    await wait_for(lambda: session.bytes_in >= before + len(frame), 30, "the node never read the summary")
    return conn


def project_ids(count: int) -> list[str]:
    return [f"pj{i:032x}" for i in range(count)]


# -- item: one frame must not freeze sync for everyone ----------------------------------------------------


async def test_a_huge_summary_does_not_delay_another_peers_first_frame(tmp_path: Path) -> None:
    """100,000 ids, ten times the summary limit: refused at once, the honest peer is served at once."""
    async with running_node(tmp_path / "node") as node:
        hostile = await send_heavy_summary(node, project_ids(100_000))
        try:
            latency = await first_frame_latency(node)
            assert latency < FIRST_FRAME_BOUND, f"the honest peer waited {latency:.2f} s"
            reply = msgpack.unpackb(await asyncio.wait_for(hostile.recv(), 10))
            assert reply["t"] == "reject"
            assert "summary" in reply["reason"] and "10000" in reply["reason"]
        finally:
            await hostile.close()


async def test_work_within_the_limits_is_done_in_turns_that_let_other_peers_in(tmp_path: Path) -> None:
    """A summary the node accepts (the limit raised to let it in) still costs one peer its own turns
    only: another peer's first frame never waits for the whole of it."""
    limits = DEFAULT_LIMITS.replace(summary_max_documents=200_000)
    async with running_node(tmp_path / "node", limits) as node:
        hostile = await send_heavy_summary(node, project_ids(100_000))
        try:
            for _ in range(3):
                latency = await first_frame_latency(node)
                assert latency < FIRST_FRAME_BOUND, f"the honest peer waited {latency:.2f} s"
            # ...and the heavy work goes on: the node opens syncs for the hostile's documents.
            opened = msgpack.unpackb(await asyncio.wait_for(hostile.recv(), 30))
            assert opened["t"] == "sync" and opened["d"].startswith("pj")
        finally:
            await hostile.close()


async def test_a_crowd_of_busy_peers_does_not_delay_a_newcomers_first_frame(tmp_path: Path) -> None:
    """Forty peers each with a summary at the limit (many turns of work each): a newcomer's first frame
    waits for the turn being worked, not for one turn of each of them."""
    crowd = 40
    limits = DEFAULT_LIMITS.replace(connections_max=crowd + 8, connections_max_per_address=crowd + 8)
    async with running_node(tmp_path / "node", limits) as node:
        openers = [await hostile_opener(node) for _ in range(crowd)]
        try:
            frame = summary_of(project_ids(limits.summary_max_documents))
            befores = [session.bytes_in for _, session in openers]
            for conn, _ in openers:
                await conn.send(frame)

            def all_busy() -> bool:
                return all(s.bytes_in > b for (_, s), b in zip(openers, befores, strict=True))

            await wait_for(all_busy, 60, "the node never read the summaries")
            assert sum(session.pending_work for _, session in openers) > crowd // 2
            latency = await first_frame_latency(node)
            assert latency < FIRST_FRAME_BOUND, f"the newcomer waited {latency:.2f} s"
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


def server_of(node: Node) -> transport.Server:
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
    async with running_node(tmp_path / "node", limits) as node:
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

            # Full: a known peer takes the place of the oldest stranger, and is served at once.
            key = await known_peer(node, tmp_path)
            conn = await transport.connect(HOST, port_of(node), key, name="friend")
            try:
                first = msgpack.unpackb(await asyncio.wait_for(conn.recv(), 5))
                assert first["t"] == "digest"
            finally:
                await conn.close()
            assert await opened[0].dropped(5) is not None, "the oldest stranger was not let go"
            assert server_of(node).connections <= 6
        finally:
            for raw in opened:
                await raw.close()


async def test_sockets_in_their_handshake_are_bounded_the_oldest_dropped(tmp_path: Path) -> None:
    """Silent sockets (a slow-loris crowd) hold at most the limits; a newcomer still gets its turn."""
    limits = DEFAULT_LIMITS.replace(handshakes_max=4, handshakes_max_per_address=2)
    opened: list[Raw] = []
    async with running_node(tmp_path / "node", limits) as node:
        server = server_of(node)
        try:
            for source in ("127.0.0.2", "127.0.0.2", "127.0.0.2"):
                opened.append(await raw_from(node, source))
            # The third from 127.0.0.2 pushed out the first from there.
            assert await opened[0].dropped(5) is not None, "three silent sockets from one address held"
            await wait_for(lambda: server.handshaking == 2, 5, "the node did not take the sockets")
            for source in ("127.0.0.3", "127.0.0.3", "127.0.0.4"):
                opened.append(await raw_from(node, source))
            # Five in all: the oldest of all (the second from 127.0.0.2) went.
            assert await opened[1].dropped(5) is not None, "five silent sockets held"
            await wait_for(lambda: server.handshaking == 4, 5, "the node did not take the sockets")
            assert server.handshaking <= 4
            latency = await first_frame_latency(node)
            assert latency < FIRST_FRAME_BOUND
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
                watches = [asyncio.ensure_future(raw.dropped(10)) for raw in opened]
                done, waiting = await asyncio.wait(watches, return_when=asyncio.FIRST_COMPLETED)
                for watch in waiting:
                    watch.cancel()
                assert any(w.result() is not None for w in done), "no stranger was let go"
                assert server.budget.peak <= 1 << 20
                # A known peer is served meanwhile, whatever the strangers hold.
                key = await known_peer(node, tmp_path)
                conn = await transport.connect(HOST, port_of(node), key, name="friend")
                try:
                    await conn.send(pack({"t": "digest", "d": b"\x00" * 32}))
                    kinds = {msgpack.unpackb(await asyncio.wait_for(conn.recv(), 5))["t"] for _ in range(2)}
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


async def test_other_peoples_documents_are_held_within_quotas_and_no_more_is_relayed(
    tmp_path: Path,
) -> None:
    """Mallory brings 8 projects of her own and 6 documents of puppets; the node keeps 2 of hers and 5
    in all, plus the project it is a member of; an honest peer meeting the node gets no more."""
    limits = {"others_max_documents": 5, "author_max_documents": 2}  # in the node's config.json
    mallory = stranger_with_junk(tmp_path, own_projects=8, strangers=6)
    async with running_node(tmp_path / "node", limits) as node:
        ours = projects.create_project(mallory, "we are in it")
        projects.add_member(mallory, ours, node.ws.peer_id)
        offered = set(mallory.repo.doc_ids())
        assert len(offered) == 1 + 8 + 6 + 1

        await sync_once(mallory, HOST, port_of(node), idle=1.0)

        held = set(node.ws.repo.doc_ids())
        others = held - {node.ws.peer_id, ours}
        assert ours in held, "a project the owner is a member of is never refused"
        assert others <= offered
        assert len(others) == 5
        assert len({d for d in others if d == mallory.peer_id or d.startswith("pj")}) <= 2
        usage = node.quotas.usage()
        assert (usage.documents, usage.declined > 0) == (5, True)

        honest = Workspace.create(tmp_path / "honest", "Honest")
        await sync_once(honest, HOST, port_of(node), idle=1.0)
        # The node relays what it keeps, except the project for its members (the honest peer is not one).
        assert set(honest.repo.doc_ids()) == (held - {ours}) | {honest.peer_id}

        # `reliance doctor` beside the running node: the node's own count.
        node.config.write_state = True
        node._write_state()
        beside = {f.code: f for f in await asyncio.to_thread(diagnose_home, node.ws.home, 0)}
        assert beside["quota_declined"].level == "warning"

    # ...and from the disk once it stopped, through the command line.
    code, out, err = await asyncio.to_thread(run_cli, node.ws.home, "doctor", "--json", "--lang", "en")
    assert code == 0, err
    findings = {f["code"]: f for f in json.loads(out)}
    assert findings["quota"]["message_en"].startswith("Other people's documents kept here: 5 of 5,")
    assert findings["quota_full"]["level"] == "warning"
    assert "2 documents" in findings["quota_author"]["message_en"]
    assert findings["quota"]["message_fr"] != findings["quota"]["message_en"]


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
        honest = await transport.connect(HOST, port_of(node), Ed25519PrivateKey.generate(), name="honest")
        assert msgpack.unpackb(await honest.recv())["t"] == "digest"
        mallory = await transport.connect(HOST, port_of(node), Ed25519PrivateKey.generate(), name="mallory")
        assert msgpack.unpackb(await mallory.recv())["t"] == "digest"
        await mallory.send(pack({"t": "digest", "d": b"\xff" * 32, "pad": bytes(128 * 1024)}))
        with pytest.raises(transport.ConnectionLost):
            await asyncio.wait_for(mallory.recv(), 10)
        await honest.send(pack({"t": "digest", "d": b"\xff" * 32}))  # the node opens with it
        assert msgpack.unpackb(await asyncio.wait_for(honest.recv(), 10))["t"] == "summary"
        await honest.close()
        await mallory.close()
    finally:
        await node.stop()
