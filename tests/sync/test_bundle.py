"""Offline bundles through the command line: a round trip between two homes, and bundles that are
tampered with, unauthorised, blocked, incomplete or not bundles at all (nothing changes; the command
exits non-zero with one line)."""

from __future__ import annotations

import json
from pathlib import Path

import msgpack
import pytest

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.automerge import wire
from reliance.cli.main import main
from reliance.model.catalogue import Item, ItemKind
from reliance.replication.bundle import BUNDLE_FORMAT, BundleError, export_bundle, import_bundle, read_bundle
from tests.sync.hostile import find_panic_change, hand_made_entry, tamper

Home = tuple[Path, Workspace]


def run(capsys: pytest.CaptureFixture[str], home: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--home", str(home), *args])
    out, err = capsys.readouterr()
    return code, out, err


def init(capsys: pytest.CaptureFixture[str], home: Path, name: str) -> Workspace:
    code, out, _ = run(capsys, home, "init", "--name", name)
    assert code == 0, out
    return Workspace.open(home)


def offer(title: str) -> Item:
    return Item(id="", kind=ItemKind.OFFER, title=title, author="", description=title)


def holdings(ws: Workspace) -> dict[str, tuple[list[bytes], int, int]]:
    """Every document of a home, as it is on disk: heads, buffered changes, log size."""
    fresh = Workspace.open(ws.home)
    out = {}
    for doc_id in fresh.repo.doc_ids():
        doc = fresh.repo.open(doc_id)
        out[doc_id] = (doc.heads(), len(doc.pending), doc.log_path.stat().st_size)
    return out


def rewrite(path: Path, change: object) -> None:
    data = msgpack.unpackb(path.read_bytes(), raw=False)
    change(data)  # type: ignore[operator]
    path.write_bytes(msgpack.packb(data, use_bin_type=True))


def assert_one_line_failure(code: int, err: str, *words: str) -> None:
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("reliance: error:"), err
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def homes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Workspace, Workspace]:
    alice = init(capsys, tmp_path / "alice", "Alice")
    bob = init(capsys, tmp_path / "bob", "Bob")
    return alice, bob


