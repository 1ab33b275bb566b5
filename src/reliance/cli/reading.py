"""Commands that only read never ask for the key's passphrase: the home is opened with a locked identity
(the peer id and name from the profile), enough for `whoami`, listings and the programme."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from reliance.app.workspace import Workspace

if TYPE_CHECKING:
    from reliance.cli.context import Context
    from reliance.localapi.ops import LocalApi

_OPENED: weakref.WeakKeyDictionary[Context, LocalApi] = weakref.WeakKeyDictionary()


def reading_api(ctx: Context, op: str) -> LocalApi | None:
    """The store operations on a home opened to read, for a read operation `op` when the key is behind a
    passphrase that was not given; None otherwise (the command opens the home as usual)."""
    from reliance.localapi.ops import TABLE, LocalApi
    from reliance.localapi.protocol import READ

    operation = TABLE.operations.get(op)
    if operation is None or operation.kind != READ or ctx.passphrase_file or ctx.ask_passphrase:
        return None
    found = _OPENED.get(ctx)
    if found is None:
        locked = Workspace.open_to_read(ctx.home)
        if locked is None:
            return None
        found = _OPENED[ctx] = LocalApi(locked)
    return found
