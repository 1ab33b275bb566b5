"""No frame, stored record, snapshot or bundle may cost more than a small multiple of its size in memory,
whatever msgpack it holds: measured with tracemalloc around the real code that reads it."""

from __future__ import annotations

import contextlib
import secrets
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import msgpack
import pytest

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.errors import RelianceError
from reliance.limits import MIB
from reliance.replication.bundle import BUNDLE_FORMAT, read_bundle
from reliance.replication.protocol import BatchRefused, Session, SyncHost
from reliance.store import log
from tests.sync.forged import Stranger, frame

SIZE = 2 * MIB
#: What reading may cost, as a multiple of the bytes read (plus a fixed allowance for the code itself).
MULTIPLE = 6
ALLOWANCE = 512 * 1024


def peak_of(action: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        with contextlib.suppress(RelianceError):
            action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def hostile_payloads(size: int, first: tuple[str, str] = ("t", "summary")) -> dict[str, bytes]:
    """Maps of `first` and "docs": a long array of tiny items (the cheapest bytes in the most objects)."""
    head = msgpack.packb(first[0]) + msgpack.packb(first[1])
    docs = msgpack.packb("docs")

    def array(items: bytes, count: int) -> bytes:
        return docs + b"\xdd" + count.to_bytes(4, "big") + items * count

    def dense(items: bytes, per_item: int) -> bytes:
        """Tiny items beside a bin, as many as the density limit allows: decoded, then refused."""
        count = size // 16 // per_item - 8
        pad = msgpack.packb(b"x" * (size - count * len(items)))
        return b"\x82" + head + docs + b"\xdd" + (count + 1).to_bytes(4, "big") + pad + items * count

    return {
        "empty maps": b"\x82" + head + array(b"\x80", size),
        "empty arrays": b"\x82" + head + array(b"\x90", size),
        "one-key maps": b"\x82" + head + array(b"\x81\xa0\xc0", size // 3),
        "short strings": b"\x82" + head + array(b"\xa2ab", size // 3),
        "pairs of empty arrays": b"\x82" + head + array(b"\x92\x90\x90", size // 3),
        "nested arrays": b"\x82" + head + array(b"\x91\x91\x91\x90", size // 4),
        "short strings beside a large bin": b"\x83"
        + head
        + msgpack.packb("pad")
        + msgpack.packb(b"x" * (size // 2))
        + array(b"\xa2ab", size // 6),
        "short strings at the allowed density": dense(b"\xa2ab", 1),
        "empty arrays at the allowed density": dense(b"\x90", 1),
        "one-key maps at the allowed density": dense(b"\x81\xa0\xc0", 3),
    }


CASES = sorted(hostile_payloads(4096))


@pytest.mark.parametrize("case", CASES)
def test_a_frame_costs_a_small_multiple_of_its_size(tmp_path: Path, case: str) -> None:
    ws = Workspace.create(tmp_path / "home", "Alice")
    data = hostile_payloads(SIZE)[case]
    session = Session(SyncHost(ws.repo), peer_key=secrets.token_bytes(32))
    peak = peak_of(lambda: session.receive(data))
    assert peak <= MULTIPLE * len(data) + ALLOWANCE, f"{peak / len(data):.1f} times the frame"
    assert not session.receive(b"\x80")  # the peer was refused or the frame ignored; the node stands


@pytest.mark.parametrize("case", CASES)
def test_a_stored_record_costs_a_small_multiple_of_its_size(tmp_path: Path, case: str) -> None:
    """A record in a document's log (a crafted home, a disk gone bad) holding the same msgpack."""
    home = tmp_path / "home"
    ws = Workspace.create(home, "Alice")
    pid = projects.create_project(ws, "atelier")
    payload = hostile_payloads(SIZE)[case]
    log.append(home / "docs" / pid / "log", [payload])
    size = (home / "docs" / pid / "log").stat().st_size
    reader = Workspace.open(home)
    peak = peak_of(lambda: reader.repo.open(pid))
    assert peak <= MULTIPLE * size + ALLOWANCE, f"{peak / size:.1f} times the log"
    assert projects.summary(reader, pid).name == "atelier"  # the bad record is skipped, the rest is read


@pytest.mark.parametrize("case", CASES)
def test_a_snapshot_costs_a_small_multiple_of_its_size(tmp_path: Path, case: str) -> None:
    home = tmp_path / "home"
    ws = Workspace.create(home, "Alice")
    pid = projects.create_project(ws, "atelier")
    ws.repo.open(pid).compact()
    snapshot = home / "docs" / pid / "snapshot"
    snapshot.write_bytes(hostile_payloads(SIZE)[case])
    reader = Workspace.open(home)
    peak = peak_of(lambda: reader.repo.open(pid))
    size = snapshot.stat().st_size
    assert peak <= MULTIPLE * size + ALLOWANCE, f"{peak / size:.1f} times the snapshot"


@pytest.mark.parametrize("case", CASES)
def test_a_bundle_costs_a_small_multiple_of_its_size(tmp_path: Path, case: str) -> None:
    stick = tmp_path / "hostile.bundle"
    stick.write_bytes(hostile_payloads(SIZE, ("format", BUNDLE_FORMAT))[case])
    peak = peak_of(lambda: read_bundle(stick))
    size = stick.stat().st_size
    assert peak <= MULTIPLE * size + ALLOWANCE, f"{peak / size:.1f} times the bundle"


def test_the_refusal_of_a_dense_frame_says_why(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "home", "Alice")
    session = Session(SyncHost(ws.repo), peer_key=secrets.token_bytes(32))
    session.receive(hostile_payloads(64 * 1024)["empty maps"])
    (refused,) = [e for e in session.pop_events() if isinstance(e, BatchRefused)]
    assert "unreadable frame" in refused.reason


# Valid changes cost more than msgpack junk: each becomes a handful of objects (hash, dependencies, chunk)
# to be checked. The smallest change a stranger can make is about 84 bytes.
CHANGES_MULTIPLE = 8


def smallest_changes(count: int) -> tuple[Stranger, list[bytes]]:
    stranger = Stranger.new()
    return stranger, [stranger.waiting_change(seq=n + 1) for n in range(count)]


def test_a_frame_of_the_smallest_changes_costs_a_small_multiple_of_its_size(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "home", "Alice")
    stranger, chunks = smallest_changes(20_000)
    data = frame(stranger.peer_id, chunks, [])
    session = Session(SyncHost(ws.repo), peer_key=secrets.token_bytes(32))
    peak = peak_of(lambda: session.receive(data))
    assert [e for e in session.pop_events() if isinstance(e, BatchRefused)]  # none is signed
    assert peak <= CHANGES_MULTIPLE * len(data) + ALLOWANCE, f"{peak / len(data):.1f} times the frame"


def test_a_bundle_of_the_smallest_changes_costs_a_small_multiple_of_its_size(tmp_path: Path) -> None:
    stranger, chunks = smallest_changes(20_000)
    stick = tmp_path / "many.bundle"
    stick.write_bytes(
        msgpack.packb(
            {
                "format": BUNDLE_FORMAT,
                "created": "2026-01-01T00:00:00+00:00",
                "by": stranger.peer_id,
                "docs": [{"id": stranger.peer_id, "changes": [[c, None] for c in chunks]}],
            },
            use_bin_type=True,
        )
    )
    size = stick.stat().st_size
    peak = peak_of(lambda: read_bundle(stick))
    assert peak <= CHANGES_MULTIPLE * size + ALLOWANCE, f"{peak / size:.1f} times the bundle"
