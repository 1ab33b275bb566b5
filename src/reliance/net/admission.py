"""Who the node lets in, and the peers it keeps in memory: blocked keys, its own key, the `known` policy,
pending strangers, and the bound on strangers held (any key costs nothing to make).

These run on the node's loop, over its state (`Node.peers_by_key`, `Node._blocked`, `Node._policy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reliance.net import events as ev
from reliance.net.events import PeerState
from reliance.net.peerbook import PeerEvent
from reliance.net.workers import Peer

if TYPE_CHECKING:
    from reliance.net.node import Node

NOT_ACCEPTED = "this node only syncs with accepted peers; ask its owner to accept your peer id"


def refuse_dialled(node: Node, remote_key: bytes, participant: bytes | None = None) -> str | None:
    """Why a connection must end at once whoever opened it (the key or its participant is blocked, or it
    is the node's own key)."""
    if remote_key in node._blocked or (participant is not None and participant in node._blocked):
        return "you are blocked by this node"
    if remote_key == node.my_key:
        return "this is the same identity (another device must have its own key)"
    return None


def accepted(node: Node, remote_key: bytes, participant: bytes | None) -> bool:
    """A key let in under the `known` policy: accepted itself, or a certified device of an accepted
    participant, or of this node's own participant (our own devices)."""
    if participant is not None and participant == node.ws.identity.participant_key:
        return True
    for key in {remote_key, participant or remote_key}:
        peer = node.peers_by_key.get(key)
        if peer is not None and peer.accepted:
            return True
    return False


def accept(node: Node, remote_key: bytes, participant: bytes | None = None) -> str | None:
    """Why a peer that came to us is refused (None: it is let in). Under the `known` policy a stranger is
    shown as pending until accepted, never saved. `participant`: whom the key is a certified device of."""
    refusal = refuse_dialled(node, remote_key, participant)
    if refusal is not None:
        return refusal
    if node._policy == "known":
        known = node.peers_by_key.get(remote_key)
        if not accepted(node, remote_key, participant):
            peer = known or pending_peer(node, remote_key)
            if participant is not None and participant != remote_key:
                peer.participant = participant  # shown as whom it is a device of, while it waits
            peer.move(PeerEvent.KNOCK)
            peer.last_seen = node.clock.time()
            node._emit(ev.PEER_PENDING, f"{peer.shown_id[:14]}… waits for acceptance", peer.shown_id)
            return NOT_ACCEPTED
    return None


def is_known(node: Node, remote_key: bytes) -> bool:
    """An accepted peer (typed address, `reliance peer accept`): served first when the node is full."""
    peer = node.peers_by_key.get(remote_key)
    return peer is not None and peer.accepted and remote_key not in node._blocked


def of_participant(node: Node, key: bytes) -> list[Peer]:
    """The peers that are `key`, or a certified device of it."""
    return [p for p in node.peers_by_key.values() if p.key == key or p.participant == key]


def peer(node: Node, key: bytes) -> Peer:
    """The node's record of `key`, made if new (the least recently seen strangers make room)."""
    if key not in node.peers_by_key:
        forget_old_strangers(node)
        node.peers_by_key[key] = Peer(key)
    return node.peers_by_key[key]


def pending_peer(node: Node, key: bytes) -> Peer:
    """A new pending stranger; the oldest ones are forgotten beyond `Limits.max_pending_peers`."""
    waiting = [p for p in node.peers_by_key.values() if forgettable(p) and p.state == PeerState.PENDING]
    waiting.sort(key=lambda p: p.last_seen or 0.0)
    for old in waiting[: max(0, len(waiting) - node.limits.max_pending_peers + 1)]:
        del node.peers_by_key[old.key]
    return peer(node, key)


def forgettable(peer: Peer) -> bool:
    return not peer.accepted and not peer.known and peer.conn is None and not peer.dialing


def forget_old_strangers(node: Node) -> None:
    """Bound the peers kept in memory: beyond what may be saved and what may wait, the least recently seen
    peers nobody accepted, not connected, are forgotten."""
    most = node.limits.max_remembered_peers + node.limits.max_pending_peers
    strangers = [p for p in node.peers_by_key.values() if not p.accepted and p.conn is None and not p.dialing]
    if len(strangers) < most:
        return
    strangers.sort(key=lambda p: p.last_seen or 0.0)
    for old in strangers[: len(strangers) - most + 1]:
        del node.peers_by_key[old.key]
