"""What a stranger's bytes may cost a node: one set of limits at the door (frames, changes, documents),
and a store that reads back whatever the door let in.

Every attack goes through a real `Session` into a real repository on disk; what the user sees after
it is checked with the installed command line."""

from __future__ import annotations

import secrets
from pathlib import Path

import msgpack
import pytest

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.limits import DEFAULT_LIMITS, MIB
from reliance.replication.protocol import BatchRefused, ChangesReceived, Session, SyncHost
from reliance.store.repository import Repository
from tests.conftest import run_cli
from tests.sync.forged import Stranger, frame


def deliver(repo: Repository, frames: list[bytes]) -> tuple[list[bytes], list[object]]:
    """Frames from a hostile peer on a fresh connection: what the victim answered and reported."""
    session = Session(SyncHost(repo), peer_key=secrets.token_bytes(32))
    replies: list[bytes] = []
    for data in frames:
        replies.extend(session.receive(data))
    return replies, list(session.pop_events())


def refusal(replies: list[bytes], events: list[object]) -> str:
    """The one reason the victim refused the peer for, told to the peer and reported."""
    refused = [e for e in events if isinstance(e, BatchRefused)]
    assert len(refused) == 1, events
    assert [msgpack.unpackb(r)["t"] for r in replies] == ["reject"]
    assert not [e for e in events if isinstance(e, ChangesReceived)]
    return refused[0].reason


def test_a_stranger_cannot_brick_a_project(home: Path, tmp_path: Path) -> None:
    """The attack of the issue, end to end: a change that inflates beyond what the store reads back,
    depending on a change nobody has, signed by a key of the stranger's own, sent to the victim's node;
    then a compaction; then the victim lists, shows and exports their projects."""
    victim = Workspace.create(home, "Alice")
    pid = projects.create_project(victim, "atelier")
    stranger = Stranger.new()
    bomb = stranger.waiting_change(padding=17 * MIB, compressed=True)
    assert len(bomb) < 64 * 1024  # a small frame
    replies, events = deliver(victim.repo, [frame(pid, [bomb], [stranger.sign(bomb)])])

    reason = refusal(replies, events)
    assert "inflates beyond" in reason
    doc = victim.repo.open(pid)
    assert doc.pending == {}
    doc.compact()

    code, out, err = run_cli(home, "project", "list")
    assert (code, err) == (0, ""), err
    assert pid in out and "atelier" in out
    code, out, err = run_cli(home, "project", "show", "atelier")
    assert (code, err) == (0, ""), err
    assert "Alice" in out
    code, out, err = run_cli(home, "bundle", "export", str(tmp_path / "all.bundle"))
    assert (code, err) == (0, ""), err


def test_what_the_door_accepts_the_store_reads_back(home: Path) -> None:
    """The largest change the door lets in waits in the buffer, survives a compaction, and is read back
    by another process (the command line) with the same limits."""
    victim = Workspace.create(home, "Alice")
    pid = projects.create_project(victim, "atelier")
    stranger = Stranger.new()
    overhead = len(stranger.waiting_change(padding=0))
    largest = stranger.waiting_change(
        padding=DEFAULT_LIMITS.max_change_bytes - overhead + 10, compressed=True
    )
    fits = stranger.waiting_change(seq=2, padding=DEFAULT_LIMITS.max_change_bytes - overhead, compressed=True)
    replies, events = deliver(victim.repo, [frame(pid, [largest], [stranger.sign(largest)])])
    assert "inflates beyond" in refusal(replies, events)
    replies, events = deliver(victim.repo, [frame(pid, [fits], [stranger.sign(fits)])])
    assert [(e.applied, e.pending) for e in events if isinstance(e, ChangesReceived)] == [(0, 1)]
    victim.repo.open(pid).compact()
    reopened = Workspace.open(home).repo.open(pid)
    assert set(reopened.pending) == {stranger.sign(fits)[0]}
    assert reopened.warnings == []
    code, out, err = run_cli(home, "project", "list")
    assert (code, err) == (0, "") and pid in out, err


@pytest.mark.parametrize("compressed", [True, False], ids=["deflated", "plain"])
def test_a_compressed_change_bomb_is_refused_before_it_is_applied(home: Path, compressed: bool) -> None:
    """A stranger's own document (which they may write) with one change holding a string far larger
    than any change may be: refused, reported, and nothing of it is stored."""
    victim = Workspace.create(home, "Alice")
    stranger = Stranger.new()
    bomb = stranger.own_document_change(DEFAULT_LIMITS.max_change_bytes + 1)
    if not compressed:
        from reliance.automerge import wire

        bomb = wire.split_chunks(bomb, max_inflated=1 << 40)[0].uncompressed()
    replies, events = deliver(victim.repo, [frame(stranger.peer_id, [bomb], [stranger.sign(bomb)])])
    reason = refusal(replies, events)
    assert "beyond" in reason or "larger than" in reason, reason
    assert not victim.repo.exists(stranger.peer_id)


