"""The order of a project's ledger as its document made it: causal, not by the clock.

Entries are dated to the second, and record ids are random: two entries of one second (an entry and its
reversal, typically) would come out in either order if sorted by time then id. Each entry is a map in the
document's `ledger`, made by an Automerge operation whose id is (counter, actor); the counter is a Lamport
clock (an operation's counter is above every counter of the changes it depends on), so sorting by
(counter, actor) lists everything after what its author had seen: a reversal after the entry it reverses,
whatever the clocks said. Concurrent entries come in a fixed order, the same on every node.
"""

from __future__ import annotations

from collections.abc import Callable

from reliance.automerge.crdt import ROOT_ID, CrdtDoc
from reliance.automerge.ops import obj_key

Position = tuple[int, bytes, str, str]  # (counter, actor, time as written, id)
_UNKNOWN = (2**63, b"")  # an entry whose object id cannot be read: after the others, by time then id


def ledger_positions(doc: CrdtDoc) -> dict[str, tuple[int, bytes]]:
    """Entry id -> (counter, actor) of the operation that made the entry's map."""
    ledger = doc.child(ROOT_ID, "ledger")
    if ledger is None:
        return {}
    found: dict[str, tuple[int, bytes]] = {}
    for entry_id in doc.keys(ledger):
        obj = doc.child(ledger, entry_id)
        key = obj_key(obj) if obj is not None else None
        if key is not None:
            found[entry_id] = key
    return found


def causal_key(doc: CrdtDoc) -> Callable[[str, str], Position]:
    """A sort key for (entry id, time as written): the entry's causal position in the ledger."""
    positions = ledger_positions(doc)

    def key(entry_id: str, at: str) -> Position:
        counter, actor = positions.get(entry_id, _UNKNOWN)
        return (counter, actor, at, entry_id)

    return key
