"""The node operations of the local API: they need the running node, so they exist only at an owner
(`NodeControl`), never in the CLI's own process. The table that names them is in `reliance.localapi.ops`."""

from __future__ import annotations

from typing import Any, Protocol

from reliance.errors import ModelError
from reliance.identity import canonical_peer
from reliance.localapi.protocol import UNAVAILABLE, ApiError, Args, Outcome


class NodeControl(Protocol):
    """What node operations need from the owner."""

    async def status(self) -> dict[str, Any]: ...

    async def peer_rows(self) -> list[dict[str, Any]]: ...

    async def add_address_text(self, host: str, port: int) -> str: ...

    async def set_accepted(self, peer_id: str) -> None: ...

    async def forget(self, text: str) -> bool: ...

    async def set_blocked(self, peer_id: str, blocked: bool, reason: str) -> None: ...

    async def refresh(self, doc_ids: list[str] | None) -> list[str]: ...

    async def sync_once(self, host: str, port: int, timeout: float) -> dict[str, Any]: ...

    def web_control(self) -> WebControl | None: ...


class WebControl(Protocol):
    """The web face an owner serves (`reliance.web.server.WebFace`): its addresses, pairing, sessions."""

    def describe(self) -> dict[str, Any]: ...

    def pair(self) -> dict[str, Any]: ...

    def list_sessions(self) -> list[dict[str, Any]]: ...

    def revoke(self, session_id: str) -> bool: ...


# -- node -----------------------------------------------------------------------------------------------


async def node_status(node: NodeControl, args: Args) -> Outcome:
    return Outcome(await node.status())


async def node_peers(node: NodeControl, args: Args) -> Outcome:
    return Outcome(await node.peer_rows())


async def peer_add(node: NodeControl, args: Args) -> Outcome:
    from reliance.net.config import parse_address

    host, port = parse_address(args["address"])
    return Outcome({"address": await node.add_address_text(host, port)})


async def peer_remove(node: NodeControl, args: Args) -> Outcome:
    from reliance.net.status import forget_target

    shown, _ = forget_target(args["target"])
    return Outcome({"forgotten": shown, "found": await node.forget(args["target"])})


async def peer_accept(node: NodeControl, args: Args) -> Outcome:
    peer_id = canonical_peer(args["peer_id"])
    await node.set_accepted(peer_id)
    return Outcome({"peer_id": peer_id})


async def peer_block(node: NodeControl, args: Args) -> Outcome:
    peer_id = canonical_peer(args["peer_id"])
    await node.set_blocked(peer_id, True, args["reason"])
    return Outcome({"peer_id": peer_id})


async def peer_unblock(node: NodeControl, args: Args) -> Outcome:
    peer_id = canonical_peer(args["peer_id"])
    await node.set_blocked(peer_id, False, "")
    return Outcome({"peer_id": peer_id})


async def refresh(node: NodeControl, args: Args) -> Outcome:
    """Another process wrote to the store itself (these documents, or any): read it and announce it."""
    changed = await node.refresh(args["doc_ids"])
    return Outcome({"changed": changed})


async def sync_with(node: NodeControl, args: Args) -> Outcome:
    """`reliance sync ADDRESS` beside the owner: it syncs once with that peer, on its own store. The result
    says how it ended ("summary", and "unfinished" or "failed", which the command words as it would)."""
    from reliance.net.config import parse_address

    host, port = parse_address(args["address"])
    return Outcome(await node.sync_once(host, port, args["timeout_ms"] / 1000))


def _web(node: NodeControl) -> WebControl:
    web = node.web_control()
    if web is None:
        raise ApiError(UNAVAILABLE, "localapi.error.no_web")
    return web


async def web_url(node: NodeControl, args: Args) -> Outcome:
    return Outcome(_web(node).describe())


async def web_pair(node: NodeControl, args: Args) -> Outcome:
    """A one-time pairing link (docs/web.md); its token is in the result only, never in a log."""
    return Outcome(_web(node).pair())


async def web_sessions(node: NodeControl, args: Args) -> Outcome:
    return Outcome(_web(node).list_sessions())


async def web_revoke(node: NodeControl, args: Args) -> Outcome:
    session_id = args["session_id"].strip()
    if not _web(node).revoke(session_id):
        raise ModelError("localapi.error.no_session", id=session_id)
    return Outcome({"revoked": session_id})
