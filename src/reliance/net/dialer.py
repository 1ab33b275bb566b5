"""When to dial again: an exponential backoff between two bounds, on a clock given to it.

Pure but for the clock it is handed (`time.monotonic` in a node, a fake one in tests): no sleeping, no
sockets. The node keeps one `Retry` per peer, per typed address and per advertised address.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Clock", "Dialer", "Retry", "Retrying"]

Clock = Callable[[], float]


class Retrying(Protocol):
    """Anything dialled again after a backoff: a peer, an advertised address, a typed one (`Retry`)."""

    backoff: float
    next_dial: float


@dataclass
class Retry:
    """One address or peer dialled again and again: its current backoff and when it is due."""

    backoff: float = 0.0
    next_dial: float = 0.0


class Dialer:
    """Backoffs that double from `minimum` up to `maximum`, and the times they make due (`maximum` wins
    when the two cross: a configuration may lower the one without the other)."""

    def __init__(self, minimum: float, maximum: float, clock: Clock = time.monotonic) -> None:
        self.minimum = minimum
        self.maximum = maximum
        self.clock = clock

    def now(self) -> float:
        return self.clock()

    def next_backoff(self, backoff: float) -> float:
        """The wait after one more failure: twice the last one, within the bounds."""
        return min(self.maximum, max(self.minimum, backoff * 2))

    def failed(self, retry: Retrying, now: float | None = None) -> None:
        """One more failed (or started) dial: back off further, and set when the next dial is due."""
        retry.backoff = self.next_backoff(retry.backoff)
        retry.next_dial = (self.clock() if now is None else now) + retry.backoff

    def due(self, retry: Retrying, now: float | None = None) -> bool:
        return (self.clock() if now is None else now) >= retry.next_dial

    @staticmethod
    def succeeded(retry: Retrying) -> None:
        """A connection came through: the next failure starts from the smallest backoff again."""
        retry.backoff = 0.0
