"""One damaged document never takes the others down: listing, showing and exporting skip it with a
one-line warning, and a stored document with one bad waiting change is read without it."""

from __future__ import annotations

from pathlib import Path

import msgpack

from reliance import projects
from reliance.store.repository import SNAPSHOT_FORMAT
from reliance.sync.bundle import read_bundle
from reliance.workspace import Workspace
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
