"""A real node on loopback under hostile load: one peer's work, documents or connections must not starve
the others. Everything here runs in this process: the node, and the clients that speak the real wire
protocol to it over 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgpack
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.sync import transport
from reliance.sync.node import Node, NodeConfig
from reliance.workspace import Workspace

HOST = "127.0.0.1"
# A peer's first frame may wait for one turn of every busy peer on the sync worker, not for their work.
FIRST_FRAME_BOUND = 1.0


def pack(value: dict[str, Any]) -> bytes:
    packed: bytes = msgpack.packb(value, use_bin_type=True)
    return packed


def public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


@contextlib.asynccontextmanager
async def running_node(home: Path, limits: Limits = DEFAULT_LIMITS) -> AsyncIterator[Node]:
    workspace = Workspace.create(home, "Nora")
    node = Node(workspace, NodeConfig(port=0, listen=HOST, mdns=False, write_state=False, limits=limits))
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


async def send_heavy_summary(node: Node, ids: list[str]) -> transport.SecureConnection:
    """A hostile peer that makes the node the opener, then lists `ids`; returns once the node's sync
    worker has started on that summary (the session counted its bytes)."""
    mallory = Ed25519PrivateKey.generate()
    conn = await transport.connect(HOST, port_of(node), mallory, name="mallory")
    assert msgpack.unpackb(await conn.recv())["t"] == "digest"
    await conn.send(pack({"t": "digest", "d": b"\xff" * 32}))  # larger than the node's: the node opens
    assert msgpack.unpackb(await conn.recv())["t"] == "summary"
    frame = pack({"t": "summary", "docs": [[doc_id, b"\x01" * 8] for doc_id in ids]})
    session = node.peers_by_key[public(mallory)].session
    assert session is not None
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
