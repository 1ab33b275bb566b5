"""Hostile clients against a running `reliance serve`, as a program (in a test namespace, or on loopback).

    python -m tests.net.hostile --target HOST:PORT --victim PEER_ID

Every case runs at once against the target. Prints JSON lines: ``{"event": "slow_reader_stalled"}`` when the
slow reader stops reading, then ``{"event": "results", "results": {case: {"outcome": "dropped" | "refused" |
"mismatch" | "accepted" | "open" | "error", "seconds": s, "detail": ...}}}``.
"dropped" means the node closed or reset the connection; "refused" that it answered the handshake with REFUSE.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import struct
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgpack
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reliance.identity import decode_peer_id
from reliance.net import transport
from reliance.net.transport import (
    FLAG_MORE,
    KIND_ACCEPT,
    KIND_DATA,
    KIND_PING,
    KIND_REFUSE,
    PROTOCOL_VERSION,
    STATIC_KEY_CONTEXT,
)
from reliance.replication.protocol import Session, SyncHost
from reliance.store.repository import Repository

Result = dict[str, Any]


def prefixed(message: bytes) -> bytes:
    return struct.pack(">H", len(message)) + message


def hello(identity: Ed25519PrivateKey, static_public: bytes, *, key: bytes | None = None) -> bytes:
    packed: bytes = msgpack.packb(
        {
            "v": PROTOCOL_VERSION,
            "key": key or identity.public_key().public_bytes_raw(),
            "sig": identity.sign(STATIC_KEY_CONTEXT + static_public),
            "name": "mallory",
            "port": None,
        },
        use_bin_type=True,
    )
    return packed


class Raw:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.noise: Any = None

    @classmethod
    async def open(cls, host: str, port: int, *, receive_buffer: int | None = None) -> Raw:
        if receive_buffer is None:
            reader, writer = await asyncio.open_connection(host, port)
            return cls(reader, writer)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)  # before connect: the window
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, port))
        reader, writer = await asyncio.open_connection(sock=sock, limit=receive_buffer)
        return cls(reader, writer)

    async def read_prefixed(self) -> bytes:
        size = struct.unpack(">H", await self.reader.readexactly(2))[0]
        return await self.reader.readexactly(size)

    async def message(self) -> bytes:
        """The next whole DATA message (control frames are skipped)."""
        partial: bytearray | None = None
        expected = 0
        while True:
            plain = self.noise.decrypt(await self.read_prefixed())
            header, body = plain[0], bytes(plain[1:])
            if header & ~FLAG_MORE != KIND_DATA:
                continue
            if partial is None:
                expected = struct.unpack(">I", body[:4])[0]
                partial = bytearray(body[4:])
            else:
                partial += body
            if not header & FLAG_MORE:
                assert len(partial) == expected
                return bytes(partial)

    def send_message(self, data: bytes) -> None:
        assert len(data) < 60_000
        self.frame(KIND_DATA, struct.pack(">I", len(data)) + data)

    def tcp_state(self) -> int:
        """Linux tcpi_state: 1 while established (7 closed, 8 close-wait)."""
        sock = self.writer.get_extra_info("socket")
        try:
            return int(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0])
        except OSError:
            return 7

    async def handshake(self, payload: Callable[[bytes], bytes]) -> tuple[int, bytes] | None:
        noise, static_public = transport._new_noise(initiator=True)
        self.noise = noise
        self.writer.write(prefixed(noise.write_message(b"")))
        noise.read_message(await self.read_prefixed())
        self.writer.write(prefixed(noise.write_message(payload(static_public))))
        try:
            reply = noise.decrypt(await self.read_prefixed())
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        return reply[0], bytes(reply[1:])

    def frame(self, header: int, body: bytes) -> None:
        self.writer.write(prefixed(self.noise.encrypt(bytes((header,)) + body)))

    async def dropped(self, timeout: float) -> float | None:
        """Seconds until the node closes or resets the connection; None if it is still open at `timeout`."""
        start = time.monotonic()
        try:
            async with asyncio.timeout(timeout):
                with contextlib.suppress(ConnectionError):
                    while await self.reader.read(65536):
                        pass
        except TimeoutError:
            return None
        return time.monotonic() - start

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()


async def run_cases(
    host: str, port: int, victim: bytes, handshake_timeout: float, heartbeat: float, slow_reader_wait: float
) -> Result:
    # Past the deadlines under test, short of the node's read timeout (30 s): "open" then means that no
    # deadline dropped the client. Only a test that fails waits this long.
    limit = max(handshake_timeout, 3 * heartbeat) + 15.0
    mallory = Ed25519PrivateKey.generate()

    async def ended(raw: Raw, start: float) -> Result:
        dropped = await raw.dropped(limit) is not None
        await raw.close()
        return {"outcome": "dropped" if dropped else "open", "seconds": round(time.monotonic() - start, 3)}

    async def authenticated(
        identity: Ed25519PrivateKey | None = None, *, receive_buffer: int | None = None
    ) -> Raw:
        """A valid handshake, with a fresh key unless given (a second connection per key is a duplicate)."""
        raw = await Raw.open(host, port, receive_buffer=receive_buffer)
        key = identity or Ed25519PrivateKey.generate()
        reply = await raw.handshake(lambda static: hello(key, static))
        if reply != (KIND_ACCEPT, b""):
            raise RuntimeError(f"the node did not accept a well-formed handshake: {reply!r}")
        return raw

    async def random_bytes() -> Result:
        raw = await Raw.open(host, port)
        start = time.monotonic()
        raw.writer.write(os.urandom(4096))
        return await ended(raw, start)

    async def truncated_handshake() -> Result:
        raw = await Raw.open(host, port)
        start = time.monotonic()
        raw.writer.write(struct.pack(">H", 100) + b"\x00" * 10)
        raw.writer.write_eof()
        return await ended(raw, start)

    async def oversized_handshake() -> Result:
        raw = await Raw.open(host, port)
        start = time.monotonic()
        raw.writer.write(struct.pack(">H", 65535) + os.urandom(65535))
        return await ended(raw, start)

    async def slowloris() -> Result:
        """A first handshake message sent one byte every 0.2 s: it would take 7 s. "dropped" only when
        dropped before its last byte (its handshake deadline), "open" when it got that far."""
        raw = await Raw.open(host, port)
        start = time.monotonic()
        message = struct.pack(">H", 32) + os.urandom(32)
        for byte in message[:-1]:
            try:
                raw.writer.write(bytes((byte,)))
                await raw.writer.drain()
            except ConnectionError:
                break
            if await raw.dropped(0.2) is not None:
                break
        else:
            await raw.close()
            return {"outcome": "open", "seconds": round(time.monotonic() - start, 3)}
        await raw.close()
        return {"outcome": "dropped", "seconds": round(time.monotonic() - start, 3)}

    async def impostor() -> Result:
        """Claims the victim's key (a connected, honest peer) and signs with its own."""
        raw = await Raw.open(host, port)
        start = time.monotonic()
        reply = await raw.handshake(lambda static: hello(mallory, static, key=victim))
        await raw.close()
        seconds = round(time.monotonic() - start, 3)
        if reply is None:
            return {"outcome": "dropped", "seconds": seconds}
        kind, body = reply
        outcome = "refused" if kind == KIND_REFUSE else "accepted" if kind == KIND_ACCEPT else f"kind {kind}"
        return {"outcome": outcome, "seconds": seconds, "detail": body.decode("utf-8", "replace")}

    async def wrong_pin() -> Result:
        start = time.monotonic()
        try:
            conn = await transport.connect(host, port, mallory, name="pinned", expected_key=os.urandom(32))
        except transport.PeerMismatch as exc:
            return {"outcome": "mismatch", "seconds": round(time.monotonic() - start, 3), "detail": str(exc)}
        await conn.close()
        return {"outcome": "accepted", "seconds": round(time.monotonic() - start, 3)}

    async def truncated_frame() -> Result:
        raw = await authenticated()
        start = time.monotonic()
        raw.writer.write(struct.pack(">H", 1000) + b"\x00" * 10)
        raw.writer.write_eof()
        return await ended(raw, start)

    async def oversized_frame() -> Result:
        raw = await authenticated()
        start = time.monotonic()
        raw.frame(KIND_DATA | FLAG_MORE, struct.pack(">I", 0xFFFFFFFF) + b"\x00" * 60_000)
        return await ended(raw, start)

    async def tampered_frame() -> Result:
        raw = await authenticated()
        start = time.monotonic()
        frame = bytearray(prefixed(raw.noise.encrypt(bytes((KIND_DATA,)) + struct.pack(">I", 3) + b"abc")))
        frame[5] ^= 0x01
        raw.writer.write(bytes(frame))
        return await ended(raw, start)

    async def garbage_message() -> Result:
        """A well-formed, authenticated transport message whose content is random bytes."""
        raw = await authenticated()
        start = time.monotonic()
        junk = b"\xc1" + os.urandom(999)  # 0xc1 is never valid msgpack
        raw.frame(KIND_DATA, struct.pack(">I", len(junk)) + junk)
        return await ended(raw, start)

    async def silent_after_handshake() -> Result:
        """Authenticated, then never a frame again (no heartbeat either)."""
        raw = await authenticated()
        return await ended(raw, time.monotonic())

    async def slow_reader() -> Result:
        """Asks for every document, then never reads again while sending heartbeats: only the node's send
        deadline can drop it, and meanwhile its gossip to everyone else must not wait for this peer."""
        identity = Ed25519PrivateKey.generate()
        raw = await authenticated(identity, receive_buffer=4096)
        with tempfile.TemporaryDirectory() as tmp:
            own = Repository(Path(tmp), identity.public_key().public_bytes_raw())
            session = Session(SyncHost(own), peer_key=bytes(32))  # our store is empty: who reads it is moot
            for frame in session.start():
                raw.send_message(frame)
            offered: set[str] | None = None
            asked: set[str] = set()
            while offered is None or not offered <= asked:  # until we asked for every document it holds
                message = await raw.message()
                decoded = msgpack.unpackb(message)
                if decoded.get("t") == "summary":
                    offered = {doc_id for doc_id, _ in decoded["docs"]}
                for frame in session.receive(message):
                    raw.send_message(frame)
                    sent = msgpack.unpackb(frame)
                    if sent.get("t") == "sync":
                        asked.add(sent["d"])
        transport_ = raw.writer.transport
        assert isinstance(transport_, asyncio.ReadTransport)
        transport_.pause_reading()
        start = time.monotonic()
        print(json.dumps({"event": "slow_reader_stalled"}), flush=True)
        while time.monotonic() - start < slow_reader_wait:
            if raw.tcp_state() != 1:
                await raw.close()
                return {"outcome": "dropped", "seconds": round(time.monotonic() - start, 3)}
            with contextlib.suppress(ConnectionError, OSError):
                raw.frame(KIND_PING, b"")
            await asyncio.sleep(0.1)
        await raw.close()
        return {"outcome": "open", "seconds": round(time.monotonic() - start, 3)}

    cases: dict[str, Callable[[], Awaitable[Result]]] = {
        "random_bytes": random_bytes,
        "truncated_handshake": truncated_handshake,
        "oversized_handshake": oversized_handshake,
        "slowloris": slowloris,
        "impostor": impostor,
        "wrong_pin": wrong_pin,
        "truncated_frame": truncated_frame,
        "oversized_frame": oversized_frame,
        "tampered_frame": tampered_frame,
        "garbage_message": garbage_message,
        "silent_after_handshake": silent_after_handshake,
        "slow_reader": slow_reader,
    }

    async def guarded(name: str) -> Result:
        try:
            return await cases[name]()
        except Exception as exc:  # report, never crash: the test reads every case
            return {"outcome": "error", "detail": f"{type(exc).__name__}: {exc}"}

    names = list(cases)
    results = await asyncio.gather(*(guarded(name) for name in names))
    return dict(zip(names, results, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", required=True, help="HOST:PORT of the node under attack")
    parser.add_argument("--victim", required=True, help="peer id of an honest peer the impostor claims to be")
    parser.add_argument("--handshake-timeout", type=float, default=10.0)
    parser.add_argument("--heartbeat", type=float, default=5.0)
    parser.add_argument("--slow-reader-wait", type=float, default=60.0, help="give up on its drop after this")
    args = parser.parse_args()
    host, _, port = args.target.rpartition(":")
    results = asyncio.run(
        run_cases(
            host,
            int(port),
            decode_peer_id(args.victim),
            args.handshake_timeout,
            args.heartbeat,
            args.slow_reader_wait,
        )
    )
    print(json.dumps({"event": "results", "results": results}, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
