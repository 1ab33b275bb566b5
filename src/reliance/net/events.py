"""What a running node reports: peers and their state, and events for logs and the activity feed."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class PeerState(StrEnum):
    DISCOVERED = "discovered"  # seen on mDNS or typed, not connected
    CONNECTING = "connecting"
    CONNECTED = "connected"
    PENDING = "pending"  # policy 'known': waits for `reliance peer accept`
    BLOCKED = "blocked"
    UNREACHABLE = "unreachable"  # known address, redial with backoff


@dataclass
class PeerInfo:
    peer_id: str
    name: str
    state: PeerState
    address: str  # "host:port" or ""
    last_seen: float | None  # time.time() of the last frame or announcement
    source: str  # "mdns", "typed", "incoming", "known"
    docs_in_sync: dict[str, bool] = field(default_factory=dict)
    last_error: str = ""
    # A certified device of the participant `peer_id`: its name, and its own key's id ("" otherwise)
    device: str = ""
    device_id: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "peer_id": self.peer_id,
            "name": self.name,
            "device": self.device or None,
            "device_id": self.device_id or None,
            "state": self.state.value,
            "address": self.address or None,
            "last_seen": self.last_seen,
            "source": self.source,
            "docs_in_sync": dict(sorted(self.docs_in_sync.items())),
            "last_error": self.last_error or None,
        }


@dataclass(frozen=True)
class NodeEvent:
    """One thing that happened; `kind` is one of the constants below, `text` a log line in English."""

    kind: str
    text: str
    peer_id: str = ""
    doc_id: str = ""
    count: int = 0


PEER_FOUND = "peer_found"
PEER_CONNECTED = "peer_connected"
PEER_DISCONNECTED = "peer_disconnected"
PEER_PENDING = "peer_pending"
SYNCED = "synced"  # count changes of doc_id arrived from peer_id
REJECTED = "rejected"  # a batch from peer_id was refused (text says why)
DECLINED = "declined"  # someone else's document from peer_id was not stored: over a quota (text says which)
LOCAL_CHANGE = "local_change"  # another process (CLI) wrote doc_id
LISTENING = "listening"
OWNER_GONE = "owner_gone"  # the process that owns the home (reliance serve) stopped: the app may take over
ERROR = "error"
