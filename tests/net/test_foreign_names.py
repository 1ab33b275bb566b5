"""What a peer sends over a real connection (its name in its document, its titles) reaches `sync`,
`item list`, `peers` and the serve log inert: no escape sequence, C1 control or bidirectional override from a
peer drives the terminal."""

from __future__ import annotations

import asyncio

import msgpack
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reliance.net.transport import KIND_ACCEPT
from tests.net.cluster import Cluster
from tests.net.hostile import Raw, hello
from tests.test_foreign_text import HOSTILE, assert_inert, give_a_hostile_name

pytestmark = pytest.mark.slow


def test_a_hostile_peer_name_is_inert_in_sync_peers_and_the_serve_log(tmp_path: object) -> None:
    with Cluster(tmp_path, 2, names=["Victor", "Mallory"], mode="loopback") as cluster:  # type: ignore[arg-type]
        victor, mallory = cluster.nodes
        give_a_hostile_name(mallory.workspace)  # in her document; the handshake refuses such a name
        mallory.add_offer(HOSTILE)
        cluster.start_all(mdns=False, nodes=[mallory])

        synced = victor.cli("sync", mallory.address)

        assert_inert(synced.out + synced.err)
        assert "synced with Mallory" in synced.out  # the name from the handshake, which refuses controls
        listed = victor.cli("item", "list")  # her title and the name in her document
        assert_inert(listed.out)
        assert listed.out.count("␛]52;c;cm0K␇") == 2 and "[b]x[/b]" in listed.out, listed.out

        mallory.stop()
        mallory.cli("peer", "add", victor.address)
        cluster.start_all(mdns=False)
        cluster.wait(lambda: mallory.peer_id in victor.connected(), 15, "mallory connected to victor")
        peers = victor.cli("peers")
        assert_inert(peers.out)
        assert mallory.peer_id in peers.out, peers.out
        # A peer speaking the wire protocol refuses "our batch" with a reason of its choosing.
        asyncio.run(send_reject(victor.host, victor.port, HOSTILE))
        cluster.wait(lambda: "refused our batch" in victor.log(), 10, "the refusal logged")
        assert victor.stop() == 0
        log = victor.log()
        assert_inert(log)
        assert "refused our batch: pain␛]52;c;cm0K␇" in log, log


async def send_reject(host: str, port: int, reason: str) -> None:
    raw = await Raw.open(host, port)
    key = Ed25519PrivateKey.generate()
    assert await raw.handshake(lambda static: hello(key, static)) == (KIND_ACCEPT, b"")
    raw.send_message(msgpack.packb({"t": "reject", "reason": reason}, use_bin_type=True))
    await raw.writer.drain()
    await raw.close()
