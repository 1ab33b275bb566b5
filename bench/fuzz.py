"""The long fuzz run: the targets of the bounded suite (tests/fuzz), with many more inputs.

    .venv/bin/python bench/fuzz.py --inputs N [--target T ...] [--seed S] [--failures DIR]
    .venv/bin/python bench/fuzz.py --replay FILE [FILE ...]

Prints one JSON object: {"seed", "targets": {name: {"inputs", "seconds", "inputs_per_second",
"failures": [{"kind", "location", "count", "known", "example", "message"}]}}}. Each failure is counted
once per kind and location (the innermost frame in reliance, or the invariant that broke); "known" names
the item of the issue it belongs to, when it is a known one (tests/fuzz/known.py). Every distinct
failure's input is saved under --failures (default: $TMPDIR/reliance-fuzz-failures/<target>/<digest>.bin,
with a .json beside it) and replays with --replay. Input i of a run is made from Random(f"{seed}:{i}"), so
a run can be split in ranges (--start) and repeated exactly.

Progress goes to stderr every 1,000 inputs. An input that never returns (a loop in native code) is saved
by a watchdog as kind "hang" after --hang seconds, and the run stops with exit status 3. The first input
of each distinct failure is minimised before it is saved (see `engine.minimize`; --no-minimize skips it).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.fuzz import engine, known, seeds, targets  # noqa: E402


def _summary(stats: engine.Stats, saved: dict[str, str]) -> dict[str, Any]:
    failures = []
    for signature, found in sorted(stats.failures.items()):
        first = found[0]
        finding = known.match(first)
        failures.append(
            {
                "kind": first.kind,
                "location": first.location,
                "count": stats.counts[signature],
                "known": finding.item if finding else None,
                "example": saved.get(signature, ""),
                "message": first.message[:300],
            }
        )
    return {
        "inputs": stats.inputs,
        "seconds": round(stats.seconds, 1),
        "inputs_per_second": round(stats.inputs / stats.seconds, 1) if stats.seconds else None,
        "failures": failures,
    }


def run(
    names: list[str], inputs: int, seed: int, start: int, failures_dir: Path, hang: float, shrink: bool = True
) -> dict[str, Any]:
    report: dict[str, Any] = {"seed": seed, "start": start, "targets": {}}
    for name in names:
        target = targets.make(name)
        saved: dict[str, str] = {}

        def on_failure(
            failure: engine.Failure, first: bool, saved: dict[str, str] = saved, target: Any = target
        ) -> None:
            if first:
                if shrink:
                    failure = engine.minimize(target, failure)
                saved[failure.signature] = str(engine.save_failure(failures_dir, failure))
                print(
                    f"[{failure.target}] new failure: {failure.signature}: {failure.message[:200]}",
                    file=sys.stderr,
                )

        def on_hang(data: bytes, name: str = name) -> None:
            failure = engine.Failure(name, "hang", f"over {hang:g} s", "", data)
            path = engine.save_failure(failures_dir, failure)
            print(json.dumps({"seed": seed, "hang": {"target": name, "example": str(path)}}), flush=True)

        def progress(stats: engine.Stats) -> None:
            rate = stats.inputs / stats.seconds if stats.seconds else 0
            distinct = len(stats.failures)
            print(
                f"[{stats.target}] {stats.inputs} inputs, {rate:.0f}/s, {distinct} distinct failures",
                file=sys.stderr,
                flush=True,
            )

        watchdog = engine.Watchdog(hang, on_hang)
        try:
            stats = engine.fuzz(
                target,
                inputs=inputs,
                seed=seed,
                start=start,
                on_failure=on_failure,
                watchdog=watchdog,
                progress=progress,
            )
        finally:
            watchdog.stop()
        report["targets"][name] = _summary(stats, saved)
    return report


def replay(paths: list[Path]) -> dict[str, Any]:
    """Run saved inputs again (their target is the folder's name, or the .json beside them)."""
    results = []
    loaded: dict[tuple[str, str | None], Any] = {}
    for path in paths:
        meta_path = path.with_suffix(".json")
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        name = meta.get("target") or path.parent.name
        seeds_file = meta.get("seeds")  # the seeds it was found with (None: the current ones)
        if (name, seeds_file) not in loaded:
            target = targets.make(name)
            with seeds.using(seeds_file):
                target.setup(engine.scratch_dir(name))
            loaded[name, seeds_file] = target
        failure = engine.run_one(loaded[name, seeds_file], path.read_bytes())
        results.append(
            {
                "input": str(path),
                "target": name,
                "failure": None
                if failure is None
                else {"kind": failure.kind, "location": failure.location, "message": failure.message},
            }
        )
    return {"replayed": results}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--inputs", type=int, default=10_000, help="inputs per target")
    parser.add_argument("--target", action="append", choices=list(targets.all_names()), help="default: all")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=int, default=0, help="index of the first input (to split a run)")
    parser.add_argument(
        "--failures", type=Path, default=Path(tempfile.gettempdir()) / "reliance-fuzz-failures"
    )
    parser.add_argument("--hang", type=float, default=120.0, help="seconds before an input counts as a hang")
    parser.add_argument("--no-minimize", action="store_true", help="save failing inputs as found")
    parser.add_argument("--replay", type=Path, nargs="+", help="run saved inputs instead")
    args = parser.parse_args()
    if args.replay:
        print(json.dumps(replay(args.replay), indent=2))
        return
    names = args.target or list(targets.all_names())
    started = time.monotonic()
    report = run(names, args.inputs, args.seed, args.start, args.failures, args.hang, not args.no_minimize)
    report["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
