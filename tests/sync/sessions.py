"""Two sans-IO sessions on real homes, driven by hand: frames delivered in order per direction."""

from __future__ import annotations

import random
import secrets
from collections import deque
from typing import Any

import msgpack

from reliance.app.workspace import Workspace
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.replication.protocol import BatchRefused, Event, Session, SyncHost
from reliance.replication.quota import Quotas


def pack(value: dict[str, Any]) -> bytes:
    packed: bytes = msgpack.packb(value, use_bin_type=True)
    return packed


def session_of(
    ws: Workspace, limits: Limits = DEFAULT_LIMITS, *, quotas: bool = False, peer: Workspace | None = None
) -> Session:
    """A session of `ws`'s node (with quotas on other people's documents, as a node has, if `quotas`),
    with `peer` at the other end (default: a stranger, who may read only what is public)."""
    counted = Quotas(ws.repo, ws.peer_id, limits) if quotas else None
    peer_key = peer.identity.network_key if peer is not None else secrets.token_bytes(32)
    return Session(SyncHost(ws.repo, limits=limits, quotas=counted), peer_key=peer_key)


def opened_by_peer(session: Session) -> None:
    """Start `session` and tell it the peer's digest is larger: `session` opens the per-document syncs."""
    session.start()
    session.receive(pack({"t": "digest", "d": b"\xff" * 32}))


def pump(
    a: Session,
    b: Session,
    rng: random.Random | None = None,
    watch: Any = None,
    max_steps: int = 50_000,
    opener: Session | None = None,
) -> tuple[list[Event], list[Event]]:
    """Deliver frames both ways (in order per direction, directions interleaved by `rng`) until quiet;
    `watch()` runs after every delivery; returns each side's events (no refusal among them).
    `opener`: that session is told the other's digest is larger (and the other that it is smaller),
    so that it opens the per-document syncs."""
    to_a: deque[bytes] = deque(b.start())
    to_b: deque[bytes] = deque(a.start())
    if opener is not None:
        larger, smaller = pack({"t": "digest", "d": b"\xff" * 32}), pack({"t": "digest", "d": b"\0" * 32})
        to_a = deque([larger if opener is a else smaller])
        to_b = deque([larger if opener is b else smaller])
    for _ in range(max_steps):
        busy = [queue for queue in (to_a, to_b) if queue]
        if not busy:
            break
        queue = busy[0] if rng is None else rng.choice(busy)
        target, back = (a, to_b) if queue is to_a else (b, to_a)
        back.extend(target.receive(queue.popleft()))
        if watch is not None:
            watch()
    else:
        raise AssertionError("the sessions never settled")
    events = a.pop_events(), b.pop_events()
    refusals = [e for side in events for e in side if isinstance(e, BatchRefused)]
    assert not refusals, refusals
    return events
