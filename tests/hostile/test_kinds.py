"""Every hostile variant of every transport message kind (kinds.py) against a real node on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import struct
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import msgpack
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reliance.app.workspace import Workspace
from reliance.identity import encode_peer_id
from reliance.net import events as ev
from reliance.net.config import NodeConfig
from reliance.net.frames import FLAG_MORE, KIND_DATA, KIND_PING, KIND_PONG, KIND_REFUSE
from reliance.net.handshake import connect
from reliance.net.node import Node
from reliance.replication.protocol import Session, SyncHost
from reliance.store.repository import Repository
from tests.fuzz import seeds as fuzz_seeds
from tests.fuzz.targets import repo_state
from tests.hostile.kinds import KINDS, Attacker, KindVariant, Outcome
from tests.net.hostile import Raw

HOST = "127.0.0.1"
# Seconds a test waits for a drop, a reply or a report: the node's timers below are short (0.5 s, 0.6 s) and
# its read timeout, the only other thing that would drop a connection, is 30 s. Only a failing test waits.
DROP_WITHIN = 20.0


def all_variants() -> list[KindVariant]:
    return [variant for make, _ in KINDS.values() for variant in make()]


def as_param(variant: KindVariant) -> object:
    marks = [pytest.mark.xfail(reason=variant.known, strict=False)] if variant.known else []
    return pytest.param(variant, id=variant.id, marks=marks)


@dataclass
class Victim:
    node: Node
    events: list[ev.NodeEvent]
    port: int


@pytest.fixture
async def victim(fast_tmp: Path) -> AsyncIterator[Victim]:
    seeds = fuzz_seeds.load()
    workspace = Workspace.create(fast_tmp / "victim", "Bob")
    fuzz_seeds.fill(workspace.repo, seeds, seeds.victim)
    config = NodeConfig(
        port=0, listen=HOST, mdns=False, write_state=False, heartbeat_interval=0.2, handshake_timeout=0.5
    )
    node = Node(workspace, config)
    events: list[ev.NodeEvent] = []
    node.subscribe(events.append)
    await node.start()
    assert node.listen_address is not None
    try:
        yield Victim(node, events, node.listen_address[1])
    finally:
        await node.stop()


async def next_frame(raw: Raw) -> tuple[int, bytes]:
    plain = raw.noise.decrypt(await raw.read_prefixed())
    return plain[0], bytes(plain[1:])


async def pong_for(raw: Raw, marker: bytes) -> None:
    """Ping and wait for our own pong (skipping everything else the node sends meanwhile)."""
    raw.frame(KIND_PING, marker)
    while True:
        header, body = await next_frame(raw)
        if header == KIND_PONG and body == marker:
            return


async def next_message(raw: Raw) -> bytes:
    partial: bytearray | None = None
    expected = 0
    while True:
        header, body = await next_frame(raw)
        if header & ~FLAG_MORE != KIND_DATA:
            continue
        if partial is None:
            expected, partial = struct.unpack(">I", body[:4])[0], bytearray(body[4:])
        else:
            partial += body
        if not header & FLAG_MORE:
            assert len(partial) == expected
            return bytes(partial)


async def next_reject(raw: Raw) -> dict[str, object]:
    """The node's `reject` frame (its digest and any other frame before it are skipped)."""
    while True:
        frame = msgpack.unpackb(await next_message(raw))
        if frame.get("t") == "reject":
            return dict(frame)


async def honest_sync(port: int, tmp_path: Path, node: Node) -> None:
    """A peer holding every document connects, syncs, and the node ends up with all it may have."""
    seeds = fuzz_seeds.load()
    key = Ed25519PrivateKey.generate()
    repo = Repository(tmp_path / "honest", key.public_key().public_bytes_raw())
    fuzz_seeds.fill(repo, seeds, {doc_id: len(h) for doc_id, h in seeds.histories.items()})
    host = SyncHost(repo)
    # Everything this peer may give the node (a project of visibility "members" goes to members only).
    wanted = {doc_id: stored.heads() for doc_id, stored in host.holdings(node.my_key).items()}
    conn = await connect(HOST, port, key, name="honest")
    session = Session(host, peer_key=node.my_key)

    def held() -> dict[str, list[bytes]]:
        return {d: node.ws.repo.open(d).heads() if node.ws.repo.exists(d) else [] for d in wanted}

    try:
        for frame in session.start():
            await conn.send(frame)
        async with asyncio.timeout(60):  # only stops a hung test
            while await node._in_worker(held) != wanted:
                try:
                    async with asyncio.timeout(0.2):
                        data = await conn.recv()
                except TimeoutError:
                    continue
                for frame in session.receive(data):
                    await conn.send(frame)
    finally:
        await conn.close()


def printable(text: str) -> bool:
    return not any(unicodedata.category(ch)[0] == "C" for ch in text)


@pytest.mark.parametrize("variant", [as_param(v) for v in all_variants()])
async def test_hostile_transport_message(
    variant: KindVariant, victim: Victim, fast_tmp: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="reliance")
    node = victim.node
    before = await node._in_worker(repo_state, node.ws.repo)
    key = Ed25519PrivateKey.generate()
    attacker = Attacker(HOST, victim.port, key, [])
    try:
        raw = await variant.attack(attacker)
        if variant.expect == Outcome.REFUSED:
            assert attacker.reply is not None, "dropped without a reason"
            kind, reason = attacker.reply
            assert kind == KIND_REFUSE and reason and printable(reason.decode("utf-8")), attacker.reply
        if variant.expect == Outcome.REJECTED:
            reply = await asyncio.wait_for(next_reject(raw), DROP_WITHIN)
            assert isinstance(reply.get("reason"), str) and reply["reason"], reply
        if variant.expect == Outcome.SERVED:
            await asyncio.wait_for(pong_for(raw, b"served!!"), DROP_WITHIN)
        else:
            assert await raw.dropped(DROP_WITHIN) is not None, "the connection is still open"
    finally:
        for raw in attacker.raws:
            await raw.close()

    peer_id = encode_peer_id(key.public_key().public_bytes_raw())
    mine = [e for e in victim.events if e.peer_id == peer_id]
    if variant.expect in (Outcome.VIOLATION, Outcome.CLOSED, Outcome.REJECTED):
        async with asyncio.timeout(DROP_WITHIN):  # the node reports the end once its worker is done
            while not any(e.kind == ev.PEER_DISCONNECTED for e in mine):
                await asyncio.sleep(0.01)
                mine = [e for e in victim.events if e.peer_id == peer_id]
        ended = [e.text for e in mine if e.kind in (ev.PEER_DISCONNECTED, ev.REJECTED)]
        assert all(printable(text) and len(text) < 2048 for text in ended), ended
        if variant.expect == Outcome.VIOLATION:
            # a reason, not just "closed"
            assert any(t.endswith(")") and not t.endswith("(closed)") for t in ended), ended
        if variant.expect == Outcome.CLOSED:
            assert any("closed by peer" in t for t in ended), ended
        if variant.expect == Outcome.REJECTED:
            assert any(e.kind == ev.REJECTED for e in mine), mine

    assert await node._in_worker(repo_state, node.ws.repo) == before
    await honest_sync(victim.port, fast_tmp, node)
    unexpected = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert not unexpected, unexpected
