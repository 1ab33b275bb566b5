"""Benchmark of the terminal app with 10,000 items from 200 peers in the store.

    python bench/tui.py [--peers 200] [--items 50] [--keys 40]

Prints JSON:
- start_to_first_frame_s: from launching a fresh Python process to the first frame of the home screen
  (imports, identity, first render), with the 10,000 items in the store and no catalogue cache yet.
  Goal: <= 1.0 s.
- filter_keypress_ms: median time from a keypress in the catalogue's search field to the next frame with the
  list filtered (all 10,000 items loaded). Goal: <= 100 ms.
- also: the same start with the catalogue cache written by the first run, the time until the catalogue holds
  every item (cold: every document read; warm: from the cache), and the 90th percentile keypress latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = ("pain", "musique", "jardin", "vélo", "atelier", "bois", "compost", "concert", "outil", "semences")


def build_store(home: Path, peers: int, items: int) -> None:
    """Camille plus `peers` participants with `items` items each, every document signed by its author."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from reliance.app.workspace import Workspace
    from reliance.doc import participant
    from reliance.identity import encode_peer_id
    from reliance.model.catalogue import Item, ItemKind
    from reliance.store.repository import Repository

    me = Workspace.create(home, "Camille")
    me.my_doc()
    kinds = list(ItemKind)
    for p in range(peers):
        key = Ed25519PrivateKey.from_private_bytes(p.to_bytes(4, "big") + bytes(28))
        public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        peer_id = encode_peer_id(public)
        stored = Repository(home, public).open(peer_id, create=True)

        def edit(writer, p=p, peer_id=peer_id):  # type: ignore[no-untyped-def]
            participant.genesis(writer, peer_id, f"Participant {p:03d}")
            for i in range(items):
                word = WORDS[(p + i) % len(WORDS)]
                item = Item(
                    id=f"{p:06d}{i:010d}",
                    kind=kinds[(p + i) % len(kinds)],
                    title=f"{word.capitalize()} n°{i} chez {p}",
                    author=peer_id,
                    description=f"Une annonce au sujet de {word}, numéro {i}.",
                    tags=(word, WORDS[(p * 7 + i) % len(WORDS)]),
                    place=f"Lieu {i % 12}",
                    created=f"2026-07-{1 + i % 28:02d}T{p % 24:02d}:{i % 60:02d}:00+00:00",
                    updated=f"2026-07-{1 + i % 28:02d}T{p % 24:02d}:{i % 60:02d}:00+00:00",
                )
                participant.write_item(writer, item, new=True)

        stored.local_change(key.sign, edit)


def first_frame_child(home: str, started: float) -> None:
    """Run in a fresh process: start the app and report when its first frame was drawn."""
    t_imports = time.time()
    from reliance.tui.app import create_app
    from reliance.tui.node import no_node_factory

    async def main() -> dict[str, float]:
        app = create_app(Path(home), node_factory=no_node_factory, lang="en")
        async with app.run_test(size=(120, 40)) as pilot:
            while app.first_frame_at is None:
                await pilot.pause(0.005)
            first = time.time() - (time.perf_counter() - app.first_frame_at)
            while app.loaded_at is None:
                await pilot.pause(0.02)
            loaded = time.time() - (time.perf_counter() - app.loaded_at)
            count = len(app.data.rows)
            await app.shutdown()
        return {
            "first_frame": first - started,
            "loaded": loaded - started,
            "items": count,
            "imports": t_imports,
        }

    result = asyncio.run(main())
    print(json.dumps(result))


def measure_start(home: Path) -> dict[str, float]:
    started = time.time()
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(home), str(started)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


async def measure_filter(home: Path, keys: int) -> list[float]:
    from textual import events

    from reliance.tui.app import create_app
    from reliance.tui.common.widgets import VirtualTable
    from reliance.tui.node import no_node_factory

    app = create_app(home, node_factory=no_node_factory, lang="en")
    latencies: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        while app.loaded_at is None:
            await pilot.pause(0.05)
        await pilot.press("3")
        await pilot.pause(0.2)
        await pilot.press("slash")
        table = app.screen.query_one("#items", VirtualTable)
        sequence: list[str] = []
        while len(sequence) < keys:
            word = WORDS[len(sequence) % len(WORDS)]
            sequence.extend(word)
            sequence.extend(["backspace"] * len(word))
        driver = app._driver
        assert driver is not None
        for key in sequence[:keys]:
            await pilot.pause(0.05)  # a person types a few keys a second
            frame = asyncio.Event()
            before = table.rows
            start = time.perf_counter()
            # What the terminal driver does when a key arrives (Pilot.press would add its own idle waits).
            driver.send_message(events.Key(key, None if key == "backspace" else key))
            while table.rows is before:  # until the list is filtered again
                await asyncio.sleep(0)
            app.screen.call_after_refresh(frame.set)  # and drawn
            await frame.wait()
            latencies.append((time.perf_counter() - start) * 1000)
        await app.shutdown()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--peers", type=int, default=200)
    parser.add_argument("--items", type=int, default=50, help="items per peer")
    parser.add_argument("--keys", type=int, default=40, help="keypresses to time")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        first_frame_child(args.child[0], float(args.child[1]))
        return
    with tempfile.TemporaryDirectory(prefix="reliance-bench-tui-") as tmp:
        home = Path(tmp) / "home"
        t = time.perf_counter()
        build_store(home, args.peers, args.items)
        build_s = time.perf_counter() - t
        cold = measure_start(home)  # no catalogue cache yet: every document is read
        warm = measure_start(home)  # the cache written by the first run
        latencies = asyncio.run(measure_filter(home, args.keys))
    latencies.sort()
    result = {
        "start_to_first_frame_s": round(cold["first_frame"], 3),
        "filter_keypress_ms": round(statistics.median(latencies), 1),
        "filter_keypress_p90_ms": round(latencies[int(len(latencies) * 0.9) - 1], 1),
        "start_to_first_frame_warm_s": round(warm["first_frame"], 3),
        "catalogue_ready_cold_s": round(cold["loaded"], 3),
        "catalogue_ready_warm_s": round(warm["loaded"], 3),
        "items": int(cold["items"]),
        "peers": args.peers,
        "keypresses": len(latencies),
        "store_build_s": round(build_s, 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "goals": {"start_to_first_frame_s": 1.0, "filter_keypress_ms": 100},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
