"""Repetition, capacity and withdrawn answers in a participant document, and documents from before them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reliance.automerge.crdt import ROOT_ID, CrdtDoc, Scalar, Writer
from reliance.doc import participant
from reliance.model.catalogue import Answer, AnswerKind, Frequency, Item, ItemKind, Repeat

ACTOR = bytes(range(32))
OWNER = "rl" + "a" * 56
OTHER = "rl" + "b" * 56


def fresh() -> CrdtDoc:
    doc = CrdtDoc.new(ACTOR)
    doc.change(lambda w: participant.genesis(w, OWNER, "Alice"))
    return doc


def workshop(**fields: object) -> Item:
    base: dict[str, object] = {
        "id": "0123456789abcdef",
        "kind": ItemKind.EVENT,
        "title": "Atelier vélo",
        "author": OWNER,
        "begins": "2026-07-14T10:00",
        "ends": "2026-07-14T12:00",
        "created": "2026-07-01T09:00:00+00:00",
        "updated": "2026-07-01T09:00:00+00:00",
    }
    base.update(fields)
    return Item(**base).validated()  # type: ignore[arg-type]


def test_repetition_and_capacity_are_stored_and_read_back() -> None:
    doc = fresh()
    item = workshop(repeat=Repeat(Frequency.WEEKLY, "2026-08-25"), capacity=12)
    doc.change(lambda w: participant.write_item(w, item, new=True))
    assert participant.read_item(doc, item.id, OWNER) == item
    assert participant.read_items(doc, OWNER) == [item]
    loaded = CrdtDoc.load(doc.save(), ACTOR)
    assert participant.read_item(loaded, item.id, OWNER) == item


def test_removing_them_removes_them() -> None:
    doc = fresh()
    item = workshop(repeat=Repeat(Frequency.DAILY, "2026-07-20"), capacity=5)
    doc.change(lambda w: participant.write_item(w, item, new=True))
    plain = replace(item, repeat=None, capacity=None)
    doc.change(lambda w: participant.write_item(w, plain, new=False))
    assert participant.read_item(doc, item.id, OWNER) == plain
    again = replace(item, repeat=Repeat(Frequency.WEEKLY, "2026-09-01"), capacity=40)
    doc.change(lambda w: participant.write_item(w, again, new=False))
    assert participant.read_item(doc, item.id, OWNER) == again


def test_rewriting_an_unchanged_item_adds_no_new_repetition_object() -> None:
    doc = fresh()
    item = workshop(repeat=Repeat(Frequency.DAILY, "2026-07-20"))
    doc.change(lambda w: participant.write_item(w, item, new=True))
    items = doc.child(ROOT_ID, "items")
    assert items is not None
    obj = doc.child(items, item.id)
    assert obj is not None
    before = doc.child(obj, "repeat")
    doc.change(lambda w: participant.write_item(w, replace(item, title="Atelier vélo !"), new=False))
    assert doc.child(obj, "repeat") == before


def write_old_item(w: Writer) -> None:
    """An item as versions without repetition and capacity wrote it."""
    items = w.child(ROOT_ID, "items")
    assert items is not None
    obj = w.put_map(items, "0123456789abcdef")
    for key, value in {
        "kind": "event",
        "title": "Bal",
        "place": "",
        "begins": "2026-07-14T21:00",
        "ends": "",
        "status": "published",
        "reciprocity": "",
        "project": "",
        "created": "2026-07-01T09:00:00+00:00",
        "updated": "2026-07-01T09:00:00+00:00",
    }.items():
        w.put(obj, key, value)
    w.set_text(obj, "description", "")
    w.put_list(obj, "tags", [])


def test_a_document_from_before_reads_as_before() -> None:
    doc = fresh()
    doc.change(write_old_item)
    (item,) = participant.read_items(doc, OWNER)
    assert item.title == "Bal" and item.repeat is None and item.capacity is None


def hostile(key: str, write: object) -> CrdtDoc:
    doc = fresh()
    doc.change(write_old_item)

    def edit(w: Writer) -> None:
        items = w.child(ROOT_ID, "items")
        assert items is not None
        obj = w.child(items, "0123456789abcdef")
        assert obj is not None
        if isinstance(write, dict):
            inner = w.put_map(obj, key)
            for name, value in write.items():
                w.put(inner, name, value)
        elif isinstance(write, list):
            w.put_list(obj, key, write)
        else:
            value: Scalar = write  # type: ignore[assignment]
            w.put(obj, key, value)

    doc.change(edit)
    return doc


@pytest.mark.parametrize(
    "value",
    [
        "weekly",
        ["weekly", "2026-08-01"],
        {"freq": "monthly", "until": "2026-08-01"},
        {"freq": "weekly", "until": "bientôt"},
        {"freq": "weekly", "until": "2026-07-01"},  # before the item begins
        {"freq": "weekly"},
        {"freq": 7, "until": "2026-08-01"},
        {"freq": "weekly", "until": 20260801},
    ],
)
def test_a_repetition_that_cannot_be_reads_as_none_and_the_item_still_shows(value: object) -> None:
    (item,) = participant.read_items(hostile("repeat", value), OWNER)
    assert item.title == "Bal" and item.repeat is None


@pytest.mark.parametrize("value", ["12", -5, 0, True, 10**12, 2.5, ["12"]])
def test_a_capacity_that_cannot_be_reads_as_none(value: object) -> None:
    (item,) = participant.read_items(hostile("capacity", value), OWNER)
    assert item.title == "Bal" and item.capacity is None


def answer(**fields: object) -> Answer:
    base: dict[str, object] = {
        "id": "a1",
        "item_id": "0123456789abcdef",
        "item_author": OTHER,
        "kind": AnswerKind.COMING,
        "message": "avec ma fille",
        "author": OWNER,
        "created": "2026-07-02T10:00:00+00:00",
    }
    base.update(fields)
    return Answer(**base)  # type: ignore[arg-type]


def test_answers_are_updated_and_withdrawn_in_place() -> None:
    doc = fresh()
    doc.change(lambda w: participant.write_answer(w, answer()))
    assert participant.read_answers(doc, OWNER) == [answer()]
    doc.change(lambda w: participant.update_answer(w, "a1", "seule finalement"))
    assert participant.read_answers(doc, OWNER) == [answer(message="seule finalement")]
    doc.change(lambda w: participant.withdraw_answer(w, "a1", "2026-07-03T08:00:00+00:00"))
    assert participant.read_answers(doc, OWNER) == [
        answer(message="seule finalement", withdrawn="2026-07-03T08:00:00+00:00")
    ]
    written_withdrawn = answer(id="a2", kind=AnswerKind.CAN_HELP, withdrawn="2026-07-03T09:00:00+00:00")
    doc.change(lambda w: participant.write_answer(w, written_withdrawn))
    assert written_withdrawn in participant.read_answers(doc, OWNER)


def test_changing_an_answer_that_is_not_there_is_an_error() -> None:
    doc = fresh()
    with pytest.raises(Exception, match="no answer"):
        doc.change(lambda w: participant.withdraw_answer(w, "nope", "2026-07-03T08:00:00+00:00"))
    with pytest.raises(Exception, match="no answer"):
        doc.change(lambda w: participant.update_answer(w, "nope", "x"))
    assert participant.read_answers(doc, OWNER) == []
