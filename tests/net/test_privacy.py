"""Who may read what, between real nodes: members-only projects, public projects and drafts.

Two (or three) `Node`s in this process, each with its own home, joined by in-memory channels
(tests/net/memnet.py): the real sessions, the real stores, the real signed changes.
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

import msgpack
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.automerge import wire
from reliance.model.catalogue import Item, ItemKind, Status
from reliance.net.channel import memory_pair
from tests.conftest import stored_text
from tests.net.busy import public
from tests.net.memnet import MemoryNet, holds, settled


def item(title: str, status: Status = Status.PUBLISHED) -> Item:
    return Item(id="", kind=ItemKind.OFFER, title=title, author="", status=status)


async def test_a_non_member_gets_public_projects_but_no_members_project_and_no_draft(tmp_path: Path) -> None:
    alice = Workspace.create(tmp_path / "alice", "Alice")
    bob = Workspace.create(tmp_path / "bob", "Bob")
    secret = projects.create_project(alice, "Cagnotte du collectif")  # members: the default
    commons = projects.create_project(alice, "Jardin partagé", visibility="public")
    alice.add_item(item("Atelier vélo"))
    alice.add_item(item("Brouillon très privé", Status.DRAFT))
    projects.contribute(alice, secret, "time", 90, "min", note="ligne de compte secrète")

    async with MemoryNet(tmp_path) as net:
        node_a, node_b = await net.node("Alice", alice), await net.node("Bob", bob)
        await net.join(node_b, node_a)

        def bob_has_the_public_part() -> bool:
            return holds(bob, commons) and "Atelier vélo" in {i.title for i in bob.items()}

        await net.until(bob_has_the_public_part, "the public project and the published offer reach Bob")
        # The same round went through every document Alice holds: wait until both sides say it is over.
        await net.until(lambda: settled(node_a, node_b) and settled(node_b, node_a), "the round is over")
        assert not bob.repo.exists(secret)
        seen = stored_text(bob)
        assert "Brouillon très privé".encode() not in seen
        assert "ligne de compte secrète".encode() not in seen
        assert b"Cagnotte du collectif" not in seen

        # Once Bob is a member, the project reaches him over the same connection.
        projects.add_member(alice, secret, bob.peer_id)
        node_a.local_change(secret)
        await net.until(lambda: holds(bob, secret), "the members project reaches its new member")
        assert "Brouillon très privé".encode() not in stored_text(bob)


async def test_a_project_made_public_by_its_steward_reaches_non_members(tmp_path: Path) -> None:
    alice = Workspace.create(tmp_path / "alice", "Alice")
    bob = Workspace.create(tmp_path / "bob", "Bob")
    pid = projects.create_project(alice, "Fête du quartier")
    async with MemoryNet(tmp_path) as net:
        node_a, node_b = await net.node("Alice", alice), await net.node("Bob", bob)
        await net.join(node_b, node_a)
        await net.until(lambda: holds(bob, alice.peer_id), "Alice's participant document reaches Bob")
        # The same round went through every document Alice holds: wait until both sides say it is over.
        await net.until(lambda: settled(node_a, node_b) and settled(node_b, node_a), "the round is over")
        assert not bob.repo.exists(pid)
        projects.set_visibility(alice, pid, "public")
        node_a.local_change(pid)
        await net.until(lambda: holds(bob, pid), "the project, now public, reaches Bob")
        assert projects.summary(bob, pid).visibility == "public"


# -- a stranger speaking the wire protocol by hand ----------------------------------------------------------


def _frame(value: dict[str, Any]) -> bytes:
    packed: bytes = msgpack.packb(value, use_bin_type=True)
    return packed


def _empty_sync(doc_id: str) -> bytes:
    message = wire.SyncMessage(wire.MESSAGE_V1, (), (), (), ())
    return _frame({"t": "sync", "d": doc_id, "m": wire.encode_sync_message(message), "s": []})


async def test_a_stranger_asking_for_a_members_project_by_id_learns_nothing(tmp_path: Path) -> None:
    """Asked for a members-only project by its id, the node answers exactly as for an id it never heard of."""
    alice = Workspace.create(tmp_path / "alice", "Alice")
    secret = projects.create_project(alice, "Trésorerie")
    projects.contribute(alice, secret, "time", 30, "min")
    unknown = "pj" + secrets.token_hex(16)
    async with MemoryNet(tmp_path) as net:
        node_a = await net.node("Alice", alice)
        conn, end_a = memory_pair()
        assert await node_a.attach(end_a, public(Ed25519PrivateKey.generate()), name="Mallory") is None
        try:
            await conn.send(_frame({"t": "digest", "d": secrets.token_bytes(32)}))
            # Then a summary claiming both ids with made-up heads, and a bare request for each.
            fake = secrets.token_bytes(8)
            await conn.send(_frame({"t": "summary", "docs": [[secret, fake], [unknown, fake]]}))
            await conn.send(_empty_sync(secret))
            await conn.send(_empty_sync(unknown))
            # A request for Alice's own (public) document last: its answer proves the others were handled.
            await conn.send(_empty_sync(alice.peer_id))
            frames: list[dict[str, Any]] = []
            async with asyncio.timeout(10):
                while not any(f.get("t") == "sync" and f.get("d") == alice.peer_id for f in frames):
                    frames.append(msgpack.unpackb(await conn.recv(), raw=False))
        finally:
            await conn.close()
    summaries = [f for f in frames if f.get("t") == "summary"]
    assert summaries and all(secret not in {d for d, _ in f["docs"]} for f in summaries)
    assert all(f.get("t") != "reject" for f in frames)

    def answers_for(doc_id: str) -> list[tuple[Any, ...]]:
        out = []
        for f in frames:
            if f.get("t") == "sync" and f.get("d") == doc_id:
                message = wire.decode_sync_message(f["m"], max_bytes=1 << 20)
                out.append((message.heads, message.need, message.changes, tuple(f["s"])))
        return out

    assert answers_for(secret) == answers_for(unknown)
    assert all(not heads and not changes for heads, _, changes, _ in answers_for(secret))


@pytest.mark.parametrize("visibility", ["members", "public"])
async def test_members_of_a_project_sync_it_whatever_its_visibility(tmp_path: Path, visibility: str) -> None:
    alice = Workspace.create(tmp_path / "alice", "Alice")
    bob = Workspace.create(tmp_path / "bob", "Bob")
    pid = projects.create_project(alice, "Atelier", visibility=visibility)
    projects.add_member(alice, pid, bob.peer_id)
    async with MemoryNet(tmp_path) as net:
        node_a, node_b = await net.node("Alice", alice), await net.node("Bob", bob)
        await net.join(node_b, node_a)
        await net.until(lambda: holds(bob, pid), "the project reaches its member")
        projects.contribute(bob, pid, "time", 15, "min", note="de Bob")
        node_b.local_change(pid)
        await net.until(lambda: any(e["note"] == "de Bob" for e in projects.ledger(alice, pid)), "and back")
