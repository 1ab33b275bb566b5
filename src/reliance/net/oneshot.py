"""`reliance sync HOST:PORT`: one connection, one session until both sides hold the same, and a summary.

The session runs over the same `Link` as the node's (`link.py`): `sync_over` takes any channel."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any

from reliance.app import settings
from reliance.app.workspace import Workspace
from reliance.errors import RelianceError
from reliance.identity import encode_peer_id
from reliance.net.channel import Channel
from reliance.net.config import format_address
from reliance.net.connection import TransportConfig
from reliance.net.errors import ConnectionLost, HandshakeRefused, TransportError
from reliance.net.handshake import connect
from reliance.net.hello import hello_name
from reliance.net.link import Link, Outbox, durably
from reliance.replication.protocol import BatchRefused, ChangesReceived, RefusedByPeer, Session, SyncHost
from reliance.replication.quota import Quotas

# Runs a store call where the caller's store work runs (an owner's node worker), and awaits its result.
InStore = Callable[..., Awaitable[Any]]


class SyncUnfinished(RelianceError):
    """A one-shot sync that could not end with both sides in sync: `why` is "timeout", "closed" (the peer
    ended the connection) or "not_started" (the peer never compared its documents with ours); `not_in_sync`
    the documents the summaries showed different that are still so. `summary` is what was done."""

    def __init__(self, why: str, summary: dict[str, Any], timeout: float) -> None:
        self.why = why
        self.summary = summary
        self.not_in_sync: list[str] = list(summary["not_in_sync"])
        self.timeout = timeout
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        from reliance.display import clean
        from reliance.i18n import t

        peer = f"{clean(self.summary['peer_name'] or '?')} ({self.summary['peer_id'][:14]}…)"
        if self.why == "not_started":
            reason = t("sync.unfinished_not_started", lang)
        elif self.why == "closed":
            reason = t("sync.unfinished_closed", lang)
        else:
            reason = t("sync.unfinished_timeout", lang, seconds=f"{self.timeout:g}")
        shown = ", ".join(d[:14] + "…" for d in self.not_in_sync[:3])
        more = ", …" if len(self.not_in_sync) > 3 else ""
        docs = f": {shown}{more}" if shown else ""
        return t("sync.unfinished", lang, peer=peer, why=reason, count=len(self.not_in_sync), docs=docs)


class SyncFailed(RelianceError):
    """A one-shot sync that could not start (nobody answered, the peer refused) or that a side refused."""

    def __init__(self, key: str, **params: object) -> None:
        from reliance.i18n import t

        self.key, self.params = key, params
        super().__init__(t(key, "en", **params))

    def message(self, lang: str) -> str:
        from reliance.i18n import t

        return t(self.key, lang, **self.params)


async def sync_once(
    workspace: Workspace, host: str, port: int, *, timeout: float = 60.0, in_store: InStore | None = None
) -> dict[str, Any]:
    """Connect to one peer, sync until both sides hold the same, and return a summary (for scripts and
    cron). The end is the session's: the digests or summaries were compared and every document they showed
    different is in sync, with nothing left to send. Anything else within `timeout` seconds (the peer
    went silent, closed, or declined a document over its quota: it says nothing then) raises
    `SyncUnfinished`, which tells what was left; a peer that cannot be reached raises `SyncFailed`.
    `in_store`: where the session's store work runs (the owner's node worker), else in this loop's thread
    (a command holding the home)."""
    blocked = settings.blocked_keys(workspace.home)
    limits = workspace.repo.limits  # the home's: what the store reads back is what the door lets in
    config = TransportConfig(max_message=limits.max_frame)
    started = time.monotonic()
    address = format_address(host, port)
    try:
        async with asyncio.timeout(timeout):
            conn = await connect(
                host,
                port,
                workspace.identity.network_private_key,
                name=hello_name(workspace.identity.name),
                config=config,
                certificate=workspace.identity.network_certificate,
                revoked=functools.partial(_revoked_here, workspace),
            )
    except TimeoutError:
        reason = f"no answer within {timeout:g} s"
        raise SyncFailed("sync.unreachable", address=address, reason=reason) from None
    except HandshakeRefused as exc:
        raise SyncFailed("sync.unreachable", address=address, reason=exc.reason) from None
    except TransportError as exc:
        raise SyncFailed("sync.unreachable", address=address, reason=str(exc)) from None
    if conn.remote_key in blocked or conn.remote_participant in blocked:
        await conn.close()
        raise SyncFailed("sync.blocked")
    remaining = max(0.0, timeout - (time.monotonic() - started))
    return await sync_over(
        workspace,
        conn,
        conn.remote_key,
        remote_name=conn.remote_name,
        participant=conn.certified_participant,
        timeout=remaining,
        reported_timeout=timeout,
        blocked=blocked,
        frame_timeout=config.frame_timeout,
        started=started,
        in_store=in_store,
    )


def _revoked_here(workspace: Workspace, participant: bytes, device: bytes) -> bool:
    """Whether the participant document held here revokes `device` (a certified peer's handshake)."""
    from reliance.replication.devices import revoked_of

    doc_id = encode_peer_id(participant)
    try:
        return workspace.repo.exists(doc_id) and device in revoked_of(workspace.repo.open(doc_id))
    except RelianceError:
        return False


async def sync_over(
    workspace: Workspace,
    channel: Channel,
    remote_key: bytes,
    *,
    remote_name: str = "",
    participant: bytes | None = None,
    timeout: float = 60.0,
    reported_timeout: float | None = None,
    blocked: set[bytes] | None = None,
    frame_timeout: float | None = None,
    started: float | None = None,
    in_store: InStore | None = None,
) -> dict[str, Any]:
    """`sync_once` over a channel already open to `remote_key` (a `SecureConnection`, or one end of a
    `memory_pair`): the node's `Link` runs the session, each of its calls made durable before its frames
    go out, until the session is settled, a side refused, or `timeout`. The channel is closed after.
    `participant`: whom `remote_key` is a certified device of (its handshake's certificate said so)."""
    started = time.monotonic() if started is None else started
    keys = settings.blocked_keys(workspace.home) if blocked is None else blocked
    limits = workspace.repo.limits
    stall = (
        TransportConfig(max_message=limits.max_frame).frame_timeout
        if frame_timeout is None
        else frame_timeout
    )
    quotas = Quotas(workspace.repo, workspace.peer_id, limits)
    session = Session(
        SyncHost(workspace.repo, blocked=lambda: keys, limits=limits, quotas=quotas),
        peer_key=remote_key,
        reader=participant,
    )
    outbox = Outbox(channel, stall=stall, limit=2 * limits.max_frame + (1 << 20))
    received: dict[str, int] = {}
    refused = ""
    why = ""

    async def on_events() -> bool:
        """Count what came in; the link ends on a refusal, or once both sides hold the same."""
        nonlocal refused
        for event in session.pop_events():
            if isinstance(event, ChangesReceived):
                received[event.doc_id] = received.get(event.doc_id, 0) + event.applied
            elif isinstance(event, BatchRefused | RefusedByPeer) and not refused:
                refused = event.reason
        return bool(refused) or session.settled

    async def step(produce: Callable[[], list[bytes]]) -> list[bytes]:
        if in_store is not None:
            made: list[bytes] = await in_store(durably, produce, workspace.repo.flush)
            return made
        return durably(produce, workspace.repo.flush)

    link = Link(session, channel, outbox, on_events=on_events, step=step, flush_timeout=stall)
    try:
        async with asyncio.timeout(timeout):
            await link.run()
    except TimeoutError:
        why = "timeout"
    except ConnectionLost:
        why = "closed"
    finally:
        await outbox.close()
        await channel.close()
        if in_store is not None:
            await in_store(workspace.repo.compact_due)  # what the batches left due (they do not wait)
        else:
            workspace.repo.compact_due()
    if refused:
        raise SyncFailed("sync.refused", reason=refused)
    summary = {
        "peer_id": encode_peer_id(participant or remote_key),
        "peer_name": remote_name,
        "complete": session.settled,
        "not_in_sync": session.unsettled,
        "received_changes": sum(received.values()),
        "documents_changed": sorted(d for d, n in received.items() if n),
        "sent_changes": session.sent_changes,
        "bytes_in": session.bytes_in,
        "bytes_out": session.bytes_out,
        "seconds": round(time.monotonic() - started, 3),
    }
    if not session.settled:
        if not session.unsettled:
            why = "not_started"  # no digest or summary from the peer: nothing was compared
        raise SyncUnfinished(
            why or "closed", summary, timeout if reported_timeout is None else reported_timeout
        )
    return summary
