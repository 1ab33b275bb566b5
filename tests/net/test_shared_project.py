"""Local writes to a project while peers push batches for it over real sessions (Noise over loopback):
after a restart, every change a writer was told is stored is there, and every document opens.

Alice's app and her node share her workspace, as the app does: her store thread writes the project
while her node's sync worker checks and stores Bob's and Chloé's batches for the same project.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.net.config import NodeConfig
from reliance.net.node import Node


def _node(ws: Workspace) -> Node:
    return Node(
        ws,
        NodeConfig(
            port=0, listen="127.0.0.1", mdns=False, write_state=False, heartbeat_interval=1.0, redial_min=0.2
        ),
    )


async def _until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(what)
        await asyncio.sleep(0.05)


def _notes(ws: Workspace, pid: str) -> set[str]:
    return {row["note"] for row in projects.ledger(ws, pid)}


async def _write_while_peers_push(tmp_path: Path, per_writer: int) -> None:
    people = {name: Workspace.create(tmp_path / name, name) for name in ("Alice", "Bob", "Chloé")}
    alice = people["Alice"]
    pid = projects.create_project(alice, "four")
    for name in ("Bob", "Chloé"):
        projects.add_member(alice, pid, people[name].peer_id)
    nodes = {name: _node(ws) for name, ws in people.items()}
    loop = asyncio.get_running_loop()
    acknowledged: dict[str, list[str]] = {name: [] for name in people}
    try:
        for node in nodes.values():
            await node.start()
        address = nodes["Alice"].listen_address
        assert address is not None
        for name in ("Bob", "Chloé"):
            await nodes[name].add_address("127.0.0.1", address[1])
        # Everyone holds the project before writing to it.
        await _until(
            lambda: all(people[n].repo.exists(pid) for n in ("Bob", "Chloé")), 60, "the project never arrived"
        )

        def write(name: str) -> None:
            ws, node = people[name], nodes[name]
            for i in range(per_writer):
                note = f"{name} {i}"
                projects.contribute(ws, pid, "time", 1, "min", note=note)
                acknowledged[name].append(note)  # the store said it is written: it must survive
                loop.call_soon_threadsafe(node.local_change, pid)

        await asyncio.gather(*(asyncio.to_thread(write, name) for name in people))
        every = {note for notes in acknowledged.values() for note in notes}
        assert len(every) == 3 * per_writer
        await _until(
            lambda: all(_notes(ws, pid) == every for ws in people.values()),
            120,
            "the three homes never converged",
        )
    finally:
        for node in nodes.values():
            await node.stop()
    for name, ws in people.items():
        again = Workspace.open(ws.home)
        for doc_id in again.repo.doc_ids():
            opened = again.repo.open(doc_id)
            assert not opened.warnings, (name, opened.warnings)
        assert _notes(again, pid) == every, name
        assert again.repo.open(pid).heads() == people["Alice"].repo.open(pid).heads()


async def test_local_writes_while_peers_push_the_same_project_all_survive_a_restart(tmp_path: Path) -> None:
    await _write_while_peers_push(tmp_path, per_writer=12)


@pytest.mark.slow
async def test_many_local_writes_while_peers_push_the_same_project_all_survive_a_restart(
    tmp_path: Path,
) -> None:
    await _write_while_peers_push(tmp_path, per_writer=150)
