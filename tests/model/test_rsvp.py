"""Answers: one per person and kind, withdrawal, places left and the waiting list in arrival order."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reliance.model.catalogue import Answer, AnswerKind, Item, ItemKind, Reply
from reliance.model.messages import InputError
from reliance.model.rsvp import (
    arrival_key,
    attendance,
    attendance_text,
    plan_answer,
    plan_withdrawal,
    reply_time,
    standing_answers,
    thread,
)

HOST = "rl" + "h" * 56
ANA, BEN, CLO, DAN = ("rl" + c * 56 for c in "abcd")

BAL = Item(
    id="bal0000000000000",
    kind=ItemKind.EVENT,
    title="Bal folk",
    author=HOST,
    begins="2026-07-14T21:00",
    capacity=2,
    created="2026-07-01T09:00:00+00:00",
)


def answer(author: str, minute: int, kind: AnswerKind = AnswerKind.COMING, **fields: object) -> Answer:
    base: dict[str, object] = {
        "id": f"{author[2]}{minute:02d}{kind.value[:2]}",
        "item_id": BAL.id,
        "item_author": HOST,
        "kind": kind,
        "message": "",
        "author": author,
        "created": f"2026-07-02T10:{minute:02d}:00+00:00",
    }
    base.update(fields)
    return Answer(**base)  # type: ignore[arg-type]


def authors(answers: tuple[Answer, ...]) -> list[str]:
    return [a.author for a in answers]


def test_places_go_in_arrival_order_and_the_rest_wait() -> None:
    seen = attendance(BAL, [answer(CLO, 3), answer(ANA, 1), answer(BEN, 2), answer(DAN, 4)])
    assert authors(seen.coming) == [ANA, BEN] and authors(seen.waiting) == [CLO, DAN]
    assert seen.places_left == 0 and seen.full
    assert seen.position(CLO) == ("waiting", 1) and seen.position(ANA) == ("coming", 1)
    assert seen.position(HOST) is None


def test_a_withdrawal_frees_a_place_for_the_first_who_waits() -> None:
    answers = [answer(ANA, 1), answer(BEN, 2), answer(CLO, 3), answer(DAN, 4)]
    answers[0] = replace(answers[0], withdrawn="2026-07-03T08:00:00+00:00")
    seen = attendance(BAL, answers)
    assert authors(seen.coming) == [BEN, CLO] and authors(seen.waiting) == [DAN]


def test_coming_back_after_withdrawing_is_at_the_back_of_the_queue() -> None:
    answers = [
        answer(ANA, 1, withdrawn="2026-07-02T10:05:00+00:00"),
        answer(BEN, 2),
        answer(CLO, 3),
        answer(ANA, 6),
    ]
    seen = attendance(BAL, answers)
    assert authors(seen.coming) == [BEN, CLO] and authors(seen.waiting) == [ANA]


def test_without_capacity_everyone_comes() -> None:
    seen = attendance(replace(BAL, capacity=None), [answer(ANA, 1), answer(BEN, 2), answer(CLO, 3)])
    assert authors(seen.coming) == [ANA, BEN, CLO] and seen.waiting == ()
    assert seen.places_left is None and not seen.full


def test_only_coming_answers_to_this_item_count() -> None:
    answers = [
        answer(ANA, 1, AnswerKind.INTERESTED),
        answer(BEN, 2, AnswerKind.CAN_HELP),
        answer(CLO, 3, item_id="another-item-0000"),
        answer(DAN, 4, item_author=ANA),  # an answer naming another author for this id
        answer(ANA, 5),
    ]
    seen = attendance(BAL, answers)
    assert authors(seen.coming) == [ANA] and seen.places_left == 1


def test_one_answer_per_person_and_kind_keeps_the_first_place_and_the_last_word() -> None:
    duplicates = [
        answer(ANA, 1, message="on sera deux"),
        answer(ANA, 7, message="finalement seule"),
        answer(ANA, 3, AnswerKind.INTERESTED),
        answer(BEN, 2),
    ]
    standing = standing_answers(duplicates)
    mine = [a for a in standing if a.author == ANA]
    assert len(standing) == 3 and len(mine) == 2
    coming = next(a for a in mine if a.kind is AnswerKind.COMING)
    assert coming.id == "a01co" and coming.message == "finalement seule"
    assert authors(attendance(BAL, duplicates).coming) == [ANA, BEN]


def test_arrival_order_is_the_answers_time_then_the_author() -> None:
    same_minute = [answer(BEN, 1), answer(ANA, 1)]
    assert authors(attendance(BAL, same_minute).coming) == [ANA, BEN]
    # An answer cannot arrive before the item it answers: a clock set in the past gains nothing.
    backdated = answer(DAN, 0, created="2020-01-01T00:00:00+00:00")
    on_time = answer(ANA, 0, created="2026-07-01T09:00:00+00:00")
    assert authors(attendance(BAL, [backdated, on_time]).coming) == [ANA, DAN]
    assert arrival_key(backdated, BAL)[0] == arrival_key(on_time, BAL)[0]
    # A time that cannot be read is the latest.
    garbled = answer(ANA, 0, created="bientôt")
    assert authors(attendance(BAL, [garbled, answer(BEN, 59), answer(CLO, 58)]).coming) == [CLO, BEN]
    # Offsets and Z compare as the instants they are.
    paris = answer(ANA, 0, created="2026-07-02T12:30:00+02:00")  # 10:30 UTC
    assert authors(attendance(BAL, [paris, answer(BEN, 20)]).coming) == [BEN, ANA]


people = st.sampled_from([ANA, BEN, CLO, DAN, "rl" + "e" * 56, "rl" + "f" * 56])
answers_strategy = st.lists(
    st.builds(
        lambda author, minute, kind, withdrawn: answer(
            author, minute, kind, withdrawn="2026-07-03T00:00:00+00:00" if withdrawn else ""
        ),
        people,
        st.integers(0, 59),
        st.sampled_from(list(AnswerKind)),
        st.booleans(),
    ),
    max_size=16,
)


@settings(max_examples=300)
@given(answers_strategy, st.integers(1, 4), st.randoms(use_true_random=False))
def test_every_peer_sees_the_same_list_whatever_order_answers_arrived(
    answers: list[Answer], capacity: int, rng: random.Random
) -> None:
    item = replace(BAL, capacity=capacity)
    shuffled = list(answers)
    rng.shuffle(shuffled)
    seen, again = attendance(item, answers), attendance(item, shuffled)
    assert seen == again
    everyone = seen.coming + seen.waiting
    assert len(seen.coming) <= capacity and (not seen.waiting or len(seen.coming) == capacity)
    assert len({a.author for a in everyone}) == len(everyone)
    assert all(a.kind is AnswerKind.COMING and not a.withdrawn for a in everyone)
    assert list(everyone) == sorted(everyone, key=lambda a: arrival_key(a, item))
    standing_people = {a.author for a in answers if a.kind is AnswerKind.COMING and not a.withdrawn}
    assert {a.author for a in everyone} == standing_people


# -- writing: what an answer or a withdrawal does in my document ----------------------------------------


def test_answering_twice_updates_the_first_answer() -> None:
    assert plan_answer(BAL, AnswerKind.INTERESTED, ANA, []) is None  # a new answer
    mine = answer(ANA, 1, AnswerKind.INTERESTED)
    assert plan_answer(BAL, AnswerKind.INTERESTED, ANA, [mine]) == mine.id
    assert plan_answer(BAL, AnswerKind.CAN_HELP, ANA, [mine]) is None  # another kind: another answer
    gone = replace(mine, withdrawn="2026-07-03T00:00:00+00:00")
    assert plan_answer(BAL, AnswerKind.INTERESTED, ANA, [gone]) is None


def test_coming_to_a_full_event_is_refused_on_the_answering_side() -> None:
    full = [answer(BEN, 1), answer(CLO, 2)]
    with pytest.raises(InputError) as caught:
        plan_answer(BAL, AnswerKind.COMING, ANA, full)
    error = caught.value
    assert error.key == "rsvp.full" and error.params == {"title": "Bal folk", "capacity": 2}
    assert "Bal folk" in error.text("fr") and "Complet" in error.text("fr") and "Full" in str(error)
    assert plan_answer(BAL, AnswerKind.INTERESTED, ANA, full) is None  # interest is always welcome
    assert plan_answer(BAL, AnswerKind.COMING, BEN, full) == "b01co"  # already in: a new message is fine
    waiting = [*full, answer(ANA, 3)]  # came in concurrently, past the capacity
    assert plan_answer(BAL, AnswerKind.COMING, ANA, waiting) == "a03co"


def test_withdrawing_marks_every_standing_answer_of_that_kind() -> None:
    old_duplicates = [answer(ANA, 1), answer(ANA, 2), answer(ANA, 3, AnswerKind.INTERESTED), answer(BEN, 4)]
    assert plan_withdrawal(BAL, AnswerKind.COMING, ANA, old_duplicates) == ["a01co", "a02co"]
    with pytest.raises(InputError) as caught:
        plan_withdrawal(BAL, AnswerKind.CAN_HELP, ANA, old_duplicates)
    assert caught.value.key == "rsvp.nothing_to_withdraw"
    assert "Je peux aider" in caught.value.text("fr") and "I can help" in caught.value.text("en")
    gone = [replace(a, withdrawn="2026-07-03T00:00:00+00:00") for a in old_duplicates]
    with pytest.raises(InputError):
        plan_withdrawal(BAL, AnswerKind.COMING, ANA, gone)


def test_places_in_words() -> None:
    assert attendance_text(attendance(BAL, []), "fr") == "2 places restantes"
    assert attendance_text(attendance(BAL, [answer(ANA, 1)]), "fr") == "1 place restante"
    assert attendance_text(attendance(BAL, [answer(ANA, 1)]), "en") == "1 place left"
    crowded = attendance(BAL, [answer(ANA, 1), answer(BEN, 2), answer(CLO, 3)])
    assert attendance_text(crowded, "fr") == "Complet, 1 en liste d'attente"
    assert attendance_text(crowded, "en") == "Full, 1 on the waiting list"
    assert attendance_text(attendance(BAL, [answer(ANA, 1), answer(BEN, 2)]), "en") == "Full"
    assert attendance_text(attendance(replace(BAL, capacity=None), [answer(ANA, 1)]), "fr") == ""


def test_a_reply_comes_after_every_reply_its_writer_had_seen() -> None:
    """Written in the same second as the reply it answers, or on a device whose clock is behind: still
    shown after it, since its writer had seen it."""
    answer = Answer(
        id="a1", item_id="i1", item_author=HOST, kind=AnswerKind.CAN_HELP, message="", author=ANA,
        created="2026-07-14T10:00:00+00:00",
    )  # fmt: skip

    def reply(author: str, created: str, rid: str) -> Reply:
        return Reply(rid, "a1", ANA, "i1", HOST, "m", author, created)

    # HOST's peer id sorts after ANA's: by the second alone, ANA's later reply would be shown first.
    first = reply(HOST, "2026-07-14T10:05:00.900+00:00", "r1")
    same_second = datetime(2026, 7, 14, 10, 5, 0, 100_000, tzinfo=UTC)
    behind = datetime(2026, 7, 14, 9, 0, tzinfo=UTC)
    for now in (same_second, behind):
        second = reply(ANA, reply_time([first], now), "r2")
        assert [r.id for r in thread(answer, [second, first])] == ["r1", "r2"]
    assert reply_time([], same_second) == "2026-07-14T10:05:00.100+00:00"
