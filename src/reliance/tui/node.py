"""What the app needs from a network node, and how it gets one.

The app never imports the node directly: it receives a factory, so it runs offline (no node), with the
real `reliance.net.node.Node`, or with a fake in tests. Everything a node reports arrives through
`subscribe`, in the event loop the app runs in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from reliance.net.events import NodeEvent, PeerInfo

if TYPE_CHECKING:
    from reliance.app.workspace import Workspace
    from reliance.net.doctor import Finding


@runtime_checkable
class NodeLike(Protocol):
    """The surface of `reliance.net.node.Node` that the app uses, and nothing more."""

    @property
    def listen_address(self) -> tuple[str, int] | None: ...

    @property
    def last_sync(self) -> float | None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def peers(self) -> list[PeerInfo]: ...

    def subscribe(self, callback: Callable[[NodeEvent], None]) -> None: ...

    async def add_address(self, host: str, port: int) -> None: ...

    def accept_peer(self, peer_id: str) -> None: ...

    def block_peer(self, peer_id: str) -> None: ...

    def unblock_peer(self, peer_id: str) -> None: ...

    def local_change(self, doc_id: str) -> None: ...

    def diagnose(self) -> list[Finding]: ...


@runtime_checkable
class OperationRunner(Protocol):
    """A node that runs the local API's store operations for the app: the owner it is (`Owner`), or the
    one it talks to (`RemoteNode`). A write the app makes this way goes through the owner's one write path."""

    async def run_operation(self, name: str, args: dict[str, Any]) -> Any: ...


NodeFactory = Callable[["Workspace"], "NodeLike | None"]


def default_node_factory(workspace: Workspace) -> NodeLike | None:
    """The node of this home: the running owner's (`reliance serve`) through the local API when there is
    one; else a real node owned by the app, with this home's port and mDNS settings and the RELIANCE_*
    tuning `serve` reads, serving the local API to the CLI."""
    from reliance.app import settings
    from reliance.localapi.ownership import current_owner

    holder = current_owner(workspace.home)
    if holder is not None and holder["kind"] != "cli":  # a command holding it: waited for, then ours
        from reliance.localapi.remote import RemoteNode

        return RemoteNode(workspace.home, workspace.repo.limits)
    from reliance.localapi.owner import Owner
    from reliance.net.config import NodeConfig, config_from_env
    from reliance.net.node import Node

    config = settings.load_config(workspace.home)
    node = Node(workspace, config_from_env(NodeConfig(port=config["port"], mdns=config["mdns"])))
    owner = Owner(workspace, node, "app")
    if config["web"]:
        from reliance.web.server import serve_web

        serve_web(owner, host=node.config.listen, port=config["web_port"], tls=bool(config["web_tls"]))
    return owner


def no_node_factory(workspace: Workspace) -> NodeLike | None:
    """Offline: no network at all."""
    return None
