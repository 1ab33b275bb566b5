"""Signed sync against raw Automerge sync, measured in the same run.

    .venv/bin/python bench/sync.py [--changes N] [--cases one_sided,diverged] [--repeat R] [--profile FILE]

Prints one JSON object: {"changes": N, "cases": [{"name", "changes", "raw_s", "reliance_s",
"time_ratio", "raw_bytes", "reliance_bytes", "bytes_ratio", "raw_cpu_s", "reliance_cpu_s", "cpu_ratio",
"reliance_compact_s", "repeat", "converged"}, ...]}. Times are medians over --repeat runs (wall clock;
the CPU time of this process is given too, as it is steadier on a busy machine, though it leaves out
waiting for fsync).

- raw: two `automerge.core.Document`s, `generate_sync_message` / `receive_sync_message` in a loop until
  both return None; bytes are the encoded sync messages.
- reliance: two homes, two `Session`s over an in-memory channel (frames delivered in order, in both
  directions, until quiet); bytes are the frames. Includes checking every change (signatures, causal
  authorisation), storing it durably (fsync) and applying it. A peer's batch leaves the compaction it
  makes due to the node's maintenance: `reliance_compact_s` is the time of those compactions (saving,
  reading the snapshot back, writing it), done after the exchange and not counted in `reliance_s`.

Changes are one-key edits (`put(map, "kN", N)`), made through the store (`StoredDoc.local_change`) for
reliance and through a transaction for raw. Cases:

- one_sided: one side has N changes to a document both hold (a participant document: owner-only writes);
- diverged: both sides hold a project document and each made N/2 concurrent changes to it
  (both are members: causal authorisation of every change).
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from automerge.core import ROOT, Document, ObjType, ScalarType, SyncState

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.automerge.crdt import ROOT_ID, ObjId, Writer
from reliance.replication.protocol import Session, SyncHost
from reliance.store.repository import Repository, StoredDoc


class Run(NamedTuple):
    seconds: float  # wall clock
    cpu: float  # this process's CPU time: steadier on a busy machine, but leaves out waiting for fsync
    bytes: int
    converged: bool
    compact: float = 0.0  # wall clock of the compactions the exchange left due (not in `seconds`)


# -- raw automerge -------------------------------------------------------------------------------------------


def raw_edits(doc: Document, obj: bytes, prefix: str, n: int) -> None:
    for i in range(n):
        with doc.transaction() as tx:
            tx.put(obj, f"{prefix}{i}", ScalarType.Int, i)


def raw_sync(a: Document, b: Document) -> tuple[float, float, int]:
    state_a, state_b = SyncState(), SyncState()
    total = 0
    start, cpu = time.perf_counter(), time.process_time()
    while True:
        to_b = a.generate_sync_message(state_a)
        if to_b is not None:
            total += len(to_b.encode())
            b.receive_sync_message(state_b, to_b)
        to_a = b.generate_sync_message(state_b)
        if to_a is not None:
            total += len(to_a.encode())
            a.receive_sync_message(state_a, to_a)
        if to_b is None and to_a is None:
            return time.perf_counter() - start, time.process_time() - cpu, total


def raw_setup(name: str, n: int) -> tuple[Document, Document]:
    a = Document(b"\x01" * 32)
    with a.transaction() as tx:
        container = tx.put_object(ROOT, "code", ObjType.Map)
    b = Document(b"\x02" * 32)
    raw_sync(a, b)
    if name == "one_sided":
        raw_edits(a, container, "a", n)
    else:
        raw_edits(a, container, "a", n // 2)
        raw_edits(b, container, "b", n - n // 2)
    return a, b


def raw_measure(docs: tuple[Document, Document]) -> Run:
    a, b = docs[0].fork(), docs[1].fork()
    seconds, cpu, total = raw_sync(a, b)
    return Run(seconds, cpu, total, sorted(a.get_heads()) == sorted(b.get_heads()))


# -- reliance ------------------------------------------------------------------------------------------------


def pump(a: Session, b: Session) -> int:
    """Deliver frames both ways, in order, until neither side has anything to say; return bytes moved.
    What a frame stored is made durable (`Repository.flush`) before its answers go, as the node does."""
    queue: collections.deque[tuple[Session, bytes]] = collections.deque()
    queue.extend((b, frame) for frame in a.start())
    queue.extend((a, frame) for frame in b.start())
    total = 0
    while queue:
        target, frame = queue.popleft()
        total += len(frame)
        other = a if target is b else b
        replies = target.receive(frame)
        flush(target)
        queue.extend((other, reply) for reply in replies)
    for session in (a, b):
        for event in session.pop_events():
            if type(event).__name__ in ("BatchRefused", "RefusedByPeer"):
                raise SystemExit(f"sync refused: {event}")
    return total


def flush(session: Session) -> None:
    assert isinstance(session.host.repo, Repository)
    session.host.repo.flush()


def store_edits(
    ws: Workspace, doc: StoredDoc, container: Callable[[Writer], ObjId], prefix: str, n: int
) -> None:
    for i in range(n):

        def edit(writer: Writer, i: int = i) -> None:
            writer.put(container(writer), f"{prefix}{i}", i)

        doc.local_change(ws.identity.sign, edit)


def reliance_setup(name: str, n: int, root: Path) -> str:
    """Two homes under `root` ("alice", "bob") ready to sync; returns the document id."""
    alice = Workspace.create(root / "alice", "Alice")
    bob = Workspace.create(root / "bob", "Bob")
    if name == "one_sided":
        doc_id = alice.peer_id
    else:
        doc_id = projects.create_project(alice, "bench")
        projects.add_member(alice, doc_id, bob.peer_id)
    pump(
        Session(SyncHost(alice.repo), peer_key=bob.identity.network_key),
        Session(SyncHost(bob.repo), peer_key=alice.identity.network_key),
    )

    def code(writer: Writer) -> ObjId:
        found = writer.child(ROOT_ID, "code")
        assert found is not None
        return found

    def root_map(writer: Writer) -> ObjId:
        return ROOT_ID

    if name == "one_sided":
        store_edits(alice, alice.repo.open(doc_id), root_map, "a", n)
    else:
        store_edits(alice, alice.repo.open(doc_id), code, "a", n // 2)
        store_edits(bob, bob.repo.open(doc_id), code, "b", n - n // 2)
    return doc_id


def reliance_measure(root: Path, doc_id: str, attempt: int, profile: cProfile.Profile | None) -> Run:
    """Sync fresh copies of the two homes; only the exchange itself is timed."""
    copies = root / f"attempt-{attempt}"
    workspaces = []
    for name in ("alice", "bob"):
        shutil.copytree(root / name, copies / name)
        ws = Workspace.open(copies / name)
        for held in ws.repo.doc_ids():
            ws.repo.open(held)  # loading from disk is not part of the exchange
        workspaces.append(ws)
    alice, bob = workspaces
    if profile is not None:
        profile.enable()
    start, cpu = time.perf_counter(), time.process_time()
    total = pump(
        Session(SyncHost(alice.repo), peer_key=bob.identity.network_key),
        Session(SyncHost(bob.repo), peer_key=alice.identity.network_key),
    )
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if profile is not None:
        profile.disable()
    start = time.perf_counter()
    for ws in workspaces:  # what a node's maintenance does after the exchange
        ws.repo.compact_due()
    compact = time.perf_counter() - start
    same = alice.repo.open(doc_id).heads() == bob.repo.open(doc_id).heads()
    shutil.rmtree(copies, ignore_errors=True)
    return Run(seconds, cpu, total, same, compact)


def run(n: int, cases: list[str], repeat: int, profile_path: str | None) -> dict[str, Any]:
    results = []
    for name in cases:
        raw_docs = raw_setup(name, n)
        root = Path(tempfile.mkdtemp(prefix=f"reliance-bench-{name}-"))
        raw_runs: list[Run] = []
        rel_runs: list[Run] = []
        try:
            doc_id = reliance_setup(name, n, root)
            for attempt in range(repeat):  # interleaved, so both see the same machine load
                raw_runs.append(raw_measure(raw_docs))
                profile = cProfile.Profile() if profile_path and attempt == 0 else None
                rel_runs.append(reliance_measure(root, doc_id, attempt, profile))
                if profile is not None:
                    profile.dump_stats(f"{profile_path}.{name}")
        finally:
            shutil.rmtree(root, ignore_errors=True)
        raw_s = statistics.median(r.seconds for r in raw_runs)
        rel_s = statistics.median(r.seconds for r in rel_runs)
        raw_cpu = statistics.median(r.cpu for r in raw_runs)
        rel_cpu = statistics.median(r.cpu for r in rel_runs)
        raw_bytes, rel_bytes = raw_runs[0].bytes, rel_runs[0].bytes
        results.append(
            {
                "name": name,
                "changes": n,
                "raw_s": round(raw_s, 4),
                "reliance_s": round(rel_s, 4),
                "time_ratio": round(rel_s / raw_s, 2),
                "raw_bytes": raw_bytes,
                "reliance_bytes": rel_bytes,
                "bytes_ratio": round(rel_bytes / raw_bytes, 3),
                "raw_cpu_s": round(raw_cpu, 4),
                "reliance_cpu_s": round(rel_cpu, 4),
                "cpu_ratio": round(rel_cpu / raw_cpu, 2),
                "reliance_compact_s": round(statistics.median(r.compact for r in rel_runs), 4),
                "repeat": repeat,
                "converged": all(r.converged for r in raw_runs + rel_runs),
            }
        )
    return {"changes": n, "cases": results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--changes", type=int, default=10_000, help="changes per case (default 10000)")
    parser.add_argument("--cases", default="one_sided,diverged", help="comma-separated: one_sided,diverged")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; medians are reported")
    parser.add_argument(
        "--profile", metavar="FILE", help="write cProfile stats of the reliance sync to FILE.CASE"
    )
    args = parser.parse_args(argv)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = set(cases) - {"one_sided", "diverged"}
    if unknown or args.changes < 2:
        parser.error(f"unknown case {sorted(unknown)[0]!r}" if unknown else "--changes is at least 2")
    print(json.dumps(run(args.changes, cases, max(1, args.repeat), args.profile), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
