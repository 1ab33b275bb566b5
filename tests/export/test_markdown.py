"""Markdown for printing: the programme by day and the catalogue by kind, dates in the reader's language,
and no heading without something under it; through the command line, in French and in English."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from reliance.export import exporters
from reliance.i18n import section_label
from reliance.model.codesocial import SECTIONS
from tests.conftest import CliResult, run_cli
from tests.export.conftest import World

ISO_TIME = re.compile(r"\d{4}-\d\d-\d\d(T\d\d:\d\d)?")


def markdown(home: Path, *args: str) -> str:
    code, out, err = run_cli(home, "export", "--format", "markdown", *args)
    assert code == 0, err
    return out


def headings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("#")]


def no_empty_sections(text: str) -> None:
    """Every heading has something under it before the next heading of the same or a higher level."""
    lines = [line for line in text.splitlines() if line.strip()]
    for n, line in enumerate(lines):
        if not line.startswith("#"):
            continue
        level = len(line) - len(line.lstrip("#"))
        following = lines[n + 1] if n + 1 < len(lines) else ""
        next_level = len(following) - len(following.lstrip("#")) if following.startswith("#") else 99
        assert following and next_level > level, f"nothing under {line!r}"
    assert "—\n" not in text.replace("— ", "")


def test_the_programme_by_day_in_french_and_in_english(shared_world: World) -> None:
    home = shared_world.bob.home  # anyone's items: Bob prints Alice's programme
    fr = markdown(home, "--content", "programme", "--lang", "fr")
    assert headings(fr) == ["# Programme", "## mercredi 1er juillet 2026", "## mardi 14 juillet 2026"]
    assert "**18:00–23:00** Fête des semences — Parc de la Tête d'Or" in fr
    assert "**journée** Cours de vélo — Atelier, 3 rue des Lilas, Lyon" in fr
    assert "Une perceuse" not in fr and "Faire son compost" not in fr  # no date, not on the programme
    assert not ISO_TIME.search(fr)
    no_empty_sections(fr)
    en = markdown(home, "--content", "programme", "--lang", "en")
    assert headings(en) == ["# Programme", "## Wednesday 1 July 2026", "## Tuesday 14 July 2026"]
    assert "**all day** Cours de vélo" in en
    no_empty_sections(en)


def test_the_catalogue_by_kind_with_dates_in_words(shared_world: World) -> None:
    home = shared_world.bob.home
    fr = markdown(home, "--content", "catalogue", "--lang", "fr")
    assert headings(fr)[:2] == ["# Catalogue contributif", "## Offres"]
    assert [h for h in headings(fr) if h.startswith("## ")] == [
        "## Offres",
        "## Besoins",
        "## Appels à contribution",
        "## Événements",
        "## Graines de connaissance",
    ]
    assert "- **Quand** : mardi 14 juillet 2026, 18:00–23:00" in fr
    assert "- **Réciprocité** : temps" in fr and "- **Réciprocité** : troc" in fr
    assert "*Offre — Publié — Alice*" in fr
    assert not ISO_TIME.search(fr)
    no_empty_sections(fr)
    en = markdown(home, "--content", "catalogue", "--lang", "en")
    assert "- **When**: Tuesday 14 July 2026, 18:00–23:00" in en and "- **Reciprocity**: barter" in en
    no_empty_sections(en)


def test_a_home_with_one_offer_prints_one_section(cli: Callable[..., CliResult], home: Path) -> None:
    assert cli("init", "--name", "Zoé").code == 0
    assert cli("offer", "add", "--title", "Pain", "--begins", "2026-07-14T10:00").code == 0
    catalogue = markdown(home, "--content", "catalogue", "--lang", "fr")
    assert headings(catalogue) == ["# Catalogue contributif", "## Offres", "### Pain"]
    programme = markdown(home, "--content", "programme", "--lang", "en")
    assert headings(programme) == ["# Programme", "## Tuesday 14 July 2026"]
    code = markdown(home, "--lang", "fr")  # the social code, empty, and the offer
    assert headings(code) == ["# Code social de Zoé", "## Catalogue contributif", "### Pain"]
    assert "samedi" not in code and "mardi 14 juillet 2026 à 10:00" in code


def test_the_social_code_prints_only_what_is_written(shared_world: World) -> None:
    text = exporters.export(shared_world.alice, "markdown", lang="fr")
    written = {"valeurs", "regles"}
    for section in SECTIONS:
        shown = (
            f"## {section_label(section.id, 'fr')}\n" in text
            or f"### {section_label(section.id, 'fr')}\n" in text
        )
        assert shown == (section.id in written), section.id
    assert "Raison d'être" not in text  # a group with nothing written has no heading either
    no_empty_sections(text)


def test_an_empty_programme_says_so_in_one_line(cli: Callable[..., CliResult], home: Path) -> None:
    assert cli("init", "--name", "Zoé").code == 0
    fr = markdown(home, "--content", "programme", "--lang", "fr")
    assert headings(fr) == ["# Programme"] and "Rien au programme." in fr
