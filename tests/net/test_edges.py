"""The edges of the node: a one-shot sync that ends when both sides are in sync (or says what was left),
`serve` beside a damaged settings file, node state written when it changes, no file I/O on the loop,
a bounded stop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reliance.app.workspace import Workspace
from reliance.clock import Clock, FixedClock
from reliance.fsutil import atomic_write
from reliance.model.catalogue import Item, ItemKind
from reliance.net.config import NodeConfig
from reliance.net.connection import SecureConnection
from reliance.net.errors import TransportError
from reliance.net.handshake import connect
from reliance.net.node import Node
from reliance.net.oneshot import SyncUnfinished, sync_once
from reliance.net.server import serve
from reliance.net.status import STATE_FILE
from tests.conftest import run_cli
from tests.net.cluster import Cluster

HOST = "127.0.0.1"


def offer(title: str) -> Item:
    return Item(id="", kind=ItemKind.OFFER, title=title, author="")


@contextlib.asynccontextmanager
async def running_node(
    home: Path,
    name: str = "Nora",
    write_file: Callable[[Path, bytes], None] = atomic_write,
    clock: Clock | None = None,
    **config: Any,
) -> AsyncIterator[Node]:
    workspace = Workspace.create(home, name)
    node = Node(
        workspace, NodeConfig(port=0, listen=HOST, mdns=False, **config), write_file=write_file, clock=clock
    )
    await node.start()
    try:
        yield node
    finally:
        await node.stop()


def port_of(node: Node) -> int:
    assert node.listen_address is not None
    return node.listen_address[1]


@contextlib.asynccontextmanager
async def silent_peer() -> AsyncIterator[int]:
    """A peer that completes the handshake and then never says a word (its port)."""

    async def listen_only(conn: SecureConnection) -> None:
        with contextlib.suppress(TransportError):
            while True:
                await conn.recv()

    server = await serve(HOST, 0, Ed25519PrivateKey.generate(), name="Silent", on_connection=listen_only)
    try:
        yield server.port
    finally:
        await server.close()


# -- reliance sync -----------------------------------------------------------------------------------------


async def test_a_sync_waits_for_a_slow_peer_instead_of_stopping_at_the_first_quiet(tmp_path: Path) -> None:
    """The node's sync worker is busy for two seconds (a large batch of someone else): the exchange ends
    when both sides hold the same, not after a fixed quiet time."""
    camille = Workspace.create(tmp_path / "camille", "Camille")
    camille.add_item(offer("Soup"))
    async with running_node(tmp_path / "nora") as node:
        node.ws.add_item(offer("Bread"))
        gate = threading.Event()
        node._worker.submit(gate.wait, 30)  # the worker is busy until released
        syncing = asyncio.ensure_future(sync_once(camille, HOST, port_of(node), timeout=30))
        await asyncio.sleep(2.0)  # longer than any quiet a one-shot sync used to take for the end
        gate.set()
        summary = await syncing
        assert summary["complete"] is True and summary["not_in_sync"] == []
        assert summary["received_changes"] == 2  # nora's genesis and offer
        assert summary["sent_changes"] == 2
        assert camille.repo.open(node.ws.peer_id).heads() == node.ws.repo.open(node.ws.peer_id).heads()
        assert node.ws.repo.exists(camille.peer_id)


async def test_a_sync_ends_as_soon_as_both_sides_are_in_sync(tmp_path: Path) -> None:
    camille = Workspace.create(tmp_path / "camille", "Camille")
    async with running_node(tmp_path / "nora") as node:
        first = await sync_once(camille, HOST, port_of(node), timeout=30)
        again = await sync_once(camille, HOST, port_of(node), timeout=30)
    assert first["complete"] and first["received_changes"] == 1 and first["sent_changes"] == 1
    assert again["complete"] and again["received_changes"] == again["sent_changes"] == 0
    assert again["seconds"] < 1.0  # equal digests: done at the first answer, no quiet waited for


async def test_a_sync_with_a_peer_that_never_answers_says_what_was_left(tmp_path: Path) -> None:
    camille = Workspace.create(tmp_path / "camille", "Camille")
    async with silent_peer() as port:
        with pytest.raises(SyncUnfinished) as caught:
            await sync_once(camille, HOST, port, timeout=1.0)
    assert caught.value.why == "not_started"
    assert "never compared" in caught.value.message("en")
    assert "n'a pas comparé" in caught.value.message("fr")


async def test_documents_the_peer_declines_are_named_as_not_in_sync(tmp_path: Path) -> None:
    """Over its quota, the node declines a document without a word: the sync cannot finish, and says so."""
    camille = Workspace.create(tmp_path / "camille", "Camille")
    nora_home = tmp_path / "nora"
    nora_home.mkdir()
    (nora_home / "config.json").write_text(json.dumps({"limits": {"others_max_documents": 1}}))
    strangers = [Workspace.create(tmp_path / f"s{i}", f"S{i}") for i in range(2)]
    for stranger in strangers:
        await asyncio.to_thread(_hand_over, stranger, camille)
    async with running_node(nora_home) as node:
        with pytest.raises(SyncUnfinished) as caught:
            await sync_once(camille, HOST, port_of(node), timeout=3.0)
        held = set(node.ws.repo.doc_ids())
    left = caught.value.not_in_sync
    offered = {s.peer_id for s in strangers} | {camille.peer_id}
    assert len(left) == 2 and set(left) <= offered and not set(left) & held  # the node kept one of three
    assert caught.value.why == "timeout"
    assert caught.value.summary["complete"] is False and caught.value.summary["not_in_sync"] == left


def _hand_over(source: Workspace, target: Workspace) -> None:
    """`source`'s documents into `target`, through two sessions in memory."""
    from reliance.replication.protocol import Session, SyncHost

    a = Session(SyncHost(source.repo), peer_key=target.identity.network_key)
    b = Session(SyncHost(target.repo), peer_key=source.identity.network_key)
    to_b, to_a = a.start(), b.start()
    while to_a or to_b:
        to_a, to_b = (
            [out for frame in to_b for out in b.receive(frame)],
            [out for frame in to_a for out in a.receive(frame)],
        )


