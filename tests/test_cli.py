"""The command line, end to end through the installed console script, in subprocesses."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reliance.app.workspace import Workspace
from reliance.export import exporters
from reliance.identity import decode_peer_id, encode_peer_id
from reliance.replication.bundle import read_bundle

from .conftest import CliResult, readable_bytes, run_cli, stored_text

Cli = Callable[..., CliResult]
ITEM_ID = re.compile(r"[0-9a-f]{16}")
SECTION_COUNT = 16


def ok(result: CliResult) -> str:
    """The stdout of a run that must succeed quietly."""
    assert result.code == 0, result.err
    assert result.err == ""
    return result.out


def as_json(result: CliResult) -> Any:
    return json.loads(ok(result))


def export_state(home: Path) -> dict[str, Any]:
    data = as_json(run_cli(home, "export", "--format", "json"))
    assert isinstance(data, dict)
    del data["exported_at"]
    return data


def tree(path: Path) -> dict[str, bytes]:
    """Every file under `path` and its bytes (empty if `path` does not exist)."""
    if not path.exists():
        return {}
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def assert_one_line_error(result: CliResult) -> None:
    assert result.code != 0
    assert "Traceback" not in result.err and "Traceback" not in result.out
    assert result.err.endswith("\n") and result.err.count("\n") == 1, repr(result.err)
    assert result.err.startswith("reliance: error: "), result.err
    assert result.out == ""


@dataclass(frozen=True)
class Initialised:
    home: Path
    me: str


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Initialised:
    """One `reliance init --name Alice`, copied by the tests that start from it (each call costs ~0.25 s)."""
    home = tmp_path_factory.mktemp("initialised") / "home"
    ok(run_cli(home, "init", "--name", "Alice"))
    return Initialised(home, as_json(run_cli(home, "whoami", "--json"))["peer_id"])


@pytest.fixture
def alice(initialised: Initialised, home: Path) -> str:
    """This test's home holds Alice's identity; returns her peer id."""
    shutil.copytree(initialised.home, home)
    return initialised.me


# -- identity ------------------------------------------------------------------------------------------------


def test_init_and_whoami(cli: Cli, home: Path) -> None:
    out = ok(cli("init", "--name", "Alice"))
    lines = out.splitlines()
    assert lines[0] == "created identity for Alice"
    info = as_json(cli("whoami", "--json"))
    assert set(info) == {"name", "peer_id", "fingerprint", "created", "home"}
    assert info["name"] == "Alice"
    assert decode_peer_id(info["peer_id"])  # a valid peer id, checksum included
    assert re.fullmatch(r"[0-9A-F]{4}( [0-9A-F]{4}){4}", info["fingerprint"])
    assert info["home"] == str(home.resolve())
    assert f"peer id:     {info['peer_id']}" in lines and f"fingerprint: {info['fingerprint']}" in lines
    text = ok(cli("whoami"))
    assert info["peer_id"] in text and info["fingerprint"] in text and "Alice" in text
    assert stat.S_IMODE((home / "identity" / "device.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((home / "identity").stat().st_mode) == 0o700


def test_a_second_init_never_replaces_the_identity(cli: Cli, alice: str, home: Path) -> None:
    before = tree(home)
    result = cli("init", "--name", "Mallory")
    assert_one_line_error(result)
    assert "never replaced" in result.err
    assert tree(home) == before
    assert as_json(cli("whoami", "--json"))["name"] == "Alice"


def test_a_rename_reaches_whoami_and_a_new_history(cli: Cli, alice: str, home: Path, tmp_path: Path) -> None:
    """The app renames through the library; the profile follows, so the next history starts with the name."""
    profile = home / "identity" / "profile.json"
    mode = stat.S_IMODE(profile.stat().st_mode)
    before = json.loads(profile.read_text("utf-8"))
    Workspace.open(home).rename("  Alice Martin ")
    info = as_json(cli("whoami", "--json"))
    assert info["name"] == "Alice Martin" and info["peer_id"] == alice
    after = json.loads(profile.read_text("utf-8"))
    assert after == before | {"name": "Alice Martin"}  # created and encrypted kept
    assert stat.S_IMODE(profile.stat().st_mode) == mode
    assert not (home / "identity" / "profile.json.tmp").exists()
    assert Workspace.open(home).participant_name(alice) == "Alice Martin"

    restored = tmp_path / "new-laptop"  # the identity saved, the document lost everywhere
    shutil.copytree(home / "identity", restored / "identity")
    ok(run_cli(restored, "init", "--new-history"))
    assert Workspace.open(restored).participant_name(alice) == "Alice Martin"


def test_a_passphrase_protected_key(cli: Cli, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("correct horse\n", "utf-8")
    wrong = tmp_path / "wrong"
    wrong.write_text("battery staple\n", "utf-8")
    ok(cli("--passphrase-file", str(secret), "init", "--name", "Alice"))
    assert as_json(cli("--passphrase-file", str(secret), "whoami", "--json"))["name"] == "Alice"
    assert as_json(cli("whoami", "--json"))["name"] == "Alice"  # reading never asks for it
    for args, message in (
        (("offer", "add", "--title", "Pain"), "protected by a passphrase"),
        (("--passphrase-file", str(wrong), "whoami"), "wrong passphrase"),
        (("--passphrase-file", str(tmp_path / "missing"), "whoami"), "cannot read the passphrase file"),
    ):
        result = cli(*args)
        assert_one_line_error(result)
        assert message in result.err


# -- social code ---------------------------------------------------------------------------------------------


def test_code_set_show_and_history(cli: Cli, alice: str) -> None:
    me = alice
    assert ok(cli("code", "set", "raison_d_etre.contexte", "Un monde")) == "contexte: saved\n"
    assert ok(cli("code", "set", "contexte", "Un monde complexe")) == "contexte: saved\n"
    assert ok(cli("code", "set", "Contexte", "Un monde complexe")) == "contexte: unchanged\n"
    assert ok(cli("code", "set", "Règles du jeu", "Opposables")) == "regles: saved\n"

    shown = as_json(cli("code", "show", "--json"))
    assert len(shown) == SECTION_COUNT
    assert shown["contexte"] == "Un monde complexe" and shown["regles"] == "Opposables"
    assert shown["histoire"] == ""
    assert as_json(cli("code", "show", "--section", "contexte", "--json")) == {
        "contexte": "Un monde complexe"
    }
    text = ok(cli("code", "show", "--lang", "fr"))
    assert "## Contexte (contexte)\nUn monde complexe\n" in text
    assert "## Histoire (histoire)\n— D'où vient le projet" in text  # an empty section says what goes in it
    assert "## Context (contexte)" in ok(cli("code", "show", "--lang", "en", "--section", "contexte"))
    assert as_json(cli("code", "show", "--peer", me.upper(), "--json"))["contexte"] == "Un monde complexe"

    history = as_json(cli("code", "history", "--json"))
    assert [h["section"] for h in history] == ["contexte", "contexte", "regles"]
    for entry in history:
        assert set(entry) == {"section", "at", "by", "by_name", "added", "removed"}
        assert entry["by"] == me and entry["by_name"] == "Alice"
    assert (history[1]["added"], history[1]["removed"]) == (len(" complexe"), 0)
    assert re.search(r"contexte .* Alice  \+9 -0", ok(cli("code", "history")))


def test_code_set_from_a_file_and_from_stdin(cli: Cli, alice: str, tmp_path: Path) -> None:
    text = "Valeurs :\n  - confiance\n  - réciprocité\n\nFin.\n"
    source = tmp_path / "valeurs.md"
    source.write_text(text, "utf-8")
    assert ok(cli("code", "set", "valeurs", "--file", str(source))) == "valeurs: saved\n"
    assert as_json(cli("code", "show", "--section", "valeurs", "--json"))["valeurs"] == text
    assert ok(cli("code", "set", "histoire", "--file", "-", input="Née en 2017.\n")) == "histoire: saved\n"
    assert as_json(cli("code", "show", "--json"))["histoire"] == "Née en 2017.\n"


def test_code_edit_runs_the_editor_on_the_current_text(cli: Cli, alice: str, tmp_path: Path) -> None:
    ok(cli("code", "set", "mediation", "Un processus connu de tous.\n"))
    seen = tmp_path / "seen.txt"
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import pathlib, sys\n"
        "path = pathlib.Path(sys.argv[1])\n"
        f"pathlib.Path({str(seen)!r}).write_text(path.read_text('utf-8'), 'utf-8')\n"
        "path.write_text(path.read_text('utf-8') + \"L'exclusion en dernier recours.\\n\", 'utf-8')\n",
        "utf-8",
    )
    env = {"EDITOR": f"{sys.executable} {editor}", "VISUAL": ""}
    assert ok(cli("code", "edit", "médiation", env=env)) == "mediation: saved\n"
    assert seen.read_text("utf-8") == "Un processus connu de tous.\n"
    expected = "Un processus connu de tous.\nL'exclusion en dernier recours.\n"
    assert as_json(cli("code", "show", "--section", "mediation", "--json"))["mediation"] == expected
    # An editor that changes nothing saves nothing.
    assert (
        ok(cli("code", "edit", "mediation", env={"EDITOR": "true", "VISUAL": ""})) == "mediation: unchanged\n"
    )
    assert len(as_json(cli("code", "history", "--json"))) == 2


# -- catalogue -----------------------------------------------------------------------------------------------

LIST_FIELDS = {"id", "kind", "title", "author", "status", "tags"}


def test_items_of_every_kind_and_the_shortcuts(cli: Cli, alice: str) -> None:
    me = alice
    made: dict[str, str] = {}
    for kind in ("offer", "need", "call", "event", "seed"):
        made[kind] = ok(cli("item", "add", kind, "--title", f"{kind} via item")).strip()
        made[f"{kind}-shortcut"] = ok(cli(kind, "add", "--title", f"{kind} via shortcut")).strip()
    assert all(ITEM_ID.fullmatch(i) for i in made.values())
    assert len(set(made.values())) == 10

    listed = as_json(cli("item", "list", "--json"))
    assert len(listed) == 10
    for entry in listed:
        assert set(entry) >= LIST_FIELDS
        assert entry["author"] == me and entry["author_name"] == "Alice" and entry["status"] == "published"
    by_id = {entry["id"]: entry for entry in listed}
    for key, item_id in made.items():
        assert by_id[item_id]["kind"] == key.split("-")[0]
    events = as_json(cli("event", "list", "--json"))
    assert {e["id"] for e in events} == {made["event"], made["event-shortcut"]}
    assert "offer via item" in ok(cli("offer", "list"))


def test_list_filters(cli: Cli, alice: str) -> None:
    me = alice
    bike = ok(cli("offer", "add", "--title", "Réparation vélo", "--tag", "#Vélo", "--tag", "atelier")).strip()
    seeds = ok(
        cli("seed", "add", "--title", "Graine communs", "--tag", "communs", "--status", "draft")
    ).strip()
    need = ok(
        cli("need", "add", "--title", "Besoin de bras", "--tag", "atelier", "--description", "Samedi")
    ).strip()

    def ids(*args: str) -> set[str]:
        return {entry["id"] for entry in as_json(cli("item", "list", "--json", *args))}

    assert ids() == {bike, seeds, need}
    assert ids("--kind", "offer", "--kind", "NEED") == {bike, need}
    assert ids("--tag", "#ATELIER", "--status", "published") == {bike, need}
    assert ids("--status", "draft") == {seeds}
    # A peer id may be typed in any case, grouped with dashes.
    assert ids("--author", "-".join(me[i : i + 8] for i in range(0, len(me), 8)).upper()) == {
        bike,
        seeds,
        need,
    }
    assert ids("--author", encode_peer_id(bytes(32))) == set()
    assert ids("--search", "samedi bras") == {need}
    assert ok(cli("item", "list", "--tag", "nothing")) == "nothing found\n"
    assert {e["id"] for e in as_json(cli("offer", "list", "--json", "--tag", "# VÉLO"))} == {bike}


def test_show_update_archive_and_answer(cli: Cli, alice: str) -> None:
    me = alice
    item_id = ok(
        cli(
            "event",
            "add",
            "--title",
            "Festival #OFF",
            "--description",
            "Un festival permanent.\nSans murs.",
            "--tag",
            "OFF",
            "--place",
            "Lyon",
            "--begins",
            "2026-07-14T18:00",
            "--ends",
            "2026-07-14T23:30",
            "--reciprocity",
            "gift",
        )
    ).strip()
    shown = as_json(cli("item", "show", item_id, "--json"))
    assert shown["title"] == "Festival #OFF" and shown["kind"] == "event" and shown["tags"] == ["off"]
    assert shown["begins"] == "2026-07-14T18:00" and shown["ends"] == "2026-07-14T23:30"
    assert shown["description"] == "Un festival permanent.\nSans murs." and shown["place"] == "Lyon"
    assert shown["reciprocity"] == "gift" and shown["project"] is None and shown["answers"] == []
    assert shown["author"] == me and shown["author_name"] == "Alice"
    text = ok(cli("item", "show", item_id))
    assert "Festival #OFF" in text and "#off" in text and "Sans murs." in text

    assert ok(
        cli("item", "update", item_id, "--title", "Festival permanent", "--tag", "off", "--tag", "lyon")
    ) == (item_id + "\n")
    assert ok(cli("item", "update", item_id, "--status", "matched")) == item_id + "\n"
    shown = as_json(cli("item", "show", item_id, "--json"))
    assert shown["title"] == "Festival permanent" and shown["tags"] == ["off", "lyon"]
    assert shown["status"] == "matched" and shown["place"] == "Lyon"

    answer_id = ok(cli("item", "answer", item_id, "--kind", "interested", "--message", "J'arrive")).strip()
    assert ITEM_ID.fullmatch(answer_id)
    [answer] = as_json(cli("item", "show", item_id, "--json"))["answers"]
    assert answer["id"] == answer_id and answer["kind"] == "interested" and answer["message"] == "J'arrive"
    assert answer["item"] == item_id and answer["item_author"] == me and answer["author"] == me
    assert "interested" in ok(cli("item", "show", item_id))

    assert ok(cli("item", "archive", item_id)) == item_id + "\n"
    assert as_json(cli("item", "show", item_id, "--json"))["status"] == "archived"
    assert {e["id"] for e in as_json(cli("item", "list", "--status", "archived", "--json"))} == {item_id}


def test_answers_and_bundles_between_two_people(tmp_path: Path) -> None:
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    ok(run_cli(alice, "init", "--name", "Alice"))
    ok(run_cli(bob, "init", "--name", "Bob"))
    need = ok(run_cli(bob, "need", "add", "--title", "Besoin de bras", "--tag", "atelier")).strip()
    bundle = tmp_path / "bob.bundle"
    assert "wrote" in ok(run_cli(bob, "bundle", "export", str(bundle)))
    [row] = as_json(run_cli(alice, "bundle", "import", str(bundle), "--json"))
    assert row["added"] == 2 and row["new_document"] is True and row["waiting"] == 0

    [listed] = as_json(run_cli(alice, "item", "list", "--json"))
    assert listed["id"] == need and listed["author_name"] == "Bob"
    answer = ok(run_cli(alice, "item", "answer", need, "--message", "Je peux aider")).strip()
    refused = run_cli(alice, "item", "update", need, "--title", "pris")
    assert_one_line_error(refused)
    assert "belongs to someone else" in refused.err

    back = tmp_path / "alice.bundle"
    ok(run_cli(alice, "bundle", "export", str(back)))
    ok(run_cli(bob, "bundle", "import", str(back)))
    [received] = as_json(run_cli(bob, "item", "show", need, "--json"))["answers"]
    assert (
        received["id"] == answer and received["kind"] == "can_help" and received["message"] == "Je peux aider"
    )


# -- export --------------------------------------------------------------------------------------------------


def test_export_json_and_markdown(cli: Cli, alice: str, tmp_path: Path) -> None:
    me = alice
    ok(cli("code", "set", "contexte", "Un monde complexe"))
    item_id = ok(cli("offer", "add", "--title", "Vélo", "--tag", "lyon", "--place", "Lyon")).strip()

    data = as_json(cli("export"))
    assert data["format"] == "reliance-export/1" and data["exported_by"] == me and data["projects"] == []
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", data["exported_at"])
    [mine] = data["participants"]
    assert mine["peer_id"] == me and mine["name"] == "Alice"
    assert mine["code"] == {"contexte": "Un monde complexe"}
    assert [i["id"] for i in mine["items"]] == [item_id]
    assert [h["section"] for h in mine["code_history"]] == ["contexte"]

    target = tmp_path / "out.json"
    assert ok(cli("export", "--format", "json", "--output", str(target))) == f"wrote {target}\n"
    written = json.loads(target.read_text("utf-8"))
    del written["exported_at"], data["exported_at"]
    assert written == data

    markdown = ok(cli("export", "--format", "markdown", "--lang", "fr"))
    assert markdown.startswith("# Code social de Alice\n")
    assert "### Contexte\n\nUn monde complexe\n" in markdown
    assert "## Catalogue contributif" in markdown and "### Vélo" in markdown and "#lyon" in markdown
    english = ok(cli("export", "--format", "markdown", "--lang", "en"))
    assert english.startswith("# Social code of Alice\n") and "## Contributive catalogue" in english
    md_file = tmp_path / "code.md"
    ok(cli("export", "--format", "markdown", "--output", str(md_file)))
    assert md_file.read_text("utf-8") == english  # without --lang: the home's language (here the locale's)


# -- projects and blocking -----------------------------------------------------------------------------------


def test_projects(cli: Cli, alice: str) -> None:
    me = alice
    project = ok(cli("project", "create", "Atelier vélo")).strip()
    assert re.fullmatch(r"pj[0-9a-f]{32}", project)
    [summary] = as_json(cli("project", "list", "--json"))
    assert summary["id"] == project and summary["name"] == "Atelier vélo"
    assert summary["members"] == [
        {"peer_id": me, "role": "steward", "added_by": me, "added_at": summary["members"][0]["added_at"]}
    ]
    bob = encode_peer_id(bytes(range(32)))
    ok(cli("project", "add-member", "Atelier vélo", bob))
    assert {m["peer_id"] for m in as_json(cli("project", "show", project, "--json"))["members"]} == {me, bob}
    entry = ok(
        cli("project", "contribute", project[:8], "--kind", "time", "--amount", "90", "--unit", "min")
    ).strip()
    [row] = as_json(cli("project", "ledger", project, "--json"))
    assert row["id"] == entry and row["amount"] == 90 and row["unit"] == "min" and row["member"] == me
    ok(cli("code", "set", "gouvernance", "Décisions au consentement", "--project", project))
    assert (
        as_json(cli("code", "show", "--project", project, "--json"))["gouvernance"]
        == "Décisions au consentement"
    )


def test_block_and_unblock(cli: Cli, alice: str) -> None:
    other = encode_peer_id(bytes(range(32)))
    assert ok(cli("block", other.upper(), "--reason", "spam")) == "blocked\n"
    assert ok(cli("block", other)) == "already blocked\n"
    [entry] = as_json(cli("blocks", "--json"))
    assert entry["peer_id"] == other and entry["reason"] == "spam" and entry["since"]
    assert ok(cli("unblock", other)) == "unblocked\n"
    assert ok(cli("unblock", other)) == "was not blocked\n"
    assert ok(cli("blocks")) == "nobody is blocked\n"


def test_help_lists_the_commands() -> None:
    out = ok(run_cli(None, "--help"))
    for command in ("init", "whoami", "code", "item", "offer", "need", "call", "event", "seed", "export"):
        assert re.search(rf"^  {command}\s", out, re.M), command
    assert ok(run_cli(None, "--version")).startswith("reliance, version ")


# -- bad input: one line on stderr, a non-zero exit, and nothing stored changes ------------------------------


@dataclass
class Populated:
    home: Path
    me: str
    item: str
    bobs_item: str
    export: dict[str, Any]
    files: dict[str, Path] = field(default_factory=dict)


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Populated:
    root = tmp_path_factory.mktemp("populated")
    home, bob = root / "home", root / "bob"
    ok(run_cli(home, "init", "--name", "Alice"))
    ok(run_cli(bob, "init", "--name", "Bob"))
    bobs_item = ok(run_cli(bob, "offer", "add", "--title", "Vélo de Bob")).strip()
    ok(run_cli(bob, "bundle", "export", str(root / "bob.bundle")))
    ok(run_cli(home, "bundle", "import", str(root / "bob.bundle")))
    ok(run_cli(home, "code", "set", "contexte", "Un monde complexe"))
    item = ok(run_cli(home, "need", "add", "--title", "Besoin", "--tag", "atelier")).strip()
    me = as_json(run_cli(home, "whoami", "--json"))["peer_id"]
    files = {"binary": root / "binary.md", "garbage": root / "garbage.bundle", "dir": root}
    files["binary"].write_bytes(b"\xff\xfe\x00 not utf-8 \xc3")
    files["garbage"].write_bytes(b"\x93not a bundle")
    return Populated(home, me, item, bobs_item, export_state(home), files)


def typo(peer: str) -> str:
    position = 20
    return peer[:position] + ("a" if peer[position] != "a" else "b") + peer[position + 1 :]


BAD_INPUT: dict[str, Callable[[Populated], list[str]]] = {
    "unknown kind": lambda p: ["item", "add", "party", "--title", "x"],
    "unknown kind in a filter": lambda p: ["item", "list", "--kind", "party"],
    "unknown status": lambda p: ["offer", "add", "--title", "x", "--status", "done"],
    "unknown section": lambda p: ["code", "set", "bogus", "text"],
    "section in the wrong group": lambda p: ["code", "show", "--section", "modeles.contexte"],
    "bad date": lambda p: ["offer", "add", "--title", "x", "--begins", "2026-02-30"],
    "ends before begins": lambda p: [
        "event",
        "add",
        "--title",
        "x",
        "--begins",
        "2026-07-14T18:00",
        "--ends",
        "2026-07-14",
    ],
    "bad date in an update": lambda p: ["item", "update", p.item, "--ends", "soon"],
    "unknown item to show": lambda p: ["item", "show", "0000000000000000"],
    "unknown item to update": lambda p: ["item", "update", "0000000000000000", "--title", "x"],
    "unknown item to answer": lambda p: ["item", "answer", "0000000000000000"],
    "someone else's item": lambda p: ["item", "archive", p.bobs_item],
    "unknown answer kind": lambda p: ["item", "answer", p.bobs_item, "--kind", "maybe"],
    "nothing to update": lambda p: ["item", "update", p.item],
    "no title": lambda p: ["offer", "add"],
    "title too long": lambda p: ["offer", "add", "--title", "x" * 201],
    "mistyped peer id in a filter": lambda p: ["item", "list", "--author", typo(p.me)],
    "mistyped peer id": lambda p: ["code", "show", "--peer", typo(p.me)],
    "unknown peer": lambda p: ["code", "history", "--peer", encode_peer_id(bytes(32))],
    "unreadable file": lambda p: ["code", "set", "contexte", "--file", str(p.files["dir"] / "missing.md")],
    "file that is not UTF-8": lambda p: ["code", "set", "contexte", "--file", str(p.files["binary"])],
    "a directory as file": lambda p: ["code", "set", "contexte", "--file", str(p.files["dir"])],
    "text and no text": lambda p: ["code", "set", "contexte"],
    "unwritable output": lambda p: ["export", "--output", str(p.files["dir"] / "missing" / "out.json")],
    "missing bundle": lambda p: ["bundle", "import", str(p.files["dir"] / "missing.bundle")],
    "not a bundle": lambda p: ["bundle", "import", str(p.files["garbage"])],
    "unknown project": lambda p: ["project", "show", "nothing"],
    "unknown command": lambda p: ["frobnicate"],
    "second init": lambda p: ["init", "--name", "Mallory"],
    "editor fails": lambda p: ["code", "edit", "contexte"],
}


@dataclass(frozen=True)
class Outcome:
    result: CliResult
    before: dict[str, bytes]
    after: dict[str, bytes]
    export_after: dict[str, Any]


def library_export(home: Path) -> dict[str, Any]:
    """What `reliance export --format json` prints, computed in this process (saves a subprocess)."""
    data = json.loads(exporters.export(Workspace.open(home), "json"))
    assert isinstance(data, dict)
    del data["exported_at"]
    return data


@pytest.fixture(scope="module")
def bad_input_outcomes(populated: Populated, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Run every bad command once, each on its own copy of the populated home, two at a time."""
    root = tmp_path_factory.mktemp("bad-input")

    def run(index: int, case: str) -> tuple[str, Outcome]:
        home = root / f"case{index}"
        shutil.copytree(populated.home, home)
        before = tree(home)
        result = run_cli(home, *BAD_INPUT[case](populated), env={"EDITOR": "false", "VISUAL": ""})
        return case, Outcome(result, before, tree(home), library_export(home))

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(lambda pair: run(*pair), enumerate(sorted(BAD_INPUT))))


