"""The contributive catalogue: kinds, statuses, dates, tags and length limits."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reliance.errors import ModelError
from reliance.model.catalogue import (
    MAX_DESCRIPTION,
    MAX_FIELD,
    MAX_TAG,
    MAX_TAGS,
    MAX_TITLE,
    Answer,
    AnswerKind,
    Item,
    ItemKind,
    Status,
    normalise_tags,
    parse_answer_kind,
    parse_kind,
    parse_status,
    parse_time,
    validate_answer_message,
)

PEER = "rl" + "a" * 56


def draft(**fields: object) -> Item:
    base: dict[str, object] = {
        "id": "0123456789abcdef",
        "kind": ItemKind.OFFER,
        "title": "Vélo",
        "author": PEER,
    }
    base.update(fields)
    return Item(**base)  # type: ignore[arg-type]


# -- kinds, statuses, answers --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ItemKind))
def test_every_kind_parses_whatever_its_case(kind: ItemKind) -> None:
    assert parse_kind(kind.value) is kind
    assert parse_kind(f" {kind.value.upper()} ") is kind


@pytest.mark.parametrize("value", ["", "offers", "besoin", "opportunity", "off er", "évent"])
def test_unknown_kind(value: str) -> None:
    with pytest.raises(ModelError, match="unknown kind") as caught:
        parse_kind(value)
    assert "offer, need, call, event, seed" in str(caught.value)


@pytest.mark.parametrize("status", list(Status))
def test_every_status_parses(status: Status) -> None:
    assert parse_status(status.value.title()) is status


@pytest.mark.parametrize("value", ["", "done", "publish", "brouillon"])
def test_unknown_status(value: str) -> None:
    with pytest.raises(ModelError, match="unknown status") as caught:
        parse_status(value)
    assert "draft, published, matched, archived" in str(caught.value)


def test_answer_kinds() -> None:
    assert parse_answer_kind("can-help") is AnswerKind.CAN_HELP
    assert parse_answer_kind(" CAN_HELP ") is AnswerKind.CAN_HELP
    assert parse_answer_kind("interested") is AnswerKind.INTERESTED
    with pytest.raises(ModelError, match="unknown answer"):
        parse_answer_kind("maybe")


def test_kind_and_status_given_as_text_are_normalised_by_validation() -> None:
    item = draft(kind="EVENT", status="Draft").validated()
    assert item.kind is ItemKind.EVENT and item.status is Status.DRAFT
    with pytest.raises(ModelError, match="unknown kind"):
        draft(kind="party").validated()
    with pytest.raises(ModelError, match="unknown status"):
        draft(status="gone").validated()


# -- dates ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-07-14", "2026-07-14"),
        (" 2026-07-14 ", "2026-07-14"),
        ("2026-07-14T18:00", "2026-07-14T18:00"),
        ("2026-07-14T18:00:00", "2026-07-14T18:00"),
        ("2026-07-14T18:00:30", "2026-07-14T18:00:30"),
        ("2026-07-14 18:00", "2026-07-14T18:00"),
        ("2026-07-14T18:00Z", "2026-07-14T18:00+00:00"),
        ("2026-07-14T18:00+02:00", "2026-07-14T18:00+02:00"),
    ],
)
def test_dates_are_normalised(value: str, expected: str) -> None:
    assert parse_time(value, "begins") == expected


@pytest.mark.parametrize(
    "value", ["2026-02-30", "2026-13-01", "tomorrow", "14/07/2026", "2026-07-14T25:00", "x"]
)
def test_bad_dates_name_the_field(value: str) -> None:
    with pytest.raises(ModelError) as caught:
        parse_time(value, "ends")
    assert str(caught.value).startswith("ends: not an ISO 8601 date or time")
    with pytest.raises(ModelError, match="begins"):
        draft(begins=value).validated()


@pytest.mark.parametrize(
    ("begins", "ends"),
    [
        ("2026-07-14", "2026-07-13"),
        ("2026-07-14T18:00", "2026-07-14T17:59"),
        ("2026-07-14T18:00", "2026-07-14"),  # a date is its midnight
        ("2026-07-14T18:00+02:00", "2026-07-14T15:00Z"),  # 17:00 at +02:00
    ],
)
def test_ends_before_begins_is_refused(begins: str, ends: str) -> None:
    with pytest.raises(ModelError, match="is before begins"):
        draft(begins=begins, ends=ends).validated()


@pytest.mark.parametrize(
    ("begins", "ends"),
    [
        ("2026-07-14", "2026-07-14"),
        ("2026-07-14T18:00", "2026-07-14T18:00"),
        ("2026-07-14", "2026-07-14T09:00"),
        ("2026-07-14T18:00+02:00", "2026-07-14T17:30Z"),  # 19:30 at +02:00
        ("", "2026-07-14"),
        ("2026-07-14", ""),
    ],
)
def test_ends_at_or_after_begins_is_kept(begins: str, ends: str) -> None:
    item = draft(begins=begins, ends=ends).validated()
    assert (item.begins == "") == (begins == "")
    assert (item.ends == "") == (ends == "")


# -- tags ----------------------------------------------------------------------------------------------------


def test_tags_are_normalised() -> None:
    assert normalise_tags(["#Vélo", " vélo ", "VÉLO", "", "#", "  ", "Réparation", "# cargo "]) == (
        "vélo",
        "réparation",
        "cargo",
    )
    assert draft(tags=("#OFF", "off", "Lyon")).validated().tags == ("off", "lyon")


def test_tag_limits() -> None:
    assert normalise_tags(["t" * MAX_TAG]) == ("t" * MAX_TAG,)
    assert normalise_tags(["#" + "t" * MAX_TAG]) == ("t" * MAX_TAG,)  # the '#' does not count
    with pytest.raises(ModelError, match=f"longer than {MAX_TAG}"):
        normalise_tags(["t" * (MAX_TAG + 1)])
    many = [f"tag{i}" for i in range(MAX_TAGS)]
    assert len(normalise_tags(many)) == MAX_TAGS
    assert len(normalise_tags(many + [t.upper() for t in many])) == MAX_TAGS  # duplicates do not count
    with pytest.raises(ModelError, match=f"at most {MAX_TAGS} tags"):
        normalise_tags([*many, "one-more"])


@settings(deadline=None)  # timing-independent: the suite may share a loaded machine
@given(st.lists(st.text(max_size=12), max_size=40))
def test_tag_normalisation_is_idempotent_and_clean(tags: list[str]) -> None:
    try:
        once = normalise_tags(tags)
    except ModelError:
        return
    assert normalise_tags(once) == once
    assert len(set(once)) == len(once) <= MAX_TAGS
    for tag in once:
        assert tag and tag == tag.strip() and not tag.startswith("#")
        assert tag == tag.lower() and len(tag) <= MAX_TAG


# -- text fields ---------------------------------------------------------------------------------------------


def test_title_is_required_and_trimmed() -> None:
    assert draft(title="  Atelier vélo  ").validated().title == "Atelier vélo"
    for empty in ("", "   ", "\n\t"):
        with pytest.raises(ModelError, match="needs a title"):
            draft(title=empty).validated()


@pytest.mark.parametrize(
    ("field", "limit", "label"),
    [
        ("title", MAX_TITLE, "the title"),
        ("description", MAX_DESCRIPTION, "the description"),
        ("place", MAX_FIELD, "the place"),
        ("reciprocity", MAX_FIELD, "the reciprocity"),
        ("project", MAX_FIELD, "the project"),
    ],
)
def test_length_limits(field: str, limit: int, label: str) -> None:
    at_limit = draft(**{field: "é" * limit}).validated()
    assert getattr(at_limit, field) == "é" * limit
    with pytest.raises(ModelError, match=f"{label} is longer than {limit} characters"):
        draft(**{field: "é" * (limit + 1)}).validated()
    with pytest.raises(ModelError, match="NUL"):
        draft(**{field: "a\x00b"}).validated()


def test_validation_returns_a_normalised_copy_and_keeps_the_draft() -> None:
    original = draft(kind="Seed", tags=("#Graines",), begins="2026-07-14T18:00:00", status="matched")
    item = original.validated()
    assert item.kind is ItemKind.SEED and item.tags == ("graines",) and item.begins == "2026-07-14T18:00"
    assert original.tags == ("#Graines",)
    assert item.validated() == item


def test_answers_do_not_take_part_in_item_equality() -> None:
    answer = Answer(
        "a1", "0123456789abcdef", PEER, AnswerKind.CAN_HELP, "oui", PEER, "2026-01-01T00:00:00+00:00"
    )
    assert replace(draft(), answers=(answer,)) == draft()


def test_json_shape() -> None:
    item = draft(description="Un vélo", tags=("lyon",), place="Lyon", begins="2026-07-14").validated()
    data = item.to_json()
    assert set(data) == {
        "id",
        "kind",
        "title",
        "author",
        "status",
        "tags",
        "description",
        "place",
        "begins",
        "ends",
        "reciprocity",
        "project",
        "created",
        "updated",
        "repeat",
        "capacity",
        "answers",
    }
    assert data["kind"] == "offer" and data["status"] == "published" and data["tags"] == ["lyon"]
    assert data["begins"] == "2026-07-14" and data["ends"] is None and data["reciprocity"] is None
    assert data["repeat"] is None and data["capacity"] is None


def test_answer_message_limit() -> None:
    assert validate_answer_message("  merci  ") == "merci"
    assert validate_answer_message("") == ""
    with pytest.raises(ModelError, match="the message is longer"):
        validate_answer_message("x" * (MAX_DESCRIPTION + 1))


def test_lone_surrogates_are_refused_in_every_text_field() -> None:
    # Not valid Unicode: automerge cannot store it and no peer could read it.
    for field in ("title", "description", "place", "reciprocity"):
        fields = {"title": "ok", field: "a\ud800b"}
        draft = Item(id="x", kind=ItemKind.OFFER, author="a", **fields)
        with pytest.raises(ModelError, match="not valid text"):
            draft.validated()
    with pytest.raises(ModelError, match="not valid text"):
        Item(id="x", kind=ItemKind.OFFER, title="ok", author="a", tags=("\udfff",)).validated()
