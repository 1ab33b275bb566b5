"""A home is its owner's alone: the directory is 0700 and every file 0600 from its creation, an older home is
tightened when it is opened, and no write follows a symbolic link planted in it."""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from reliance.app import home as home_module
from reliance.app import projects, settings
from reliance.app.workspace import Workspace
from reliance.fsutil import atomic_write
from reliance.identity import encode_peer_id
from reliance.model.catalogue import Item, ItemKind
from reliance.net.status import remember_typed_address
from reliance.replication.bundle import export_bundle, import_bundle
from reliance.tui import app as tui_app
from reliance.tui.common import data as tui_data
from tests.conftest import run_cli


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """Modes must not depend on the user's umask (the subprocesses of `run_cli` inherit it too)."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def loose_modes(home: Path) -> dict[str, str]:
    """Every directory not 0700 and every file not 0600 under `home` (itself included), with its mode."""
    found: dict[str, str] = {}
    top = os.lstat(home)
    if stat.S_IMODE(top.st_mode) != 0o700:
        found["."] = oct(stat.S_IMODE(top.st_mode))
    for directory, dirs, files in os.walk(home):
        for name in dirs + files:
            path = Path(directory) / name
            info = os.lstat(path)
            wanted = 0o700 if stat.S_ISDIR(info.st_mode) else 0o600
            if stat.S_ISLNK(info.st_mode) or stat.S_IMODE(info.st_mode) != wanted:
                found[str(path.relative_to(home))] = oct(stat.S_IMODE(info.st_mode))
    return found


def offer(title: str) -> Item:
    return Item(id="", kind=ItemKind.OFFER, title=title, author="")


def fill_a_home(home: Path, other: Path, tmp_path: Path) -> None:
    """Write every kind of file a home holds, through the library."""
    ws = Workspace.create(home, "Alice")
    ws.add_item(offer("pain"))
    ws.set_code("valeurs", "entraide")
    pid = projects.create_project(ws, "fournil")
    projects.contribute(ws, pid, "time", 30, "min")
    ws.repo.open(ws.peer_id).compact()
    settings.set_config(home, "port", "7448")
    settings.block(home, encode_peer_id(bytes(32)), "test")
    remember_typed_address(home, "127.0.0.1", 7000)
    bob = Workspace.create(other, "Bob")
    bob.add_item(offer("outils"))
    stick = tmp_path / "bob.bundle"
    export_bundle(bob.repo, stick, [bob.peer_id], bob.peer_id)
    import_bundle(ws.repo, stick)
    tui_data.save_cache(home, [])
    tui_data.save_follows(home, [bob.peer_id])
    root = logging.getLogger()
    handlers = list(root.handlers)
    tui_app._log_to_file(home)
    for handler in root.handlers[len(handlers) :]:
        root.removeHandler(handler)
        handler.close()


def test_every_file_is_created_private(
    tmp_path: Path, permissive_umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the tightening on open, so that only the modes files are created with are seen.
    monkeypatch.setattr(home_module, "tighten_home", lambda home: None)
    home = tmp_path / "home"
    fill_a_home(home, tmp_path / "bob", tmp_path)
    assert loose_modes(home) == {}


def test_every_file_written_through_the_cli_is_private(tmp_path: Path, permissive_umask: None) -> None:
    home = tmp_path / "home"
    for args in (
        ("init", "--name", "Alice"),
        ("offer", "add", "--title", "pain"),
        ("code", "set", "valeurs", "entraide"),
        ("project", "create", "fournil"),
        ("config", "set", "port", "7448"),
        ("block", encode_peer_id(bytes(32))),
        ("peer", "add", "127.0.0.1:7000"),
        ("bundle", "export", str(tmp_path / "out.bundle")),
    ):
        code, out, err = run_cli(home, *args)
        assert code == 0, (args, out, err)
    assert loose_modes(home) == {}


def test_an_older_home_is_tightened_when_it_is_opened(tmp_path: Path, permissive_umask: None) -> None:
    home = tmp_path / "home"
    fill_a_home(home, tmp_path / "bob", tmp_path)
    for directory, _, files in os.walk(home):
        os.chmod(directory, 0o755)
        for name in files:
            os.chmod(Path(directory) / name, 0o644)
    assert loose_modes(home)

    code, _, err = run_cli(home, "whoami")

    assert code == 0, err
    assert loose_modes(home) == {}


def test_tightening_leaves_what_is_not_the_homes_alone(tmp_path: Path, permissive_umask: None) -> None:
    home = tmp_path / "home"
    Workspace.create(home, "Alice")
    mine = home / "notes.txt"  # a file the user put there themselves
    mine.write_text("hello", "utf-8")
    os.chmod(mine, 0o644)
    outside = tmp_path / "shared.txt"
    outside.write_text("shared", "utf-8")
    os.chmod(outside, 0o644)
    (home / "docs" / "link").symlink_to(outside)

    Workspace.open(home)

    assert stat.S_IMODE(os.lstat(home).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(mine).st_mode) == 0o644
    assert stat.S_IMODE(os.stat(outside).st_mode) == 0o644


@pytest.mark.parametrize("planted", ["config.json.tmp", ".config.json.tmp", "docs/{me}/snapshot.tmp"])
def test_a_symlink_at_a_temporary_name_is_not_followed(tmp_path: Path, planted: str) -> None:
    home = tmp_path / "home"
    ws = Workspace.create(home, "Alice")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", "utf-8")
    (home / planted.format(me=ws.peer_id)).symlink_to(victim)

    settings.set_config(home, "port", "7448")
    ws.add_item(offer("pain"))
    ws.repo.open(ws.peer_id).compact()

    assert victim.read_text("utf-8") == "precious"
    assert settings.load_config(home)["port"] == 7448
    assert [i.title for i in Workspace.open(home).items()] == ["pain"]


@pytest.mark.parametrize("name", ["log", "lock"])
def test_a_document_file_that_is_a_symlink_is_not_written_through(tmp_path: Path, name: str) -> None:
    home = tmp_path / "home"
    ws = Workspace.create(home, "Alice")
    folder = home / "docs" / ws.peer_id
    victim = tmp_path / "victim.txt"
    if name == "log":
        victim.write_bytes((folder / "log").read_bytes())  # a readable log, elsewhere
    (folder / name).unlink(missing_ok=True)
    (folder / name).symlink_to(victim)
    before = victim.read_bytes() if victim.exists() else None

    code, out, err = run_cli(home, "offer", "add", "--title", "pain")

    if name == "lock":  # an old home's lock file: nothing opens it any more (one writer per home)
        assert code == 0, err
    else:
        assert code != 0, out
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert (victim.read_bytes() if victim.exists() else None) == before


def test_atomic_write_leaves_no_temporary_file_and_replaces_a_symlink_instead_of_following_it(
    tmp_path: Path,
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", "utf-8")
    target = tmp_path / "dir" / "settings.json"
    target.parent.mkdir()
    target.symlink_to(victim)
    atomic_write(target, json.dumps({"a": 1}).encode())
    assert victim.read_text("utf-8") == "precious"
    assert not target.is_symlink() and json.loads(target.read_text("utf-8")) == {"a": 1}
    assert sorted(p.name for p in target.parent.iterdir()) == ["settings.json"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
