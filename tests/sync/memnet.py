"""An in-memory network of reliance nodes for protocol tests: no sockets, no asyncio.

A `Node` is a home (workspace, block list) with a `SyncHost`; its documents are held in memory
(`docstore.MemoryStore`: no disk, no fsync) unless `on_disk`. A `Link` joins two nodes
with one `Session` at each end and one ordered queue per direction, like a stream. `MemNet.pump`
delivers frames until every queue is empty, in order, or in a random interleaving of links and
directions with some frames delivered twice. When a node applies changes it tells its other links
(`Session.local_change`), the way a node relays what it receives, so documents travel through relays.
"""

from __future__ import annotations

import collections
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reliance.app.workspace import Workspace
from reliance.identity import create_identity
from reliance.replication import authority
from reliance.replication.auth import BatchOutcome
from reliance.replication.docstore import MemoryStore
from reliance.replication.protocol import BatchRefused, Event, RefusedByPeer, Session, SyncHost
from reliance.store.repository import StoredDoc


def memory_workspace(home: Path, name: str) -> Workspace:
    """A participant whose identity is in `home` and whose documents are in memory (`MemoryStore`)."""
    identity = create_identity(home, name)
    ws = Workspace(home, identity)
    store = MemoryStore(identity.public_key, limits=ws.repo.limits)
    store.on_open.append(authority.warm)
    ws.repo = store  # type: ignore[assignment]  # the workspace uses only what a DocStore offers
    ws.start_my_document()
    return ws


class Node:
    def __init__(self, home: Path, name: str, *, on_disk: bool = False) -> None:
        self.name = name
        self.ws = Workspace.create(home, name) if on_disk else memory_workspace(home, name)
        self.blocked: set[bytes] = set()
        self.host = SyncHost(self.ws.repo, lambda: self.blocked)
        self.links: list[Link] = []
        self.host.listeners.append(self._on_batch)

    @property
    def peer_id(self) -> str:
        return self.ws.peer_id

    @property
    def key(self) -> bytes:
        return self.ws.identity.network_key

    def doc(self, doc_id: str) -> StoredDoc:
        return self.ws.repo.open(doc_id)

    def holds(self, doc_id: str) -> bool:
        return self.ws.repo.exists(doc_id) and bool(self.ws.repo.open(doc_id).known)

    def heads(self, doc_id: str) -> list[bytes]:
        return self.doc(doc_id).heads() if self.holds(doc_id) else []

    def changed(self, doc_id: str) -> None:
        """A local edit: tell every connected peer, as the node does."""
        for link in self.links:
            link.send_from(self, link.session_of(self).local_change(doc_id))

    def _on_batch(self, doc_id: str, outcome: BatchOutcome) -> None:
        if outcome.applied:
            self.changed(doc_id)


@dataclass
class Link:
    a: Node
    b: Node
    sa: Session = field(init=False)
    sb: Session = field(init=False)
    to_a: collections.deque[bytes] = field(default_factory=collections.deque)
    to_b: collections.deque[bytes] = field(default_factory=collections.deque)
    events_a: list[Event] = field(default_factory=list)
    events_b: list[Event] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sa = Session(self.a.host, peer_key=self.b.key)
        self.sb = Session(self.b.host, peer_key=self.a.key)

    def session_of(self, node: Node) -> Session:
        return self.sa if node is self.a else self.sb

    def send_from(self, node: Node, frames: Iterable[bytes]) -> None:
        (self.to_b if node is self.a else self.to_a).extend(frames)

    def start(self) -> None:
        self.to_b.extend(self.sa.start())
        self.to_a.extend(self.sb.start())

    def deliver(self, to_a: bool, *, twice: bool = False) -> None:
        """Deliver the next frame of one direction (twice: also deliver it again right after)."""
        queue, session, receiver = (self.to_a, self.sa, self.a) if to_a else (self.to_b, self.sb, self.b)
        frame = queue.popleft()
        for _ in range(2 if twice else 1):
            replies = session.receive(frame)
            self.send_from(receiver, replies)
        (self.events_a if to_a else self.events_b).extend(session.pop_events())

    def pending(self) -> list[bool]:
        return [direction for direction, queue in ((True, self.to_a), (False, self.to_b)) if queue]

    def refusals(self) -> list[Event]:
        return [e for e in self.events_a + self.events_b if isinstance(e, BatchRefused | RefusedByPeer)]


class MemNet:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.nodes: list[Node] = []
        self.links: list[Link] = []

    def node(self, name: str, *, on_disk: bool = False) -> Node:
        node = Node(self.root / f"{len(self.nodes)}-{name}", name, on_disk=on_disk)
        self.nodes.append(node)
        return node

    def connect(self, a: Node, b: Node, *, start: bool = True) -> Link:
        link = Link(a, b)
        a.links.append(link)
        b.links.append(link)
        self.links.append(link)
        if start:
            link.start()
        return link

    def disconnect(self, link: Link) -> None:
        """Drop a connection and whatever it still carried."""
        link.a.links.remove(link)
        link.b.links.remove(link)
        self.links.remove(link)

    def disconnect_all(self) -> None:
        for link in list(self.links):
            self.disconnect(link)

    def pump(
        self,
        rng: random.Random | None = None,
        *,
        duplicate: float = 0.0,
        max_steps: int = 100_000,
        steps: int | None = None,
    ) -> int:
        """Deliver frames until nothing is in flight (or `steps` deliveries); return deliveries made."""
        done = 0
        while steps is None or done < steps:
            busy = [(link, d) for link in self.links for d in link.pending()]
            if not busy:
                return done
            if rng is None:
                link, to_a = busy[0]
            else:
                link, to_a = rng.choice(busy)
            link.deliver(to_a, twice=rng is not None and rng.random() < duplicate)
            done += 1
            if done >= max_steps:
                raise AssertionError(f"still busy after {max_steps} deliveries: the protocol does not settle")
        return done

    def refusals(self) -> list[Event]:
        return [e for link in self.links for e in link.refusals()]


def pair(root: Path, *, on_disk: bool = False) -> tuple[MemNet, Node, Node]:
    net = MemNet(root)
    return net, net.node("Alice", on_disk=on_disk), net.node("Bob", on_disk=on_disk)


def sync_once(a: Node, b: Node, net: MemNet) -> Link:
    """Connect two nodes, exchange until quiet, check nobody refused anything, and hang up."""
    link = net.connect(a, b)
    net.pump()
    assert not link.refusals(), link.refusals()
    net.disconnect(link)
    return link
