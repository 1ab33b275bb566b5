"""One damaged document never takes the others down: listing, showing and exporting skip it with a
one-line warning, and a stored document with one bad waiting change is read without it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import msgpack

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.export import exporters
from reliance.model.catalogue import Item, ItemKind
from reliance.replication.bundle import export_bundle, import_bundle, read_bundle
from reliance.store.files import SNAPSHOT_FORMAT
from tests.conftest import run_cli
from tests.sync.forged import Stranger


def two_projects(home: Path) -> tuple[Workspace, str, str]:
    ws = Workspace.create(home, "Alice")
    return ws, projects.create_project(ws, "atelier"), projects.create_project(ws, "cuisine")


def test_listing_showing_and_exporting_skip_an_unreadable_document(home: Path, tmp_path: Path) -> None:
    ws, good, bad = two_projects(home)
    ws.repo.open(bad).compact()
    (home / "docs" / bad / "snapshot").write_bytes(b"\x00 not a snapshot")

    code, out, err = run_cli(home, "project", "list")
    assert code == 0, err
    assert good in out and bad not in out
    (warning,) = err.splitlines()
    assert warning.startswith("reliance: warning:") and bad in warning

    code, out, err = run_cli(home, "project", "show", "atelier")
    assert code == 0 and "atelier" in out, err
    code, out, err = run_cli(home, "project", "show", bad)
    assert code != 0 and len(err.splitlines()) == 1 and "unreadable" in err, err

    stick = tmp_path / "all.bundle"
    code, out, err = run_cli(home, "bundle", "export", str(stick), "--all")
    assert code == 0, err
    (warning,) = err.splitlines()
    assert warning.startswith("reliance: warning:") and bad in warning
    assert {doc_id for doc_id, _ in read_bundle(stick)} == {ws.peer_id, good}


def test_one_bad_waiting_change_is_dropped_and_the_rest_kept(home: Path) -> None:
    """A snapshot holding a waiting change the store cannot read (damaged, or over today's limits):
    the document opens without it, says so, keeps everything else; the command line works."""
    ws, good, _ = two_projects(home)
    stranger = Stranger.new()
    honest = stranger.waiting_change(seq=1)
    damaged = bytearray(stranger.waiting_change(seq=2))
    damaged[-1] ^= 0xFF  # its checksum no longer matches
    doc = ws.repo.open(good)
    doc.compact()
    snapshot = msgpack.unpackb(doc.snapshot_path.read_bytes(), raw=False)
    assert snapshot["format"] == SNAPSHOT_FORMAT
    snapshot["pending"] = [[honest, stranger.sign(honest)[1]], [bytes(damaged), None]]
    doc.snapshot_path.write_bytes(msgpack.packb(snapshot, use_bin_type=True))

    reopened = Workspace.open(home).repo.open(good)
    assert set(reopened.pending) == {stranger.sign(honest)[0]}
    assert reopened.heads() == doc.heads()
    (warning,) = reopened.warnings
    assert "waiting change" in warning and "dropped" in warning
    code, out, err = run_cli(home, "project", "list")
    assert code == 0 and good in out, err
    (line,) = err.splitlines()  # what the store says goes out as every warning does: one line, translated
    assert line.startswith(f"reliance: warning: document {good}: dropped a waiting change"), err
    (home / "config.json").write_text('{"lang": "fr"}')
    code, out, err = run_cli(home, "project", "list")
    assert code == 0 and err.startswith(f"reliance : attention : document {good}: dropped"), err


def test_the_limits_of_a_home_come_from_its_config_and_environment(home: Path) -> None:
    """Configured limits reach the store; a change of our own that peers would refuse is not written."""
    ws = Workspace.create(home, "Alice")
    (home / "config.json").write_text('{"limits": {"max_change_bytes": 2048, "max_frame": "lots"}}')
    limits = Workspace.open(home).repo.limits
    assert limits.max_change_bytes == 2048 and limits.max_frame == 64 * 1024 * 1024
    before = ws.my_doc().heads()
    code, _, err = run_cli(home, "offer", "add", "--title", "long", "--description", "é" * 4000)
    assert code != 0 and len(err.splitlines()) == 1, err
    assert "limit of a change" in err and "nothing was written" in err
    assert Workspace.open(home).my_doc().heads() == before
    code, _, err = run_cli(
        home, "offer", "add", "--title", "long", "--description", "é" * 4000,
        env={"RELIANCE_LIMIT_MAX_CHANGE_BYTES": str(1 << 20)},
    )  # fmt: skip
    assert code == 0, err


def damage(home: Path, ws: Workspace, doc_id: str) -> None:
    """The document's snapshot no longer reads back (a disk error, a change stored by an older version)."""
    ws.repo.open(doc_id).compact()
    (home / "docs" / doc_id / "snapshot").write_bytes(b"\x00 not a snapshot")


def a_home_with_two_unreadable_documents(home: Path, tmp_path: Path) -> tuple[Workspace, str, str, str]:
    """Alice holds her document and a project she can read, a project she cannot, and Bob's document (he is
    a member of the readable project, with an entry in its ledger), which she cannot read either."""
    bob = Workspace.create(tmp_path / "bob", "Bob")
    bob.add_item(Item(id="", author="", kind=ItemKind.EVENT, title="Bob's party", begins="2026-06-01T18:00"))
    carry = tmp_path / "bob.bundle"
    export_bundle(bob.repo, carry, bob.repo.doc_ids(), bob.peer_id)
    ws, good, bad = two_projects(home)
    import_bundle(ws.repo, carry)
    ws.add_item(
        Item(id="", author="", kind=ItemKind.EVENT, title="Alice's picnic", begins="2026-06-02T12:00")
    )
    projects.add_member(ws, good, bob.peer_id)
    projects.record_entry(ws, good, kind="contribution", amount=60, unit="min", member=bob.peer_id)
    damage(home, ws, bad)
    damage(home, ws, bob.peer_id)
    return ws, good, bad, bob.peer_id


def warned_about(err: str) -> list[str]:
    """The documents a command's warnings say it left out; every line of `err` must be such a warning."""
    left_out = []
    for line in err.splitlines():
        assert line.startswith("reliance: warning: left out document "), err
        left_out.append(line.split()[5].rstrip(","))
    return left_out


def test_every_export_format_leaves_out_an_unreadable_document_with_one_warning(
    home: Path, tmp_path: Path
) -> None:
    ws, good, bad, bob = a_home_with_two_unreadable_documents(home, tmp_path)

    code, out, err = run_cli(home, "export", "--format", "json")
    assert code == 0, err
    assert sorted(warned_about(err)) == sorted([bad, bob])
    exported = json.loads(out)
    assert [p["peer_id"] for p in exported["participants"]] == [ws.peer_id]
    assert [p["id"] for p in exported["projects"]] == [good]

    code, out, err = run_cli(home, "export", "--format", "jsonld")
    assert code == 0, err
    assert sorted(warned_about(err)) == sorted([bad, bob])
    ids = {node.get("@id") for node in json.loads(out)["@graph"]}
    assert f"urn:reliance:peer:{ws.peer_id}" in ids and f"urn:reliance:project:{good}" in ids
    assert f"urn:reliance:peer:{bob}" not in ids and f"urn:reliance:project:{bad}" not in ids

    code, out, err = run_cli(home, "export", "--format", "markdown", "--lang", "en")
    assert code == 0 and "Alice's picnic" in out, err
    assert warned_about(err) == []  # only Alice's own document goes into it: nothing was left out

    code, out, err = run_cli(home, "export", "--format", "csv", "--project", good)
    assert code == 0, err
    assert warned_about(err) == [bob]  # Bob's name, which only his document holds, is missing
    (row,) = csv.DictReader(io.StringIO(out))
    assert row["member"] == bob and row["member_name"] == ""

    left_out: list[str] = []
    calendar = exporters.export(Workspace.open(home), "ics", on_unreadable=lambda d, e: left_out.append(d))
    assert left_out == [bob]
    assert "Alice's picnic" in calendar and "Bob's party" not in calendar


def test_the_warnings_of_an_export_speak_the_configured_language(home: Path, tmp_path: Path) -> None:
    _, _, bad, bob = a_home_with_two_unreadable_documents(home, tmp_path)
    (home / "config.json").write_text('{"lang": "fr"}')
    code, _, err = run_cli(home, "export", "--format", "json")
    assert code == 0, err
    lines = err.splitlines()
    assert len(lines) == 2 and all("laissé de côté, illisible" in line for line in lines), err
    assert {bad, bob} == {line.split()[5] for line in lines}


def test_a_member_whose_document_cannot_be_read_does_not_stop_project_show(
    home: Path, tmp_path: Path
) -> None:
    _, good, _, bob = a_home_with_two_unreadable_documents(home, tmp_path)
    code, out, err = run_cli(home, "project", "show", good)
    assert code == 0, err
    assert bob in out and "Alice" in out


def test_the_app_exports_the_rest_and_names_what_it_left_out(home: Path, tmp_path: Path) -> None:
    from reliance.tui.prefs.screen import write_bundle, write_export

    _, good, bad, bob = a_home_with_two_unreadable_documents(home, tmp_path)
    ws = Workspace.open(home)
    target, left_out = write_export(ws, "json", str(tmp_path), "all.json", None, "en")
    assert sorted(left_out) == sorted([bad, bob])
    assert [p["id"] for p in json.loads(target.read_text("utf-8"))["projects"]] == [good]
    count, _, left_out = write_bundle(ws, str(tmp_path), "all.bundle")
    assert count > 0 and sorted(left_out) == sorted([bad, bob])
    assert {doc_id for doc_id, _ in read_bundle(tmp_path / "all.bundle")} == {ws.peer_id, good}
