"""What the store reads back from its own files is checked before it is used: a log header it does not
understand never makes it throw records away, and a snapshot whose fields have the wrong type, size or
disagree with each other is refused as damaged (left as it is, with its log), never half-trusted."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import msgpack
import pytest

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.errors import StoreError
from reliance.model.catalogue import Item, ItemKind
from reliance.store import log
from reliance.store.records import change_info
from reliance.store.repository import SignedChange
from tests.sync.forged import Stranger


def new_item(title: str) -> Item:
    return Item(id="", kind=ItemKind.OFFER, title=title, author="")


def titles(ws: Workspace) -> set[str]:
    return {item.title for item in ws.items()}


def with_header(path: Path, header: bytes) -> None:
    """The log at `path` with its first record's payload replaced by `header`, its CRC made right."""
    payloads = log.scan(path.read_bytes()).payloads
    path.write_bytes(b"".join(log.encode_record(p) for p in [header, *payloads[1:]]))


def header_of(path: Path) -> Any:
    return msgpack.unpackb(log.scan(path.read_bytes()).payloads[0], raw=False)


# -- the log's header ----------------------------------------------------------------------------------------

NOT_UNDERSTOOD = {
    "not msgpack": b"\xc1",
    "not a map": msgpack.packb([1, 2]),
    "no generation": msgpack.packb({"doc": "x"}),
    "a generation that is text": msgpack.packb({"gen": "0"}),
    "a generation that is a float": msgpack.packb({"gen": 0.0}),
    "a generation that is a boolean": msgpack.packb({"gen": False}),
    "a negative generation": msgpack.packb({"gen": -1}),
    "a document name that is not text": msgpack.packb({"gen": 0, "doc": b"\xff\xfe"}, use_bin_type=True),
}


@pytest.mark.parametrize("header", list(NOT_UNDERSTOOD.values()), ids=list(NOT_UNDERSTOOD))
@pytest.mark.parametrize("compacted", [False, True], ids=["no snapshot", "after a snapshot"])
def test_a_log_header_not_understood_loses_no_record(home: Path, header: bytes, compacted: bool) -> None:
    ws = Workspace.create(home, "Alice")
    ws.add_item(new_item("before"))
    if compacted:
        ws.my_doc().compact()
    ws.add_item(new_item("after one"))
    ws.add_item(new_item("after two"))
    expected = titles(ws)
    heads = ws.my_doc().heads()
    path = ws.my_doc().log_path
    with_header(path, header)

    reopened = Workspace.open(home)
    doc = reopened.my_doc()
    assert titles(reopened) == expected and doc.heads() == heads
    assert len(doc.warnings) == 1 and "header of its log" in doc.warnings[0], doc.warnings
    # Written to after that, compacted, reopened: still everything.
    reopened.add_item(new_item("later"))
    assert titles(Workspace.open(home)) == expected | {"later"}
    again = Workspace.open(home)
    again.my_doc().compact()
    assert titles(Workspace.open(home)) == expected | {"later"}
    assert Workspace.open(home).my_doc().warnings == []


def test_a_log_header_of_another_document_loses_no_record(home: Path) -> None:
    ws = Workspace.create(home, "Alice")
    ws.add_item(new_item("one"))
    expected = titles(ws)
    path = ws.my_doc().log_path
    with_header(path, msgpack.packb({"gen": 0, "doc": "rl" + "a" * 56}))
    reopened = Workspace.open(home)
    assert titles(reopened) == expected
    assert len(reopened.my_doc().warnings) == 1


def test_a_log_of_a_later_generation_than_its_snapshot_is_refused_and_left_alone(home: Path) -> None:
    """Its records may follow changes the snapshot does not have (a snapshot lost, or put back from a
    copy): the document is not opened on half its history, and neither file is rewritten."""
    ws = Workspace.create(home, "Alice")
    ws.add_item(new_item("one"))
    doc = ws.my_doc()
    doc.compact()
    ws.add_item(new_item("two"))
    with_header(doc.log_path, msgpack.packb({"gen": doc.generation + 1, "doc": doc.doc_id}))
    files = {p: p.read_bytes() for p in (doc.log_path, doc.snapshot_path)}
    with pytest.raises(StoreError, match=r"log of document \w+ is of generation 2, its snapshot of 1"):
        Workspace.open(home).my_doc()
    assert {p: p.read_bytes() for p in files} == files
    # No snapshot at all beside a log that follows one.
    doc.snapshot_path.unlink()
    with pytest.raises(StoreError, match=r"log of document \w+ is of generation 2, its snapshot of 0"):
        Workspace.open(home).my_doc()
    assert doc.log_path.read_bytes() == files[doc.log_path]


