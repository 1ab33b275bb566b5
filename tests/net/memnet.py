"""Several real nodes in this event loop, joined by in-memory channels.

    async with MemoryNet(tmp_path) as net:
        alice, bob = await net.node("Alice"), await net.node("Bob")
        await net.join(alice, bob)
        alice.ws.add_item(...); alice.local_change(alice.ws.peer_id)
        await net.until(lambda: ..., "the offer reaches Bob")

Each node is a real `Node` over a real home in `tmp_path` (stores on disk, signed changes, its sync worker),
started without a TCP listener or mDNS (`NodeConfig(serve=False)`); `join` makes a `memory_pair` and gives
one end to each node (`Node.attach`), as a handshake would: the same admission, session, link and events
as a connection over Noise. `cut` ends a pair (a network that goes away), and `join` again reconnects.
What needs processes (kill -9, namespaces, mDNS) stays with tests/net/cluster.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from reliance.app.workspace import Workspace
from reliance.net.channel import MemoryChannel, memory_pair
from reliance.net.config import NodeConfig
from reliance.net.events import NodeEvent, PeerState
from reliance.net.node import Node

# Timers of the nodes: nothing here waits on them but the poll of the store (writers outside the node).
FAST = {"heartbeat_interval": 0.5, "redial_min": 0.2, "redial_max": 1.0, "poll_interval": 0.1}


class MemoryNet:
    def __init__(self, tmp_path: Path, **config: Any) -> None:
        self.tmp_path = tmp_path
        self.config = FAST | config
        self.nodes: list[Node] = []
        self.events: dict[str, list[NodeEvent]] = {}  # every node's events, by its name
        self._pairs: dict[frozenset[bytes], tuple[MemoryChannel, MemoryChannel]] = {}

    async def __aenter__(self) -> MemoryNet:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def node(self, name: str, workspace: Workspace | None = None, **config: Any) -> Node:
        """A started node on `workspace` (a new home in tmp_path by default)."""
        ws = workspace or Workspace.create(self.tmp_path / name.lower(), name)
        node = Node(ws, NodeConfig(serve=False, mdns=False, write_state=False, **(self.config | config)))
        events = self.events.setdefault(ws.identity.name, [])
        node.subscribe(events.append)
        await node.start()
        self.nodes.append(node)
        return node

    async def join(self, a: Node, b: Node, *, capacity: int = 64) -> tuple[str | None, str | None]:
        """Connect `a` (the opener) and `b` over a fresh in-memory pair; returns each side's refusal."""
        end_a, end_b = memory_pair(max_message=min(a.limits.max_frame, b.limits.max_frame), capacity=capacity)
        self._pairs[frozenset((a.my_key, b.my_key))] = (end_a, end_b)
        refused_b = await b.attach(end_b, a.my_key, name=a.ws.identity.name)
        refused_a = await a.attach(end_a, b.my_key, name=b.ws.identity.name, initiator=True)
        return refused_a, refused_b

    async def cut(self, a: Node, b: Node) -> None:
        """End the pair between `a` and `b` (both sides see their peer go), and wait until both did."""
        pair = self._pairs.pop(frozenset((a.my_key, b.my_key)))
        await pair[0].close("cut")
        await self.until(
            lambda: not connected(a, b) and not connected(b, a), f"{name(a)} and {name(b)} apart"
        )

    async def mesh(self, nodes: list[Node] | None = None) -> None:
        """Join every pair of `nodes` (all by default) and wait until each sees the others connected."""
        chosen = nodes or self.nodes
        for i, a in enumerate(chosen):
            for b in chosen[i + 1 :]:
                await self.join(a, b)
        await self.until(lambda: all(connected(a, b) for a in chosen for b in chosen if a is not b), "mesh")

    async def until(self, predicate: Callable[[], object], what: str, timeout: float = 30.0) -> None:
        """Wait for a positive cue, checking between turns of the loop; fail saying what did not happen."""
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    await asyncio.sleep(0.01)
        except TimeoutError:
            raise AssertionError(f"not within {timeout} s: {what}") from None

    async def close(self) -> None:
        for node in reversed(self.nodes):
            with contextlib.suppress(Exception):
                await node.stop()
        self.nodes.clear()


def name(node: Node) -> str:
    return node.ws.identity.name


def connected(node: Node, other: Node) -> bool:
    peer = node.peers_by_key.get(other.my_key)
    return peer is not None and peer.state == PeerState.CONNECTED and peer.session is not None


def settled(node: Node, other: Node) -> bool:
    """`node`'s session with `other` compared every document and has nothing left to send or receive."""
    peer = node.peers_by_key.get(other.my_key)
    return peer is not None and peer.session is not None and peer.session.settled


def holds(ws: Workspace, doc_id: str) -> bool:
    return ws.repo.exists(doc_id) and bool(ws.repo.open(doc_id).known)
