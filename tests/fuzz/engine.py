"""Running a fuzz target: inputs from a seeded generator, failures classified and saved for replay.

A target (see `targets.py`) makes one input as bytes from a `random.Random`, and runs it against real
code. Running an input may raise `Broken` (an invariant of the target does not hold) or let any other
exception out (the module under test raised something other than its documented error type: a bug);
`BaseException` such as automerge's `PanicException` included. Each failure is identified by its kind
(exception type, or the invariant) and its location (the innermost frame in `reliance`), so that one bug
found a thousand times counts once.
"""

from __future__ import annotations

import hashlib
import json
import random
import resource
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

SOURCE_MARK = f"{Path('src', 'reliance')}"
CPU_SECONDS_PER_INPUT = 2.0  # an input that costs more than this is a failure (a stall)
MAX_RSS_GROWTH = 256 * 1024 * 1024  # and one that grows the process by more than this (an amplification)


class Broken(AssertionError):
    """An invariant of a fuzz target does not hold. `invariant` names it (it is the failure's location)."""

    def __init__(self, invariant: str, detail: str = "") -> None:
        super().__init__(f"{invariant}: {detail}" if detail else invariant)
        self.invariant = invariant
        self.detail = detail


class Target(Protocol):
    name: str

    def setup(self, workdir: Path) -> None: ...

    def generate(self, rng: random.Random) -> bytes: ...

    def run(self, data: bytes) -> None: ...


@dataclass(frozen=True)
class Failure:
    target: str
    kind: str  # exception type, or "invariant", "slow", "memory"
    location: str  # innermost reliance frame ("file:line in function"), or the invariant's name
    message: str
    data: bytes

    @property
    def signature(self) -> str:
        return f"{self.target}: {self.kind} at {self.location}"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()[:16]


def _location(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if SOURCE_MARK in f.filename]
    if not frames:
        return "?"
    frame = (ours or frames)[-1]
    parts = Path(frame.filename).parts
    if SOURCE_MARK in frame.filename:
        start = max(i for i in range(len(parts) - 1) if parts[i : i + 2] == ("src", "reliance")) + 1
        short = "/".join(parts[start:])
    else:
        short = parts[-1]
    return f"{short}:{frame.lineno} in {frame.name}"


def classify(target: str, data: bytes, exc: BaseException) -> Failure:
    if isinstance(exc, Broken):
        return Failure(target, "invariant", exc.invariant, exc.detail[:500], data)
    return Failure(target, type(exc).__name__, _location(exc), str(exc)[:500], data)


def run_one(
    target: Target, data: bytes, cpu_limit: float = CPU_SECONDS_PER_INPUT, rss_limit: int = MAX_RSS_GROWTH
) -> Failure | None:
    """Run one input; the failure it shows (an exception, a broken invariant, too much CPU time or memory),
    or None. Memory is the growth of the process's peak resident size: only a new peak shows."""
    rss_before = _max_rss()
    cpu_before = time.process_time()
    try:
        target.run(data)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        return classify(target.name, data, exc)
    cpu = time.process_time() - cpu_before
    if cpu > cpu_limit:
        return Failure(target.name, "slow", f"over {cpu_limit:g} s of CPU", f"{cpu:.2f} s", data)
    grown = _max_rss() - rss_before
    if grown > rss_limit:
        return Failure(target.name, "memory", f"over {rss_limit >> 20} MiB", f"{grown >> 20} MiB", data)
    return None


def _max_rss() -> int:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass
class Stats:
    target: str
    inputs: int = 0
    seconds: float = 0.0
    failures: dict[str, list[Failure]] = field(default_factory=dict)  # signature -> failures (a few kept)
    counts: dict[str, int] = field(default_factory=dict)  # signature -> how many inputs showed it

    def add(self, failure: Failure, keep: int = 3) -> bool:
        """Record a failure; True if it is the first of its signature."""
        first = failure.signature not in self.counts
        self.counts[failure.signature] = self.counts.get(failure.signature, 0) + 1
        kept = self.failures.setdefault(failure.signature, [])
        if len(kept) < keep:
            kept.append(failure)
        return first

    def unique(self) -> list[Failure]:
        return [failures[0] for failures in self.failures.values()]


class Watchdog:
    """Notices an input that never ends (a loop in native code cannot be interrupted): saves it, exits."""

    def __init__(self, limit: float, on_hang: Callable[[bytes], None]) -> None:
        self.limit = limit
        self.on_hang = on_hang
        self.current: tuple[float, bytes] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="fuzz-watchdog", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(1.0):
            current = self.current
            if current is not None and time.monotonic() - current[0] > self.limit:
                self.on_hang(current[1])
                sys.stdout.flush()
                import os

                os._exit(3)

    def stop(self) -> None:
        self._stop.set()


