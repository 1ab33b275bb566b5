"""The peer book's states, as a table: every (state, event) pair and the state it leads to."""

from __future__ import annotations

import pytest

from reliance.net.events import PeerState
from reliance.net.peerbook import KEPT_STATES, TRANSITIONS, PeerEvent, PeerStateError, next_state

S, E = PeerState, PeerEvent

# What each event does, from each state a peer is kept in (BLOCKED is only shown).
EXPECTED = {
    #                 DIAL          DIAL_FAILED    KNOCK      ACCEPT        CONNECT      DISCONNECT
    S.DISCOVERED: (S.CONNECTING, S.UNREACHABLE, S.PENDING, S.DISCOVERED, S.CONNECTED, S.DISCOVERED),
    S.CONNECTING: (S.CONNECTING, S.UNREACHABLE, S.PENDING, S.CONNECTING, S.CONNECTED, S.DISCOVERED),
    S.CONNECTED: (S.CONNECTING, S.UNREACHABLE, S.PENDING, S.CONNECTED, S.CONNECTED, S.DISCOVERED),
    S.PENDING: (S.CONNECTING, S.UNREACHABLE, S.PENDING, S.DISCOVERED, S.CONNECTED, S.DISCOVERED),
    S.UNREACHABLE: (S.CONNECTING, S.UNREACHABLE, S.PENDING, S.UNREACHABLE, S.CONNECTED, S.DISCOVERED),
}
EVENTS = (E.DIAL, E.DIAL_FAILED, E.KNOCK, E.ACCEPT, E.CONNECT, E.DISCONNECT)


@pytest.mark.parametrize("state", KEPT_STATES)
@pytest.mark.parametrize("event", list(PeerEvent))
def test_every_state_and_event(state: PeerState, event: PeerEvent) -> None:
    assert next_state(state, event) is EXPECTED[state][EVENTS.index(event)]


def test_the_table_is_exactly_the_expected_one() -> None:
    assert set(EVENTS) == set(PeerEvent)
    shown = {(state, event): row[i] for state, row in EXPECTED.items() for i, event in enumerate(EVENTS)}
    assert shown == TRANSITIONS


def test_blocked_is_shown_never_kept() -> None:
    assert S.BLOCKED not in KEPT_STATES
    assert all(S.BLOCKED not in (state, after) for (state, _), after in TRANSITIONS.items())
    with pytest.raises(PeerStateError):
        next_state(S.BLOCKED, E.DIAL)


def test_only_accepting_a_pending_peer_changes_its_state() -> None:
    moved = [state for state in KEPT_STATES if next_state(state, E.ACCEPT) is not state]
    assert moved == [S.PENDING]
