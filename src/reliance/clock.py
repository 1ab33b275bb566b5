"""Where the time and fresh ids come from: the system's in production, a fixed one in tests.

Everything that reads the time (an item's `created`, a ledger entry's `at`, an export's date, the node's
redials and maintenance) or draws a random id (items, answers, record ids, a project's nonce) asks a
`Clock` handed to it, `SYSTEM_CLOCK` unless told otherwise: `Workspace(clock=)` carries one to the home's
writes, `Node(clock=)` (the workspace's by default) to the network, `create_app(clock=)` to the app. Tests
give a `FixedClock` instead of patching module attributes, so that a run writes the same bytes every time.
"""

from __future__ import annotations

import itertools
import secrets
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

__all__ = ["SYSTEM_CLOCK", "Clock", "FixedClock", "iso_seconds"]


def iso_seconds(when: float) -> str:
    """A wall-clock time in seconds as stored in documents: ISO 8601, UTC, to the second."""
    return datetime.fromtimestamp(when, UTC).isoformat(timespec="seconds")


class Clock:
    """The system's clock and randomness."""

    def time(self) -> float:
        """Wall-clock seconds since the epoch (what is shown and stored)."""
        return time.time()

    def monotonic(self) -> float:
        """Seconds that only go forward (timeouts, backoffs)."""
        return time.monotonic()

    def now_iso(self) -> str:
        return iso_seconds(self.time())

    def now(self) -> datetime:
        """The wall-clock time, aware, in UTC."""
        return datetime.fromtimestamp(self.time(), UTC)

    async def sleep(self, seconds: float) -> None:
        """Wait: the node's maintenance waits here between two rounds."""
        import asyncio  # here: the pure layers import this module and never run a loop

        await asyncio.sleep(seconds)

    def new_id(self) -> str:
        """An item, answer or reply id: 16 hex digits."""
        return secrets.token_hex(8)

    def new_nonce(self) -> bytes:
        """A project's nonce (its id derives from it and its creator's key): 16 bytes."""
        return secrets.token_bytes(16)

    def new_record_suffix(self) -> str:
        """The part of a ledger record id after its author's tag (see `doc.project.new_record_id`)."""
        return secrets.token_hex(6)


SYSTEM_CLOCK = Clock()


class FixedClock(Clock):
    """A clock that moves only when told to, and ids counted from 1: the same bytes on every run.

    `set` and `advance` move it; so does `sleep`, which waits for the test's turn (`rounds`): a node on
    this clock runs its maintenance only when the test lets it, and the time moves by what it slept."""

    def __init__(self, at: str | float = "2026-06-01T09:00:00+00:00", monotonic: float = 1000.0) -> None:
        self._wall = 0.0
        self.set(at)
        self._monotonic = monotonic
        self._ids = itertools.count(1)
        self._record_ids = itertools.count(1)
        self._nonces = itertools.count(1)
        self._entered = 0  # sleeps begun
        self._woken = 0  # sleeps ended
        self._granted = 0  # sleeps the test let through and nobody took yet
        self._moved: asyncio.Condition | None = None  # made in the loop that first sleeps

    def set(self, at: str | float) -> None:
        """Move the wall clock to `at` (ISO 8601, or seconds since the epoch); monotonic time stays."""
        self._wall = datetime.fromisoformat(at).timestamp() if isinstance(at, str) else float(at)

    def advance(self, seconds: float) -> None:
        self._wall += seconds
        self._monotonic += seconds

    def time(self) -> float:
        return self._wall

    def monotonic(self) -> float:
        return self._monotonic

    def new_id(self) -> str:
        return f"{next(self._ids):016x}"

    def new_nonce(self) -> bytes:
        return next(self._nonces).to_bytes(16, "big")

    def new_record_suffix(self) -> str:
        return f"{next(self._record_ids):012x}"

    # -- sleeping on the test's turn ------------------------------------------------------------------------
    def _condition(self) -> asyncio.Condition:
        import asyncio

        if self._moved is None:
            self._moved = asyncio.Condition()
        return self._moved

    async def sleep(self, seconds: float) -> None:
        """Wait until the test lets one sleep through (`rounds`), then move the clock by `seconds`."""
        moved = self._condition()
        async with moved:
            self._entered += 1
            moved.notify_all()
            await moved.wait_for(lambda: self._granted > 0)
            self._granted -= 1
            self._woken += 1
            self.advance(seconds)

    async def rounds(self, count: int = 1) -> None:
        """Let the sleeper through `count` times, and return once it sleeps again: `count` whole rounds of
        the loop that sleeps on this clock ran since the call (one started before it is not counted)."""
        moved = self._condition()
        async with moved:
            target = self._woken + self._granted + count + 1
            self._granted += count
            moved.notify_all()
            await moved.wait_for(lambda: self._entered >= target)
