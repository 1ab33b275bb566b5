"""`bundle export` writes its file as a whole or not at all: a new file beside it, fsynced, renamed over
it, the directory fsynced (a USB stick pulled out, a full disk or a killed process never leaves half a
bundle where the last good one was)."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
from pathlib import Path

import pytest

from reliance.app.workspace import Workspace
from reliance.model.catalogue import Item, ItemKind
from reliance.replication.bundle import export_bundle, read_bundle
from tests.conftest import RELIANCE, run_cli


def offer(title: str) -> Item:
    return Item(id="", kind=ItemKind.OFFER, title=title, author="", description=title * 20)


def test_an_export_that_fails_midway_leaves_the_previous_bundle_whole(tmp_path: Path) -> None:
    """A real process whose file size is capped (as a full stick would): the write fails past the cap."""
    home = tmp_path / "home"
    workspace = Workspace.create(home, "Camille")
    workspace.add_item(offer("Bread"))
    target = tmp_path / "stick" / "camille.bundle"
    target.parent.mkdir()
    code, _, err = run_cli(home, "bundle", "export", str(target))
    assert code == 0, err
    previous = target.read_bytes()
    for i in range(20):
        workspace.add_item(offer(f"Soup {i}"))

    def capped() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the cap fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (len(previous) + 100, len(previous) + 100))

    environ = {k: v for k, v in os.environ.items() if not k.startswith("RELIANCE_")} | {"LC_ALL": "C.UTF-8"}
    proc = subprocess.run(
        [str(RELIANCE), "--home", str(home), "bundle", "export", str(target)],
        capture_output=True,
        text=True,
        env=environ,
        preexec_fn=capped,
        timeout=60,
    )
    assert proc.returncode != 0
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "cannot write" in proc.stderr
    assert target.read_bytes() == previous  # the last good bundle, untouched
    assert sorted(p.name for p in target.parent.iterdir()) == ["camille.bundle"]  # no leftover


def test_an_export_is_fsynced_renamed_into_place_and_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = Workspace.create(tmp_path / "home", "Camille")
    target = tmp_path / "out" / "camille.bundle"
    target.parent.mkdir()
    target.write_bytes(b"an older bundle")
    synced: list[str] = []
    renamed: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def spy_fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    def spy_replace(src: str | Path, dst: str | Path) -> None:
        renamed.append((str(src), str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", spy_fsync)
    monkeypatch.setattr(os, "replace", spy_replace)
    count = export_bundle(workspace.repo, target, [workspace.peer_id], workspace.peer_id)
    monkeypatch.undo()

    assert count == 1
    assert len(read_bundle(target)) == 1
    (temporary,) = [s for s, d in renamed if d == str(target)]
    assert Path(temporary).parent == target.parent and Path(temporary).name != target.name
    assert synced.index(temporary) < synced.index(str(target.parent))  # the data, then the directory entry
    assert target.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["camille.bundle"]