async def test_the_sync_command_exits_non_zero_with_one_line_when_unfinished(tmp_path: Path) -> None:
    home = tmp_path / "camille"
    Workspace.create(home, "Camille")
    async with silent_peer() as port:
        code, out, err = await asyncio.to_thread(
            run_cli, home, "sync", f"{HOST}:{port}", "--timeout", "1", env={"LC_ALL": "fr_FR.UTF-8"}
        )
        code_json, out_json, _ = await asyncio.to_thread(
            run_cli, home, "sync", f"{HOST}:{port}", "--timeout", "1", "--json"
        )
    assert code == 1
    (line,) = err.strip().splitlines()
    assert "inachevée" in line and "Silent" in line, line
    assert out == ""
    assert code_json == 1 and json.loads(out_json)["complete"] is False


def test_the_sync_command_says_in_one_line_when_nobody_answers(tmp_path: Path) -> None:
    home = tmp_path / "camille"
    Workspace.create(home, "Camille")
    from tests.net.cluster import free_port

    code, _, err = run_cli(home, "sync", f"{HOST}:{free_port()}", "--timeout", "5")
    assert code == 1
    (line,) = err.strip().splitlines()
    assert "could not reach" in line, line


# -- serve beside a damaged settings file ---------------------------------------------------------------


def test_serve_starts_beside_a_damaged_config_with_one_warning(tmp_path: Path) -> None:
    with Cluster(tmp_path, 1, mode="loopback") as cluster:
        (node,) = cluster.nodes
        (node.home / "config.json").write_text('{"policy": "known", "po')  # cut short, as a crash left it
        node.start(mdns=False)
        node.wait_listening()
        assert node.stop() == 0
        warnings = [line for line in node.log().splitlines() if "config.json" in line]
        assert len(warnings) == 1, node.log()
        assert "policy 'known'" in warnings[0]


# -- node-state.json, file I/O off the loop, a bounded stop ----------------------------------------------


class StateWrites:
    """The node's file writer, noting every write of node-state.json in order."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def __call__(self, path: Path, data: bytes) -> None:
        if path.name == STATE_FILE:
            self.writes.append(data)
        atomic_write(path, data)


async def test_node_state_is_written_only_when_it_changes(tmp_path: Path) -> None:
    spy = StateWrites()
    writes = spy.writes
    clock = FixedClock()  # the node's maintenance runs the rounds the test lets through, 0.05 s apart on it
    async with running_node(tmp_path / "nora", write_file=spy, clock=clock, poll_interval=0.05) as node:
        async with asyncio.timeout(30):  # 1.5 s of the node's own maintenance: it used to rewrite the file
            await clock.rounds(30)  # every second
        await asyncio.to_thread(node._files.submit(lambda: None).result, 10)  # writes queued are done
        assert len(writes) == 1, "an idle node rewrote node-state.json"
        assert json.loads(writes[0])["listen"] == f"{HOST}:{port_of(node)}"

        camille = Workspace.create(tmp_path / "camille", "Camille")
        await sync_once(camille, HOST, port_of(node), timeout=30)  # a peer came and went: it changed
        async with asyncio.timeout(30):
            await clock.rounds(3)
        await asyncio.to_thread(node._files.submit(lambda: None).result, 10)
        assert len(writes) >= 2
        assert camille.peer_id in writes[-1].decode()
        assert writes[-1] == (tmp_path / "nora" / "node-state.json").read_bytes()


async def test_the_loop_keeps_answering_while_a_state_write_is_slow(tmp_path: Path) -> None:
    """A write of node-state.json that takes long (an SD card, a busy disk) must not stall the loop that
    the connections and the app share: a peer completes its handshake while the write is still running."""
    writing = threading.Event()
    release = threading.Event()

    def slow(path: Path, data: bytes) -> None:
        if path.name == STATE_FILE and not release.is_set():
            writing.set()
            release.wait(5)  # bounded, so that a loop blocked by this write only makes the test fail
            writing.clear()
        atomic_write(path, data)

    async with running_node(tmp_path / "nora", write_file=slow) as node:
        try:
            assert await asyncio.to_thread(writing.wait, 10)  # the first state write is in progress
            conn = await connect(HOST, port_of(node), Ed25519PrivateKey.generate(), name="Camille")
            still_writing = writing.is_set()
            await conn.close()
        finally:
            release.set()
    assert still_writing, "the handshake waited for the file write: the loop was blocked"


async def test_stop_is_bounded_when_the_sync_worker_is_stuck(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    workspace = Workspace.create(tmp_path / "nora", "Nora")
    node = Node(workspace, NodeConfig(port=0, listen=HOST, mdns=False, stop_timeout=0.5))
    await node.start()
    stuck = threading.Event()
    node._worker.submit(stuck.wait, 5)  # a store write that never ends (released after 5 s at most)
    try:
        with caplog.at_level("WARNING", logger="reliance.node"):
            await node.stop()
        returned_while_stuck = not stuck.is_set()
    finally:
        stuck.set()
    assert returned_while_stuck, "stop waited for the stuck worker"
    assert any("did not stop within 0.5 s" in r.getMessage() for r in caplog.records), caplog.text
    assert not (workspace.home / "node-state.json").exists()
