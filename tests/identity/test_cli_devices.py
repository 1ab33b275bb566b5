"""The identity story through the command line: a phrase shown once, recovery from it on a new machine,
revoking the lost device, the device list, and homes made before participant keys (their backup)."""

from __future__ import annotations

import io
import json
import re
import tarfile
from pathlib import Path

import pytest

from reliance.app import projects
from reliance.app.devices import device_rows
from reliance.app.workspace import Workspace
from reliance.cli.main import main
from reliance.errors import OwnDocumentMissing
from reliance.identity import encode_peer_id, participant_key_from_phrase, public_bytes
from reliance.model.catalogue import Item, ItemKind
from reliance.replication.bundle import BundleRefused, export_bundle, import_bundle

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
OLD_PEER = "rl3aj7cortnv45khk3wvs7otwdfby4hqe3gugu2yguiafzj4iri5wmpqxx"
OLD_PROJECT = "pj348fc9baf40f9fe08075ee1528264960"


def run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    home: Path,
    *args: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["--home", str(home), *args])
    out, err = capsys.readouterr()
    return code, out, err


def offer(title: str) -> Item:
    return Item(id="", kind=ItemKind.OFFER, title=title, author="", description=title)


def phrase_of(out: str) -> str:
    words = re.findall(r"^\s*\d+\. (\w+)", out.replace("  ", "\n"), re.M)
    assert len(words) == 24, out
    return " ".join(words)


def carry(source: Workspace, target: Workspace, path: Path) -> None:
    export_bundle(source.repo, path, source.repo.doc_ids(), source.peer_id)
    import_bundle(target.repo, path)


def test_init_shows_the_phrase_once_and_it_stands_for_the_peer_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(capsys, monkeypatch, tmp_path / "a", "init", "--name", "Alice")
    assert code == 0
    phrase = phrase_of(out)
    ws = Workspace.open(tmp_path / "a")
    assert ws.peer_id == encode_peer_id(public_bytes(participant_key_from_phrase(phrase)))
    assert phrase.split()[0] not in (tmp_path / "a").joinpath("identity", "profile.json").read_text()
    _, again, _ = run(capsys, monkeypatch, tmp_path / "a", "whoami")
    assert phrase.split()[5] not in again


def test_recover_then_revoke_the_lost_device(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, out, _ = run(capsys, monkeypatch, tmp_path / "laptop", "init", "--name", "Alice")
    laptop = Workspace.open(tmp_path / "laptop")
    pid = projects.create_project(laptop, "garden")
    laptop.add_item(offer("soup"))
    code, said, err = run(
        capsys,
        monkeypatch,
        tmp_path / "new",
        "init",
        "--recover",
        "--name",
        "tablet",
        stdin=phrase_of(out) + "\n",
    )
    assert code == 0, err
    tablet = Workspace.open(tmp_path / "new")
    assert tablet.peer_id == laptop.peer_id and laptop.peer_id in said
    with pytest.raises(OwnDocumentMissing):  # the restored-identity rule: not before the document is back
        tablet.add_item(offer("too early"))
    carry(laptop, tablet, tmp_path / "b1")
    tablet.add_item(offer("bread"))
    projects.contribute(tablet, pid, "time", 10, "min", note="tablet")
    code, listed, err = run(capsys, monkeypatch, tmp_path / "new", "device", "list", "--json")
    rows = {row["name"]: row for row in json.loads(listed)}
    assert len(rows) == 2 and "tablet" in rows
    lost = next(n for n in rows if n != "tablet")
    assert rows["tablet"]["this_one"] and not rows[lost]["revoked"]
    code, said, err = run(capsys, monkeypatch, tmp_path / "new", "device", "revoke", lost)
    assert code == 0, err
    _, listed, _ = run(capsys, monkeypatch, tmp_path / "new", "device", "list", "--json")
    assert {row["name"]: row["revoked"] for row in json.loads(listed)}[lost] is True
    # What the lost laptop signs after the revocation is refused where the revocation is known.
    laptop.add_item(offer("thief's offer"))
    carry(
        laptop, tablet, tmp_path / "b2"
    )  # left out silently, like a blocked key's: the carrier is not at fault
    assert all(item.title != "thief's offer" for item in tablet.items())


def test_device_commands_refuse_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, monkeypatch, tmp_path / "a", "init", "--name", "Alice")
    for args in (("device", "revoke", "nobody"), ("device", "rename", "nobody", "x")):
        code, _, err = run(capsys, monkeypatch, tmp_path / "a", *args)
        assert code == 1 and len(err.strip().splitlines()) == 1 and "nobody" in err, err
    this = device_rows(Workspace.open(tmp_path / "a"))[0].name
    code, _, err = run(capsys, monkeypatch, tmp_path / "a", "device", "revoke", this)
    assert code == 1 and len(err.strip().splitlines()) == 1
    code, _out, err = run(capsys, monkeypatch, tmp_path / "a", "device", "rename", this, "laptop")
    assert code == 0, err
    assert [row.name for row in device_rows(Workspace.open(tmp_path / "a"))] == ["laptop"]
    code, _, err = run(
        capsys, monkeypatch, tmp_path / "b", "init", "--recover", "--name", "x", stdin="abandon " * 24
    )
    assert code == 1 and len(err.strip().splitlines()) == 1 and "checksum" in err, err
    assert not (tmp_path / "b" / "identity" / "device.key").exists()


