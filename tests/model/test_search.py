"""Search that ignores case and accents, over title, text, place, tags and author names."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reliance.model.catalogue import Item, ItemKind
from reliance.model.search import fold, haystack, matches, matches_words, query_words, search

PEER = "rl" + "a" * 56


def item(**fields: object) -> Item:
    base: dict[str, object] = {"id": "0123456789abcdef", "kind": ItemKind.OFFER, "title": "", "author": PEER}
    base.update(fields)
    return Item(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("velo", "Prêt de vélo"),
        ("VÉLO", "prêt de velo"),
        ("ETE", "Fête de l'été"),
        ("ete", "ÉTÉ"),
        ("coeur", "Chœur et cœur"),
        ("oeuvre", "Main-d'œuvre"),
        ("aegis", "Ægis"),
        ("strasse", "Straße"),
        ("garcon", "Garçon"),
        ("noel", "Noël"),
        ("fi", "ﬁlm"),  # a ligature is its letters
        ("cafe", "cafe\u0301"),  # an accent written as a combining mark
        ("ABC", "ＡＢＣ"),  # full-width letters
    ],
)
def test_case_and_accents_do_not_matter(query: str, text: str) -> None:
    assert matches(item(title=text), query)


def test_every_field_is_searched() -> None:
    assert matches(item(title="Atelier"), "atelier")
    assert matches(item(title="x", description="Réparer un vélo"), "reparer")
    assert matches(item(title="x", place="Salle des fêtes"), "fetes")
    assert matches(item(title="x", tags=("réparation",)), "reparation")
    assert matches(item(title="x"), "hélène", author_name="Hélène")
    assert not matches(item(title="x"), "helene")


def test_every_word_must_appear_somewhere() -> None:
    bike = item(title="Vélo cargo", place="Lyon", tags=("été",))
    assert matches(bike, "velo lyon ete")
    assert matches(bike, "  CARGO   ")
    assert not matches(bike, "velo paris")
    assert matches(bike, "") and matches(bike, "   ")


def test_search_keeps_the_order_it_was_given() -> None:
    items = [item(id=str(n), title=title) for n, title in enumerate(["Vélo", "Pain", "vélos", "Velo"])]
    assert [i.id for i in search(items, "velo")] == ["0", "2", "3"]
    names = {PEER: "Zoé"}
    assert [i.id for i in search(items, "zoe", names)] == ["0", "1", "2", "3"]


def test_precomputed_haystack_and_words_agree_with_matches() -> None:
    bike = item(title="Vélo", tags=("Été",))
    hay = haystack(bike, "Zoé")
    assert matches_words(hay, query_words("ZOE velo")) and not matches_words(hay, query_words("paris"))
    assert query_words("  Vélo  ÉTÉ ") == ("velo", "ete")


texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@settings(max_examples=300)
@given(texts)
def test_folding_is_idempotent_and_leaves_no_accent(text: str) -> None:
    once = fold(text)
    assert fold(once) == once
    assert not any(unicodedata.combining(ch) for ch in once)


def accented(text: str) -> str:
    """The same letters with an accent on every vowel, and upper case every other character."""
    marks = {"a": "à", "e": "é", "i": "î", "o": "ô", "u": "ü", "c": "ç"}
    return "".join((marks.get(ch, ch).upper() if n % 2 else marks.get(ch, ch)) for n, ch in enumerate(text))


@settings(max_examples=300)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=1, max_size=30), st.data())
def test_any_part_of_a_text_finds_it_with_or_without_accents(title: str, data: st.DataObject) -> None:
    words = title.split()
    if not words:
        return
    word = data.draw(st.sampled_from(words))
    start = data.draw(st.integers(0, len(word) - 1))
    part = word[start : data.draw(st.integers(start + 1, len(word)))]
    assert matches(item(title=accented(title)), part)
    assert matches(item(title=title), accented(part))
