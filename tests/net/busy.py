"""Peers that keep a node's sync worker busy, over the real wire protocol on loopback; shared by
tests/net/test_limits.py and bench/network.py."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import msgpack
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reliance.net import transport
from reliance.net.node import Node
from reliance.replication.protocol import Session

HOST = "127.0.0.1"


def pack(value: dict[str, Any]) -> bytes:
    packed: bytes = msgpack.packb(value, use_bin_type=True)
    return packed


def public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


def port_of(node: Node) -> int:
    assert node.listen_address is not None
    return node.listen_address[1]


async def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> None:
    """Poll `predicate` until it is true; `timeout` only stops a test that hangs."""
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.005)
    except TimeoutError:
        raise AssertionError(f"not within {timeout} s: {what}") from None


def project_ids(count: int) -> list[str]:
    return [f"pj{i:032x}" for i in range(count)]


def summary_of(ids: list[str]) -> bytes:
    return pack({"t": "summary", "docs": [[doc_id, b"\x01" * 8] for doc_id in ids]})


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


async def send_heavy_summary(node: Node, ids: list[str]) -> tuple[transport.SecureConnection, Session]:
    """A hostile peer that makes the node the opener, then lists `ids`; returns once the node's sync
    worker has started on that summary (the session counted its bytes)."""
    conn, session = await hostile_opener(node)
    frame = summary_of(ids)
    before = session.bytes_in
    await conn.send(frame)
    await wait_for(lambda: session.bytes_in >= before + len(frame), 60, "the node never read the summary")
    return conn, session


async def first_frame(
    node: Node, key: Ed25519PrivateKey | None = None, *, timeout: float = 60
) -> tuple[dict[str, Any], float]:
    """An honest peer connects: the node's first frame to it, and the seconds between the end of its
    handshake and that frame."""
    conn = await transport.connect(HOST, port_of(node), key or Ed25519PrivateKey.generate(), name="honest")
    try:
        start = time.monotonic()
        first = msgpack.unpackb(await asyncio.wait_for(conn.recv(), timeout))
        return first, time.monotonic() - start
    finally:
        await conn.close()


class WorkerHold:
    """A job that holds the node's sync worker thread until `release()`: what the peers submit meanwhile
    waits in the worker's queue, so that the order the worker then picks is what a test observes.
    A barrier, not a clock: nothing here depends on how fast the machine is."""

    def __init__(self, node: Node) -> None:
        self._started = threading.Event()
        self._released = threading.Event()
        self._node = node
        self.done: Future[None] = node._worker.submit(self._hold)

    def _hold(self) -> None:
        self._started.set()
        self._released.wait(120)  # only if a test dies before releasing it

    async def held(self) -> None:
        """Wait until the worker runs this job (the jobs queued before it are done)."""
        await wait_for(self._started.is_set, 60, "the sync worker never took the hold")

    def queued(self) -> int:
        """Jobs waiting behind the hold."""
        return self._node._worker._jobs.qsize()

    async def release(self) -> None:
        self._released.set()
        await asyncio.wrap_future(self.done)