def fuzz(
    target: Target,
    *,
    inputs: int,
    seed: int,
    start: int = 0,
    on_failure: Callable[[Failure, bool], None] | None = None,
    cpu_limit: float = CPU_SECONDS_PER_INPUT,
    rss_limit: int = MAX_RSS_GROWTH,
    watchdog: Watchdog | None = None,
    workdir: Path | None = None,
    progress: Callable[[Stats], None] | None = None,
) -> Stats:
    """Run `inputs` inputs made from `seed` (input i uses `Random(f"{seed}:{i}")`: any one replays alone)."""
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{target.name}-", dir=_SCRATCH_ROOT) as scratch:
        target.setup(workdir or Path(scratch))
        try:
            return _fuzz_inputs(
                target, inputs, seed, start, on_failure, cpu_limit, rss_limit, watchdog, progress
            )
        finally:
            close = getattr(target, "close", None)  # a target serving something (web) stops it
            if close is not None:
                close()


def _fuzz_inputs(
    target: Target,
    inputs: int,
    seed: int,
    start: int,
    on_failure: Callable[[Failure, bool], None] | None,
    cpu_limit: float,
    rss_limit: int,
    watchdog: Watchdog | None,
    progress: Callable[[Stats], None] | None,
) -> Stats:
    stats = Stats(target.name)
    started = time.monotonic()
    for index in range(start, start + inputs):
        rng = random.Random(f"{seed}:{index}")
        data = target.generate(rng)
        if watchdog is not None:
            watchdog.current = (time.monotonic(), data)
        failure = run_one(target, data, cpu_limit, rss_limit)
        if watchdog is not None:
            watchdog.current = None
        stats.inputs += 1
        if failure is not None:
            first = stats.add(failure)
            if on_failure is not None:
                on_failure(failure, first)
        if progress is not None and stats.inputs % 1000 == 0:
            stats.seconds = time.monotonic() - started
            progress(stats)
    stats.seconds = time.monotonic() - started
    return stats


# Targets write stores on every input: on a memory file system fsync costs nothing.
_SCRATCH_ROOT = "/dev/shm" if Path("/dev/shm").is_dir() else None


def scratch_dir(name: str) -> Path:
    """A new scratch folder for a target (removed at exit)."""
    import atexit
    import shutil

    path = Path(tempfile.mkdtemp(prefix=f"fuzz-{name}-", dir=_SCRATCH_ROOT))
    atexit.register(shutil.rmtree, path, True)
    return path


def save_failure(directory: Path, failure: Failure) -> Path:
    """Write the input (`<target>/<digest>.bin`) and what it showed (`.json` beside it)."""
    folder = directory / failure.target
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{failure.digest}.bin"
    path.write_bytes(failure.data)
    path.with_suffix(".json").write_text(
        json.dumps(
            {
                "target": failure.target,
                "kind": failure.kind,
                "location": failure.location,
                "message": failure.message,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    return path


def minimize(target: Target, failure: Failure, budget: int = 2000) -> Failure:
    """A smaller input that shows the same failure (same kind and location).

    A target may offer structural steps (`target.smaller(data)`: candidate inputs, e.g. without one of
    its frames), tried first.
    A target that knows the input an input was made from (`target.parts(data)` gives the reference
    bytes, the mutated bytes and a function that rebuilds an input from them) gets the mutated bytes
    brought back towards the reference, one edit at a time, keeping only the edits the failure needs;
    otherwise pieces of the input are cut away while the failure stays."""
    import difflib

    tries = 0
    smaller = getattr(target, "smaller", None)  # structural steps first (e.g. drop a whole frame)
    shrunk = True
    while smaller is not None and shrunk and tries < budget:
        shrunk = False
        for candidate in smaller(failure.data):
            tries += 1
            found = run_one(target, candidate)
            if found is not None and found.kind == failure.kind and found.location == failure.location:
                failure, shrunk = found, True
                break
    parts = getattr(target, "parts", None)
    reference, blob, rebuild = parts(failure.data) if parts else (None, failure.data, lambda b: b)

    def still_fails(candidate: bytes) -> Failure | None:
        nonlocal tries
        tries += 1
        found = run_one(target, rebuild(candidate))
        if found is not None and found.kind == failure.kind and found.location == failure.location:
            return found
        return None

    best = failure
    if reference is not None:
        changed = True
        while changed and tries < budget:
            changed = False
            matcher = difflib.SequenceMatcher(None, reference, blob, autojunk=False)
            for tag, i1, i2, j1, j2 in reversed(matcher.get_opcodes()):
                if tag == "equal":
                    continue
                candidate = blob[:j1] + reference[i1:i2] + blob[j2:]
                found = still_fails(candidate)
                if found is not None:
                    blob, best, changed = candidate, found, True
                    break
                if tries >= budget:
                    break
        return best
    size = max(1, len(blob) // 2)
    while size >= 1 and tries < budget:
        start = 0
        while start < len(blob) and tries < budget:
            candidate = blob[:start] + blob[start + size :]
            found = still_fails(candidate)
            if found is not None:
                blob, best = candidate, found
            else:
                start += size
        size //= 2
    return best