def test_a_document_cannot_grow_beyond_its_limit(home: Path) -> None:
    """Changes each within the change limit, from a stranger into their own document: the batch that
    would take the document over its limit is refused before it is applied, the sender reported."""
    victim = Workspace.create(home, "Alice")
    stranger = Stranger.new()
    per_change = DEFAULT_LIMITS.max_change_bytes - 64 * 1024
    from reliance.automerge.crdt import ROOT_ID, CrdtDoc

    doc = CrdtDoc.new(stranger.actor)
    sent = 0
    refused = ""
    for n in range(DEFAULT_LIMITS.max_document_bytes // per_change + 2):
        info = doc.change(lambda w, n=n: w.put(ROOT_ID, f"blob{n}", "\0" * per_change))  # type: ignore[misc]
        assert info is not None
        replies, events = deliver(
            victim.repo, [frame(stranger.peer_id, [info.chunk], [stranger.sign(info.chunk)])]
        )
        if any(isinstance(e, BatchRefused) for e in events):
            refused = refusal(replies, events)
            break
        sent += 1
    assert "document" in refused and "limit" in refused, refused
    assert sent * per_change <= DEFAULT_LIMITS.max_document_bytes < (sent + 1) * per_change
    held = Workspace.open(home).repo.open(stranger.peer_id)
    assert len(held.known) == sent


def test_a_whole_document_chunk_is_bounded_before_automerge_loads_it(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A saved document (what a first sync to an empty peer carries) whose compressed columns inflate
    beyond the document limit is refused before automerge sees it; within the limit it is taken."""
    from reliance.automerge.crdt import ROOT_ID, CrdtDoc
    from reliance.replication import syncmessages

    victim = Workspace.create(home, "Alice")
    stranger = Stranger.new()
    doc = CrdtDoc.new(stranger.actor)
    info = doc.change(lambda w: w.put(ROOT_ID, "blob", "\0" * MIB))
    assert info is not None
    saved = doc.save()
    assert len(saved) < 16 * 1024
    loaded: list[bytes] = []
    real = syncmessages.changes_in_document_chunk
    monkeypatch.setattr(
        syncmessages, "changes_in_document_chunk", lambda chunk: loaded.append(chunk) or real(chunk)
    )
    signature = [(info.hash, stranger.key.sign(info.hash))]

    small = Session(
        SyncHost(victim.repo),
        peer_key=secrets.token_bytes(32),
        limits=DEFAULT_LIMITS.replace(max_document_bytes=MIB // 2),
    )
    replies = small.receive(frame(stranger.peer_id, [saved], signature))
    reason = refusal(replies, small.pop_events())
    assert "document chunk" in reason and "inflates beyond" in reason
    assert loaded == [] and not victim.repo.exists(stranger.peer_id)

    replies, events = deliver(victim.repo, [frame(stranger.peer_id, [saved], signature)])
    assert [(e.applied, e.created) for e in events if isinstance(e, ChangesReceived)] == [(1, True)]
    assert loaded == [saved]


def test_a_change_the_store_could_not_weigh_is_refused_not_raised(home: Path) -> None:
    """A node may take larger frames and changes than its store keeps: a change within the session's
    limits but inflating beyond the store's is refused as a batch (a reason for the peer), never an
    exception out of the session."""
    from reliance.limits import KIB

    victim = Workspace.create(home, "Alice")
    small_store = Repository(
        home, victim.repo.actor, limits=DEFAULT_LIMITS.replace(max_change_bytes=256 * KIB)
    )
    stranger = Stranger.new()
    chunk = stranger.own_document_change(MIB)  # a valid change, inflating to 1 MiB
    assert len(chunk) < 16 * KIB
    session = Session(SyncHost(small_store), peer_key=secrets.token_bytes(32), limits=DEFAULT_LIMITS)
    replies = session.receive(frame(stranger.peer_id, [chunk], [stranger.sign(chunk)]))

    reason = refusal(replies, session.pop_events())
    assert "inflates beyond" in reason
    assert not small_store.exists(stranger.peer_id)
