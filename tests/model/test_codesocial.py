"""The #CodeSocial grammar: section names, labels, groups and text limits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reliance.errors import ModelError, RelianceError
from reliance.model.codesocial import (
    GROUPS,
    MAX_SECTION_CHARS,
    SECTION_IDS,
    SECTIONS,
    section,
    section_id,
    validate_section_text,
)


def test_the_grammar_has_the_sections_of_the_seeds_in_order() -> None:
    assert SECTION_IDS == (
        "histoire",
        "contexte",
        "enjeux",
        "objectifs",
        "missions",
        "valeurs",
        "regles",
        "gouvernance",
        "mediation",
        "modele_social",
        "modele_culturel",
        "modele_ecologique",
        "modele_economique",
        "modele_technologique",
        "modele_juridique_financier",
        "richesses",
    )
    purpose = [s.id for s in SECTIONS if s.group == "raison_d_etre"]
    assert purpose == ["contexte", "enjeux", "objectifs", "missions"]
    models = [s.id for s in SECTIONS if s.group == "modeles"]
    assert len(models) == 6
    assert {s.group for s in SECTIONS} == {"", *GROUPS}


@pytest.mark.parametrize("sid", SECTION_IDS)
def test_every_id_resolves_to_itself(sid: str) -> None:
    assert section_id(sid) == sid
    assert section_id(f"  {sid.upper()}  ") == sid


@pytest.mark.parametrize("entry", SECTIONS, ids=lambda s: s.id)
def test_french_and_english_labels_resolve(entry: object) -> None:
    from reliance.model.codesocial import Section

    assert isinstance(entry, Section)
    label_fr, label_en = entry.label("fr"), entry.label("en")
    assert label_fr != entry.id and label_en != entry.id  # both are in the catalogue
    assert section_id(label_fr) == entry.id
    assert section_id(label_en) == entry.id
    assert section_id(label_fr.upper()) == entry.id
    assert section(label_en).label("fr") == label_fr
    assert section(entry.id).label("en") == label_en


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("raison_d_etre.contexte", "contexte"),
        ("raison_d_etre.missions", "missions"),
        ("Raison d'être.Enjeux", "enjeux"),
        ("RAISON-D-ETRE.objectifs", "objectifs"),
        ("modeles.modele_social", "modele_social"),
        ("Règles du jeu", "regles"),
        ("regles du jeu", "regles"),
        ("REGLES-DU-JEU", "regles"),
        ("médiation", "mediation"),
        ("Mediation", "mediation"),
        ("Rules of the game", "regles"),
        ("Recognised wealth", "richesses"),
        ("context", "contexte"),
        ("Modèle juridique et financier", "modele_juridique_financier"),
        ("Richesses reconnues", "richesses"),
    ],
)
def test_accepted_spellings(name: str, expected: str) -> None:
    assert section_id(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "",
        "bogus",
        "raison_d_etre",  # a group, not a section
        "raison d'être",
        "modeles.contexte",  # contexte is not a systemic model
        "raison_d_etre.histoire",  # histoire belongs to no group
        "raison_d_etre.",
        ".contexte",
        "contexte.raison_d_etre",
        "contexts",
    ],
)
def test_unknown_sections_are_refused_with_the_list_of_known_ones(name: str) -> None:
    with pytest.raises(ModelError) as caught:
        section_id(name)
    message = str(caught.value)
    assert "unknown section" in message
    assert "contexte" in message and "richesses" in message
    assert "\n" not in message
    # One error type for users, and a ValueError for library callers.
    assert isinstance(caught.value, RelianceError) and isinstance(caught.value, ValueError)


@settings(deadline=None)  # timing-independent: the suite may share a loaded machine
@given(st.sampled_from(SECTIONS), st.lists(st.booleans(), min_size=60, max_size=60))
def test_case_never_matters(entry: object, upper: list[bool]) -> None:
    from reliance.model.codesocial import Section

    assert isinstance(entry, Section)
    for label in (entry.label("fr"), entry.label("en"), entry.id):
        mixed = "".join(c.upper() if flip else c.lower() for c, flip in zip(label, upper, strict=False))
        assert section_id(mixed) == entry.id


@settings(deadline=None)  # timing-independent: the suite may share a loaded machine
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_ .'-", max_size=30))
def test_any_name_resolves_to_a_known_section_or_is_refused(name: str) -> None:
    try:
        result = section_id(name)
    except ModelError:
        return
    assert result in SECTION_IDS


def test_section_text_limits() -> None:
    assert validate_section_text("") == ""
    at_limit = "é" * MAX_SECTION_CHARS
    assert validate_section_text(at_limit) == at_limit
    with pytest.raises(ModelError, match="at most"):
        validate_section_text(at_limit + "x")
    with pytest.raises(ModelError, match="NUL"):
        validate_section_text("avant\x00après")
    with pytest.raises(ModelError, match="the section contains characters that are not valid text"):
        validate_section_text("avant\ud800après")
    # Text is kept as written: newlines, indentation and trailing spaces are content.
    assert validate_section_text("  - un\n  - deux\n") == "  - un\n  - deux\n"