def test_the_export_of_an_untouched_copy_is_stable(populated: Populated, tmp_path: Path) -> None:
    """The comparison below is meaningful: a copied home exports exactly like the original."""
    shutil.copytree(populated.home, tmp_path / "home")
    assert library_export(tmp_path / "home") == populated.export
    assert populated.export["participants"][0]["items"]  # and there is something to lose


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_one_line_and_changes_nothing(
    populated: Populated, bad_input_outcomes: dict[str, Outcome], case: str
) -> None:
    outcome = bad_input_outcomes[case]
    assert_one_line_error(outcome.result)
    assert outcome.after == outcome.before
    assert outcome.export_after == populated.export


@pytest.mark.parametrize(
    "args",
    [["whoami"], ["item", "list"], ["offer", "add", "--title", "x"]],
    ids=" ".join,
)
def test_no_identity_yet(tmp_path: Path, args: list[str]) -> None:
    home = tmp_path / "nobody"
    result = run_cli(home, *args)
    assert_one_line_error(result)
    assert "reliance init" in result.err
    assert not home.exists()


def damage_log_header(home: Path, doc_id: str) -> None:
    log_path = home / "docs" / doc_id / "log"
    raw = bytearray(log_path.read_bytes())
    raw[12] ^= 0xFF
    log_path.write_bytes(bytes(raw))


