"""A festival day through the command line, in French and in English: dates as people write them, the
programme, search without accents, and money in the units people count in."""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.i18n import t
from reliance.model.dates import describe_span, parse_span

from .conftest import RELIANCE, CliResult, run_cli

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


# -- 2. the programme ------------------------------------------------------------------------------------


def festival(run: Cli) -> dict[str, str]:
    """A concert, a dated offer, a daily breakfast over three days, an undated event and an undated offer."""
    ids = {
        "concert": ok(
            run(
                "event", "add", "--title", "Concert", "--place", "Jardin",
                "--begins", "2030-07-14T20:30", "--ends", "2030-07-14T22:00",
            )
        ),
        "offer": ok(
            run(
                "offer", "add", "--title", "Atelier pain", "--place", "Fournil",
                "--begins", "2030-07-14T10:00", "--ends", "2030-07-14T12:00",
            )
        ),
        "breakfast": ok(
            run(
                "event", "add", "--title", "Petit-déjeuner", "--place", "Cour",
                "--begins", "2030-07-13T08:00", "--ends", "2030-07-13T09:00",
                "--repeat", "daily", "--until", "2030-07-15",
            )
        ),
        "someday": ok(run("event", "add", "--title", "Bal un jour")),
        "bread": ok(run("offer", "add", "--title", "Pain sans date")),
    }  # fmt: skip
    return {name: value.strip() for name, value in ids.items()}


@pytest.fixture(scope="module")
def programmed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, dict[str, str]]:
    """A French home holding `festival` (built once: the tests below only read it)."""
    run = make_home(tmp_path_factory.mktemp("programme") / "fr", "Zoé", "fr")
    return run, festival(run)


def test_programme_lists_events_and_dated_items_by_day_with_time_and_place(
    programmed: tuple[Cli, dict[str, str]],
) -> None:
    fr, ids = programmed
    data = as_json(fr("programme", "--json"))
    by_day = {
        d["day"]: [(e["id"], e["starts_at"], e["ends_at"], e["place"]) for e in d["entries"]]
        for d in data["days"]
    }
    assert by_day == {
        "2030-07-13": [(ids["breakfast"], "08:00", "09:00", "Cour")],
        "2030-07-14": [
            (ids["breakfast"], "08:00", "09:00", "Cour"),
            (ids["offer"], "10:00", "12:00", "Fournil"),  # a dated offer is on the programme
            (ids["concert"], "20:30", "22:00", "Jardin"),
        ],
        "2030-07-15": [(ids["breakfast"], "08:00", "09:00", "Cour")],
    }
    assert [e["occurrence"] for d in data["days"] for e in d["entries"] if e["id"] == ids["breakfast"]] == [
        0,
        1,
        2,
    ]
    assert [u["id"] for u in data["undated"]] == [ids["someday"]]  # undated events apart; offers not at all
    assert data["days"][1]["entries"][1]["author_name"] == "Zoé"

    text = ok(fr("programme"))
    assert "dimanche 14 juillet 2030" in text and "samedi 13 juillet 2030" in text
    day = text.split("dimanche 14 juillet 2030")[1].split("lundi")[0]
    lines = [line.split() for line in day.strip().splitlines()]
    assert [line[0] for line in lines] == ["08:00–09:00", "10:00–12:00", "20:30–22:00"]
    assert "Fournil" in day and "Atelier pain" in day and "Jardin" in day
    assert "Sans date" in text and "Bal un jour" in text


def test_programme_of_one_day_as_people_write_it(programmed: tuple[Cli, dict[str, str]], en: Cli) -> None:
    fr, ids = programmed
    for day in ("14/07/2030", "2030-07-14", "14 juillet 2030"):
        data = as_json(fr("programme", "--day", day, "--json"))
        assert [d["day"] for d in data["days"]] == ["2030-07-14"], day
        assert [e["id"] for e in data["days"][0]["entries"]] == [
            ids["breakfast"],
            ids["offer"],
            ids["concert"],
        ]
        assert data["undated"] == []
    assert ok(fr("programme", "--day", "16/07/2030")) == "Rien au programme ce jour-là.\n"
    assert ok(en("programme", "--day", "16/07/2030")) == "Nothing on the programme that day.\n"
    error = one_line_error(en("programme", "--day", "whenever"))
    assert error.startswith("reliance: error: --day: “whenever”: not understood as a date.")


def test_event_list_prints_date_time_and_place(programmed: tuple[Cli, dict[str, str]], en: Cli) -> None:
    fr, _ = programmed
    lines = ok(fr("event", "list")).splitlines()
    [concert] = [line for line in lines if "Concert" in line]
    assert "dimanche 14 juillet 2030, 20:30–22:00" in concert and "Jardin" in concert
    [breakfast] = [line for line in lines if "Petit-déjeuner" in line]
    assert "tous les jours jusqu'au" in breakfast
    ok(
        en(
            "event",
            "add",
            "--title",
            "Ball",
            "--place",
            "Barn",
            "--begins",
            "2030-07-14",
            "--repeat",
            "weekly",
            "--until",
            "2030-08-01",
        )
    )
    [ball] = ok(en("event", "list")).splitlines()
    assert "Sunday 14 July 2030" in ball and "Barn" in ball and "every Sunday until" in ball


