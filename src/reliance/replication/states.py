"""The states of a sync session and what moves it from one to the next, as one table.

`Session` (`sync.protocol`) fires an event at each step of the exchange; `TRANSITIONS` gives the state
it moves to. A pair that is not in the table is a bug of the session (`SessionStateError`): what a
peer may send in any order is in it. docs/sync-protocol.md shows the same table (a test compares them).
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    IDLE = "idle"  # made, `start()` not called yet
    DIGEST_SENT = "digest sent"  # our digest went out; the peer's has not come
    SUMMARY_SENT = "summary sent"  # the digests differ: our summary went out; the peer's has not come
    SYNCING = "syncing"  # the summaries differ: per-document syncs until each document is in sync
    IN_SYNC = "in sync"  # nothing differs any more (live changes still go both ways)
    REFUSED = "refused"  # we refused the peer (a malformed frame or a refused batch): it is ignored
    REFUSED_BY_PEER = "refused by peer"  # the peer refused us: we send nothing more


class Event(StrEnum):
    START = "start"  # `start()`: send our digest
    DIGESTS_EQUAL = "digests equal"  # the peer's digest is ours
    DIGESTS_DIFFER = "digests differ"  # the peer's digest is not ours: send our summary
    SUMMARY_ALL_SAME = "summary: none differ"  # the peer's summary lists what we hold, heads and all
    SUMMARY_SOME_DIFFER = "summary: some differ"  # the opener opens a sync for each that differs
    SYNC = "sync"  # a sync frame came: check, apply, answer
    LOCAL_CHANGE = "local change"  # a document changed here: offer it
    ALL_SETTLED = "all settled"  # the last document the summaries showed different is in sync
    BREACH = "breach"  # a malformed frame, or a batch that breaks a rule: send reject
    REJECT = "reject"  # the peer sent reject


class SessionStateError(Exception):
    """The session fired an event its state does not expect (a bug, never the peer's doing)."""


_TALKING = (State.IDLE, State.DIGEST_SENT, State.SUMMARY_SENT, State.SYNCING, State.IN_SYNC)


def _table() -> dict[tuple[State, Event], State]:
    table: dict[tuple[State, Event], State] = {(State.IDLE, Event.START): State.DIGEST_SENT}
    # A peer's frames are taken in whatever order they come (a hostile peer chooses it): digests and
    # summaries restart the comparison, syncs and local changes go on in every state but the refusals.
    for state in _TALKING:
        table[state, Event.DIGESTS_EQUAL] = State.IN_SYNC
        table[state, Event.DIGESTS_DIFFER] = State.SUMMARY_SENT
        table[state, Event.SUMMARY_ALL_SAME] = State.IN_SYNC
        table[state, Event.SUMMARY_SOME_DIFFER] = State.SYNCING
        table[state, Event.SYNC] = state
        table[state, Event.LOCAL_CHANGE] = state
        table[state, Event.BREACH] = State.REFUSED
        table[state, Event.REJECT] = State.REFUSED_BY_PEER
    table[State.SYNCING, Event.ALL_SETTLED] = State.IN_SYNC
    # Refused by the peer: what it still sends is handled (it should send nothing), nothing is offered.
    for event in Event:
        if event is not Event.START:
            table[State.REFUSED_BY_PEER, event] = State.REFUSED_BY_PEER
    table[State.REFUSED_BY_PEER, Event.BREACH] = State.REFUSED
    table[State.REFUSED, Event.BREACH] = State.REFUSED  # the end: nothing else is even read
    return table


TRANSITIONS: dict[tuple[State, Event], State] = _table()


def next_state(state: State, event: Event) -> State:
    try:
        return TRANSITIONS[state, event]
    except KeyError:
        raise SessionStateError(f"event {event.value!r} in state {state.value!r}") from None