def damage_snapshot(home: Path, doc_id: str) -> None:
    (home / "docs" / doc_id / "snapshot").write_bytes(b"\x00 this is not a snapshot")


@pytest.mark.parametrize("damage", [damage_log_header, damage_snapshot])
@pytest.mark.parametrize("args", [["item", "list"], ["need", "add", "--title", "x"]])
def test_a_corrupt_store_is_reported_and_left_alone(
    populated: Populated, tmp_path: Path, damage: Callable[[Path, str], None], args: list[str]
) -> None:
    home = tmp_path / "home"
    shutil.copytree(populated.home, home)
    damage(home, populated.me)
    before = tree(home)
    result = run_cli(home, *args)
    assert_one_line_error(result)
    assert populated.me in result.err
    assert tree(home) == before


def test_environment_home(populated: Populated, tmp_path: Path) -> None:
    home = tmp_path / "elsewhere"
    shutil.copytree(populated.home, home)
    result = run_cli(None, "whoami", "--json", env={"RELIANCE_HOME": str(home)})
    assert json.loads(ok(result))["peer_id"] == populated.me
    assert os.fspath(home.resolve()) == json.loads(result.out)["home"]


def test_a_restored_identity_writes_nothing_until_its_document_is_back(tmp_path: Path) -> None:
    """A saved key put into an empty home: writing at once would start a second history under the same
    key, which every peer holding the first one refuses. The CLI refuses instead, until a bundle (or a
    peer) brings the document back; then the history simply continues."""
    original, restored = tmp_path / "laptop", tmp_path / "new-laptop"
    ok(run_cli(original, "init", "--name", "Alice"))
    first = ok(run_cli(original, "offer", "add", "--title", "Vélo")).strip()
    ok(run_cli(original, "code", "set", "valeurs", "Soin"))
    shutil.copytree(original / "identity", restored / "identity")

    refused = run_cli(restored, "offer", "add", "--title", "Trop tôt")
    assert_one_line_error(refused)
    assert "your own document is not in this home" in refused.err and "--new-history" in refused.err
    assert_one_line_error(run_cli(restored, "code", "set", "valeurs", "Trop tôt"))
    shown = as_json(run_cli(restored, "code", "show", "--json"))  # reading creates nothing
    assert len(shown) == SECTION_COUNT and not any(shown.values())
    assert as_json(run_cli(restored, "item", "list", "--json")) == []
    assert tree(restored / "docs") == {}

    ok(run_cli(original, "bundle", "export", str(tmp_path / "stick.rlb")))
    ok(run_cli(restored, "bundle", "import", str(tmp_path / "stick.rlb")))
    second = ok(run_cli(restored, "offer", "add", "--title", "Remorque")).strip()
    ok(run_cli(restored, "bundle", "export", str(tmp_path / "back.rlb")))
    ok(run_cli(original, "bundle", "import", str(tmp_path / "back.rlb")))  # one history: accepted
    listed = as_json(run_cli(original, "item", "list", "--json"))
    assert {i["id"] for i in listed} == {first, second}
    again = run_cli(restored, "init", "--new-history")  # the document is here
    assert_one_line_error(again)
    assert "nothing to start again" in again.err


