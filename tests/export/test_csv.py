"""CSV export of a project's ledger: a golden file, RFC 4180 shape, and the command line."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from reliance.app import projects
from reliance.export.csv_ledger import COLUMNS, export_csv
from tests.conftest import run_cli
from tests.export.conftest import GOLDEN, World
from tests.export.helpers import check_golden


def test_golden_file(shared_world: World) -> None:
    world = shared_world
    check_golden(GOLDEN / "ledger.csv", export_csv(world.alice, world.project))


def test_one_row_per_entry_read_back_by_the_csv_module(shared_world: World) -> None:
    world = shared_world
    text = export_csv(world.alice, "Jardin partagé")
    assert text.endswith("\r\n") and "\r\n" in text.rstrip("\r\n"), "RFC 4180 lines end with CRLF"
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert tuple(rows[0].keys()) == COLUMNS
    ledger = projects.ledger(world.alice, world.project)
    assert [r["id"] for r in rows] == [e["id"] for e in ledger]
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
    assert out == export_csv(world.alice, world.project).replace("\r\n", "\n")
    target = tmp_path / "ledger.csv"
    command = ("export", "--format", "csv", "--project", "Jardin partagé", "--output", str(target))
    code, out, err = run_cli(home, *command)
    assert code == 0 and out.strip() == f"wrote {target}"
    assert target.read_bytes() == export_csv(world.alice, world.project).encode()
    for args, reason in (
        (("--format", "csv"), "give --project P"),
        (("--format", "csv", "--project", "nothing"), "no project 'nothing'"),
    ):
        code, out, err = run_cli(home, "export", *args)
        assert code == 1 and out == ""
        assert err.count("\n") == 1 and reason in err and "Traceback" not in err
