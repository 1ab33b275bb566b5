"""The fields a festival needs on items and answers: repetition, capacity, `coming`, withdrawal."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reliance.i18n import answer_label
from reliance.model.catalogue import (
    MAX_CAPACITY,
    Answer,
    AnswerKind,
    Frequency,
    Item,
    ItemKind,
    Repeat,
    parse_answer_kind,
)
from reliance.model.messages import InputError

PEER = "rl" + "a" * 56


def event(**fields: object) -> Item:
    base: dict[str, object] = {
        "id": "0123456789abcdef",
        "kind": ItemKind.EVENT,
        "title": "Atelier vélo",
        "author": PEER,
        "begins": "2026-07-14T10:00",
    }
    base.update(fields)
    return Item(**base)  # type: ignore[arg-type]


def refused(item: Item) -> InputError:
    with pytest.raises(InputError) as caught:
        item.validated()
    return caught.value


def test_a_repetition_is_normalised() -> None:
    item = event(repeat=Repeat(" Weekly ", "2026-08-31")).validated()  # type: ignore[arg-type]
    assert item.repeat == Repeat(Frequency.WEEKLY, "2026-08-31")
    assert item.validated() == item
    assert item.to_json()["repeat"] == {"freq": "weekly", "until": "2026-08-31"}
    same_day = event(begins="2026-07-14T10:00+02:00", repeat=Repeat(Frequency.DAILY, "2026-07-14"))
    assert same_day.validated().repeat == Repeat(Frequency.DAILY, "2026-07-14")


def test_a_repetition_that_cannot_be_is_refused_with_its_field() -> None:
    unknown = refused(event(repeat=Repeat("monthly", "2026-08-31")))  # type: ignore[arg-type]
    assert (unknown.key, unknown.field, unknown.params["value"]) == ("repeat.error.freq", "repeat", "monthly")
    for until in ("31/08/2026", "2026-08-31T10:00", "", "2026-02-30"):
        error = refused(event(repeat=Repeat(Frequency.DAILY, until)))
        assert error.key == "repeat.error.until", until
    before = refused(event(repeat=Repeat(Frequency.DAILY, "2026-07-13")))
    assert before.key == "repeat.error.until_before"
    assert "2026-07-13" in before.text("fr") and "2026-07-14" in before.text("en")
    alone = refused(event(begins="", repeat=Repeat(Frequency.DAILY, "2026-07-20")))
    assert alone.key == "repeat.error.needs_begins" and alone.field == "repeat"


@pytest.mark.parametrize("capacity", [1, 12, MAX_CAPACITY])
def test_a_capacity(capacity: int) -> None:
    item = event(capacity=capacity).validated()
    assert item.capacity == capacity and item.to_json()["capacity"] == capacity


@pytest.mark.parametrize("capacity", [0, -1, MAX_CAPACITY + 1, True, 2.0, "12"])
def test_a_capacity_that_is_not_a_number_of_places(capacity: object) -> None:
    error = refused(event(capacity=capacity))
    assert error.key == "capacity.error" and error.field == "capacity"
    assert str(MAX_CAPACITY) in error.text("fr")


def test_items_without_the_new_fields_are_as_before() -> None:
    item = event().validated()
    assert item.repeat is None and item.capacity is None
    assert (
        replace(item, capacity=3) != item
        and replace(item, repeat=Repeat(Frequency.DAILY, "2026-07-15")) != item
    )


def test_coming_is_an_answer_kind_with_labels() -> None:
    assert parse_answer_kind("Coming") is AnswerKind.COMING
    assert answer_label("coming", "fr") == "Je viens" and answer_label("coming", "en") == "I'm coming"


def test_a_withdrawn_answer_says_when() -> None:
    answer = Answer("a1", "i1", PEER, AnswerKind.COMING, "", PEER, "2026-07-01T10:00:00+00:00")
    assert answer.withdrawn == "" and answer.to_json()["withdrawn"] is None
    gone = replace(answer, withdrawn="2026-07-02T10:00:00+00:00")
    assert gone.to_json()["withdrawn"] == "2026-07-02T10:00:00+00:00"
