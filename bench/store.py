"""The on-disk store against raw Automerge save/load, measured in the same run.

    .venv/bin/python bench/store.py [--items N] [--sizes 1000,10000] [--full] [--repeat R]

Prints one JSON object:

    {"items": N, "add_item_ms_per_item": ..., "add_item_ms_p50": ..., "add_item_ms_p99": ...,
     "add_item_ms_max": ..., "add_item_compactions": ...,
     "sizes": [{"changes": n, "make_ms_per_change": ..., "log_bytes": ..., "open_from_log_ms": ...,
                "compact_ms": ..., "snapshot_bytes": ..., "automerge_bytes": ...,
                "open_after_compaction_ms": ..., "raw_save_ms": ..., "raw_load_ms": ...,
                "ratios": {"snapshot_bytes": ..., "open_after_compaction": ..., "compact": ...}}, ...]}

- add_item: N items through the library API (`Workspace.add_item`), each one signed, appended to the log
  and fsynced before the call returns; automatic compaction (every 2000 records) included, as in real use.
- sizes: n single-key changes (`put(root, f"k{i}", i)`: one new key each, as in bench/sync.py) made with
  `StoredDoc.local_change` (each signed and fsynced) with automatic compaction off, then: open time with all
  n changes still in the log (a new `Repository` + `open`: read the log, check every record, apply every
  change), compaction time, snapshot size and open time after compaction. Open times are the median of
  --repeat runs (1 run from the log above 20k changes).
- reference: raw `automerge.core.Document.save()` of the same document and `Document.load()` of those bytes;
  the ratios are reliance / raw. The snapshot also holds the 64-byte signature of every change.

Default sizes are 1k and 10k changes; --full adds 100k (about two minutes, most of it making the changes).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from automerge.core import Document

from reliance.app.workspace import Workspace
from reliance.automerge.crdt import ROOT_ID
from reliance.model.catalogue import Item, ItemKind
from reliance.store.repository import Repository


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def median_time(action: Callable[[], Any], repeat: int) -> float:
    return statistics.median(timed(action)[0] for _ in range(repeat))


def bench_add_items(root: Path, count: int) -> dict[str, Any]:
    ws = Workspace.create(root / "items", "Bench")
    doc = ws.my_doc()
    generation = doc.generation
    times: list[float] = []
    for n in range(count):
        draft = Item(id="", kind=ItemKind.OFFER, title=f"Offre {n}", author="", tags=("bench",))
        elapsed, _ = timed(lambda draft=draft: ws.add_item(draft))  # type: ignore[misc]
        times.append(elapsed)
    assert len(ws.items()) == count
    ordered = sorted(times)
    return {
        "items": count,
        "add_item_ms_per_item": ms(sum(times) / count),
        "add_item_ms_p50": ms(ordered[count // 2]),
        "add_item_ms_p99": ms(ordered[min(count - 1, int(count * 0.99))]),
        "add_item_ms_max": ms(ordered[-1]),
        "add_item_compactions": doc.generation - generation,
    }


def bench_size(root: Path, changes: int, repeat: int) -> dict[str, Any]:
    ws = Workspace.create(root / f"changes-{changes}", "Bench")
    stored = ws.my_doc()
    doc_id, actor, home = stored.doc_id, ws.identity.public_key, ws.home
    made = len(stored.known)  # the genesis change
    saved_limits = stored.limits
    stored.limits = saved_limits.replace(compact_after_records=1 << 62)  # keep every change in the log
    try:
        start = time.perf_counter()
        for n in range(changes - made):
            stored.local_change(ws.identity.sign, lambda w, n=n: w.put(ROOT_ID, f"k{n}", n))  # type: ignore[misc]
        make_s = time.perf_counter() - start
    finally:
        stored.limits = saved_limits
    assert len(stored.known) == changes
    heads = stored.heads()

    def open_fresh() -> None:
        reopened = Repository(home, actor).open(doc_id)
        assert reopened.heads() == heads

    log_bytes = stored.log_path.stat().st_size
    open_from_log = median_time(open_fresh, 1 if changes > 20_000 else repeat)
    compact_s, _ = timed(stored.compact)
    snapshot_bytes = stored.snapshot_path.stat().st_size
    open_after = median_time(open_fresh, repeat)

    automerge_bytes = stored.crdt.save()
    raw = Document.load(automerge_bytes)
    raw_save = median_time(raw.save, repeat)
    raw_load = median_time(lambda: Document.load(automerge_bytes), repeat)
    return {
        "changes": changes,
        "make_ms_per_change": ms(make_s / (changes - made)),
        "log_bytes": log_bytes,
        "open_from_log_ms": ms(open_from_log),
        "compact_ms": ms(compact_s),
        "snapshot_bytes": snapshot_bytes,
        "automerge_bytes": len(automerge_bytes),
        "open_after_compaction_ms": ms(open_after),
        "raw_save_ms": ms(raw_save),
        "raw_load_ms": ms(raw_load),
        "ratios": {
            "snapshot_bytes": round(snapshot_bytes / len(automerge_bytes), 2),
            "open_after_compaction": round(open_after / raw_load, 2),
            "compact": round(compact_s / raw_save, 2),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10_000, help="items added through the library API")
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated change counts")
    parser.add_argument("--full", action="store_true", help="also measure 100,000 changes")
    parser.add_argument("--repeat", type=int, default=3, help="runs per open/save/load timing (median)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.full and 100_000 not in sizes:
        sizes.append(100_000)
    with tempfile.TemporaryDirectory(prefix="reliance-bench-") as directory:
        root = Path(directory)
        report: dict[str, Any] = {"python": sys.version.split()[0]}
        if args.items:
            report.update(bench_add_items(root, args.items))
        report["sizes"] = [bench_size(root, n, args.repeat) for n in sizes]
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
