"""Local writes to a project while peers push batches for it over real sessions (nodes joined in
memory, tests/net/memnet.py), and a bundle of it imported meanwhile: after a restart, every change a writer
was told is stored is there, and every document opens.

Alice's app and her node share her workspace, as the app does: her store thread writes the project
while her node's sync worker checks and stores Bob's and Chloé's batches for the same project, and a
bundle of Dana's offline contributions to it, imported as the owner imports one for `reliance bundle
import` (the local API's operation, run on the node's worker).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.localapi.imports import bundle_import
from reliance.net import events as ev
from reliance.replication.bundle import export_bundle, import_bundle
from tests.net.memnet import MemoryNet


def _notes(ws: Workspace, pid: str) -> set[str]:
    return {row["note"] for row in projects.ledger(ws, pid)}


async def _write_while_peers_push(tmp_path: Path, per_writer: int) -> None:
    people = {name: Workspace.create(tmp_path / name, name) for name in ("Alice", "Bob", "Chloé")}
    alice = people["Alice"]
    pid = projects.create_project(alice, "four")
    for name in ("Bob", "Chloé"):
        projects.add_member(alice, pid, people[name].peer_id)
    # Dana, a member off the network, contributes to her copy and hands Alice a bundle of it.
    dana = Workspace.create(tmp_path / "dana", "Dana")
    projects.add_member(alice, pid, dana.peer_id)
    export_bundle(alice.repo, tmp_path / "to-dana.rlb", [alice.peer_id, pid], alice.peer_id)
    import_bundle(dana.repo, tmp_path / "to-dana.rlb")
    offline = [f"Dana {i}" for i in range(per_writer)]
    for note in offline:
        projects.contribute(dana, pid, "time", 1, "min", note=note)
    export_bundle(dana.repo, tmp_path / "from-dana.rlb", [dana.peer_id, pid], dana.peer_id)
    loop = asyncio.get_running_loop()
    acknowledged: dict[str, list[str]] = {name: [] for name in [*people, "Dana"]}
    async with MemoryNet(tmp_path, heartbeat_interval=1.0) as net:
        nodes = {name: await net.node(name, ws) for name, ws in people.items()}
        for name in ("Bob", "Chloé"):
            await net.join(nodes[name], nodes["Alice"])

        # Everyone holds the project, as a member, before writing to it (its folder exists a moment before
        # the batch that makes it is stored).
        def member(name: str) -> bool:
            ws = people[name]
            return ws.repo.exists(pid) and projects.my_role(ws, ws.repo.open(pid)) is not None

        await net.until(lambda: all(member(n) for n in ("Bob", "Chloé")), "the project never arrived", 60)

        def write(name: str) -> None:
            ws, node = people[name], nodes[name]
            for i in range(per_writer):
                note = f"{name} {i}"
                projects.contribute(ws, pid, "time", 1, "min", note=note)
                acknowledged[name].append(note)  # the store said it is written: it must survive
                loop.call_soon_threadsafe(node.local_change, pid)

        async def import_dana() -> None:
            # Once Alice's writes are under way, through the owner's one write path (its node's worker).
            await net.until(lambda: len(acknowledged["Alice"]) >= per_writer // 3, "Alice never wrote", 60)
            outcome = await nodes["Alice"].in_store(
                bundle_import, alice, {"path": "from-dana.rlb", "cwd": str(tmp_path)}
            )
            assert pid in outcome.changed
            acknowledged["Dana"].extend(offline)
            for doc_id in outcome.changed:
                nodes["Alice"].local_change(doc_id)

        await asyncio.gather(*(asyncio.to_thread(write, name) for name in people), import_dana())
        every = {note for notes in acknowledged.values() for note in notes}
        assert len(every) == 4 * per_writer
        await net.until(
            lambda: all(_notes(ws, pid) == every for ws in people.values()),
            "the three homes never converged",
            120,
        )
        # ...over the connections they started with: no batch was refused, nobody had to reconnect.
        for who, events in net.events.items():
            kinds = [e.kind for e in events]
            assert ev.REJECTED not in kinds and ev.PEER_DISCONNECTED not in kinds, (
                who,
                [e.text for e in events],
            )
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
