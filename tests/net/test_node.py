"""The node's own life cycle, in this process."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from reliance.sync.node import Node, NodeConfig, parse_address, read_peers_file, remember_typed_address
from reliance.workspace import Workspace


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
