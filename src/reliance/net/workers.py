"""What the node keeps per peer and per advertised address, and the threads it hands work to."""

from __future__ import annotations

import contextlib
import itertools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from reliance.errors import RelianceError
from reliance.identity import encode_peer_id
from reliance.net.channel import Channel
from reliance.net.events import PeerState
from reliance.net.link import Outbox
from reliance.net.peerbook import PeerEvent, next_state
from reliance.replication.protocol import Session
from reliance.replication.quota import Quotas
from reliance.store.repository import Repository, doc_kind

T = TypeVar("T")


@dataclass
class Peer:
    key: bytes
    name: str = ""
    addresses: list[tuple[str, int]] = field(default_factory=list)
    source: str = "known"
    accepted: bool = False
    state: PeerState = PeerState.DISCOVERED
    last_seen: float | None = None
    last_error: str = ""
    conn: Channel | None = None  # a SecureConnection, or a channel given to `Node.attach`
    conn_initiator: bytes = b""
    session: Session | None = None
    outbox: Outbox | None = None
    backoff: float = 0.0
    next_dial: float = 0.0
    dialing: bool = False
    known: bool = False  # a connection with it completed, or it was saved before: worth remembering
    # Whom this key is a device of, when its handshake carried a certificate (b"": the key is a participant
    # of its own), and that device's name; it is shown as its participant, the device name beside it.
    participant: bytes = b""
    device_name: str = ""

    @property
    def peer_id(self) -> str:
        """The key's own id: what the node keys it by (one connection per device)."""
        return encode_peer_id(self.key)

    @property
    def participant_key(self) -> bytes:
        return self.participant or self.key

    @property
    def shown_id(self) -> str:
        """The id people see: its participant's."""
        return encode_peer_id(self.participant_key)

    def move(self, event: PeerEvent) -> None:
        self.state = next_state(self.state, event)

    def accept(self) -> None:
        self.accepted = True
        if self.state == PeerState.PENDING:
            self.move(PeerEvent.ACCEPT)
            self.next_dial = 0.0


@dataclass
class Advert:
    """An address some mDNS advert gave, dialled with a backoff of its own until a handshake there proves
    whose it is (an advert may claim any key: `claimed` is only what to expect)."""

    address: tuple[str, int]
    claimed: bytes | None
    backoff: float = 0.0
    next_dial: float = 0.0
    dialing: bool = False
    seen: float = 0.0


class SyncWorker:
    """The one thread that runs the sessions and the store, jobs in order; except that a new peer's first
    frame (`urgent`) goes before the work the other peers have waiting, so that a crowd of busy peers
    (each with one turn waiting at a time) never delays a newcomer's first frame by more than a turn."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.PriorityQueue[tuple[int, int, Callable[[], None] | None]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def submit(self, func: Callable[..., T], *args: Any, urgent: bool = False) -> Future[T]:
        if self._closed:
            raise RuntimeError("the sync worker has stopped")
        future: Future[T] = Future()

        def job() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(func(*args))
            except BaseException as exc:  # an automerge panic too: the caller decides
                future.set_exception(exc)

        self._jobs.put((0 if urgent else 1, next(self._order), job))
        return future

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Run what is queued, then stop the thread (`join` waits for it)."""
        if not self._closed:
            self._closed = True
            self._jobs.put((2, next(self._order), None))

    def join(self, timeout: float | None = None) -> bool:
        """Wait up to `timeout` seconds for the thread to end; whether it did."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def shutdown(self) -> None:
        """Run what is queued, then stop the thread (and wait for it)."""
        self.close()
        self.join()

    def _serve(self) -> None:
        while True:
            job = self._jobs.get()[2]
            if job is None:
                return
            job()


def refresh_all(repo: Repository, quotas: Quotas) -> dict[str, list[bytes]]:
    """What other processes wrote (the CLI beside us), counted in the quotas too."""
    changed = repo.refresh_all()
    for doc_id in changed:
        quotas.note(doc_id)
    return changed


def refresh(repo: Repository, quotas: Quotas, doc_ids: list[str] | None) -> list[str]:
    if doc_ids is None:
        return list(refresh_all(repo, quotas))
    changed: list[str] = []
    loaded = {stored.doc_id: stored for stored in repo.loaded()}
    for doc_id in dict.fromkeys(doc_ids):
        with contextlib.suppress(RelianceError):
            doc_kind(doc_id)  # a document id, or StoreError: never a path
            if doc_id in loaded:
                if not loaded[doc_id].refresh():
                    continue
            elif repo.exists(doc_id):
                repo.open(doc_id)  # created by the other process
            else:
                continue
            quotas.note(doc_id)
            changed.append(doc_id)
    return changed