def _old_home(tmp_path: Path) -> Path:
    with tarfile.open(FIXTURES / "home_before_devices.tar.gz") as archive:
        archive.extractall(tmp_path, filter="data")
    return tmp_path / "home"


def test_a_home_made_before_devices_keeps_everything_and_is_one_device(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _old_home(tmp_path)
    ws = Workspace.open(home)
    assert ws.peer_id == OLD_PEER and ws.identity.participant is None
    assert [item.title for item in ws.items() if item.author == OLD_PEER] == ["Soupe"]
    assert [row["note"] for row in projects.ledger(ws, OLD_PROJECT)] == ["avant"]
    projects.contribute(ws, OLD_PROJECT, "time", 5, "min", note="après")
    ws.add_item(offer("pain"))
    rows = device_rows(ws)
    assert len(rows) == 1 and rows[0].this_one
    # No phrase can exist for its key: a backup instead, and it restores the same identity.
    code, _, err = run(
        capsys, monkeypatch, home, "identity", "backup", str(tmp_path / "keys"), stdin="long enough\n"
    )
    assert code == 0 and "backup" in err, err
    code, _, err = run(
        capsys,
        monkeypatch,
        tmp_path / "again",
        "identity",
        "restore",
        str(tmp_path / "keys"),
        stdin="wrong one!\n",
    )
    assert code == 1 and len(err.strip().splitlines()) == 1
    code, _out, err = run(
        capsys,
        monkeypatch,
        tmp_path / "again",
        "identity",
        "restore",
        str(tmp_path / "keys"),
        stdin="long enough\n",
    )
    assert code == 0, err
    assert Workspace.open(tmp_path / "again").peer_id == OLD_PEER
    # A peer that held it before (the old format of proofs) takes the new changes.
    other = Workspace.create(tmp_path / "peer", "Bob")
    carry(ws, other, tmp_path / "b")
    assert {row["note"] for row in projects.ledger(other, OLD_PROJECT)} == {"avant", "après"}


def test_a_new_home_backup_restores_its_device_and_participant_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, monkeypatch, tmp_path / "a", "init", "--name", "Alice")
    code, _, err = run(
        capsys, monkeypatch, tmp_path / "a", "identity", "backup", str(tmp_path / "k"), stdin="12345678\n"
    )
    assert code == 0 and "backup" not in err, err
    code, _, err = run(
        capsys, monkeypatch, tmp_path / "b", "identity", "restore", str(tmp_path / "k"), stdin="12345678\n"
    )
    assert code == 0, err
    first, second = Workspace.open(tmp_path / "a").identity, Workspace.open(tmp_path / "b").identity
    assert (first.peer_id, first.public_key, first.certificate) == (
        second.peer_id,
        second.public_key,
        second.certificate,
    )
    assert second.holds_participant_key
    (tmp_path / "junk").write_bytes(b"RLKB\x01" + bytes(100))
    code, _, err = run(
        capsys, monkeypatch, tmp_path / "c", "identity", "restore", str(tmp_path / "junk"), stdin="12345678\n"
    )
    assert code == 1 and len(err.strip().splitlines()) == 1


def test_an_identity_copied_by_hand_is_found_out_and_pointed_to_device_join(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    run(capsys, monkeypatch, tmp_path / "a", "init", "--name", "Alice")
    first = Workspace.open(tmp_path / "a")
    (tmp_path / "b").mkdir()
    shutil.copytree(tmp_path / "a" / "identity", tmp_path / "b" / "identity")
    copy = Workspace.open(tmp_path / "b")
    carry(first, copy, tmp_path / "b1")  # the copy gets the document back, as a restored identity would
    first.add_item(offer("from the first"))
    copy.add_item(offer("from the copy"))  # the same key, the same next number: a second history
    with pytest.raises(BundleRefused):
        carry(copy, first, tmp_path / "b2")
    code, _, err = run(capsys, monkeypatch, tmp_path / "a", "offer", "list")
    assert code == 1 and len(err.strip().splitlines()) == 1 and "device join" in err, err


def test_a_recovered_device_gets_its_document_back_from_the_first_one_over_a_session(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.identity.test_grant import _sync

    _, out, _ = run(capsys, monkeypatch, tmp_path / "laptop", "init", "--name", "Alice")
    laptop = Workspace.open(tmp_path / "laptop")
    laptop.add_item(offer("soup"))
    run(capsys, monkeypatch, tmp_path / "new", "init", "--recover", "--name", "tablet", stdin=phrase_of(out))
    tablet = Workspace.open(tmp_path / "new")
    assert tablet.identity.holds_participant_key
    assert tablet.identity.network_key != laptop.identity.network_key  # each shows its own in the handshake
    _sync(laptop, tablet)
    tablet.add_item(offer("bread"))
    _sync(tablet, laptop)
    assert {"soup", "bread"} <= {item.title for item in laptop.items()}
