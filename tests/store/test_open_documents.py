"""Documents are opened on demand and kept in memory up to `Limits.max_open_documents` (least recently
used first out), never one in the middle of a write; what listens to a document keeps hearing it."""

from __future__ import annotations

import threading
from pathlib import Path

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.automerge.crdt import ROOT_ID
from reliance.limits import DEFAULT_LIMITS
from reliance.store.repository import Repository, StoredDoc

MOST = 3


def home_with_projects(tmp_path: Path, count: int) -> tuple[Workspace, list[str]]:
    ws = Workspace.create(tmp_path / "home", "Camille")
    made = [projects.create_project(ws, f"Project {i}", visibility="public") for i in range(count)]
    return ws, [ws.peer_id, *made]


def small_repo(ws: Workspace) -> Repository:
    return Repository(ws.home, ws.identity.public_key, limits=DEFAULT_LIMITS.replace(max_open_documents=MOST))


def test_documents_held_in_memory_stay_within_the_limit(tmp_path: Path) -> None:
    ws, doc_ids = home_with_projects(tmp_path, 6)
    expected = {doc_id: ws.repo.open(doc_id).heads() for doc_id in doc_ids}
    repo = small_repo(ws)
    for _ in range(2):
        for doc_id in doc_ids:
            assert repo.open(doc_id).heads() == expected[doc_id]  # read back whole after an eviction
            assert len(repo.loaded()) <= MOST
    assert {s.doc_id for s in repo.loaded()} == set(doc_ids[-MOST:])  # the most recently used stay


def test_a_document_in_the_middle_of_a_write_is_never_evicted(tmp_path: Path) -> None:
    ws, doc_ids = home_with_projects(tmp_path, 6)
    repo = small_repo(ws)
    writing = repo.open(doc_ids[0])
    with writing.writing():  # a write under way in this process
        for doc_id in doc_ids[1:]:
            repo.open(doc_id)
        assert repo.open(doc_ids[0]) is writing
    for doc_id in doc_ids[1:]:
        repo.open(doc_id)
    assert writing not in repo.loaded()  # once written, it may go


def test_listeners_keep_hearing_a_document_that_was_evicted_and_opened_again(tmp_path: Path) -> None:
    ws, doc_ids = home_with_projects(tmp_path, 6)
    repo = small_repo(ws)
    heard: list[str] = []

    def listener(stored: StoredDoc, hashes: list[bytes]) -> None:
        heard.append(stored.doc_id)

    repo.open(doc_ids[1]).subscribe(listener)
    for doc_id in doc_ids[2:]:
        repo.open(doc_id)  # doc_ids[1] is evicted
    assert doc_ids[1] not in {s.doc_id for s in repo.loaded()}
    reopened = repo.open(doc_ids[1])
    reopened.local_change(ws.identity.sign, lambda w: w.put(ROOT_ID, "note", "hello"))
    assert heard == [doc_ids[1]]


def test_refresh_reports_what_another_process_wrote_and_nothing_else(tmp_path: Path) -> None:
    ws, doc_ids = home_with_projects(tmp_path, 6)
    repo = small_repo(ws)
    assert set(repo.refresh_all()) == set(doc_ids)  # never opened here: new to it
    assert len(repo.loaded()) <= MOST
    assert repo.refresh_all() == {}  # evicted and unchanged: nothing to tell, nothing reopened
    assert len(repo.loaded()) <= MOST

    evicted = next(d for d in doc_ids if d not in {s.doc_id for s in repo.loaded()})
    other = Workspace.open(ws.home)  # another process, as far as `repo` knows
    info = other.repo.open(evicted).local_change(ws.identity.sign, lambda w: w.put(ROOT_ID, "note", "x"))
    assert info is not None
    changed = repo.refresh_all()
    assert set(changed) == {evicted}
    assert info.hash in repo.open(evicted).known


def test_threads_opening_documents_at_once_stay_within_the_limit(tmp_path: Path) -> None:
    ws, doc_ids = home_with_projects(tmp_path, 6)
    repo = small_repo(ws)
    failures: list[BaseException] = []

    def read_all() -> None:
        try:
            for _ in range(5):
                for doc_id in doc_ids:
                    repo.open(doc_id).heads()
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=read_all) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(repo.loaded()) <= MOST
