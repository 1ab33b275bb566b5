"""Micro-benchmark of the Noise XX transport on loopback: handshake median and bulk throughput.

Usage: python bench/handshake.py [--rounds 50] [--megabytes 64]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reliance.net.transport import SecureConnection, TransportError, connect, measure_handshake_ms, serve


async def throughput_mib_s(megabytes: int) -> float:
    """One-way throughput of 1 MiB messages from a client to a server that only reads."""
    done = asyncio.Event()
    message = os.urandom(1 << 20)

    async def sink(conn: SecureConnection) -> None:
        with contextlib.suppress(TransportError):
            for _ in range(megabytes):
                await conn.recv()
            done.set()
            await conn.recv()

    server = await serve("127.0.0.1", 0, Ed25519PrivateKey.generate(), name="sink", on_connection=sink)
    try:
        client = await connect("127.0.0.1", server.port, Ed25519PrivateKey.generate(), name="source")
        try:
            start = time.perf_counter()
            for _ in range(megabytes):
                await client.send(message)
            await done.wait()
            elapsed = time.perf_counter() - start
        finally:
            await client.close()
    finally:
        await server.close()
    return megabytes / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--megabytes", type=int, default=64)
    args = parser.parse_args()
    print(f"handshake median: {await measure_handshake_ms(args.rounds):.2f} ms ({args.rounds} rounds)")
    rate = await throughput_mib_s(args.megabytes)
    print(f"throughput: {rate:.0f} MiB/s ({args.megabytes} x 1 MiB messages)")


if __name__ == "__main__":
    asyncio.run(main())
