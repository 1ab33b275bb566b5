"""What a sync session runs over: a `Channel` of whole messages, and an in-memory one.

A channel carries whole messages in order, both ways, like pycrdt's Provider channel: ``send`` one,
``recv`` the next, ``close`` it. Once it has ended, ``recv`` raises :class:`ConnectionClosed` (a clean
close by either side; what came before a close of the peer is still returned first) or
:class:`ConnectionLost`. The real one is :class:`SecureConnection` (Noise over TCP); :func:`memory_pair`
makes two ends joined in memory, for tests and anything in one process.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Protocol

from reliance.limits import DEFAULT_LIMITS
from reliance.net.errors import ConnectionClosed, FrameTooLarge, TransportError

if TYPE_CHECKING:
    from reliance.net.connection import SecureConnection

__all__ = ["Channel", "MemoryChannel", "memory_pair"]


class Channel(Protocol):
    """Whole messages in order, both ways."""

    @property
    def closed(self) -> bool:
        """True once the channel ended (closed by either side, or lost)."""
        ...

    async def send(self, data: bytes) -> None:
        """Send one message; waits while the other side does not take them."""
        ...

    async def recv(self) -> bytes:
        """The next message; ConnectionClosed / ConnectionLost once the channel has ended."""
        ...

    async def close(self, reason: str = "") -> None:
        """End the channel (idempotent); the other side's ``recv`` raises ConnectionClosed."""
        ...


class MemoryChannel:
    """One end of a pair joined in memory (:func:`memory_pair`): at most ``capacity`` messages wait on
    each side (``send`` waits beyond), each at most ``max_message`` bytes."""

    def __init__(self, *, max_message: int = DEFAULT_LIMITS.max_frame, capacity: int = 64) -> None:
        self.max_message = max_message
        self.capacity = capacity
        self.peer: MemoryChannel | None = None
        self._inbox: deque[bytes] = deque()
        self._changed = asyncio.Event()
        self._error: TransportError | None = None

    @property
    def closed(self) -> bool:
        return self._error is not None

    async def send(self, data: bytes) -> None:
        if not isinstance(data, bytes | bytearray):
            raise TypeError("data must be bytes")
        if len(data) > self.max_message:
            raise FrameTooLarge(f"message of {len(data)} bytes exceeds max_message {self.max_message}")
        peer = self.peer
        assert peer is not None, "a MemoryChannel is made by memory_pair()"
        while True:
            self._raise_if_ended()
            if len(peer._inbox) < peer.capacity:
                break
            peer._changed.clear()
            await peer._changed.wait()  # the other side takes a message, or either side closes
        peer._inbox.append(bytes(data))
        peer._changed.set()

    async def recv(self) -> bytes:
        while True:
            if self._inbox:
                message = self._inbox.popleft()
                self._changed.set()  # room for the sender
                return message
            self._raise_if_ended()
            self._changed.clear()
            await self._changed.wait()

    async def close(self, reason: str = "") -> None:
        if self._error is not None:
            return
        self._error = ConnectionClosed("connection closed locally")
        self._inbox.clear()
        self._changed.set()
        peer = self.peer
        if peer is not None and peer._error is None:
            peer._error = ConnectionClosed(f"closed by peer: {reason}" if reason else "closed by peer")
            peer._changed.set()

    def _raise_if_ended(self) -> None:
        error = self._error
        if error is not None:
            raise type(error)(*error.args)


def memory_pair(
    *, max_message: int = DEFAULT_LIMITS.max_frame, capacity: int = 64
) -> tuple[MemoryChannel, MemoryChannel]:
    """Two channel ends joined in memory: what one sends, the other receives."""
    a = MemoryChannel(max_message=max_message, capacity=capacity)
    b = MemoryChannel(max_message=max_message, capacity=capacity)
    a.peer, b.peer = b, a
    return a, b


if TYPE_CHECKING:

    def _both_are_channels(real: SecureConnection, memory: MemoryChannel) -> None:
        """Checked by mypy: the real connection and the in-memory one are both a Channel."""
        channels: list[Channel] = [real, memory]
        del channels
