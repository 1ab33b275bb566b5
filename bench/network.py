"""Network benchmark: handshake, bulk replication against raw automerge, fan-out, idle resync, discovery.

Usage: python bench/network.py [--quick] [--rounds N] [--cases a,b] [--repeat N]

Prints one JSON object:
- handshake_ms: median Noise XX connect + handshake + ACCEPT on loopback (measure_handshake_ms);
- changes_10k / changes_100k: two Nodes in this process on 127.0.0.1, connected and in sync; node A's store
  receives N signed one-key changes of its participant document (made on a copy, signed one by one and
  stored with StoredDoc.add_verified in batches of 5,000; local_change would fsync each change, ~3 ms here,
  and costs O(document) per change), then node A is told (Node.local_change) and the clock runs until
  node B's document has A's heads.
  ratio_to_raw divides by the time raw automerge takes, in this run, to sync the same N changes between two
  automerge.core.Documents in memory (generate/receive until both sides are done);
- fanout: N = 5 and 20 Nodes in this process connected by typed addresses, as a chain (node i dials
  node i-1; the offer is made at one end and crosses N-1 hops) and as a star (every node dials node 0; the
  offer is made on a leaf: leaf -> hub -> every other leaf); seconds until every node holds it;
- idle_resync_1000_docs: both nodes hold the same 1,000 project documents (+ both participant documents);
  node B restarts and reconnects through a byte-counting TCP relay; seconds until B's session reports that
  everything is in sync, and every byte on the wire both ways (handshake included);
- first_frame: milliseconds from an honest peer's finished handshake to the node's first frame to it
  (median and worst of --repeat newcomers, one after another), on an idle node (`idle_ms`, the reference
  of this run) and while hostile peers keep the node's sync worker busy: one summary of 100,000 ids, over
  the limit and refused (`huge_summary`); the same accepted, the limit raised, its work done in turns
  (`summary_in_turns`); 40 peers each with a summary at the limit (`crowd_40`). `ratio_to_idle` divides
  each median by `idle_ms`. A newcomer should wait for one turn (`Limits.session_turn_ms`) at most, not
  for the others' work: the tests check that order (tests/net/test_limits.py), this measures the wait;
- discovery_s: 5 `reliance serve` processes with mDNS in network namespaces on a bridge: seconds from spawn
  (and from the last "listening") until every node is connected to the 4 others; null with a reason when
  namespaces cannot be created here.

Usage with --cases: a comma-separated subset of handshake, changes, fanout, idle_resync, first_frame,
discovery (all by default).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from automerge.core import ROOT, Document, ScalarType, SyncState

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.net.busy import (  # noqa: E402
    first_frame,
    hostile_opener,
    project_ids,
    send_heavy_summary,
    summary_of,
)
from tests.net.cluster import Cluster, bulk_changes, namespaces_usable  # noqa: E402

from reliance.app.projects import create_project  # noqa: E402
from reliance.app.workspace import Workspace  # noqa: E402
from reliance.limits import DEFAULT_LIMITS, Limits  # noqa: E402
from reliance.model.catalogue import Item, ItemKind  # noqa: E402
from reliance.net import events as ev  # noqa: E402
from reliance.net.config import NodeConfig  # noqa: E402
from reliance.net.node import Node  # noqa: E402
from reliance.net.server import measure_handshake_ms  # noqa: E402

HOST = "127.0.0.1"


def node_config(**overrides: Any) -> NodeConfig:
    config = NodeConfig(
        port=0, listen=HOST, mdns=False, write_state=False, redial_min=0.2, redial_max=1.0, poll_interval=0.5
    )
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


async def wait_for(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.002) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout} s: {what}")
        await asyncio.sleep(interval)


def connected(node: Node, other: Node) -> bool:
    peer = node.peers_by_key.get(other.my_key)
    return peer is not None and peer.session is not None and peer.conn is not None


# ----------------------------------------------------------------------------------------- raw automerge


def raw_sync_seconds(count: int) -> float:
    """Sync `count` one-key changes from one automerge Document to another that has the base, in memory."""
    source = Document()
    with source.transaction() as tx:
        tx.put(ROOT, "base", ScalarType.Int, 0)
    target = Document.load(source.save())
    for i in range(count):
        with source.transaction() as tx:
            tx.put(ROOT, "bench", ScalarType.Int, i)
    start = time.perf_counter()
    state_source, state_target = SyncState(), SyncState()
    while True:
        moved = False
        message = source.generate_sync_message(state_source)
        if message is not None:
            target.receive_sync_message(state_target, message)
            moved = True
        reply = target.generate_sync_message(state_target)
        if reply is not None:
            source.receive_sync_message(state_source, reply)
            moved = True
        if not moved:
            break
    elapsed = time.perf_counter() - start
    assert target.get_heads() == source.get_heads()
    return elapsed


# ----------------------------------------------------------------------------------------- two nodes


async def changes_case(count: int) -> dict[str, Any]:
    raw = statistics.median(raw_sync_seconds(count) for _ in range(3 if count <= 10_000 else 1))
    with tempfile.TemporaryDirectory() as tmp:
        ws_a = Workspace.create(Path(tmp) / "a", "A")
        ws_b = Workspace.create(Path(tmp) / "b", "B")
        a, b = Node(ws_a, node_config()), Node(ws_b, node_config())
        await a.start()
        await b.start()
        try:
            assert a.listen_address is not None
            await b.add_address(*a.listen_address)
            doc_id = ws_a.peer_id
            await wait_for(lambda: ws_b.repo.exists(doc_id), 10, "B holds A's document")
            heads = await a._in_worker(bulk_changes, ws_a, count, 5000)

            def arrived() -> bool:
                return ws_b.repo.open(doc_id).heads() == heads

            start = time.perf_counter()
            a.local_change(doc_id)
            await wait_for(arrived, 600, f"{count} changes on B")
            elapsed = time.perf_counter() - start
        finally:
            await b.stop()
            await a.stop()
    return {
        "seconds": round(elapsed, 3),
        "raw_seconds": round(raw, 3),
        "ratio_to_raw": round(elapsed / raw, 2),
    }


# ----------------------------------------------------------------------------------------- fan-out


async def fanout_case(count: int, topology: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        spaces = [Workspace.create(Path(tmp) / f"n{i}", f"Node {i}") for i in range(count)]
        nodes = [Node(ws, node_config()) for ws in spaces]
        try:
            for node in nodes:
                await node.start()
            for i, node in enumerate(nodes[1:], start=1):
                target = nodes[i - 1] if topology == "chain" else nodes[0]
                assert target.listen_address is not None
                await node.add_address(*target.listen_address)
            ids = [ws.peer_id for ws in spaces]
            # Settled: every node holds every participant document (gossip) with the same heads.
            await wait_for(
                lambda: all(all(ws.repo.exists(d) for d in ids) for ws in spaces), 60, "initial gossip", 0.05
            )
            await asyncio.sleep(0.5)
            origin = len(nodes) - 1  # chain: the far end; star: a leaf
            ws = spaces[origin]
            arrived: dict[int, float] = {}
            target_heads: list[bytes] = []

            def listener(index: int) -> Callable[[ev.NodeEvent], None]:
                def on_event(event: ev.NodeEvent) -> None:
                    if (
                        event.kind == ev.SYNCED
                        and event.doc_id == ws.peer_id
                        and index not in arrived
                        and target_heads
                        and spaces[index].repo.open(ws.peer_id).heads() == target_heads
                    ):
                        arrived[index] = time.perf_counter()

                return on_event

            for i, node in enumerate(nodes):
                if i != origin:
                    node.subscribe(listener(i))
            draft = Item(id="", kind=ItemKind.OFFER, title="Fan-out offer", author=ws.peer_id)
            start = time.perf_counter()
            await nodes[origin]._in_worker(ws.add_item, draft)
            target_heads.extend(ws.my_doc().heads())
            nodes[origin].local_change(ws.peer_id)
            await wait_for(lambda: len(arrived) == count - 1, 60, f"offer on {count} nodes")
            return max(arrived.values()) - start
        finally:
            for node in nodes:
                await node.stop()


# ----------------------------------------------------------------------------------------- idle resync


class CountingRelay:
    """A TCP relay on 127.0.0.1 that counts the bytes it forwards, both ways."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.bytes = 0
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, HOST, 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while data := await reader.read(65536):
                self.bytes += len(data)
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(HOST, self.target_port)
        for task in (self._pipe(reader, up_writer), self._pipe(up_reader, writer)):
            made = asyncio.ensure_future(task)
            self.tasks.add(made)
            made.add_done_callback(self.tasks.discard)

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