def test_init_new_history_when_the_document_is_lost_everywhere(tmp_path: Path) -> None:
    original, restored = tmp_path / "laptop", tmp_path / "new-laptop"
    ok(run_cli(original, "init", "--name", "Alice"))
    shutil.copytree(original / "identity", restored / "identity")
    assert_one_line_error(run_cli(tmp_path / "empty", "init", "--new-history"))  # no identity at all
    assert_one_line_error(run_cli(restored, "init"))  # neither --name nor --new-history
    assert "started a new history" in ok(run_cli(restored, "init", "--new-history"))
    item_id = ok(run_cli(restored, "need", "add", "--title", "Un toit")).strip()
    assert [i["id"] for i in as_json(run_cli(restored, "item", "list", "--json"))] == [item_id]
    assert as_json(run_cli(restored, "whoami", "--json"))["name"] == "Alice"


# -- privacy: drafts stay home, projects have a visibility, bundles carry what their maker chose -------------


def stored_bytes(home: Path) -> bytes:
    return stored_text(Workspace.open(home))


def test_a_draft_stays_on_the_device_until_it_is_published(cli: Cli, alice: str, home: Path) -> None:
    draft = ok(
        cli("offer", "add", "--title", "Idée pas mûre", "--description", "Secret", "--status", "draft")
    )
    draft = draft.strip()
    assert "Idée pas mûre".encode() not in stored_bytes(home)
    [listed] = as_json(cli("item", "list", "--json"))
    assert listed["id"] == draft and listed["status"] == "draft" and listed["author"] == alice
    assert as_json(cli("item", "show", draft, "--json"))["description"] == "Secret"
    assert "Idée pas mûre" in ok(cli("item", "show", draft))
    assert ok(cli("item", "update", draft, "--title", "Idée presque mûre")) == draft + "\n"
    assert as_json(cli("item", "list", "--status", "draft", "--json"))[0]["title"] == "Idée presque mûre"
    assert "mûre".encode() not in stored_bytes(home)

    assert ok(cli("item", "update", draft, "--status", "published")) == draft + "\n"
    assert "Idée presque mûre".encode() in stored_bytes(home)
    shown = as_json(cli("item", "show", draft, "--json"))
    assert shown["status"] == "published" and shown["title"] == "Idée presque mûre"
    assert [i["id"] for i in as_json(cli("item", "list", "--json"))] == [draft]
    refused = cli("item", "update", draft, "--status", "draft")
    assert_one_line_error(refused)
    assert "already published" in refused.err


