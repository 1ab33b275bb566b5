"""Commands that write a home beside its running owner go through it, over its real socket (the command is
a real process): `reliance bundle import`, `reliance import`, `reliance sync`, `project dividend --record`.
Without an owner the command holds the home and works on the store itself, and prints the same either way.
A hostile bundle, or a file that is not one, is refused whole either way.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import msgpack

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.export.exporters import export
from reliance.localapi.client import AsyncApiClient, connect_owner
from reliance.localapi.owner import Owner
from reliance.localapi.ownership import OwnerLock, current_owner
from reliance.localapi.protocol import Event
from reliance.model.catalogue import Item, ItemKind
from reliance.net import events as ev
from reliance.net.config import NodeConfig
from reliance.net.events import NodeEvent
from reliance.net.node import Node
from reliance.replication.bundle import export_bundle
from tests.conftest import run_cli
from tests.sync.hostile import tamper

PATIENCE = 30.0  # only stops a test that hangs


def offer(title: str) -> Item:
    return Item(id="", kind=ItemKind.OFFER, title=title, author="", description=title)


def start_owner(home: Path) -> Owner:
    ws = Workspace.open(home)
    config = NodeConfig(port=0, listen="127.0.0.1", mdns=False, write_state=False)
    return Owner(ws, Node(ws, config), "serve")


async def wait_for(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.01)


def alice_stick(tmp_path: Path) -> tuple[Workspace, Path]:
    alice = Workspace.create(tmp_path / "alice", "Alice")
    alice.add_item(offer("Ladder"))
    alice.add_item(offer("Seeds"))
    stick = tmp_path / "stick.rlb"
    export_bundle(alice.repo, stick, alice.repo.doc_ids(), alice.peer_id)
    return alice, stick


def twins(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """Two copies of one home: one gets an owner, the other none."""
    first = tmp_path / f"{name}-owned"
    Workspace.create(first, name)
    second = tmp_path / f"{name}-alone"
    shutil.copytree(first, second)
    return first, second


def titles(ws: Workspace, doc_id: str) -> set[str]:
    return {i.title for i in ws.items() if i.author == doc_id}


async def test_a_bundle_import_beside_a_running_owner_goes_through_it(tmp_path: Path) -> None:
    alice, stick = alice_stick(tmp_path)
    owned, alone = twins(tmp_path, "Bob")
    owner = start_owner(owned)
    told: list[NodeEvent] = []
    owner.subscribe(told.append)
    await owner.start()
    try:
        events: list[Event] = []
        watcher = await AsyncApiClient.connect(owned, events.append, lambda: None)
        await watcher.call("subscribe")
        run = await asyncio.to_thread(run_cli, owned, "bundle", "import", str(stick), "--json")
        assert run.code == 0, run.err
        # The owner applied it: its subscribers hear of the new document from a write through the API
        # ("api"), not from a file another process wrote and the owner read back ("disk").
        await wait_for(lambda: any(e.kind == "documents" for e in events), "no documents event")
        documents = [e.data for e in events if e.kind == "documents"]
        assert documents == [{"doc_ids": [alice.peer_id], "origin": "api"}]
        assert [e.text for e in told if e.kind == ev.LOCAL_CHANGE] == [
            f"document {alice.peer_id[:14]}… written by a local client"
        ]
        # ...in its own documents, in memory, without reading the disk again.
        assert titles(owner.ws, alice.peer_id) == {"Ladder", "Seeds"}
        await watcher.close()
    finally:
        await owner.stop()

    # Without an owner the command holds the home and imports itself: it prints the same (3 changes:
    # the document's creation too).
    again = await asyncio.to_thread(run_cli, alone, "bundle", "import", str(stick), "--json")
    assert (
        again.code == 0 and again.out == run.out and json.loads(run.out)[0]["added"] == 3
    )  # its creation too
    assert titles(Workspace.open(alone), alice.peer_id) == {"Ladder", "Seeds"}
    assert current_owner(alone) is None  # given back when the command ended


async def test_the_text_printed_is_the_same_with_and_without_an_owner(tmp_path: Path) -> None:
    alice_stick(tmp_path)
    owned, alone = twins(tmp_path, "Bob")
    elsewhere = tmp_path / "bob-elsewhere"  # the same participant, who wrote an item in another copy
    shutil.copytree(alone, elsewhere)
    mine = Workspace.open(elsewhere)
    mine.add_item(offer("Bread"))
    (tmp_path / "bob.json").write_text(export(mine, "json"), "utf-8")
    owner = start_owner(owned)
    await owner.start()
    try:
        with_owner = [
            await asyncio.to_thread(run_cli, owned, *args, cwd=tmp_path)
            for args in (
                ("bundle", "import", "stick.rlb"),
                ("import", "--dry-run", "bob.json"),
                ("import", "bob.json", "--json"),
                ("import", "bob.json"),
            )
        ]
        assert titles(owner.ws, owner.ws.peer_id) == {"Bread"}
    finally:
        await owner.stop()
    without = [
        await asyncio.to_thread(run_cli, alone, *args, cwd=tmp_path)
        for args in (
            ("bundle", "import", "stick.rlb"),
            ("import", "--dry-run", "bob.json"),
            ("import", "bob.json", "--json"),
            ("import", "bob.json"),
        )
    ]
    assert [(r.code, r.out, r.err) for r in with_owner] == [(r.code, r.out, r.err) for r in without]
    assert "1 item" in without[2].out or json.loads(without[2].out)["items_added"]


async def test_a_hostile_bundle_sent_to_the_owner_is_refused_whole_with_the_same_line(tmp_path: Path) -> None:
    alice, stick = alice_stick(tmp_path)
    data = msgpack.unpackb(stick.read_bytes(), raw=False)
    changes = data["docs"][0]["changes"]
    changes[-1][0] = tamper(changes[-1][0])
    stick.write_bytes(msgpack.packb(data, use_bin_type=True))
    owned, alone = twins(tmp_path, "Bob")
    refused_alone = await asyncio.to_thread(run_cli, alone, "bundle", "import", str(stick))
    owner = start_owner(owned)
    await owner.start()
    try:
        refused = await asyncio.to_thread(run_cli, owned, "bundle", "import", str(stick))
        assert not owner.ws.repo.exists(alice.peer_id)  # not one of its changes, in memory or on disk
        assert not (owned / "docs" / alice.peer_id).exists()
        # The owner goes on serving.
        assert (await asyncio.to_thread(run_cli, owned, "whoami", "--json")).code == 0
    finally:
        await owner.stop()
    assert refused.code == 1 and refused.out == ""
    assert refused.err.startswith("reliance: error: ") and refused.err.count("\n") == 1
    assert "nothing imported" in refused.err and "forged signature" in refused.err
    assert (refused.code, refused.err) == (refused_alone.code, refused_alone.err)
    assert not (alone / "docs" / alice.peer_id).exists()


async def test_a_file_that_is_not_a_regular_file_never_stalls_the_owner(tmp_path: Path) -> None:
    owned, _ = twins(tmp_path, "Bob")
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)  # nobody ever writes it: reading it would wait forever
    owner = start_owner(owned)
    await owner.start()
    try:
        client = await AsyncApiClient.connect(owned, lambda e: None, lambda: None)
        for op in ("bundle.import", "import", "import.preview"):
            try:
                await client.call(op, {"path": "pipe", "cwd": str(tmp_path)}, timeout=PATIENCE)
                raise AssertionError(f"{op} read a pipe")
            except Exception as exc:
                assert "not a regular file" in str(exc), (op, exc)
        for op in ("bundle.import", "import"):
            try:
                await client.call(op, {"path": "pipe", "cwd": "relative"}, timeout=PATIENCE)
                raise AssertionError(f"{op} took a relative directory")
            except Exception as exc:
                assert "absolute" in str(exc), (op, exc)
        try:
            await client.call("bundle.import", {"path": "stick\x00.rlb", "cwd": str(tmp_path)})
            raise AssertionError("a null character in a path was taken")
        except Exception as exc:
            assert "null character" in str(exc), exc
        assert (await client.call("whoami"))["name"] == "Bob"
        await client.close()
    finally:
        await owner.stop()


async def test_a_command_holding_the_home_is_waited_for_and_asks_no_socket(tmp_path: Path) -> None:
    home, _ = twins(tmp_path, "Bob")
    held = OwnerLock(home)
    assert held.acquire("cli")
    assert current_owner(home) == {"pid": os.getpid(), "kind": "cli"}
    assert connect_owner(home) is None  # no API there: the command works on the store once it holds it
    owner = start_owner(home)
    let_go = threading.Event()

    def release_when_asked() -> None:
        let_go.wait(PATIENCE)
        held.release()

    releaser = threading.Thread(target=release_when_asked)
    releaser.start()
    starting = asyncio.ensure_future(owner.start())
    started: list[float] = []
    starting.add_done_callback(lambda _: started.append(time.monotonic()))
    try:
        await asyncio.sleep(1.5)  # past the second a probe is ridden over: it waits on, for the command
        released = time.monotonic()
        let_go.set()
        await asyncio.wait_for(starting, PATIENCE)  # it owns the home as soon as the command gives it back
        assert started[0] >= released
        assert current_owner(home) == {"pid": os.getpid(), "kind": "serve"}
    finally:
        let_go.set()
        releaser.join()
        await owner.stop()


async def test_a_one_shot_sync_beside_the_owner_is_run_by_it(tmp_path: Path) -> None:
    carol = Workspace.create(tmp_path / "carol", "Carol")
    carol.add_item(offer("Soup for the road"))
    carol_node = Node(carol, NodeConfig(port=0, listen="127.0.0.1", mdns=False, write_state=False))
    owned, _ = twins(tmp_path, "Alice")
    owner = start_owner(owned)
    await carol_node.start()
    await owner.start()
    try:
        events: list[Event] = []
        watcher = await AsyncApiClient.connect(owned, events.append, lambda: None)
        await watcher.call("subscribe")
        assert carol_node.listen_address is not None
        address = f"127.0.0.1:{carol_node.listen_address[1]}"
        run = await asyncio.to_thread(run_cli, owned, "sync", address, "--json", "--timeout", "20")
        assert run.code == 0, run.err
        assert json.loads(run.out)["documents_changed"] == [carol.peer_id]
        # The owner's session stored it, in its own documents, and announced it as its write.
        assert titles(owner.ws, carol.peer_id) == {"Soup for the road"}
        await wait_for(lambda: any(e.kind == "documents" for e in events), "no documents event")
        assert [e.data for e in events if e.kind == "documents"] == [
            {"doc_ids": [carol.peer_id], "origin": "api"}
        ]
        # A peer nobody answers for: one line, as without an owner.
        refused = await asyncio.to_thread(run_cli, owned, "sync", "127.0.0.1:1", "--timeout", "5")
        assert refused.code == 1 and refused.err.startswith("reliance: error: ")
        assert refused.err.count("\n") == 1 and "127.0.0.1:1" in refused.err
        await watcher.close()
    finally:
        await owner.stop()
        await carol_node.stop()


async def test_a_dividend_recorded_beside_the_owner_is_written_by_it(tmp_path: Path) -> None:
    owned, alone = twins(tmp_path, "Alice")
    for home in (owned, alone):
        ws = Workspace.open(home)
        pid = projects.create_project(ws, "bakery")
        projects.contribute(ws, pid, "time", 90, "min", note="kneading")
        projects.record_entry(ws, pid, kind="revenue", amount=10_000, unit="EUR", note="bread")
    owner = start_owner(owned)
    await owner.start()
    try:
        events: list[Event] = []
        watcher = await AsyncApiClient.connect(owned, events.append, lambda: None)
        await watcher.call("subscribe")
        run = await asyncio.to_thread(run_cli, owned, "project", "dividend", "bakery", "--record", "--json")
        assert run.code == 0, run.err
        recorded = json.loads(run.out)
        assert recorded["id"] and recorded["pool"] == 10_000
        await wait_for(lambda: any(e.kind == "documents" for e in events), "no documents event")
        assert [e.data["origin"] for e in events if e.kind == "documents"] == ["api"]
        assert projects.summary(owner.ws, projects.resolve_project(owner.ws, "bakery")).name == "bakery"
        await watcher.close()
    finally:
        await owner.stop()
    again = await asyncio.to_thread(run_cli, alone, "project", "dividend", "bakery", "--record", "--json")
    assert again.code == 0, again.err
    mine, theirs = json.loads(run.out), json.loads(again.out)
    assert {**mine, "id": ""} == {**theirs, "id": ""}


async def test_the_apps_bundle_import_goes_through_the_owner_it_is_or_talks_to(tmp_path: Path) -> None:
    from reliance.localapi.remote import RemoteNode
    from reliance.tui.node import OperationRunner

    alice, stick = alice_stick(tmp_path)
    owned, _ = twins(tmp_path, "Bob")
    owner = start_owner(owned)
    told: list[NodeEvent] = []
    owner.subscribe(told.append)
    await owner.start()
    beside = RemoteNode(owned)  # the app beside `serve`
    try:
        await beside.start()
        assert isinstance(beside, OperationRunner) and isinstance(owner, OperationRunner)
        heard: list[NodeEvent] = []
        beside.subscribe(heard.append)
        result = await beside.run_operation("bundle.import", {"path": str(stick), "cwd": "/"})
        assert result["applied"] == 3 and result["rows"][0]["doc"] == alice.peer_id
        assert titles(owner.ws, alice.peer_id) == {"Ladder", "Seeds"}  # the owner wrote it
        await wait_for(lambda: heard, "the app beside was not told")
        assert [(e.kind, e.doc_id) for e in heard] == [(ev.LOCAL_CHANGE, alice.peer_id)]
        # The app that owns the home runs it the same way, on its node's worker, announced once.
        again = await owner.run_operation("bundle.import", {"path": str(stick), "cwd": "/"})
        assert again["applied"] == 0 and again["rows"][0]["already_had"] == 3
    finally:
        await beside.stop()
        await owner.stop()
    assert [e.doc_id for e in told if e.kind == ev.LOCAL_CHANGE] == [alice.peer_id]


async def test_a_writing_command_waits_for_another_that_holds_the_home(tmp_path: Path) -> None:
    alice, stick = alice_stick(tmp_path)
    home, _ = twins(tmp_path, "Bob")
    held = OwnerLock(home)
    assert held.acquire("cli")  # another command, importing
    waiting = asyncio.ensure_future(asyncio.to_thread(run_cli, home, "bundle", "import", str(stick)))
    await asyncio.sleep(1.5)  # past the second a probe is ridden over: the command waits on
    released = time.time()
    held.release()
    done = await asyncio.wait_for(waiting, PATIENCE)
    assert done.code == 0, done.err
    # It wrote only once the other gave the home back.
    assert (home / "docs" / alice.peer_id / "log").stat().st_mtime >= released - 0.01
    assert titles(Workspace.open(home), alice.peer_id) == {"Ladder", "Seeds"}