def test_a_repetition_in_words_and_its_errors(fr: Cli) -> None:
    item_id = ok(
        fr(
            "event",
            "add",
            "--title",
            "Yoga",
            "--begins",
            "14/07/2030 7h",
            "--repeat",
            "weekly",
            "--until",
            "4 août 2030",
        )
    ).strip()
    assert as_json(fr("item", "show", item_id, "--json"))["repeat"] == {
        "freq": "weekly",
        "until": "2030-08-04",
    }
    error = one_line_error(fr("event", "add", "--title", "x", "--repeat", "daily", "--until", "2030-08-01"))
    assert error.startswith("reliance : erreur : --repeat : Une répétition a besoin d'une date de début.")
    error = one_line_error(
        fr(
            "event",
            "add",
            "--title",
            "x",
            "--begins",
            "2030-07-14",
            "--repeat",
            "sometimes",
            "--until",
            "2030-08-01",
        )
    )
    assert "--repeat" in error and "sometimes" in error
    assert ok(fr("item", "update", item_id, "--repeat", "none")).strip() == item_id
    assert as_json(fr("item", "show", item_id, "--json"))["repeat"] is None


# -- 9. money as people write it ---------------------------------------------------------------------------


def ledger_amounts(run: Cli, project: str) -> list[tuple[str, int, str]]:
    return sorted(
        (e["kind"], e["amount"], e["unit"]) for e in as_json(run("project", "ledger", project, "--json"))
    )


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_amounts_are_typed_in_major_units_and_stored_in_minor_units(tmp_path: Path, lang: str) -> None:
    run = make_home(tmp_path / lang, "Zoé", lang)
    project = ok(run("project", "create", "Fournil")).strip()
    for amount in ("250,00", "250.50 €"):
        ok(run("project", "contribute", project, "--kind", "money", "--amount", amount, "--unit", "EUR"))
    ok(run("project", "contribute", project, "--kind", "time", "--amount", "1h30", "--unit", "min"))
    ok(run("project", "record", project, "--kind", "revenue", "--amount", "1 000", "--unit", "EUR"))
    assert ledger_amounts(run, project) == [
        ("contribution", 90, "min"),
        ("contribution", 25000, "EUR"),
        ("contribution", 25050, "EUR"),
        ("revenue", 100000, "EUR"),
    ]
    # the credit floor too, and it is said back in major units
    said = ok(run("project", "limit", project, "*", "EUR", "-50"))
    assert ("-50,00 EUR" if lang == "fr" else "-50.00 EUR") in said
    [limit] = projects.ledger_view(projects.open_project(Workspace.open(tmp_path / lang), project)).limits
    assert (limit.unit, limit.floor) == ("EUR", -5000)

    error = one_line_error(
        run("project", "contribute", project, "--kind", "money", "--amount", "12,345", "--unit", "EUR")
    )
    if lang == "fr":
        assert error == "reliance : erreur : --amount : « 12,345 » est ambigu : écrivez 12345 ou 12,345.\n"
    else:
        assert error == "reliance: error: --amount: “12,345” is ambiguous: write 12345 or 12.345.\n"
    error = one_line_error(
        run("project", "record", project, "--kind", "expense", "--amount", "3 $", "--unit", "EUR")
    )
    assert "--amount" in error and "USD" in error
    assert len(ledger_amounts(run, project)) == 4  # nothing written


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_dividend_accounts_for_every_cent_and_an_empty_pool_asks_first(tmp_path: Path, lang: str) -> None:
    run = make_home(tmp_path / lang, "Zoé", lang)
    project = ok(run("project", "create", "Fournil")).strip()
    ok(run("project", "contribute", project, "--kind", "time", "--amount", "90", "--unit", "min"))
    data = as_json(run("project", "dividend", project, "--pool", "1000,01", "--json"))
    assert data["pool"] == 100001 and data["unit"] == "EUR" and data["id"] is None
    assert data["reserve"] + sum(line["amount"] for line in data["lines"]) == 100001  # every cent
    # no revenue: an empty pool is not recorded without --yes
    refused = one_line_error(run("project", "dividend", project, "--record"))
    assert refused.startswith(
        "reliance : erreur : rien à partager" if lang == "fr" else "reliance: error: nothing to share"
    )
    assert "--yes" in refused
    assert ledger_amounts(run, project) == [("contribution", 90, "min")]
    recorded = as_json(run("project", "dividend", project, "--record", "--yes", "--json"))
    assert recorded["pool"] == 0 and recorded["id"]


def readme_block(title: str) -> list[str]:
    """The commands of the README's shell block that follows `title`, continuation lines joined."""
    text = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    block = text.split(title, 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [
        line.split("  #", 1)[0].strip() for line in block.replace("\\\n", " ").splitlines() if line.strip()
    ]


def test_the_readme_dividend_example_works_on_a_fresh_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_cli(home, "init", "--name", "Camille").code == 0
    commands = [c for c in readme_block("Projects and their ledger:") if "rl…" not in c and "<id>" not in c]
    assert any("dividend" in c and "--record" in c for c in commands)
    script = "\n".join(["set -e", *commands])
    bindir = RELIANCE.parent
    env = {
        "PATH": f"{bindir}:/usr/bin:/bin",
        "RELIANCE_HOME": str(home),
        "LC_ALL": "C.UTF-8",
        "HOME": str(tmp_path),
    }
    done = subprocess.run(["sh", "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr + "\n" + shlex.join(commands)
    assert "recorded" in done.stdout or "enregistr" in done.stdout
