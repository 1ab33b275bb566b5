"""Ids are checked whole: an id followed by a newline (which `$` lets through) is not another copy of it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import msgpack
import pytest

from reliance.app.workspace import Workspace
from reliance.errors import StoreError
from reliance.model.catalogue import Item, ItemKind
from reliance.replication.bundle import export_bundle
from reliance.replication.protocol import BatchRefused, Session
from reliance.store.repository import DOC_ID_RE, doc_kind
from tests.conftest import run_cli
from tests.sync.hostile import forge_sync_frame
from tests.sync.memnet import MemNet


def offer(title: str) -> Item:
    return Item(id="", kind=ItemKind.OFFER, title=title, author="")


def held_folders(home: Path) -> list[str]:
    docs = home / "docs"
    return sorted(os.listdir(docs)) if docs.exists() else []


@pytest.mark.parametrize("suffix", ["\n", "\r\n", " ", "\x00"])
def test_a_document_id_with_anything_after_it_is_not_a_document_id(suffix: str) -> None:
    good = "pj" + "0" * 32
    assert doc_kind(good)
    with pytest.raises(StoreError):
        doc_kind(good + suffix)
    assert DOC_ID_RE.fullmatch(good + suffix) is None


def test_a_bundle_naming_a_document_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    alice = Workspace.create(tmp_path / "alice", "Alice")
    alice.add_item(offer("pain"))
    bob = Workspace.create(tmp_path / "bob", "Bob")
    stick = tmp_path / "alice.bundle"
    export_bundle(alice.repo, stick, [alice.peer_id], alice.peer_id)
    data = msgpack.unpackb(stick.read_bytes(), raw=False)
    copy = dict(data["docs"][0], id=alice.peer_id + "\n")
    data["docs"].append(copy)
    stick.write_bytes(msgpack.packb(data, use_bin_type=True))
    before = held_folders(bob.home)

    code, out, err = run_cli(bob.home, "bundle", "import", str(stick))

    assert code != 0, out
    assert len(err.strip().splitlines()) == 1 and "not a document id" in err, err
    assert held_folders(bob.home) == before
    code, out, _ = run_cli(bob.home, "item", "list", "--json")
    assert code == 0 and json.loads(out) == []


def test_a_sync_frame_for_a_document_id_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    net = MemNet(tmp_path)
    alice, bob = net.node("Alice"), net.node("Bob")
    alice.ws.add_item(offer("pain"))
    change = alice.doc(alice.peer_id).signed_changes()[-1]
    assert change.signature is not None
    session = Session(bob.host, peer_key=alice.key)
    replies = session.receive(forge_sync_frame(alice.peer_id + "\n", change.info.chunk, change.signature))
    events = session.pop_events()
    assert [msgpack.unpackb(r)["t"] for r in replies] == ["reject"]
    assert any(isinstance(e, BatchRefused) for e in events), events
    assert alice.peer_id + "\n" not in held_folders(bob.ws.home)


def test_a_summary_listing_a_document_id_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    net = MemNet(tmp_path)
    alice, bob = net.node("Alice"), net.node("Bob")
    session = Session(bob.host, peer_key=alice.key)
    frame = msgpack.packb({"t": "summary", "docs": [[alice.peer_id + "\n", bytes(8)]]}, use_bin_type=True)
    replies = session.receive(frame)
    assert [msgpack.unpackb(r)["t"] for r in replies] == ["reject"]


def test_an_export_file_with_an_item_id_ending_in_a_newline_does_not_copy_the_item(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ws = Workspace.create(home, "Alice")
    ws.add_item(offer("pain"))
    code, out, _ = run_cli(home, "export", "--format", "json")
    assert code == 0
    data = json.loads(out)
    for item in data["participants"][0]["items"]:
        item["id"] += "\n"
    path = tmp_path / "export.json"
    path.write_text(json.dumps(data), "utf-8")

    code, out, err = run_cli(home, "import", str(path))

    assert code != 0, out
    assert "not a valid id" in err and len(err.strip().splitlines()) == 1, err
    code, out, _ = run_cli(home, "item", "list", "--json")
    assert [item["title"] for item in json.loads(out)] == ["pain"]
