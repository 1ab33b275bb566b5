"""A festival day through the command line, in French and in English: dates as people write them, the
programme, search without accents, and money in the units people count in."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from reliance.i18n import t
from reliance.model.dates import describe_span, parse_span

from .conftest import CliResult, run_cli

Cli = Callable[..., CliResult]


def ok(result: CliResult) -> str:
    assert result.code == 0, result.err
    return result.out


def as_json(result: CliResult) -> Any:
    assert result.code == 0, result.err
    assert result.err == ""
    return json.loads(result.out)


def one_line_error(result: CliResult) -> str:
    assert result.code != 0
    assert "Traceback" not in result.err
    assert result.err.count("\n") == 1, repr(result.err)
    return result.err


def make_home(home: Path, name: str, lang: str) -> Cli:
    def run(*args: str, **kwargs: object) -> CliResult:
        return run_cli(home, *args, **kwargs)  # type: ignore[arg-type]

    assert run("init", "--name", name).code == 0
    assert run("config", "set", "lang", lang).code == 0
    return run


@pytest.fixture
def fr(tmp_path: Path) -> Cli:
    return make_home(tmp_path / "fr", "Zoé", "fr")


@pytest.fixture
def en(tmp_path: Path) -> Cli:
    return make_home(tmp_path / "en", "Zoé", "en")


# -- 1. dates as people write them -----------------------------------------------------------------------


def test_dates_written_the_french_way_are_shown_back_and_stored_as_iso(fr: Cli) -> None:
    result = fr("event", "add", "--title", "Atelier vélo", "--begins", "14/07/2030 10h", "--ends", "12h")
    assert result.code == 0, result.err
    item_id = result.out.strip()  # stdout stays the id alone, for scripts
    assert result.err == "reliance : compris : dimanche 14 juillet 2030, 10:00–12:00\n"
    shown = as_json(fr("item", "show", item_id, "--json"))
    assert (shown["begins"], shown["ends"]) == ("2030-07-14T10:00", "2030-07-14T12:00")

    result = fr("offer", "add", "--title", "Pain", "--begins", "14 juillet 2030 10:00")
    assert "dimanche 14 juillet 2030 à 10:00" in result.err
    assert as_json(fr("item", "show", result.out.strip(), "--json"))["begins"] == "2030-07-14T10:00"

    # an end alone is read from the stored beginning
    result = fr("item", "update", item_id, "--ends", "13h30")
    assert result.code == 0 and "10:00–13:30" in result.err
    assert as_json(fr("item", "show", item_id, "--json"))["ends"] == "2030-07-14T13:30"


def test_relative_dates_and_iso_need_no_show_back(fr: Cli) -> None:
    result = fr("need", "add", "--title", "Bras", "--begins", "demain 18h")
    tomorrow = date.today() + timedelta(days=1)
    assert as_json(fr("item", "show", result.out.strip(), "--json"))["begins"] == f"{tomorrow}T18:00"
    assert result.err.startswith("reliance : compris : ") and "18:00" in result.err
    # what is typed as stored has nothing to confirm
    result = fr("need", "add", "--title", "Bras", "--begins", "2030-07-14T10:00")
    assert result.code == 0 and result.err == ""


def test_dates_in_english(en: Cli) -> None:
    result = en("event", "add", "--title", "Bike repair", "--begins", "14 July 2030 10am", "--ends", "noon")
    assert result.code == 0, result.err
    assert result.err == "reliance: understood: Sunday 14 July 2030, 10:00–12:00\n"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "reliance : erreur : --begins : « un jour peut-être » : date non comprise."),
        ("en", "reliance: error: --begins: “un jour peut-être”: not understood as a date."),
    ],
)
def test_a_date_not_understood_is_one_line_in_the_language_naming_the_option(
    tmp_path: Path, lang: str, expected: str
) -> None:
    run = make_home(tmp_path / lang, "Zoé", lang)
    error = one_line_error(run("event", "add", "--title", "x", "--begins", "un jour peut-être"))
    assert error.startswith(expected)
    error = one_line_error(
        run("event", "add", "--title", "x", "--begins", "14/07/2030 10h", "--ends", "13/07/2030")
    )
    assert error.startswith("reliance : erreur : --ends : " if lang == "fr" else "reliance: error: --ends: ")
    assert run("item", "list", "--json").out.strip() == "[]"  # nothing saved


def test_the_show_back_is_what_the_model_describes(fr: Cli) -> None:
    begins, ends = parse_span("samedi 14h", "16h", "fr")
    result = fr("event", "add", "--title", "Concert", "--begins", "samedi 14h", "--ends", "16h")
    assert result.err == t("cli.when.understood", "fr", when=describe_span(begins, ends, "fr")) + "\n"


# -- 7. search without case or accents --------------------------------------------------------------------


def test_search_ignores_case_and_accents_over_every_field(fr: Cli) -> None:
    velo = ok(fr("offer", "add", "--title", "Réparation de VÉLO", "--place", "Café des Éclusiers")).strip()
    ete = ok(fr("event", "add", "--title", "Bal", "--tag", "Été", "--description", "Fête du cœur")).strip()

    def found(*words: str, shortcut: str = "") -> set[str]:
        args = [shortcut, "list"] if shortcut else ["item", "list"]
        return {i["id"] for i in as_json(fr(*args, "--search", " ".join(words), "--json"))}

    assert found("velo") == {velo}
    assert found("eclusiers") == {velo}
    assert found("ETE") == {ete}
    assert found("coeur") == {ete}
    assert found("zoe") == {velo, ete}  # the author's name
    assert found("zoe", "velo") == {velo}
    assert found("velo", shortcut="offer") == {velo}
    assert found("velo", shortcut="event") == set()
    assert "Réparation de VÉLO" in ok(fr("item", "list", "--search", "reparation"))
