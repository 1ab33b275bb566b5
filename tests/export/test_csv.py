"""CSV export of a project's ledger: a golden file, RFC 4180 shape, and the command line."""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.export.csv_ledger import COLUMNS, export_csv
from tests.conftest import run_cli
from tests.export.conftest import GOLDEN, GoldenClock, World
from tests.export.helpers import check_golden


def test_golden_file(shared_world: World) -> None:
    world = shared_world
    check_golden(GOLDEN / "ledger.csv", export_csv(world.alice, world.project, lang="en"))


def test_one_row_per_entry_read_back_by_the_csv_module(shared_world: World) -> None:
    world = shared_world
    text = export_csv(world.alice, "Jardin partagé", lang="en")
    assert text.endswith("\r\n") and "\r\n" in text.rstrip("\r\n"), "RFC 4180 lines end with CRLF"
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert tuple(rows[0].keys()) == COLUMNS
    ledger = projects.ledger(world.alice, world.project)
    assert sorted(r["id"] for r in rows) == sorted(e["id"] for e in ledger)
    by_id = {r["id"]: r for r in rows}
    e = world.entries
    bob_time = by_id[e["bob_time"]]
    assert (bob_time["kind"], bob_time["action"], bob_time["amount"], bob_time["unit"]) == (
        "contribution",
        "work",
        "120",
        "min",
    )
    assert bob_time["member_name"] == "Bob" and bob_time["dimensions"] == "joy=2"
    assert by_id[e["alice_money"]]["amount_display"] == "50.00 EUR"
    assert by_id[e["bob_gift"]]["counterparty"] == "@project"
    assert by_id[e["alice_mistake"]]["reversed_by"] == e["reversal"]
    assert by_id[e["reversal"]]["reverses"] == e["alice_mistake"]
    assert by_id[e["alice_expense"]]["note"] == "'=SUM(A1:A9)", "a formula is never handed to a spreadsheet"
    lines = by_id[world.distribution]["lines"].split(";")
    assert sum(int(x.partition("=")[2]) for x in lines) == int(by_id[world.distribution]["amount"])
    assert all(r["amount"].isdigit() for r in rows)


def test_command_line(shared_world: World, tmp_path: Path) -> None:
    world = shared_world
    home = world.alice.home
    code, out, err = run_cli(home, "export", "--format", "csv", "--project", world.project[:10])
    assert code == 0, err
    # run_cli reads standard output as text, which turns CRLF into LF; --output keeps the bytes.
    assert out == export_csv(world.alice, world.project, lang="en").replace("\r\n", "\n")
    target = tmp_path / "ledger.csv"
    command = ("export", "--format", "csv", "--project", "Jardin partagé", "--output", str(target))
    code, out, err = run_cli(home, *command)
    assert code == 0 and out.strip() == f"wrote {target}"
    assert target.read_bytes() == export_csv(world.alice, world.project, lang="en").encode()
    for args, reason in (
        (("--format", "csv"), "give --project P"),
        (("--format", "csv", "--project", "nothing"), "no project 'nothing'"),
    ):
        code, out, err = run_cli(home, "export", *args)
        assert code == 1 and out == ""
        assert err.count("\n") == 1 and reason in err and "Traceback" not in err


def read_rows(data: bytes, delimiter: str) -> list[dict[str, str]]:
    """What a spreadsheet reads: the BOM says UTF-8, then rows split on `delimiter`."""
    assert data.startswith(b"\xef\xbb\xbf"), "a spreadsheet needs the BOM to read UTF-8"
    text = data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))