def test_a_log_header_naming_an_older_generation_than_its_records_loses_no_record(home: Path) -> None:
    """A log of an older generation holds only changes its snapshot holds: one whose records the snapshot
    does not hold says so falsely, and is read all the same."""
    ws = Workspace.create(home, "Alice")
    ws.add_item(new_item("one"))
    doc = ws.my_doc()
    doc.compact()
    ws.add_item(new_item("two"))
    with_header(doc.log_path, msgpack.packb({"gen": doc.generation - 1, "doc": doc.doc_id}))
    reopened = Workspace.open(home)
    assert titles(reopened) == {"one", "two"}
    warnings = reopened.my_doc().warnings
    assert len(warnings) == 1 and "the snapshot does not hold" in warnings[0], warnings
    reopened.my_doc().compact()
    assert titles(Workspace.open(home)) == {"one", "two"}


def test_an_old_log_is_still_recognised_and_restarted(home: Path) -> None:
    ws = Workspace.create(home, "Alice")
    ws.add_item(new_item("one"))
    doc = ws.my_doc()
    old = doc.log_path.read_bytes()
    doc.compact()
    doc.log_path.write_bytes(old)  # a crash between the new snapshot and the new log
    reopened = Workspace.open(home)
    assert titles(reopened) == {"one"} and reopened.my_doc().warnings == []
    assert doc.log_path.read_bytes() == old  # reading rewrites nothing: the home's writer does
    reopened.add_item(new_item("two"))
    assert header_of(doc.log_path)["gen"] == 1
    assert titles(Workspace.open(home)) == {"one", "two"}


# -- the snapshot's fields ---------------------------------------------------------------------------------


def snapshot_of(home: Path) -> tuple[Workspace, Path, dict[str, Any]]:
    """A home whose own document has a snapshot holding three changes, and one more in its log."""
    ws = Workspace.create(home, "Alice")
    ws.add_item(new_item("one"))
    ws.add_item(new_item("two"))
    ws.my_doc().compact()
    ws.add_item(new_item("three"))
    path = ws.my_doc().snapshot_path
    return ws, path, msgpack.unpackb(path.read_bytes(), raw=False)


def first_hash(snap: dict[str, Any]) -> list[Any]:
    return list(snap["known"][0])


DAMAGE: dict[str, Any] = {
    "format that is a boolean": lambda s: {**s, "format": True},
    "generation 2**64 - 1": lambda s: {**s, "gen": 2**64 - 1},
    "generation that is a float": lambda s: {**s, "gen": 4.6e299},
    "generation that is a boolean": lambda s: {**s, "gen": True},
    "generation 0": lambda s: {**s, "gen": 0},
    "generation that is text": lambda s: {**s, "gen": "1"},
    "no generation": lambda s: {k: v for k, v in s.items() if k != "gen"},
    "a hash that is a large integer": lambda s: {**s, "known": [[2**63 - 1, None], *s["known"][1:]]},
    "a hash that is an integer": lambda s: {**s, "known": [[1 << 20, None], *s["known"][1:]]},
    "a hash of 31 bytes": lambda s: {**s, "known": [[s["known"][0][0][:31], None], *s["known"][1:]]},
    "a signature that is an integer": lambda s: {
        **s,
        "known": [[s["known"][0][0], 1 << 20], *s["known"][1:]],
    },
    "a signature of 63 bytes": lambda s: {
        **s,
        "known": [[s["known"][0][0], b"\x01" * 63], *s["known"][1:]],
    },
    "an entry that is not a pair": lambda s: {**s, "known": [[s["known"][0][0]], *s["known"][1:]]},
    "known that is a map": lambda s: {**s, "known": dict(map(tuple, s["known"]))},
    "known emptied beside the save": lambda s: {**s, "known": []},
    "a head missing from known": lambda s: {**s, "known": s["known"][:-1]},
    "the same change twice": lambda s: {**s, "known": [*s["known"], s["known"][0]]},
    "a save that is text": lambda s: {**s, "am": "x"},
    "an empty save beside known changes": lambda s: {**s, "am": b""},
    "the snapshot of another document": lambda s: {**s, "doc": "rl" + "a" * 56},
    "a document name that is bytes": lambda s: {**s, "doc": s["doc"].encode()},
}