def test_a_draft_archived_before_it_was_published_stays_home(cli: Cli, alice: str, home: Path) -> None:
    draft = ok(cli("need", "add", "--title", "Abandonné", "--status", "draft")).strip()
    assert ok(cli("item", "archive", draft)) == draft + "\n"
    assert as_json(cli("item", "show", draft, "--json"))["status"] == "archived"
    assert "Abandonné".encode() not in stored_bytes(home)


def test_project_visibility_is_chosen_shown_and_changed_by_stewards(cli: Cli, alice: str) -> None:
    members = ok(cli("project", "create", "Caisse commune")).strip()
    public = ok(cli("project", "create", "Jardin", "--visibility", "public")).strip()
    listed = {p["id"]: p["visibility"] for p in as_json(cli("project", "list", "--json"))}
    assert listed == {members: "members", public: "public"}
    assert as_json(cli("project", "show", public, "--json"))["visibility"] == "public"
    assert "members only" in ok(cli("project", "show", members))
    assert "public" in ok(cli("project", "list"))
    assert ok(cli("project", "visibility", members, "public")) == "Caisse commune is now public\n"
    assert as_json(cli("project", "show", members, "--json"))["visibility"] == "public"
    [exported] = [p for p in as_json(cli("export"))["projects"] if p["id"] == members]
    assert exported["visibility"] == "public"
    bad = cli("project", "create", "X", "--visibility", "secret")
    assert bad.code != 0 and "Traceback" not in bad.err


