"""The app's bridge to its store, without Textual: a real home, a `StoreReader`, the app's `AppData`."""

from __future__ import annotations

from pathlib import Path

from reliance.app.workspace import Workspace
from reliance.model.catalogue import Item, ItemKind
from reliance.tui.common.data import AppData, StoreReader, load_cache
from reliance.tui.store_bridge import LOAD_CHUNK, StoreBridge


def offer(title: str) -> Item:
    return Item(id="", kind=ItemKind.OFFER, title=title, author="")


def bridge_for(ws: Workspace) -> tuple[StoreBridge, AppData]:
    bridge = StoreBridge(ws.home)
    data = AppData(ws.peer_id)
    bridge.open(ws.peer_id, StoreReader(ws.repo, lambda doc_id: None, ws.drafts), data)
    return bridge, data


def titles(data: AppData) -> set[str]:
    return {row.item.title for row in data.rows}


def neighbours(root: Path, ws: Workspace, count: int) -> list[str]:
    """`count` other people's documents in `ws`'s home, each with one offer."""
    from tests.tui.world import pump

    ids = []
    for i in range(count):
        other = Workspace.create(root / f"n{i}", f"Neighbour {i}")
        other.add_item(offer(f"from neighbour {i}"))
        pump(other.repo, ws.repo)
        ids.append(other.peer_id)
    return ids


async def test_the_first_load_reads_every_document_in_chunks_ours_first(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "alice", "Alice")
    ws.add_item(offer("mine"))
    others = neighbours(tmp_path, ws, LOAD_CHUNK + 2)
    bridge, data = bridge_for(ws)
    steps: list[set[str] | None] = []
    errors: list[Exception] = []
    try:
        await bridge.load(steps.append, errors.append)
        assert errors == [] and data.loaded
        assert titles(data) == {"mine"} | {f"from neighbour {i}" for i in range(len(others))}
        assert steps[0] is None  # the cache's views first (none yet), then the chunks
        chunks = [s for s in steps[1:] if s is not None]
        assert [len(c) for c in chunks] == [LOAD_CHUNK, 3]
        assert ws.peer_id in chunks[0]
        await bridge.save_cache()
        assert set(load_cache(ws.home)) >= set(others)
    finally:
        bridge.close()


async def test_a_second_start_takes_the_cached_views_and_reads_only_its_own(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "alice", "Alice")
    others = neighbours(tmp_path, ws, 3)
    first, _ = bridge_for(ws)
    await first.load(lambda doc_ids: None, lambda exc: None)
    await first.save_cache()
    first.close()

    again, data = bridge_for(Workspace.open(ws.home))
    steps: list[set[str] | None] = []
    try:
        await again.load(steps.append, lambda exc: None)
        assert steps == [None, {ws.peer_id}]  # the neighbours came from the cache
        assert {f"from neighbour {i}" for i in range(len(others))} <= titles(data)
    finally:
        again.close()


async def test_what_another_process_writes_is_found_by_signature_and_read_again(tmp_path: Path) -> None:
    from tests.tui.world import pump

    ws = Workspace.create(tmp_path / "alice", "Alice")
    bob = Workspace.create(tmp_path / "bob", "Bob")
    pump(bob.repo, ws.repo)
    bridge, data = bridge_for(ws)
    try:
        await bridge.load(lambda doc_ids: None, lambda exc: None)
        assert await bridge.changed_on_disk() == set()
        # Another process on Alice's home: the CLI adds her offer, a sync brings Bob's.
        beside = Workspace.open(ws.home)
        beside.add_item(offer("written by the CLI"))
        bob.add_item(offer("Bob's, synced beside"))
        pump(bob.repo, beside.repo)
        changed = await bridge.changed_on_disk()
        assert changed == {ws.peer_id, bob.peer_id}
        entries = await bridge.refresh(changed)
        assert {"written by the CLI", "Bob's, synced beside"} <= titles(data)
        news = [(e.kind, e.doc_id) for e in entries]
        assert news == [("item_new", bob.peer_id)]  # what others wrote is news; our own is not
        assert await bridge.changed_on_disk() == set()
    finally:
        bridge.close()


async def test_what_arrived_while_closed_is_in_the_feed_unread_and_marked_read(tmp_path: Path) -> None:
    from reliance.app.arrivals import load_state
    from tests.tui.world import pump

    ws = Workspace.create(tmp_path / "alice", "Alice")
    bob = Workspace.create(tmp_path / "bob", "Bob")
    need = ws.add_item(Item(id="", kind=ItemKind.NEED, title="Tables", author=""))
    pump(ws.repo, bob.repo)
    first, _ = bridge_for(ws)
    assert await first.load(lambda doc_ids: None, lambda exc: None) == []  # the first look: nothing new
    first.close()
    bob.answer(need.id, "can_help", "Deux tables")  # while the app is closed
    pump(bob.repo, ws.repo)
    again, data = bridge_for(Workspace.open(ws.home))
    try:
        arrived = await again.load(lambda doc_ids: None, lambda exc: None)
        assert [(a.kind, a.to_me) for a in arrived] == [("answer", True)]
        assert data.unread == 1 and data.feed[0].unread and data.feed[0].params["message"] == "Deux tables"
        await again.mark_read({data.feed[0].key})
        assert data.unread == 0
        state = load_state(ws.home)
        assert state is not None and state.unread == 0
    finally:
        again.close()
