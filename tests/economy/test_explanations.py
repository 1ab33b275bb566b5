"""A distribution's explanations are stored as data and worded in the reader's language; distributions
written before that (sentences only) still show their sentences; unreadable data never stops a reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reliance import economy
from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.doc import project as pdoc
from reliance.economy.dividend import distribution_notes, explain_line
from reliance.i18n import LANGS

FROM, TO = "2026-01-01", "2026-12-31"


@pytest.fixture
def garden(tmp_path: Path) -> tuple[Path, str]:
    """A project on disk with two contributions, whose dividend Camille recorded in French."""
    home = tmp_path / "camille"
    ws = Workspace.create(home, "Camille", None)
    project = projects.create_project(ws, "Jardin")
    projects.contribute(ws, project, "time", 120, "min", "désherbage")
    projects.contribute(ws, project, "money", 5_000, "EUR", "graines")
    dist = projects.dividend(ws, project, FROM, TO, 10_000, "EUR", "fr")
    projects.record_distribution(ws, project, dist)
    return home, project


def recorded(home: Path, project: str) -> economy.Distribution:
    ws = Workspace.open(home)  # as a reader opening the stored document
    (data,) = projects.counted_distributions(projects.open_project(ws, project)).values()
    return economy.distribution_from_data(data)


def test_a_french_distribution_reads_in_english(garden: tuple[Path, str]) -> None:
    dist = recorded(*garden)
    (line,) = dist.lines
    assert line.explanation == (  # as written, in French
        "Camille : 90,00 EUR sur 100,00 EUR — part égale 20,00 EUR (1/1 de 20,00 EUR) + 70,00 EUR pour "
        "320 points pondérés sur 320 (travail 120 min, argent 50,00 EUR)"
    )
    assert explain_line(line, dist, "en", {line.member: "Camille"}) == (
        "Camille: 90.00 EUR of 100.00 EUR — equal share 20.00 EUR (1/1 of 20.00 EUR) + 70.00 EUR for "
        "320 weighted points of 320 (work 120 min, money 50.00 EUR)"
    )
    assert explain_line(line, dist, "en").startswith(f"{line.member}: 90.00 EUR")  # a reader without names
    assert dist.notes[0].startswith("réserve : 10,00 EUR sur 100,00 EUR")
    assert distribution_notes(dist, "en") == (
        "reserve: 10.00 EUR of 100.00 EUR — 10.00 EUR (reserve, 10%)",
        "policy v0; 320 weighted points in all",
    )


@pytest.mark.parametrize("lang", LANGS)
def test_worded_again_as_the_author_wrote_it(garden: tuple[Path, str], lang: str) -> None:
    home, project = garden
    ws = Workspace.open(home)
    fresh = projects.dividend(ws, project, FROM, TO, 10_000, "EUR", lang)
    dist = recorded(home, project)
    names = {line.member: "Camille" for line in dist.lines}
    assert [explain_line(line, dist, lang, names) for line in dist.lines] == [
        line.explanation for line in fresh.lines
    ]
    assert distribution_notes(dist, lang) == fresh.notes


def write_raw(home: Path, project: str, data: dict[str, Any]) -> None:
    ws = Workspace.open(home)
    doc = projects.open_project(ws, project)
    dist_id = pdoc.new_record_id(ws.peer_id)
    doc.local_change(ws.identity.sign, lambda w: pdoc.add_distribution(w, dist_id, data, ws.peer_id))


def older(data: dict[str, Any]) -> dict[str, Any]:
    """The same distribution as a version before the data wrote it: sentences only."""
    lines = [{k: v for k, v in line.items() if k != "why"} for line in data["lines"]]
    return {k: v for k, v in data.items() if k != "notes_why"} | {"lines": lines}


@pytest.mark.parametrize("lang", LANGS)
def test_an_older_distribution_shows_its_sentences_as_is(garden: tuple[Path, str], lang: str) -> None:
    home, project = garden
    data = economy.distribution_to_data(recorded(home, project))
    write_raw(home, project, older(data))
    ws = Workspace.open(home)
    stored = projects.counted_distributions(projects.open_project(ws, project)).values()
    old = [economy.distribution_from_data(d) for d in stored if "notes_why" not in d]
    (dist,) = old
    assert dist.why is None and all(line.why is None for line in dist.lines)
    assert [explain_line(line, dist, lang) for line in dist.lines] == [
        x["explanation"] for x in data["lines"]
    ]
    assert distribution_notes(dist, lang) == tuple(data["notes"])


@pytest.mark.parametrize(
    "why",
    [
        {"points": "1e999999999", "total_points": "1", "contribution": 0},  # no huge number is built
        {"points": "1/0", "total_points": "1", "contribution": 0},
        {"points": "1", "total_points": "1", "contribution": -5},
        {
            "points": "1",
            "total_points": "1",
            "contribution": 0,
            "counted": [["work", "min", 1, "1"]] * 10_000,
        },
        {"points": "1", "total_points": "1", "contribution": 0, "counted": [["steal", "min", 1, "1"]]},
        {"points": "1", "total_points": "1", "contribution": 0, "equal": [1, 2]},
        "not a mapping",
    ],
)
def test_unreadable_data_falls_back_to_the_sentence(garden: tuple[Path, str], why: object) -> None:
    home, project = garden
    data = economy.distribution_to_data(recorded(home, project))
    data["lines"][0]["why"] = why
    data["notes_why"] = why
    dist = economy.distribution_from_data(data)
    assert dist.lines[0].why is None and dist.why is None
    assert explain_line(dist.lines[0], dist, "en") == data["lines"][0]["explanation"]
    assert distribution_notes(dist, "en") == tuple(data["notes"])


def test_the_ledger_entry_of_a_distribution_stores_no_sentence(garden: tuple[Path, str]) -> None:
    """Its period and policy are in the distribution record beside it, as data: the entry's note is what a
    person typed (nothing here), never a sentence in its author's language."""
    home, project = garden
    ws = Workspace.open(home)
    [paid] = [e for e in projects.ledger(ws, project) if e["kind"] == "distribution"]
    assert paid.get("note", "") == ""


def test_what_the_ledger_could_not_count_is_worded_in_the_readers_language(garden: tuple[Path, str]) -> None:
    """A credit limit no app would write (a unit with a space) is left out, and said so in each language."""
    home, project = garden
    ws = Workspace.open(home)
    doc = projects.open_project(ws, project)
    doc.local_change(ws.identity.sign, lambda w: pdoc.set_limit(w, ws.peer_id, "EUR cents", -100))
    [issue] = projects.ledger_view(projects.open_project(Workspace.open(home), project)).issues
    french, english = issue.describe("fr"), issue.describe("en")
    assert french.startswith("limite de crédit ") and "ne peut pas contenir d'espace" in french, french
    assert english.startswith("credit limit ") and "cannot contain spaces" in english, english
