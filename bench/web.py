"""Benchmark of the web face with 10,000 items from 200 peers in the store.

    python bench/web.py [--peers 200] [--items 50] [--clients 20] [--requests 30] [--changes 10]

A real `reliance serve` process serves the home (its node and its web face); this process is the phones.
Prints one JSON object:
- programme_ms / catalogue_ms: median and p95 latency of the programme and catalogue pages under `clients`
  concurrent clients (each asks `requests` pages of each, across days, places, searches, filters and pages).
  Goal: p95 <= 100 ms on 2 cores.
- change_to_page_ms: from a write sent to the node (through its local API, as the CLI does) to the page of
  an open browser showing it (its server-sent event, then the page fetched again), median and max over
  `changes` writes. Goal: <= 1,000 ms.
- first_page_s: the first page after the start (every document read once).
- server_cpu_ms_per_page: CPU time the serve process spent during the load, per page served (Linux /proc):
  what a page costs the node whatever else runs on the machine (latencies depend on that too).
- load_average: the machine's one-minute load average at the end (other jobs make latencies longer).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

WORDS = ("pain", "musique", "jardin", "vélo", "atelier", "bois", "compost", "concert", "outil", "semences")
DAYS = [f"2026-07-{d:02d}" for d in range(10, 17)]


def build_store(home: Path, peers: int, items: int) -> None:
    """Camille plus `peers` participants with `items` items each (a third of them events on the festival's
    days), every document signed by its author."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from reliance.app.workspace import Workspace
    from reliance.doc import participant
    from reliance.identity import encode_peer_id
    from reliance.model.catalogue import Item, ItemKind
    from reliance.store.repository import Repository

    me = Workspace.create(home, "Camille")
    me.my_doc()
    kinds = [ItemKind.EVENT, ItemKind.OFFER, ItemKind.NEED, ItemKind.EVENT, ItemKind.SEED, ItemKind.CALL]
    for p in range(peers):
        key = Ed25519PrivateKey.from_private_bytes(p.to_bytes(4, "big") + bytes(28))
        public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        peer_id = encode_peer_id(public)
        stored = Repository(home, public).open(peer_id, create=True)

        def edit(writer: Any, p: int = p, peer_id: str = peer_id) -> None:
            participant.genesis(writer, peer_id, f"Participant {p:03d}")
            for i in range(items):
                word = WORDS[(p + i) % len(WORDS)]
                kind = kinds[(p + i) % len(kinds)]
                begins = (
                    f"{DAYS[(p + i) % len(DAYS)]}T{8 + (i % 12):02d}:00" if kind == ItemKind.EVENT else ""
                )
                item = Item(
                    id=f"{p:06d}{i:010d}",
                    kind=kind,
                    title=f"{word.capitalize()} n°{i} chez {p}",
                    author=peer_id,
                    description=f"Une annonce au sujet de {word}, numéro {i}.",
                    tags=(word, WORDS[(p * 7 + i) % len(WORDS)]),
                    place=f"Lieu {i % 12}",
                    begins=begins,
                    created=f"2026-07-{1 + i % 28:02d}T{p % 24:02d}:{i % 60:02d}:00+00:00",
                    updated=f"2026-07-{1 + i % 28:02d}T{p % 24:02d}:{i % 60:02d}:00+00:00",
                )
                participant.write_item(writer, item, new=True)

        stored.local_change(key.sign, edit)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_serve(home: Path, web_port: int) -> subprocess.Popen[bytes]:
    reliance = Path(sys.executable).parent / "reliance"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELIANCE_")}
    argv = [str(reliance), "--home", str(home), "serve", "--listen", "127.0.0.1", "--port", str(free_port())]
    argv += ["--no-mdns", "--web-port", str(web_port), "--quiet"]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux), 0 where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": round(statistics.median(ordered), 1), "p95": round(p95, 1), "count": len(ordered)}


