"""What the web face needs of a home, and the owner that provides it.

Every read and every write goes through the home's owner (`reliance.localapi.owner.Owner`): reads of the
public commons run on the owner's worker (`app.public.PublicView`), writes are the local API's operations
(the same table, checks and refusals as the CLI's), run by the owner and announced by it to the peers and
to every face, each change signed by the device key like any local write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from reliance.app.public import PublicView, Snapshot
from reliance.limits import Limits
from reliance.localapi.protocol import READ, WRITE, ApiError, Request
from reliance.net import events as ev

if TYPE_CHECKING:
    from reliance.localapi.owner import Owner
    from reliance.net.events import NodeEvent

# The operations a paired browser may ask for: the person's own publishing, answering, social code and
# contributions. Each form of the web face posts exactly an operation's arguments (docs/web.md).
WEB_WRITES = ("item.add", "item.update", "item.archive", "item.answer", "code.set", "project.contribute")
WEB_READS = ("project.list", "code.show", "whoami")


class Backend(Protocol):
    home: Path
    limits: Limits
    peer_id: str

    def person_name(self) -> str: ...

    async def snapshot(self) -> Snapshot: ...

    async def read(self, op: str, args: dict[str, Any]) -> Any: ...

    async def write(self, op: str, args: dict[str, Any]) -> Any: ...

    def subscribe(self, callback: Callable[[], None]) -> None: ...


class OwnerBackend:
    """The web face's view of an `Owner`."""

    def __init__(self, owner: Owner) -> None:
        self.owner = owner
        self.home = owner.home
        self.limits = owner.node.limits
        self.peer_id = owner.ws.peer_id
        self._view = PublicView()
        self._lock = asyncio.Lock()

    def person_name(self) -> str:
        return self.owner.ws.identity.name

    async def snapshot(self) -> Snapshot:
        async with self._lock:  # one reading at a time: the second caller gets the same, fresh, result
            snapshot: Snapshot = await self.owner.node.in_store(self._view.snapshot, self.owner.ws)
            return snapshot

    async def read(self, op: str, args: dict[str, Any]) -> Any:
        return await self._run(op, args, WEB_READS, READ)

    async def write(self, op: str, args: dict[str, Any]) -> Any:
        return await self._run(op, args, WEB_WRITES, WRITE)

    async def _run(self, op: str, args: dict[str, Any], allowed: tuple[str, ...], kind: str) -> Any:
        from reliance.localapi.ops import TABLE
        from reliance.localapi.protocol import BAD_REQUEST

        operation, checked = TABLE.prepare(Request(0, op, args))
        if op not in allowed or operation.kind != kind:
            raise ApiError(BAD_REQUEST, "web.error.op_not_open", op=op)
        outcome = await self.owner.run_store(operation, checked)
        if kind == WRITE and outcome.changed:
            self.owner.announce(outcome.changed, "web")
        return outcome.result

    def subscribe(self, callback: Callable[[], None]) -> None:
        def on_event(event: NodeEvent) -> None:
            if event.doc_id and event.kind in (ev.LOCAL_CHANGE, ev.SYNCED):
                callback()

        self.owner.subscribe(on_event)