def test_round_trip_between_two_homes_through_the_cli(
    homes: tuple[Workspace, Workspace], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob = homes
    alice.add_item(offer("pain au levain"))
    alice.set_code("valeurs", "entraide et soin")
    pid = projects.create_project(alice, "fournil")
    projects.add_member(alice, pid, bob.peer_id)
    projects.contribute(alice, pid, "time", 120, "min", note="pétrir")
    stick = tmp_path / "usb" / "alice.bundle"
    stick.parent.mkdir()

    code, out, err = run(capsys, alice.home, "bundle", "export", str(stick), "--project", "fournil")
    assert code == 0, err
    assert "2 documents" in out
    code, out, err = run(capsys, bob.home, "bundle", "import", str(stick))
    assert code == 0, err
    assert out.strip().splitlines()[-1].startswith("imported ")
    for doc_id in (alice.peer_id, pid):
        assert holdings(bob)[doc_id][0] == holdings(alice)[doc_id][0]
    bob = Workspace.open(bob.home)
    assert [i.title for i in bob.items() if i.author == alice.peer_id] == ["pain au levain"]
    assert bob.code(alice.peer_id)["valeurs"] == "entraide et soin"
    assert [row["note"] for row in projects.ledger(bob, pid)] == ["pétrir"]

    # Bob answers on the way back: his own document and his contribution to the shared project.
    projects.contribute(bob, pid, "money", 500, "EUR-cent", note="farine")
    back = tmp_path / "usb" / "bob.bundle"
    code, _, err = run(capsys, bob.home, "bundle", "export", str(back), "--doc", pid, "--doc", bob.peer_id)
    assert code == 0, err
    code, out, err = run(capsys, alice.home, "bundle", "import", str(back), "--json")
    assert code == 0, err
    rows = {row["doc"]: row for row in json.loads(out)}
    assert rows[pid]["added"] == 1 and rows[pid]["already_had"] >= 3
    assert rows[bob.peer_id]["new_document"] is True
    assert holdings(alice)[pid][0] == holdings(bob)[pid][0]
    assert {row["note"] for row in projects.ledger(Workspace.open(alice.home), pid)} == {"pétrir", "farine"}

    # Importing the same bundle again changes nothing.
    before = holdings(alice)
    code, out, err = run(capsys, alice.home, "bundle", "import", str(back))
    assert code == 0 and "imported 0 new changes" in out
    assert holdings(alice) == before


def test_tampered_bundle_changes_nothing(
    homes: tuple[Workspace, Workspace], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob = homes
    alice.add_item(offer("a"))
    alice.add_item(offer("b"))
    path = tmp_path / "alice.bundle"
    export_bundle(alice.repo, path, alice.repo.doc_ids(), alice.peer_id)
    before = holdings(bob)

    def tamper_last(data: dict[str, object]) -> None:
        changes = data["docs"][0]["changes"]  # type: ignore[index]
        changes[-1][0] = tamper(changes[-1][0])

    rewrite(path, tamper_last)
    code, _, err = run(capsys, bob.home, "bundle", "import", str(path))
    assert_one_line_failure(code, err, "nothing imported", "forged signature")
    assert holdings(bob) == before

    # Flipping a byte without recomputing the checksum is caught even earlier.
    export_bundle(alice.repo, path, alice.repo.doc_ids(), alice.peer_id)

    def flip(data: dict[str, object]) -> None:
        chunk = bytearray(data["docs"][0]["changes"][0][0])  # type: ignore[index]
        chunk[-1] ^= 0xFF
        data["docs"][0]["changes"][0][0] = bytes(chunk)  # type: ignore[index]

    rewrite(path, flip)
    code, _, err = run(capsys, bob.home, "bundle", "import", str(path))
    assert_one_line_failure(code, err, "damaged change")
    assert holdings(bob) == before


def test_unauthorised_bundle_changes_nothing_not_even_its_valid_documents(
    homes: tuple[Workspace, Workspace], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob = homes
    mallory = init(capsys, tmp_path / "mallory", "Mallory")
    pid = projects.create_project(alice, "caisse")
    stick = tmp_path / "alice.bundle"
    export_bundle(alice.repo, stick, [pid], alice.peer_id)
    assert run(capsys, mallory.home, "bundle", "import", str(stick))[0] == 0
    # Mallory holds a copy of the project (anyone may) and writes into its ledger by hand.
    mallory = Workspace.open(mallory.home)
    mallory.add_item(offer("a perfectly valid offer"))
    hand_made_entry(mallory, pid, 10_000)
    path = tmp_path / "mallory.bundle"
    export_bundle(mallory.repo, path, [mallory.peer_id, pid], mallory.peer_id)
    assert run(capsys, bob.home, "bundle", "import", str(stick))[0] == 0
    before = holdings(bob)
    code, _, err = run(capsys, bob.home, "bundle", "import", str(path))
    assert_one_line_failure(code, err, "nothing imported", "is not a member")
    assert holdings(bob) == before
    assert mallory.peer_id not in holdings(bob)


def test_bundle_with_a_change_that_panics_automerge_changes_nothing(
    homes: tuple[Workspace, Workspace], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob = homes
    case = find_panic_change()
    alice.add_item(offer("fine"))
    good = [[c.info.chunk, c.signature] for c in alice.my_doc().signed_changes()]
    signed = [[chunk, case.sign(chunk)[1]] for chunk in [*case.base, case.panic]]
    path = tmp_path / "mixed.bundle"
    path.write_bytes(
        msgpack.packb(
            {
                "format": BUNDLE_FORMAT,
                "created": "2026-01-01T00:00:00+00:00",
                "by": alice.peer_id,
                "docs": [{"id": alice.peer_id, "changes": good}, {"id": case.doc_id, "changes": signed}],
            },
            use_bin_type=True,
        )
    )
    before = holdings(bob)
    code, _, err = run(capsys, bob.home, "bundle", "import", str(path))
    assert_one_line_failure(code, err, "nothing imported")
    assert holdings(bob) == before


def test_blocked_authors_are_not_imported_nor_exported(
    homes: tuple[Workspace, Workspace], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob = homes
    alice.add_item(offer("x"))
    path = tmp_path / "alice.bundle"
    export_bundle(alice.repo, path, [alice.peer_id], alice.peer_id)
    assert run(capsys, bob.home, "block", alice.peer_id, "--reason", "spam")[0] == 0
    code, out, err = run(capsys, bob.home, "bundle", "import", str(path), "--json")
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["blocked"] == 2 and row["added"] == 0
    assert alice.peer_id not in holdings(bob)
    # Unblocked, Bob imports it; blocked again, he does not pass it on.
    run(capsys, bob.home, "unblock", alice.peer_id)
    assert run(capsys, bob.home, "bundle", "import", str(path))[0] == 0
    run(capsys, bob.home, "block", alice.peer_id)
    out_path = tmp_path / "bob.bundle"
    assert run(capsys, bob.home, "bundle", "export", str(out_path))[0] == 0
    exported = {doc_id: len(changes) for doc_id, changes in read_bundle(out_path)}
    assert exported[alice.peer_id] == 0 and exported[bob.peer_id] >= 1


def test_incomplete_bundle_buffers_what_waits_for_earlier_changes(
    homes: tuple[Workspace, Workspace], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob = homes
    first = tmp_path / "first.bundle"
    export_bundle(alice.repo, first, [alice.peer_id], alice.peer_id)
    alice.add_item(offer("second"))
    alice.add_item(offer("third"))
    later = tmp_path / "later.bundle"
    export_bundle(alice.repo, later, [alice.peer_id], alice.peer_id)
    rewrite(later, lambda data: data["docs"][0]["changes"].pop(1))  # "second" stays behind
    assert run(capsys, bob.home, "bundle", "import", str(first))[0] == 0
    code, out, err = run(capsys, bob.home, "bundle", "import", str(later))
    assert code == 0, err
    assert "1 waiting for earlier changes" in out
    assert holdings(bob)[alice.peer_id][1] == 1  # buffered, on disk
    export_bundle(alice.repo, later, [alice.peer_id], alice.peer_id)
    code, out, _ = run(capsys, bob.home, "bundle", "import", str(later))
    assert code == 0 and "imported 2 new changes" in out
    assert holdings(bob)[alice.peer_id][:2] == (holdings(alice)[alice.peer_id][0], 0)


def test_a_bundle_that_can_only_wait_creates_no_document(
    homes: tuple[Workspace, Workspace], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing in it applies to a document Bob does not hold: nothing authorises creating it."""
    alice, bob = homes
    first = tmp_path / "first.bundle"
    export_bundle(alice.repo, first, [alice.peer_id], alice.peer_id)
    alice.add_item(offer("later"))
    later = tmp_path / "later.bundle"
    export_bundle(alice.repo, later, [alice.peer_id], alice.peer_id)
    rewrite(later, lambda data: data["docs"][0]["changes"].pop(0))  # the genesis stays behind
    code, out, err = run(capsys, bob.home, "bundle", "import", str(later))
    assert code == 0, err
    assert "1 waiting change not kept" in out and "imported 0 new changes" in out
    assert alice.peer_id not in holdings(bob)
    assert run(capsys, bob.home, "bundle", "import", str(first))[0] == 0
    code, out, _ = run(capsys, bob.home, "bundle", "import", str(later))
    assert code == 0 and "imported 1 new changes" in out
    assert holdings(bob)[alice.peer_id][:2] == (holdings(alice)[alice.peer_id][0], 0)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not msgpack at all \xc1",
        json.dumps({"format": BUNDLE_FORMAT, "docs": []}).encode(),
        msgpack.packb({"format": "other/1", "docs": []}),
        msgpack.packb({"format": BUNDLE_FORMAT, "docs": [{"id": "nope", "changes": []}]}),
        msgpack.packb(
            {"format": BUNDLE_FORMAT, "docs": [{"id": "pj" + "0" * 32, "changes": [[b"x", None]]}]}
        ),
        msgpack.packb({"format": BUNDLE_FORMAT, "docs": [{"id": "pj" + "0" * 32, "changes": 7}]}),
        msgpack.packb(
            {"format": BUNDLE_FORMAT, "docs": [{"id": "pj" + "0" * 32, "changes": [[b"x", b"y"]]}]}
        ),
        msgpack.packb({"format": BUNDLE_FORMAT, "docs": [None]}),
    ],
    ids=[
        "empty",
        "garbage",
        "json",
        "other-format",
        "bad-doc-id",
        "bad-chunk",
        "changes-not-a-list",
        "short-signature",
        "null-entry",
    ],
)
def test_what_is_not_a_bundle_is_refused_in_one_line(
    homes: tuple[Workspace, Workspace], tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    _, bob = homes
    path = tmp_path / "odd.bundle"
    path.write_bytes(content)
    before = holdings(bob)
    code, _, err = run(capsys, bob.home, "bundle", "import", str(path))
    assert_one_line_failure(code, err)
    assert "unexpected" not in err
    assert holdings(bob) == before


def test_missing_file_is_one_line(
    homes: tuple[Workspace, Workspace], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, bob = homes
    code, _, err = run(capsys, bob.home, "bundle", "import", str(tmp_path / "nowhere.bundle"))
    assert_one_line_failure(code, err, "cannot read")


def test_library_import_reports_outcomes(homes: tuple[Workspace, Workspace], tmp_path: Path) -> None:
    alice, bob = homes
    path = tmp_path / "a.bundle"
    assert export_bundle(alice.repo, path, [alice.peer_id], alice.peer_id) == 1
    summary = import_bundle(bob.repo, path)
    assert summary.applied == 1 and summary.outcomes[0].created
    with pytest.raises(BundleError):
        read_bundle(tmp_path / "missing")
    assert wire.parse_change(read_bundle(path)[0][1][0].info.chunk).actor == alice.identity.public_key
