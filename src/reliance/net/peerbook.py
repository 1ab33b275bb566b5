"""The states of a peer in the node's book and what moves it from one to the next, as one table.

The node fires an event at each step of its life with a peer (`PeerEvent`); `TRANSITIONS` gives the
state it moves to. The table is total over the states a peer is kept in: a dial or a knock may come in any
state (an incoming connection does not wait for our own dial to end), so every pair has a row, written
out rather than implied. `BLOCKED` is never kept: it is how a peer whose key is blocked is shown, whatever
its state (`Node.peers`).
"""

from __future__ import annotations

from enum import StrEnum

from reliance.net.events import PeerState

__all__ = ["KEPT_STATES", "TRANSITIONS", "PeerEvent", "PeerStateError", "next_state"]


class PeerEvent(StrEnum):
    DIAL = "dial"  # we start dialling its address
    DIAL_FAILED = "dial failed"  # refused, unreachable, wrong key: dialled again after a backoff
    KNOCK = "knock"  # it connected while the policy wants accepted peers only and it is not accepted
    ACCEPT = "accept"  # `reliance peer accept` (or a typed address that answered)
    CONNECT = "connect"  # a connection with it runs its session
    DISCONNECT = "disconnect"  # that connection ended: dialled again after a backoff


class PeerStateError(Exception):
    """The node fired an event the table does not have (a bug, never the peer's doing)."""


# The states a peer is kept in; BLOCKED is only shown.
KEPT_STATES = tuple(state for state in PeerState if state is not PeerState.BLOCKED)


def _table() -> dict[tuple[PeerState, PeerEvent], PeerState]:
    table: dict[tuple[PeerState, PeerEvent], PeerState] = {}
    for state in KEPT_STATES:
        table[state, PeerEvent.DIAL] = PeerState.CONNECTING
        table[state, PeerEvent.DIAL_FAILED] = PeerState.UNREACHABLE
        table[state, PeerEvent.KNOCK] = PeerState.PENDING
        table[state, PeerEvent.CONNECT] = PeerState.CONNECTED
        table[state, PeerEvent.DISCONNECT] = PeerState.DISCOVERED
        # Accepting only frees a pending peer (to be dialled); a peer in any other state stays in it.
        table[state, PeerEvent.ACCEPT] = PeerState.DISCOVERED if state is PeerState.PENDING else state
    return table


TRANSITIONS: dict[tuple[PeerState, PeerEvent], PeerState] = _table()


def next_state(state: PeerState, event: PeerEvent) -> PeerState:
    try:
        return TRANSITIONS[state, event]
    except KeyError:
        raise PeerStateError(f"event {event.value!r} in state {state.value!r}") from None
