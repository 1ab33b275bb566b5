"""What arrived while the app was closed, derived from the documents (real homes, real sync between them)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from reliance.app import projects
from reliance.app.arrivals import ARRIVALS_FILE, ArrivalBook, load_state
from reliance.app.workspace import Workspace
from reliance.limits import DEFAULT_LIMITS
from reliance.model.catalogue import Item, ItemKind
from tests.tui.world import pump


def draft(kind: ItemKind, title: str) -> Item:
    return Item(id="", kind=kind, title=title, author="")


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Workspace, Workspace]:
    return Workspace.create(tmp_path / "alice", "Alice"), Workspace.create(tmp_path / "bob", "Bob")


def book(ws: Workspace) -> ArrivalBook:
    return ArrivalBook(ws.home, ws.peer_id, ws.repo.limits)


def kinds(arrivals: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return sorted((a.kind, a.params.get("title", a.params.get("project", ""))) for a in arrivals)


def test_the_first_look_takes_what_is_there_as_seen(pair: tuple[Workspace, Workspace]) -> None:
    alice, bob = pair
    bob.add_item(draft(ItemKind.OFFER, "Vélo"))
    pump(alice.repo, bob.repo)
    assert book(alice).catch_up(alice.repo) == []
    path = alice.home / ARRIVALS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert book(alice).catch_up(alice.repo) == []  # nothing new since


def test_what_came_while_closed_is_found_in_the_documents(pair: tuple[Workspace, Workspace]) -> None:
    alice, bob = pair
    mine = alice.add_item(draft(ItemKind.NEED, "Bras pour le montage"))
    pump(alice.repo, bob.repo)
    book(alice).catch_up(alice.repo)  # the app was open once, then closed
    # Meanwhile (no app, no live event): Bob publishes, answers Alice's need, changes an older offer.
    bob.add_item(draft(ItemKind.OFFER, "Pain au levain"))
    bob.answer(mine.id, "can_help", "Samedi matin", "Entrée nord")
    pump(alice.repo, bob.repo)
    arrived = book(alice).catch_up(alice.repo)
    assert kinds(arrived) == [("answer", "Bras pour le montage"), ("item_new", "Pain au levain")]
    answer = next(a for a in arrived if a.kind == "answer")
    assert answer.to_me and answer.params["message"] == "Samedi matin" and answer.item_id == mine.id
    assert not answer.read
    # Kept, unread, for the next time; looking again finds nothing more.
    assert book(alice).catch_up(alice.repo) == []
    state = load_state(alice.home)
    assert state is not None and state.unread == 2
    # Alice's own writes never arrive to her.
    alice.reply(bob.answers_to(mine.id)[0].id, "Merci !")
    assert book(alice).catch_up(alice.repo) == []


def test_a_reply_to_my_answer_arrives(pair: tuple[Workspace, Workspace]) -> None:
    alice, bob = pair
    need = alice.add_item(draft(ItemKind.NEED, "Tables"))
    pump(alice.repo, bob.repo)
    answer = bob.answer(need.id, "can_help", "J'en ai deux")
    pump(alice.repo, bob.repo)
    book(bob).catch_up(bob.repo)
    alice.reply(answer.id, "Parfait, à 9h", "Grange")
    pump(alice.repo, bob.repo)
    [reply] = book(bob).catch_up(bob.repo)
    assert reply.kind == "reply" and reply.to_me and reply.params["message"] == "Parfait, à 9h"


def test_being_added_to_a_project_and_its_ledger_arrive(pair: tuple[Workspace, Workspace]) -> None:
    alice, bob = pair
    pump(alice.repo, bob.repo)
    book(bob).catch_up(bob.repo)
    project = projects.create_project(alice, "Buvette")
    projects.add_member(alice, project, bob.peer_id)
    pump(alice.repo, bob.repo)
    [added] = book(bob).catch_up(bob.repo)
    assert (added.kind, added.params["project"], added.params["name"]) == ("project_new", "Buvette", "Alice")
    projects.record_entry(alice, project, kind="revenue", amount=25_000, unit="EUR")
    projects.record_entry(bob, project, kind="expense", amount=1_000, unit="EUR")  # his own: not arrived
    pump(alice.repo, bob.repo)
    [entry] = book(bob).catch_up(bob.repo)
    assert (
        entry.kind == "ledger" and entry.params["project"] == "Buvette" and entry.params["entry"] == "revenue"
    )


def test_amendments_of_a_followed_code_arrive(pair: tuple[Workspace, Workspace]) -> None:
    alice, bob = pair
    pump(alice.repo, bob.repo)
    (alice.home / "ui.json").write_text(json.dumps({"follow": [bob.peer_id]}), "utf-8")
    book(alice).catch_up(alice.repo)
    bob.set_code("valeurs", "Partager")
    pump(alice.repo, bob.repo)
    [amend] = book(alice).catch_up(alice.repo)
    assert amend.kind == "amend" and amend.params["section"] == "valeurs" and amend.params["by"] == "Bob"


def test_marking_read_and_the_bounds(pair: tuple[Workspace, Workspace]) -> None:
    alice, bob = pair
    limits = DEFAULT_LIMITS.replace(arrivals_kept=3)
    alices = ArrivalBook(alice.home, alice.peer_id, limits)
    pump(alice.repo, bob.repo)
    alices.catch_up(alice.repo)
    for n in range(5):
        bob.add_item(draft(ItemKind.OFFER, f"Offre {n}"))
    pump(alice.repo, bob.repo)
    arrived = alices.catch_up(alice.repo)
    assert len(arrived) == 3 and all(a.params["title"].startswith("Offre ") for a in arrived)  # bounded
    state = load_state(alice.home, limits)
    assert state is not None and len(state.entries) == 3
    assert alices.mark_read([arrived[0].key]) == 2
    assert alices.mark_read() == 0
    assert all(e.read for e in alices.state().entries)


def test_a_damaged_or_oversized_file_is_looked_at_afresh(pair: tuple[Workspace, Workspace]) -> None:
    alice, _ = pair
    path = alice.home / ARRIVALS_FILE
    for content in (b"{not json", b'{"format": 1, "docs": {"x": 1}, "entries": [{"kind": "boom"}]}'):
        path.write_bytes(content)
        os.chmod(path, 0o600)
        assert book(alice).catch_up(alice.repo) == []
    small = DEFAULT_LIMITS.replace(arrivals_file_bytes=10)
    assert load_state(alice.home, small) is None  # past the bound: never parsed
    state = load_state(alice.home)
    assert state is not None and state.entries == []
