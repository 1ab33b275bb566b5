"""The clock that time and ids are read from: the system's, and the fixed one tests give."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.clock import SYSTEM_CLOCK, FixedClock
from reliance.model.catalogue import Item, ItemKind


def test_the_system_clock_gives_the_time_as_stored_and_random_ids() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    stamp = SYSTEM_CLOCK.now_iso()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", stamp)
    assert before <= datetime.fromisoformat(stamp) <= datetime.now(UTC)
    assert re.fullmatch(r"[0-9a-f]{16}", SYSTEM_CLOCK.new_id())
    assert SYSTEM_CLOCK.new_id() != SYSTEM_CLOCK.new_id()
    assert len(SYSTEM_CLOCK.new_nonce()) == 16
    assert re.fullmatch(r"[0-9a-f]{12}", SYSTEM_CLOCK.new_record_suffix())


def test_a_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock("2026-07-14T10:00:00+00:00", monotonic=50.0)
    assert clock.now_iso() == "2026-07-14T10:00:00+00:00" == clock.now_iso()
    clock.advance(90)
    assert clock.now_iso() == "2026-07-14T10:01:30+00:00"
    assert clock.monotonic() == 140.0
    clock.set("2026-07-15T08:00:00+00:00")  # the wall clock set again: monotonic time stays
    assert clock.now() == datetime(2026, 7, 15, 8, tzinfo=UTC)
    assert clock.monotonic() == 140.0
    assert [clock.new_id(), clock.new_id()] == ["0000000000000001", "0000000000000002"]
    assert clock.new_nonce() == (1).to_bytes(16, "big")
    assert clock.new_record_suffix() == "000000000001"


async def test_a_loop_sleeping_on_a_fixed_clock_runs_the_rounds_it_is_let_through() -> None:
    clock = FixedClock()
    ran: list[float] = []

    async def maintenance() -> None:
        while True:
            await clock.sleep(0.5)
            ran.append(clock.monotonic())

    task = asyncio.create_task(maintenance())
    try:
        async with asyncio.timeout(10):
            await clock.rounds(3)
            assert ran == [1000.5, 1001.0, 1001.5]  # three whole rounds, each half a second on the clock
            await clock.rounds(1)
            assert ran == [1000.5, 1001.0, 1001.5, 1002.0]
    finally:
        task.cancel()


def test_a_workspace_writes_with_the_clock_it_is_given(tmp_path: Path) -> None:
    home = tmp_path / "home"
    Workspace.create(home, "Alice")
    clock = FixedClock("2026-07-01T09:00:00+00:00")
    ws = Workspace.open(home, clock=clock)
    item = ws.add_item(Item(id="", kind=ItemKind.OFFER, title="Pain", author=""))
    assert (item.id, item.created) == ("0000000000000001", "2026-07-01T09:00:00+00:00")
    project = projects.create_project(ws, "Fournil")
    assert projects.project_meta(ws.repo.open(project))["created"] == "2026-07-01T09:00:00+00:00"
    clock.advance(60)
    entry = projects.contribute(ws, project, "time", 30, "min", "pétrir")
    assert entry == f"{ws.peer_id[2:14]}-000000000001"
    [row] = [r for r in projects.ledger(ws, project) if r["id"] == entry]
    assert row["at"] == "2026-07-01T09:01:00+00:00"
