"""A link: one sync session over one channel, and the outbox that sends what the session answers.

`Link.run` is the pump between a `Session` (`replication/protocol.py`, sans-IO) and a `Channel`
(`channel.py`: a `SecureConnection`, or a `MemoryChannel` in tests): the session's opening frames, then
for each message received, the session's answer, then its remaining turns of work, each put in the
`Outbox`, which sends them in order on the channel without ever making the session wait on a socket. How
the session's calls run (on the node's sync worker, made durable first) and what its events do (node
events, fan-out) are the caller's: the link takes them as functions.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections import deque
from collections.abc import Awaitable, Callable

from reliance.net.channel import Channel
from reliance.net.errors import TransportError
from reliance.replication.protocol import Session

__all__ = ["Link", "Outbox", "SendBudget", "Step", "durably", "inline"]

# Runs one call of the session (start, receive, work) and returns the frames it produced.
Step = Callable[[Callable[[], list[bytes]]], Awaitable[list[bytes]]]


async def inline(produce: Callable[[], list[bytes]]) -> list[bytes]:
    """The simplest `Step`: call the session right here (tests, one process, no worker)."""
    return produce()


def durably(produce: Callable[[], list[bytes]], flush: Callable[[], None]) -> list[bytes]:
    """A session call, then what it stored made durable (`flush`, the store's) before its frames go out:
    the session writes batches without fsync, and an answer tells the peer they are stored."""
    frames = produce()
    flush()
    return frames


class SendBudget:
    """The bytes waiting in every outbox, against one limit (`connections_outbox_total_bytes`)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.outboxes: set[Outbox] = set()

    def grew(self) -> None:
        """Over the limit: drop the outbox whose peer has left its next frame unread the longest (a peer
        that reads sees its frames leave at once, however many were queued in a burst)."""
        if self.size > self.limit:
            waiting = [o for o in self.outboxes if o.frames]
            if waiting:
                stalled = min(waiting, key=lambda o: o.head_since)
                stalled._fail(f"peer does not read: {stalled.size} bytes waiting while the node's are full")


class Outbox:
    """The frames waiting to be sent on one connection, sent in order by one task.

    Nothing that produces frames (a peer's own session, the fan-out of another peer's changes, the poll of
    the store) ever waits on a socket: a peer that stops reading can only stall its own outbox. It is
    dropped when one frame is not taken within `stall` seconds plus one second per 64 KiB, when more
    than `limit` bytes wait, or when it has the most waiting while all outboxes together are over the
    shared budget.
    """

    def __init__(
        self,
        conn: Channel,
        *,
        stall: float,
        limit: int,
        budget: SendBudget | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.conn = conn
        self.clock = clock  # when a frame became first in line: the budget drops the longest-stalled
        self.stall = stall
        self.limit = limit
        self.budget = budget or SendBudget(limit)
        self.budget.outboxes.add(self)
        self.frames: deque[bytes] = deque()
        self.size = 0
        self.head_since = 0.0  # when the first frame waiting became first
        self.failure = ""
        self._ready = asyncio.Event()
        self._task = asyncio.ensure_future(self._pump())
        self._closing: asyncio.Future[None] | None = None

    def put(self, frames: list[bytes]) -> None:
        if self.failure or not frames:
            return
        if not self.frames:
            self.head_since = self.clock()
        for frame in frames:
            self.frames.append(frame)
            self.size += len(frame)
            self.budget.size += len(frame)
        self._ready.set()
        if self.size > self.limit:
            self._fail(f"peer does not read: {self.size} bytes waiting to be sent")
        else:
            self.budget.grew()

    async def flush(self, timeout: float) -> None:
        """Wait (up to `timeout`) until everything queued was handed to the transport."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self.frames and not self.failure and not self._task.done():
                    await asyncio.sleep(0.01)

    async def close(self) -> None:
        self._task.cancel()
        self._release()
        for task in (self._task, self._closing):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    def _fail(self, reason: str) -> None:
        if not self.failure:
            self.failure = reason
            self._release()  # nothing more is sent: the frames waiting are dropped
            self._closing = asyncio.ensure_future(self.conn.close())  # recv() raises at once

    def _release(self) -> None:
        self.budget.size -= self.size
        self.budget.outboxes.discard(self)
        self.frames.clear()
        self.size = 0

    async def _pump(self) -> None:
        while True:
            if not self.frames:
                self._ready.clear()
                await self._ready.wait()
                continue
            frame = self.frames[0]
            try:
                async with asyncio.timeout(self.stall + len(frame) / 65536):
                    await self.conn.send(frame)
            except TimeoutError:
                self._fail(f"peer does not read: a {len(frame)}-byte message not taken in time")
                return
            except TransportError:
                return
            if self.frames and self.frames[0] is frame:
                self.frames.popleft()
                self.size -= len(frame)
                self.budget.size -= len(frame)
                self.head_since = self.clock()


class Link:
    """Pumps frames between `session` and `channel` until the channel ends or the session must stop.

    ``opening`` runs ``session.start`` and ``step`` every later call (the node runs both on its sync worker,
    ``step`` making what the session stored durable before its frames go out). ``on_message`` is told of
    each message received, ``on_events`` handles the session's events and returns True when the link must
    end (a refused batch): what was queued is flushed (within ``flush_timeout``) and :meth:`run` returns.
    Otherwise :meth:`run` ends with the channel's ConnectionClosed / ConnectionLost.
    """

    def __init__(
        self,
        session: Session,
        channel: Channel,
        outbox: Outbox,
        *,
        on_events: Callable[[], Awaitable[bool]],
        opening: Step = inline,
        step: Step = inline,
        on_message: Callable[[], None] = lambda: None,
        flush_timeout: float = 5.0,
    ) -> None:
        self.session = session
        self.channel = channel
        self.outbox = outbox
        self._on_events = on_events
        self._opening = opening
        self._step = step
        self._on_message = on_message
        self._flush_timeout = flush_timeout

    async def run(self) -> None:
        session, outbox = self.session, self.outbox
        outbox.put(await self._opening(session.start))
        while True:
            data = await self.channel.recv()
            self._on_message()
            outbox.put(await self._step(functools.partial(session.receive, data, one_turn=True)))
            # A frame may ask for more than one turn of work: the rest goes in turns, each a new step
            # (behind the other peers' waiting ones, on a node), and this peer's next frame waits for it.
            while not (stop := await self._on_events()) and session.pending_work:
                outbox.put(await self._step(session.work))
            if stop:
                await outbox.flush(self._flush_timeout)  # the refusal
                return