def test_a_french_spreadsheet_opens_it_with_semicolons_and_decimal_commas(
    shared_world: World, tmp_path: Path
) -> None:
    world = shared_world
    target = tmp_path / "grand-livre.csv"
    command = ("export", "--format", "csv", "--project", "Jardin partagé", "--output", str(target))
    code, _, err = run_cli(world.alice.home, *command, "--lang", "fr")
    assert code == 0, err
    rows = read_rows(target.read_bytes(), ";")
    by_id = {r["id"]: r for r in rows}
    money = by_id[world.entries["alice_money"]]
    assert (money["amount"], money["amount_major"], money["unit"]) == ("5000", "50,00", "EUR")
    assert by_id[world.entries["bob_time"]]["amount_major"] == "120"  # minutes have no minor unit
    assert money["at_utc"] == "2026-06-01 09:00:00"  # what LibreOffice and Excel read as a date
    assert by_id[world.entries["alice_expense"]]["note"] == "'=SUM(A1:A9)"


def test_an_english_spreadsheet_opens_it_with_commas_and_decimal_points(
    shared_world: World, tmp_path: Path
) -> None:
    world = shared_world
    target = tmp_path / "ledger.csv"
    command = ("export", "--format", "csv", "--project", "Jardin partagé", "--output", str(target))
    code, _, err = run_cli(world.alice.home, *command, "--lang", "en")
    assert code == 0, err
    rows = read_rows(target.read_bytes(), ",")
    money = {r["id"]: r for r in rows}[world.entries["alice_revenue"]]
    assert (money["amount"], money["amount_major"]) == ("10000", "100.00")
    assert money["at_utc"] == "2026-06-01 09:00:00"


def test_the_language_of_the_home_chooses_the_delimiter_and_delimiter_overrides_it(world: World) -> None:
    home = world.alice.home
    code, _, err = run_cli(home, "config", "set", "lang", "fr")
    assert code == 0, err
    fr = export_csv_cli(home)
    assert fr.splitlines()[0].startswith("\ufeffid;at_utc;")
    tabbed = export_csv_cli(home, "--delimiter", "tab")
    assert tabbed.splitlines()[0].startswith("\ufeffid\tat_utc\t")
    comma = export_csv_cli(home, "--delimiter", ",")
    rows = list(csv.DictReader(io.StringIO(comma.lstrip("\ufeff")), delimiter=","))
    assert {r["id"]: r for r in rows}[world.entries["alice_money"]]["amount_major"] == "50,00"
    for bad in ('"', "ab", "\n", "7"):
        code, out, err = run_cli(home, "export", "--format", "csv", "--project", "Jardin", "--delimiter", bad)
        assert code != 0 and out == "" and err.count("\n") == 1 and "Traceback" not in err
        assert "séparateur" in err
    code, out, err = run_cli(home, "export", "--format", "json", "--delimiter", ";")
    assert code != 0 and err.count("\n") == 1 and "csv" in err


def export_csv_cli(home: Path, *extra: str) -> str:
    code, out, err = run_cli(home, "export", "--format", "csv", "--project", "Jardin partagé", *extra)
    assert code == 0, err
    return out


class CountdownClock(GoldenClock):
    """Record ids that count down: each new one sorts before the last, as random ids may."""

    def __init__(self) -> None:
        super().__init__()
        self._countdown = itertools.count(10**6, -1)

    def new_record_suffix(self) -> str:
        return f"{next(self._countdown):012x}"


def test_a_reversal_is_listed_after_the_entry_it_reverses(world: World) -> None:
    """Within one second and with ids that sort the other way, the ledger's causal order still holds."""
    alice = Workspace(world.alice.home, world.alice.identity, clock=CountdownClock())
    mistake = projects.contribute(alice, world.project, "time", 45, "min", "doublon")
    reversal = projects.reverse(alice, world.project, mistake, "doublon")
    assert reversal < mistake, "the ids sort the wrong way round, as random ids may"
    rows = read_rows(export_csv(alice, world.project, lang="en").encode(), ",")
    ids = [r["id"] for r in rows]
    assert ids.index(mistake) < ids.index(reversal)
    for row in rows:  # every reversal after what it reverses, in the whole ledger
        if row["reverses"]:
            assert ids.index(row["reverses"]) < ids.index(row["id"])
