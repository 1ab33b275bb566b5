"""One write path per document: a local edit and a peer's batch for the same document never overwrite
each other, whatever the interleaving of the app's store thread and the node's sync worker.

The app hands its workspace to the node, so both write the same in-memory documents. A peer's batch
for a project is checked on a fork of the document (authorisation applies it there) and the fork then
becomes the document: a local change written in between must not vanish from memory (it is on disk),
or the next local change reuses its sequence number and the document no longer opens.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.automerge.crdt import CrdtDoc
from reliance.replication import auth
from reliance.replication.protocol import ChangesReceived
from reliance.store.repository import SignedChange, StoredDoc
from tests.sync.memnet import MemNet, Node, pair, sync_once


def _project_of_two(tmp_path: Path) -> tuple[MemNet, Node, Node, str]:
    net, alice, bob = pair(tmp_path, on_disk=True)
    pid = projects.create_project(alice.ws, "four")
    projects.add_member(alice.ws, pid, bob.peer_id)
    sync_once(alice, bob, net)
    return net, alice, bob, pid


@pytest.fixture
def between_fork_and_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Callable[[], None]]]:
    """Steps run once, each right after the next project batch is authorised on its fork and before it
    is stored (the window of the node's sync worker)."""
    steps: list[Callable[[], None]] = []
    authorise = auth.authorize_project

    def authorise_then_step(stored: StoredDoc, plan: Any, *args: Any) -> CrdtDoc:
        fork = authorise(stored, plan, *args)
        if steps:
            steps.pop(0)()
        return fork

    monkeypatch.setattr(auth, "authorize_project", authorise_then_step)
    yield steps
    assert not steps, "the batch was never checked"


def _reopened(ws: Workspace, doc_id: str) -> StoredDoc:
    return Workspace.open(ws.home).repo.open(doc_id)


def test_a_local_edit_between_a_batchs_check_and_its_store_is_kept(
    tmp_path: Path, between_fork_and_store: list[Callable[[], None]]
) -> None:
    net, alice, bob, pid = _project_of_two(tmp_path)
    projects.contribute(bob.ws, pid, "time", 30, "min", note="from Bob")
    written: list[str] = []
    between_fork_and_store.append(
        lambda: written.append(projects.contribute(alice.ws, pid, "time", 10, "min", note="during"))
    )
    link = net.connect(alice, bob)
    net.pump()
    assert not link.refusals()
    assert any(isinstance(e, ChangesReceived) and e.doc_id == pid for e in link.events_a)
    assert written
    projects.contribute(alice.ws, pid, "time", 5, "min", note="after")  # the next local change
    doc = alice.doc(pid)
    notes = sorted(entry["note"] for entry in projects.ledger(alice.ws, pid))
    assert notes == ["after", "during", "from Bob"]
    assert set(doc.known) == {c.hash for c in doc.crdt.changes_since([])}
    reopened = _reopened(alice.ws, pid)
    assert reopened.heads() == doc.heads()
    assert sorted(entry["note"] for entry in projects.ledger(Workspace.open(alice.ws.home), pid)) == notes


def test_a_local_edit_from_another_thread_during_a_batchs_check_is_kept(
    tmp_path: Path, between_fork_and_store: list[Callable[[], None]]
) -> None:
    """The app's store thread writes while the node's worker holds a checked batch: both land."""
    net, alice, bob, pid = _project_of_two(tmp_path)
    projects.contribute(bob.ws, pid, "time", 30, "min", note="from Bob")
    started = threading.Event()
    failures: list[BaseException] = []

    def local_write() -> None:
        started.set()
        try:
            projects.contribute(alice.ws, pid, "time", 10, "min", note="from the app")
        except BaseException as exc:  # reported by the test thread
            failures.append(exc)

    app_thread = threading.Thread(target=local_write)

    def start_the_app_write() -> None:
        app_thread.start()
        assert started.wait(10)

    between_fork_and_store.append(start_the_app_write)
    link = net.connect(alice, bob)
    net.pump()
    app_thread.join(30)
    assert not app_thread.is_alive() and not failures, failures
    assert not link.refusals()
    projects.contribute(alice.ws, pid, "time", 5, "min", note="after")
    notes = sorted(entry["note"] for entry in projects.ledger(alice.ws, pid))
    assert notes == ["after", "from Bob", "from the app"]
    assert _reopened(alice.ws, pid).heads() == alice.doc(pid).heads()


def test_plan_leaves_the_buffer_alone(tmp_path: Path) -> None:
    """`plan` answers a question: it never changes the buffer another thread may be reading."""
    _net, alice, bob, pid = _project_of_two(tmp_path)
    for note in ("one", "two"):
        projects.contribute(bob.ws, pid, "time", 1, "min", note=note)
    later = bob.doc(pid).signed_changes(alice.heads(pid))
    doc = alice.doc(pid)
    seen: list[dict[bytes, SignedChange]] = []
    original = doc.pending

    class Watched(dict[bytes, SignedChange]):
        def __setitem__(self, key: bytes, value: SignedChange) -> None:
            seen.append(dict(self))
            super().__setitem__(key, value)

        def setdefault(self, key: bytes, value: SignedChange) -> SignedChange:  # type: ignore[override]
            seen.append(dict(self))
            return super().setdefault(key, value)

    doc.pending = Watched(original)
    assert [c.info.hash for c in doc.plan(later)] == [c.info.hash for c in later]
    assert doc.plan(later[1:]) == []
    assert not seen and doc.pending == original


def test_a_reader_does_not_wait_for_a_batch_being_checked(tmp_path: Path) -> None:
    """The app's store thread refreshes what it shows while the node's worker holds the document for a
    batch: it goes on with what is in memory, and the worker catches up with other processes itself."""
    _net, alice, _bob, pid = _project_of_two(tmp_path)
    doc = alice.doc(pid)
    held, release = threading.Event(), threading.Event()

    def worker() -> None:
        with alice.ws.repo.writing(pid):
            held.set()
            release.wait(30)

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert held.wait(30)
        refreshed: list[list[bytes]] = []
        reader = threading.Thread(target=lambda: refreshed.append(doc.refresh()))
        reader.start()
        reader.join(30)
        assert refreshed == [[]]
    finally:
        release.set()
        thread.join(30)
    assert doc.refresh() == []
