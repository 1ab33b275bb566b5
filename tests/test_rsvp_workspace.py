"""Answers, conversations and withdrawn items through the library (real homes on disk, real sync between
them): the rules every face relies on, cheap enough for every run."""

from __future__ import annotations

from pathlib import Path

import pytest

from reliance.app.workspace import Workspace
from reliance.automerge.crdt import ROOT_ID
from reliance.doc import participant
from reliance.limits import DEFAULT_LIMITS
from reliance.model.catalogue import Answer, AnswerKind, Item, ItemKind, Reply
from reliance.model.messages import InputError
from reliance.model.rsvp import thread
from tests.tui.world import pump


def draft(kind: ItemKind, title: str, **fields: object) -> Item:
    return Item(id="", kind=kind, title=title, author="", **fields)  # type: ignore[arg-type]


@pytest.fixture
def trio(tmp_path: Path) -> tuple[Workspace, Workspace, Workspace]:
    return (
        Workspace.create(tmp_path / "alice", "Alice"),
        Workspace.create(tmp_path / "bob", "Bob"),
        Workspace.create(tmp_path / "carol", "Carol"),
    )


def stored_answers(ws: Workspace) -> list[Answer]:
    return participant.read_answers(ws.my_doc().crdt, ws.peer_id)


def test_answering_again_updates_the_one_answer_and_keeps_its_contact(
    trio: tuple[Workspace, Workspace, Workspace],
) -> None:
    alice, bob, _ = trio
    need = alice.add_item(draft(ItemKind.NEED, "Bras"))
    pump(alice.repo, bob.repo)
    first = bob.answer(need.id, "can_help", "samedi", "06 12")
    second = bob.answer(need.id, "can_help", "samedi et dimanche")
    assert second.id == first.id and second.contact == "06 12"
    [stored] = stored_answers(bob)
    assert stored.message == "samedi et dimanche" and stored.contact == "06 12"
    bob.answer(need.id, "can_help", "dimanche", "")  # an empty contact given: it is removed
    assert stored_answers(bob)[0].contact == ""
    [gone] = bob.withdraw_answer(need.id)
    assert gone.id == first.id and gone.withdrawn
    assert bob.find_item(need.id).answers == ()  # type: ignore[union-attr]
    again = bob.answer(need.id, "can_help", "finalement oui")
    assert again.id != first.id  # a new answer, at the back of the queue


def test_only_the_two_voices_of_a_conversation_are_heard(
    trio: tuple[Workspace, Workspace, Workspace],
) -> None:
    alice, bob, carol = trio
    offer = alice.add_item(draft(ItemKind.OFFER, "Vélo"))
    pump(alice.repo, bob.repo)
    answer = bob.answer(offer.id, "interested", "pour samedi ?")
    pump(bob.repo, alice.repo)
    pump(alice.repo, carol.repo)
    alice.reply(answer.id, "oui", "garage, 9h")
    with pytest.raises(InputError) as refused:
        carol.reply(answer.id, "moi aussi")
    assert refused.value.key == "rsvp.reply_not_allowed"
    # Carol writes one anyway, by hand, in her own document: nobody shows it.
    forged = Reply(
        "f" * 16, answer.id, bob.peer_id, offer.id, alice.peer_id, "je m'invite", carol.peer_id, "x"
    )
    carol._write(carol.my_doc(), lambda w: participant.write_reply(w, forged))
    pump(alice.repo, carol.repo)
    pump(carol.repo, bob.repo)
    pump(alice.repo, bob.repo)
    for ws in (alice, bob):
        item = ws.find_item(offer.id)
        assert item is not None
        [shown] = item.answers
        assert [(r.message, r.contact) for r in thread(shown, ws.replies_to(item))] == [("oui", "garage, 9h")]


def test_messages_and_conversations_are_bounded(tmp_path: Path) -> None:
    limits = DEFAULT_LIMITS.replace(thread_max_replies=2, answer_message_chars=10, answer_contact_chars=5)
    alice = Workspace.create(tmp_path / "alice", "Alice")
    alice = Workspace(alice.home, alice.identity, limits)
    bob = Workspace.create(tmp_path / "bob", "Bob")
    bob = Workspace(bob.home, bob.identity, limits)
    event = alice.add_item(draft(ItemKind.EVENT, "Bal"))
    pump(alice.repo, bob.repo)
    with pytest.raises(InputError) as too_long:
        bob.answer(event.id, "coming", "x" * 11)
    assert too_long.value.key == "rsvp.too_long" and too_long.value.params["limit"] == 10
    with pytest.raises(InputError):
        bob.answer(event.id, "coming", "ok", "123456")
    answer = bob.answer(event.id, "coming", "ok")
    pump(bob.repo, alice.repo)
    alice.reply(answer.id, "un")
    pump(alice.repo, bob.repo)
    bob.reply(answer.id, "deux")
    pump(bob.repo, alice.repo)
    with pytest.raises(InputError) as full:
        alice.reply(answer.id, "trois")
    assert full.value.key == "rsvp.thread_full"
    # An answer past the limit, written by a version without it, is left out, not shown cut.
    long = Answer(
        "l" * 16, event.id, alice.peer_id, AnswerKind.INTERESTED, "y" * 11, bob.peer_id, "2026-07-01"
    )
    bob._write(bob.my_doc(), lambda w: participant.write_answer(w, long))
    pump(bob.repo, alice.repo)
    assert [a.message for a in alice.answers_to(event.id)] == ["ok"]


def test_a_withdrawn_item_leaves_every_peer_and_says_so(trio: tuple[Workspace, Workspace, Workspace]) -> None:
    alice, bob, _ = trio
    offer = alice.add_item(draft(ItemKind.OFFER, "Perceuse"))
    pump(alice.repo, bob.repo)
    bob.answer(offer.id, "interested")
    with pytest.raises(Exception, match="belongs to someone else"):
        bob.withdraw_item(offer.id)
    alice.withdraw_item(offer.id)
    pump(alice.repo, bob.repo)
    assert bob.find_item(offer.id) is None and bob.withdrawn_by_author(offer.id)
    assert participant.read_withdrawn_items(bob.repo.open(alice.peer_id).crdt).keys() == {offer.id}
    kept = alice.add_item(draft(ItemKind.NEED, "Idée", status="draft"))
    assert alice.withdraw_item(kept.id).id == kept.id and alice.drafts.get(kept.id) is None


def test_a_document_from_before_replies_gets_its_maps_on_first_use(tmp_path: Path) -> None:
    alice = Workspace.create(tmp_path / "alice", "Alice")
    doc = alice.my_doc()
    alice._write(
        doc,
        lambda w: (
            w.delete(ROOT_ID, "replies"),
            w.delete(ROOT_ID, "withdrawn_items"),
        ),
    )
    assert participant.read_replies(doc.crdt, alice.peer_id) == []
    item = alice.add_item(draft(ItemKind.OFFER, "Pain"))
    alice.withdraw_item(item.id)
    assert participant.read_withdrawn_items(alice.my_doc().crdt).keys() == {item.id}
