"""The node's own life cycle, in this process."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reliance.app.workspace import Workspace
from reliance.identity import PROFILE_FILE
from reliance.net.config import NodeConfig, parse_address
from reliance.net.handshake import connect
from reliance.net.hello import MAX_NAME_LENGTH
from reliance.net.node import Node
from reliance.net.oneshot import sync_once
from reliance.net.status import read_peers_file, remember_typed_address
from tests.conftest import run_cli
from tests.test_foreign_text import assert_inert


def sync_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("reliance-sync")]


async def test_a_node_that_cannot_listen_releases_what_it_started(tmp_path: Path) -> None:
    workspace = Workspace.create(tmp_path / "home", "Camille")
    before = sync_threads()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        config = NodeConfig(port=taken.getsockname()[1], listen="127.0.0.1", mdns=False)
        node = Node(workspace, config)
        with pytest.raises(Exception, match="in use"):
            await node.start()
    assert sync_threads() == before  # its worker thread (opened every document) is gone
    assert not (workspace.home / "node-state.json").exists()
    assert node.listen_address is None


@pytest.mark.parametrize(
    ("host", "port"), [("192.168.1.20", 7447), ("fd00::7", 7450), ("relais.example", 9000)]
)
def test_a_typed_address_reads_back_as_it_was_typed(tmp_path: Path, host: str, port: int) -> None:
    text = remember_typed_address(tmp_path, host, port)
    assert parse_address(text) == (host, port)
    assert read_peers_file(tmp_path)["typed"] == [text]
    remember_typed_address(tmp_path, host, port)  # twice: still once
    assert read_peers_file(tmp_path)["typed"] == [text]
    workspace = Workspace.create(tmp_path / "home", "Camille")
    remember_typed_address(workspace.home, host, port)
    node = Node(workspace, NodeConfig(mdns=False))
    node._load_peers_file()
    assert node.typed == [(host, port)]  # what the node will dial


OLD_NAME = "Eve\x1b]52;c;cm0K\x07\nfake\u202e\u200d" + "e" * 70
"""A name an older version let into a profile: escape codes, a newline, a bidi override, a zero-width joiner
(the handshake refuses them all in a name), and longer than a name may be in a handshake."""


def with_an_old_name(home: Path) -> Workspace:
    Workspace.create(home, "Eve")
    profile = home / "identity" / PROFILE_FILE
    data = json.loads(profile.read_text("utf-8"))
    profile.write_text(json.dumps(data | {"name": OLD_NAME}), "utf-8")
    workspace = Workspace.open(home)
    assert workspace.identity.name == OLD_NAME
    return workspace


async def test_a_name_written_by_an_older_version_still_serves_and_dials(tmp_path: Path) -> None:
    """The node sends its name inert and within the handshake's bounds, when it listens and when it dials."""
    eve = with_an_old_name(tmp_path / "eve")
    node = Node(eve, NodeConfig(port=0, listen="127.0.0.1", mdns=False, write_state=False))
    await node.start()
    try:
        assert node.listen_address is not None
        client = await connect("127.0.0.1", node.listen_address[1], Ed25519PrivateKey.generate(), name="c")
        shown = client.remote_name
        await client.close()
        camille = Workspace.create(tmp_path / "camille", "Camille")
        summary = await sync_once(camille, "127.0.0.1", node.listen_address[1])
    finally:
        await node.stop()
    assert summary["peer_name"] == shown
    assert shown.startswith("Eve␛]52;c;cm0K␇␊fake\ufffd\ufffd") and len(shown) == MAX_NAME_LENGTH

    other = Node(camille, NodeConfig(port=0, listen="127.0.0.1", mdns=False, write_state=False))
    await other.start()
    try:
        assert other.listen_address is not None
        summary = await sync_once(eve, "127.0.0.1", other.listen_address[1])
        assert summary["peer_name"] == "Camille"
        assert other.peers_by_key[eve.identity.public_key].name == shown
    finally:
        await other.stop()


def test_whoami_shows_a_name_written_by_an_older_version_inert(tmp_path: Path) -> None:
    with_an_old_name(tmp_path / "eve")
    code, out, err = run_cli(tmp_path / "eve", "whoami")
    assert code == 0, err
    assert_inert(out)
    name_line, *rest = out.splitlines()
    assert name_line.startswith("name:        Eve␛]52;c;cm0K␇␊fake\ufffd") and rest[0].startswith("peer id:")
    code, out, err = run_cli(tmp_path / "eve", "whoami", "--json")
    assert code == 0 and json.loads(out)["name"] == OLD_NAME, err


async def test_the_node_compacts_what_a_peers_batch_left_due(tmp_path: Path) -> None:
    """A peer's batch does not wait for the compaction it makes due: the node's maintenance does it."""
    import asyncio

    from tests.store.test_repository import compact_after

    for name in ("eve", "camille"):
        compact_after(tmp_path / name, 10)
    eve = Workspace.create(tmp_path / "eve", "Eve")
    camille = Workspace.create(tmp_path / "camille", "Camille")
    for n in range(15):
        camille.set_code("histoire", f"version {n}")
    node = Node(
        eve, NodeConfig(port=0, listen="127.0.0.1", mdns=False, write_state=False, poll_interval=0.05)
    )
    await node.start()
    try:
        assert node.listen_address is not None
        await sync_once(camille, "127.0.0.1", node.listen_address[1])
        snapshot = eve.repo.open(camille.peer_id).snapshot_path
        for _ in range(400):  # the positive cue: a snapshot written
            if snapshot.exists():
                break
            await asyncio.sleep(0.05)
        assert snapshot.exists()
    finally:
        await node.stop()
    reopened = Workspace.open(tmp_path / "eve").repo.open(camille.peer_id)
    assert reopened.generation == 1 and reopened.heads() == camille.my_doc().heads()
