"""Drafts live in the home, outside every document: nothing that syncs or bundles can read them."""

from __future__ import annotations

import stat
from dataclasses import replace
from pathlib import Path

from reliance.app.workspace import ItemFilter, Workspace
from reliance.doc import participant
from reliance.export import exporters
from reliance.model.catalogue import Frequency, Item, ItemKind, Repeat, Status, new_id, now_iso


def offer(title: str, status: Status) -> Item:
    return Item(id="", kind=ItemKind.OFFER, title=title, author="", status=status)


def in_document(ws: Workspace) -> dict[str, Status]:
    return {i.title: i.status for i in participant.read_items(ws.my_doc().crdt, ws.peer_id)}


def test_drafts_are_kept_beside_the_documents_and_published_on_demand(workspace: Workspace) -> None:
    draft = workspace.add_item(offer("Pas encore", Status.DRAFT))
    published = workspace.add_item(offer("Déjà là", Status.PUBLISHED))
    assert in_document(workspace) == {"Déjà là": Status.PUBLISHED}
    assert {i.id for i in workspace.items()} == {draft.id, published.id}
    assert workspace.items(ItemFilter(statuses=(Status.DRAFT,))) == [draft]
    found = workspace.find_item(draft.id)
    assert found is not None and found.title == "Pas encore" and found.author == workspace.peer_id
    mode = stat.S_IMODE((workspace.home / "drafts.json").stat().st_mode)
    assert mode == 0o600

    again = Workspace.open(workspace.home)
    assert again.my_item(draft.id) == draft
    edited = again.update_item(draft.id, title="Bientôt")
    assert in_document(again) == {"Déjà là": Status.PUBLISHED}
    assert again.my_item(draft.id) == edited

    out = again.update_item(draft.id, status=Status.PUBLISHED)
    assert in_document(again) == {"Déjà là": Status.PUBLISHED, "Bientôt": Status.PUBLISHED}
    assert out.status is Status.PUBLISHED and again.find_item(draft.id) == replace(out, answers=())
    assert len(again.items()) == 2  # published once, listed once


def test_drafts_written_by_an_earlier_version_leave_the_document_on_open(home: Path) -> None:
    ws = Workspace.create(home, "Alice")
    stamp = now_iso()
    old = Item(
        id=new_id(),
        kind=ItemKind.NEED,
        title="Brouillon d'avant",
        author=ws.peer_id,
        description="écrit dans le document",
        status=Status.DRAFT,
        created=stamp,
        updated=stamp,
    ).validated()
    kept = ws.add_item(offer("Publié avant", Status.PUBLISHED))
    ws.my_doc().local_change(ws.identity.sign, lambda w: participant.write_item(w, old, new=True))
    assert "Brouillon d'avant" in in_document(ws)

    reopened = Workspace.open(home)
    assert in_document(reopened) == {"Publié avant": Status.PUBLISHED}
    assert reopened.my_item(old.id) == old
    assert {i.id for i in reopened.items()} == {old.id, kept.id}
    heads = reopened.my_doc().heads()
    Workspace.open(home)  # a second open has nothing left to move: no new change
    assert Workspace.open(home).my_doc().heads() == heads


def test_a_home_without_drafts_gets_no_drafts_file(workspace: Workspace) -> None:
    workspace.add_item(offer("Visible", Status.PUBLISHED))
    Workspace.open(workspace.home)
    assert not (workspace.home / "drafts.json").exists()


def test_a_draft_keeps_its_repetition_and_capacity(workspace: Workspace) -> None:
    event = Item(
        id="",
        kind=ItemKind.EVENT,
        title="Atelier du jeudi",
        author="",
        begins="2026-07-02T18:00",
        status=Status.DRAFT,
        repeat=Repeat(Frequency.WEEKLY, "2026-09-24"),
        capacity=12,
    )
    draft = workspace.add_item(event)
    again = Workspace.open(workspace.home).my_item(draft.id)
    assert again == draft and again.repeat == Repeat(Frequency.WEEKLY, "2026-09-24") and again.capacity == 12


def test_no_export_carries_a_draft(workspace: Workspace) -> None:
    workspace.add_item(
        Item(
            id="",
            kind=ItemKind.EVENT,
            title="Fête secrète",
            author="",
            begins="2026-07-14",
            status=Status.DRAFT,
        )
    )
    workspace.add_item(
        Item(id="", kind=ItemKind.EVENT, title="Fête publique", author="", begins="2026-07-14")
    )
    for fmt in ("json", "markdown", "jsonld", "ics"):
        text = exporters.export(workspace, fmt)
        assert "Fête publique" in text and "Fête secrète" not in text, fmt