def page_paths(rng: random.Random) -> tuple[str, str]:
    day = rng.choice(DAYS)
    programme = rng.choice(
        [f"/programme?day={day}", f"/programme?day={day}&place=Lieu+{rng.randrange(12)}", "/programme"]
    )
    catalogue = rng.choice(
        [
            "/catalogue",
            f"/catalogue?q={rng.choice(WORDS)}",
            f"/catalogue?kind={rng.choice(['offer', 'need', 'event'])}",
            f"/catalogue?tag={rng.choice(WORDS)}&page={rng.randint(1, 5)}",
            f"/catalogue?page={rng.randint(1, 20)}",
        ]
    )
    return programme, catalogue


async def load(base: str, clients: int, requests: int) -> dict[str, list[float]]:
    import aiohttp

    timings: dict[str, list[float]] = {"programme": [], "catalogue": []}

    async def client(index: int) -> None:
        rng = random.Random(index)
        async with aiohttp.ClientSession(base) as session:
            for _ in range(requests):
                for kind, path in zip(("programme", "catalogue"), page_paths(rng), strict=True):
                    started = time.perf_counter()
                    async with session.get(path) as response:
                        await response.read()
                        assert response.status == 200, (path, response.status)
                    timings[kind].append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(client(i) for i in range(clients)))
    return timings


async def change_to_page(home: Path, base: str, changes: int) -> list[float]:
    """Per change: a write through the local API, until the open page (following the events) shows it."""
    import aiohttp

    from reliance.localapi.client import ApiClient

    results: list[float] = []
    async with aiohttp.ClientSession(base) as session, session.get("/events") as events:
        await events.content.readline()  # the stream is open
        for n in range(changes):
            title = f"Nouvelle annonce {n} {time.time_ns()}"

            def write(title: str = title) -> None:
                with ApiClient.connect(home) as api:
                    api.call("item.add", {"kind": "offer", "title": title})

            started = time.perf_counter()
            await asyncio.to_thread(write)
            while True:
                line = await asyncio.wait_for(events.content.readline(), 10)
                if line.startswith(b"event: change"):
                    async with session.get("/catalogue") as response:
                        if title in await response.text():
                            break
            results.append((time.perf_counter() - started) * 1000)
    return results


async def wait_serving(base: str, proc: subprocess.Popen[bytes]) -> float:
    import aiohttp

    started = time.perf_counter()
    async with aiohttp.ClientSession(base) as session:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"reliance serve exited with {proc.returncode}")
            try:
                async with session.get("/catalogue") as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--peers", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--changes", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reliance-bench-web-") as tmp:
        home = Path(tmp) / "home"
        build_store(home, args.peers, args.items)
        web_port = free_port()
        base = f"http://127.0.0.1:{web_port}"
        proc = start_serve(home, web_port)
        try:
            first_page = asyncio.run(wait_serving(base, proc))
            cpu_before = cpu_seconds(proc.pid)
            timings = asyncio.run(load(base, args.clients, args.requests))
            served = len(timings["programme"]) + len(timings["catalogue"])
            cpu_per_page = (cpu_seconds(proc.pid) - cpu_before) * 1000 / max(served, 1)
            changes = asyncio.run(change_to_page(home, base, args.changes))
        finally:
            proc.terminate()
            proc.wait(15)
    print(
        json.dumps(
            {
                "items": args.peers * args.items,
                "peers": args.peers,
                "clients": args.clients,
                "cores": os.cpu_count(),
                "first_page_s": round(first_page, 2),
                "server_cpu_ms_per_page": round(cpu_per_page, 2),
                "load_average": round(os.getloadavg()[0], 1),
                "programme_ms": percentiles(timings["programme"]),
                "catalogue_ms": percentiles(timings["catalogue"]),
                "change_to_page_ms": {
                    "median": round(statistics.median(changes), 1),
                    "max": round(max(changes), 1),
                    "count": len(changes),
                },
                "goals": {"p95_ms": 100, "change_to_page_ms": 1000},
            }
        )
    )


if __name__ == "__main__":
    main()
