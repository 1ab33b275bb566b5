"""What a session's events mean for the node: the node event to emit, the document to offer to the other
peers, whether the connection must end. Pure: the node (`Node._handle_events`) does what it says."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from reliance.net import events as ev
from reliance.net.workers import Peer
from reliance.replication.protocol import (
    BatchRefused,
    ChangesReceived,
    Declined,
    Event,
    InSync,
    RefusedByPeer,
)

log = logging.getLogger("reliance.node")


@dataclass(frozen=True)
class Outcome:
    # (kind, text, peer_id, doc_id, count) of the node event to emit, if any
    event: tuple[str, str, str, str, int] | None = None
    fan_out: str = ""  # a document that gained changes: offered to every other peer
    synced: bool = False  # the node's last sync is now
    last_error: str = ""  # shown beside the peer
    stop: bool = False  # the connection must end (we refused the peer's batch)


def session_outcome(peer: Peer, event: Event) -> Outcome:
    who = peer.name or "?"
    if isinstance(event, ChangesReceived):
        text = f"synced {event.applied} changes of document {event.doc_id[:14]}… from {who}" + (
            f" ({event.pending} waiting for earlier changes)" if event.pending else ""
        )
        return Outcome(
            (ev.SYNCED, text, peer.peer_id, event.doc_id, event.applied),
            fan_out=event.doc_id if event.applied else "",
            synced=True,
        )
    if isinstance(event, InSync):
        return Outcome(synced=True)
    if isinstance(event, BatchRefused):
        text = (
            f"rejected a batch from {who} ({peer.peer_id[:14]}…) for document {event.doc_id or '-'}: "
            f"{event.reason}"
        )
        return Outcome((ev.REJECTED, text, peer.peer_id, event.doc_id, 0), last_error=event.reason, stop=True)
    if isinstance(event, RefusedByPeer):
        log.info("%s refused our batch: %s", peer.peer_id[:14], event.reason)
        return Outcome(last_error=f"refused by peer: {event.reason}")
    if isinstance(event, Declined):
        text = f"did not store document {event.doc_id[:14]}… from {who}: {event.reason}"
        return Outcome((ev.DECLINED, text, peer.peer_id, event.doc_id, 0))
    return Outcome()