def test_only_stewards_change_a_visibility(tmp_path: Path) -> None:
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    ok(run_cli(alice, "init", "--name", "Alice"))
    ok(run_cli(bob, "init", "--name", "Bob"))
    bob_id = as_json(run_cli(bob, "whoami", "--json"))["peer_id"]
    pid = ok(run_cli(alice, "project", "create", "Atelier", "--visibility", "public")).strip()
    ok(run_cli(alice, "project", "add-member", pid, bob_id))
    ok(run_cli(alice, "bundle", "export", str(tmp_path / "a.bundle"), "--project", pid))
    ok(run_cli(bob, "bundle", "import", str(tmp_path / "a.bundle")))
    refused = run_cli(bob, "project", "visibility", pid, "members")
    assert_one_line_error(refused)
    assert "only stewards" in refused.err


def test_a_bundle_carries_public_projects_and_only_the_members_projects_asked_for(
    cli: Cli, alice: str, home: Path, tmp_path: Path
) -> None:
    members = ok(cli("project", "create", "Trésorerie")).strip()
    public = ok(cli("project", "create", "Commun", "--visibility", "public")).strip()
    ok(cli("offer", "add", "--title", "Publié"))
    ok(cli("offer", "add", "--title", "En brouillon", "--status", "draft"))

    def carried(*args: str) -> tuple[set[str], bytes]:
        path = tmp_path / f"b{len(args)}.bundle"
        ok(cli("bundle", "export", str(path), *args))
        other = tmp_path / f"other{len(args)}"
        ok(run_cli(other, "init", "--name", "Bob"))
        rows = as_json(run_cli(other, "bundle", "import", str(path), "--json"))
        changes = [c.info.chunk for _, signed in read_bundle(path) for c in signed]
        return {r["doc"] for r in rows}, readable_bytes(changes)

    docs, raw = carried()
    assert docs == {alice, public}
    assert b"En brouillon" not in raw and "Publié".encode() in raw
    docs, raw = carried("--project", "Trésorerie")
    assert docs == {alice, public, members}
    assert b"En brouillon" not in raw