async def idle_resync_case(docs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        ws_a = Workspace.create(Path(tmp) / "a", "A")
        ws_b = Workspace.create(Path(tmp) / "b", "B")
        for i in range(docs):
            create_project(ws_a, f"Project {i}", visibility="public")
        a, b = Node(ws_a, node_config()), Node(ws_b, node_config())
        await a.start()
        await b.start()
        assert a.listen_address is not None
        relay: CountingRelay | None = None
        try:
            await b.add_address(*a.listen_address)
            await wait_for(
                lambda: len(ws_b.repo.doc_ids()) == docs + 2 and len(ws_a.repo.doc_ids()) == docs + 2,
                300,
                "first full sync",
                0.1,
            )
            await wait_for(lambda: b.last_sync is not None, 60, "first sync done", 0.05)
            await asyncio.sleep(1.0)
            await b.stop()
            await wait_for(lambda: not connected(a, b), 10, "A saw B leave")
            b = Node(ws_b, node_config())  # the same home, restarted: every document loaded by start()
            await b.start()
            relay = CountingRelay(a.listen_address[1])
            relay_port = await relay.start()
            start = time.perf_counter()
            await b.add_address(HOST, relay_port)
            await wait_for(lambda: b.last_sync is not None, 30, "idle resync", 0.0005)
            elapsed = time.perf_counter() - start
            wire_bytes = relay.bytes
            peer = b.peers_by_key[a.my_key]
            session_bytes = (peer.session.bytes_in + peer.session.bytes_out) if peer.session else None
        finally:
            await b.stop()
            await a.stop()
            if relay is not None:
                await relay.close()
    return {
        "documents": docs,
        "seconds": round(elapsed, 4),
        "bytes": wire_bytes,
        "sync_frame_bytes": session_bytes,
    }


# ----------------------------------------------------------------------------------------- first frame


async def first_frames_ms(node: Node, repeat: int) -> list[float]:
    """Newcomers one after another: milliseconds from each one's handshake to the node's first frame."""
    out = []
    for _ in range(repeat):
        first, seconds = await first_frame(node)
        assert first["t"] == "digest", first
        out.append(seconds * 1000)
    return out


def latency_summary(samples: list[float], idle_ms: float | None = None) -> dict[str, Any]:
    median = statistics.median(samples)
    summary: dict[str, Any] = {"median_ms": round(median, 2), "max_ms": round(max(samples), 2)}
    if idle_ms:
        summary["ratio_to_idle"] = round(median / idle_ms, 1)
    return summary


async def first_frame_case(repeat: int) -> dict[str, Any]:
    async def on_node(home: Path, limits: Limits, busy: Callable[[Node], Any]) -> list[float]:
        node = Node(Workspace.create(home, "Nora"), node_config(limits=limits))
        await node.start()
        try:
            return await busy(node)
        finally:
            await node.stop()

    async def idle(node: Node) -> list[float]:
        return await first_frames_ms(node, repeat)

    async def huge_summary(node: Node) -> list[float]:
        samples = []
        for _ in range(repeat):  # refused at once: a new hostile peer for each newcomer
            hostile, _ = await send_heavy_summary(node, project_ids(100_000))
            samples += await first_frames_ms(node, 1)
            await hostile.close()
        return samples

    async def summary_in_turns(node: Node) -> list[float]:
        hostile, session = await send_heavy_summary(node, project_ids(100_000))
        try:
            samples = await first_frames_ms(node, repeat)
            if not session.pending_work:
                raise RuntimeError("the hostile's work ended before the newcomers: raise its size")
            return samples
        finally:
            await hostile.close()

    async def crowd(node: Node) -> list[float]:
        openers = [await hostile_opener(node) for _ in range(40)]
        try:
            frame = summary_of(project_ids(node.config.limits.summary_max_documents))
            befores = [session.bytes_in for _, session in openers]
            for conn, _ in openers:
                await conn.send(frame)
            await wait_for(
                lambda: all(s.bytes_in > b for (_, s), b in zip(openers, befores, strict=True)),
                120,
                "the node read every summary",
            )
            return await first_frames_ms(node, repeat)
        finally:
            for conn, _ in openers:
                await conn.close()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        idle_ms = statistics.median(await on_node(root / "idle", DEFAULT_LIMITS, idle))
        huge = await on_node(root / "huge", DEFAULT_LIMITS, huge_summary)
        raised = DEFAULT_LIMITS.replace(summary_max_documents=200_000)
        turns = await on_node(root / "turns", raised, summary_in_turns)
        roomy = DEFAULT_LIMITS.replace(connections_max=48, connections_max_per_address=48)
        crowded = await on_node(root / "crowd", roomy, crowd)
    return {
        "newcomers": repeat,
        "turn_ms": DEFAULT_LIMITS.session_turn_ms,
        "idle_ms": round(idle_ms, 2),
        "huge_summary": latency_summary(huge, idle_ms),
        "summary_in_turns": latency_summary(turns, idle_ms),
        "crowd_40": latency_summary(crowded, idle_ms),
    }


# ----------------------------------------------------------------------------------------- discovery


def discovery_case(count: int = 5) -> dict[str, Any] | None:
    if not namespaces_usable()[0]:
        return None
    with tempfile.TemporaryDirectory() as tmp, Cluster(Path(tmp), count, mode="netns") as cluster:
        start = time.monotonic()
        for node in cluster.nodes:
            node.start()
        for node in cluster.nodes:
            node.wait_listening()
        listening = time.monotonic()
        ids = {n.peer_id for n in cluster.nodes}

        def mesh() -> bool:
            for node in cluster.nodes:
                rows = node.peer_states()
                others = ids - {node.peer_id}
                if not all(rows.get(p, {}).get("state") == "connected" for p in others):
                    return False
            return True

        cluster.wait(mesh, 30, "mDNS mesh")
        done = time.monotonic()
    return {
        "nodes": count,
        "seconds_from_spawn": round(done - start, 2),
        "seconds_from_listening": round(done - listening, 2),
    }


# ----------------------------------------------------------------------------------------- main


CASES = ("handshake", "changes", "fanout", "idle_resync", "first_frame", "discovery")


async def run(quick: bool, rounds: int, cases: set[str], repeat: int) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if "handshake" in cases:
        result["handshake_ms"] = round(await measure_handshake_ms(rounds), 3)
    if "changes" in cases:
        result["changes_10k"] = await changes_case(10_000)
        result["changes_100k"] = None if quick else await changes_case(100_000)
        if quick:
            result["changes_100k_skipped"] = "--quick"
    if "fanout" in cases:
        result["fanout"] = {
            "topologies": (
                "chain: node i dials node i-1, offer at one end; star: all dial node 0, offer on a leaf"
            ),
            **{
                f"{topology}_{count}_s": round(await fanout_case(count, topology), 3)
                for count in (5, 20)
                for topology in ("chain", "star")
            },
        }
    if "idle_resync" in cases:
        result["idle_resync_1000_docs"] = await idle_resync_case(1000)
    if "first_frame" in cases:
        result["first_frame"] = await first_frame_case(repeat)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="skip the 100k-change case")
    parser.add_argument("--rounds", type=int, default=50, help="handshakes to time")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated subset of the cases")
    parser.add_argument("--repeat", type=int, default=5, help="newcomers per first_frame situation")
    args = parser.parse_args()
    cases = {name.strip() for name in args.cases.split(",") if name.strip()}
    if not cases <= set(CASES):
        parser.error(f"unknown cases: {', '.join(sorted(cases - set(CASES)))}")
    result = asyncio.run(run(args.quick, args.rounds, cases, args.repeat))
    if "discovery" in cases:
        discovery = discovery_case()
        if discovery is None:
            result["discovery_s"] = None
            result["discovery_skipped"] = f"network namespaces unavailable: {namespaces_usable()[1]}"
        else:
            result["discovery_s"] = discovery["seconds_from_spawn"]
            result["discovery"] = discovery
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