@pytest.mark.parametrize("damage", list(DAMAGE.values()), ids=list(DAMAGE))
def test_a_snapshot_with_a_field_of_the_wrong_type_or_disagreeing_is_refused(home: Path, damage: Any) -> None:
    ws, path, snap = snapshot_of(home)
    log_path = ws.my_doc().log_path
    damaged = msgpack.packb(damage(snap), use_bin_type=True)
    path.write_bytes(damaged)
    log_before = log_path.read_bytes()
    started = time.process_time()
    with pytest.raises(StoreError, match=r"^the snapshot of document \w+ is unreadable: .+"):
        Workspace.open(home).my_doc()
    assert time.process_time() - started < 1.0
    # Left as it is, and so is the log: repaired by hand, everything comes back.
    assert path.read_bytes() == damaged and log_path.read_bytes() == log_before
    path.write_bytes(msgpack.packb(snap, use_bin_type=True))
    assert titles(Workspace.open(home)) == {"one", "two", "three"}


@pytest.mark.parametrize("size", ["12", -1, 2**64 - 1, 1.5, True], ids=repr)
def test_a_size_that_cannot_be_right_is_counted_again(home: Path, size: Any) -> None:
    ws, path, snap = snapshot_of(home)
    expected = ws.my_doc().size()
    path.write_bytes(msgpack.packb({**snap, "size": size}, use_bin_type=True))
    reopened = Workspace.open(home)
    assert reopened.my_doc().size() == expected
    reopened.add_item(new_item("four"))
    assert titles(Workspace.open(home)) == {"one", "two", "three", "four"}


def test_a_list_of_waiting_changes_that_is_not_a_list_is_dropped_alone(home: Path) -> None:
    """Waiting changes are the only part of a snapshot its document can do without (their senders send
    them again): a malformed list of them is dropped with one warning, the rest is read."""
    _, path, snap = snapshot_of(home)
    path.write_bytes(msgpack.packb({**snap, "pending": {"a": 1}}, use_bin_type=True))
    reopened = Workspace.open(home)
    assert titles(reopened) == {"one", "two", "three"}
    assert len(reopened.my_doc().warnings) == 1 and "waiting" in reopened.my_doc().warnings[0]


# -- the times of waiting changes ----------------------------------------------------------------------------


def a_waiting_change(home: Path) -> tuple[Workspace, str, bytes]:
    ws = Workspace.create(home, "Alice")
    pid = projects.create_project(ws, "atelier")
    stranger = Stranger.new(3)
    chunk = stranger.waiting_change(padding=10)
    signed = SignedChange(change_info(chunk), stranger.sign(chunk)[1])
    ws.repo.open(pid).add_verified([signed])
    return ws, pid, signed.info.hash


@pytest.mark.parametrize("received", [2**64 - 1, 2**63, -5, True, 1e300], ids=repr)
def test_a_waiting_change_received_at_an_impossible_time(home: Path, received: Any) -> None:
    """In a log record: read as received when it is read; it still expires, and compaction writes it."""
    ws, pid, change_hash = a_waiting_change(home)
    doc = ws.repo.open(pid)
    payloads = log.scan(doc.log_path.read_bytes()).payloads
    record = msgpack.unpackb(payloads[-1], raw=False)
    record["t"] = received
    payloads[-1] = msgpack.packb(record, use_bin_type=True)
    doc.log_path.write_bytes(b"".join(log.encode_record(p) for p in payloads))

    reopened = Workspace.open(home).repo.open(pid)
    assert change_hash in reopened.pending
    assert reopened.received[change_hash] <= time.time()
    reopened.compact()
    again = Workspace.open(home).repo.open(pid)
    assert change_hash in again.pending and again.received[change_hash] <= time.time()


@pytest.mark.parametrize("received", [2**64 - 1, 2**63, -5, True, 1e300], ids=repr)
def test_a_waiting_change_in_a_snapshot_received_at_an_impossible_time(home: Path, received: Any) -> None:
    ws, pid, change_hash = a_waiting_change(home)
    doc = ws.repo.open(pid)
    doc.compact()
    snap = msgpack.unpackb(doc.snapshot_path.read_bytes(), raw=False)
    assert len(snap["pending"]) == 1
    snap["pending"][0][2] = received
    doc.snapshot_path.write_bytes(msgpack.packb(snap, use_bin_type=True))

    reopened = Workspace.open(home).repo.open(pid)
    assert change_hash in reopened.pending and reopened.received[change_hash] <= time.time()
    reopened.compact()
    assert change_hash in Workspace.open(home).repo.open(pid).pending
