"""The link exchange (reliance.net.pairing), driven sans-IO: codes, the right code, a wrong one, expiry, and
hostile bytes on either side."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.net.pairing.codes import (
    CODE_WORDS,
    SECRET_BITS,
    Code,
    CodeError,
    new_code,
    parse_code,
    wordlist,
)
from reliance.net.pairing.protocol import (
    HEADER,
    INVITER_TABLE,
    JOINER_TABLE,
    DeviceRequest,
    Failed,
    Granted,
    Invitation,
    InvitationState,
    InviterSession,
    JoinerSession,
    Linked,
    Reason,
    State,
    encode,
)

KEY = bytes(range(32))
GRANT = b"the grant: a certificate and documents" * 10


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def pair(
    code: Code | None = None, joiner_code: Code | None = None, *, limits: Limits = DEFAULT_LIMITS
) -> tuple[Invitation, InviterSession, JoinerSession, Clock]:
    clock = Clock()
    code = code or new_code()
    invitation = Invitation(code, limits=limits, clock=clock)
    joiner = JoinerSession(joiner_code or code, "laptop", KEY, limits=limits)
    return invitation, InviterSession(invitation), joiner, clock


def run_to_end(inviter: InviterSession, joiner: JoinerSession) -> tuple[list[object], list[object]]:
    """Both sides talk until neither has anything to say; the inviter grants what it is asked."""
    inviter_events: list[object] = []
    joiner_events: list[object] = []
    joiner.start()
    for _ in range(10):
        sent = joiner.data_to_send()
        for event in inviter.receive_data(sent):
            inviter_events.append(event)
            if isinstance(event, DeviceRequest):
                inviter.send_grant(GRANT)
        answer = inviter.data_to_send()
        for event in joiner.receive_data(answer):
            joiner_events.append(event)
            if isinstance(event, Granted):
                joiner.finish()
        if not sent and not answer:
            break
    return inviter_events, joiner_events


# -- codes ------------------------------------------------------------------------------------------------


def test_a_code_is_a_number_and_two_words_from_the_bip39_list() -> None:
    code = new_code()
    number, *words = str(code).split("-")
    assert 1 <= int(number) <= 99 and len(words) == CODE_WORDS
    assert all(word in wordlist() for word in words)
    assert SECRET_BITS == 22 and len(wordlist()) == 2048
    assert parse_code(str(code)) == code


def test_a_code_is_read_as_people_type_it() -> None:
    assert parse_code("  7 Guitar OCEAN ") == Code(7, ("guitar", "ocean"))
    assert parse_code("7-guit-ocea") == Code(7, ("guitar", "ocean"))  # four letters name a BIP-39 word
    assert parse_code("07-guitar-ocean") == Code(7, ("guitar", "ocean"))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "link.code.shape"),
        ("7-guitar", "link.code.shape"),
        ("7-guitar-ocean-extra", "link.code.shape"),
        ("0-guitar-ocean", "link.code.number"),
        ("100-guitar-ocean", "link.code.number"),
        ("x-guitar-ocean", "link.code.number"),
        ("7-guitarz-ocean", "link.code.unknown_word"),
        ("7-gui-ocean", "link.code.unknown_word"),
        ("7-guitär-ocean", "link.code.unknown_word"),
        ("7-" + "a" * 100 + "-ocean", "link.code.too_long"),
    ],
)
def test_what_is_not_a_code_is_refused_with_its_reason(text: str, reason: str) -> None:
    with pytest.raises(CodeError) as raised:
        parse_code(text)
    assert raised.value.reason == reason


# -- the exchange -----------------------------------------------------------------------------------------


def test_the_right_code_links_the_device_and_the_grant_arrives_whole() -> None:
    invitation, inviter, joiner, _ = pair()
    inviter_events, joiner_events = run_to_end(inviter, joiner)
    assert inviter_events == [DeviceRequest("laptop", KEY), Linked("laptop")]
    assert joiner_events == [Granted(GRANT)]
    assert (inviter.state, joiner.state) == (State.LINKED, State.JOINED)
    assert invitation.state is InvitationState.LINKED


def test_the_state_tables_name_every_waiting_state() -> None:
    waiting = {State.AWAIT_HELLO, State.AWAIT_REQUEST, State.MAKING_GRANT, State.AWAIT_DONE}
    assert set(INVITER_TABLE) == waiting
    assert set(JOINER_TABLE) == {State.START, State.AWAIT_PAKE, State.AWAIT_GRANT, State.USING_GRANT}


def test_a_wrong_code_fails_on_both_sides_and_spends_the_invitation() -> None:
    code = Code(7, ("guitar", "ocean"))
    invitation, inviter, joiner, _ = pair(code, Code(7, ("guitar", "orange")))
    inviter_events, joiner_events = run_to_end(inviter, joiner)
    assert joiner_events == [Failed(Reason.WRONG_CODE)]
    assert inviter_events == [Failed(Reason.WRONG_CODE, from_peer=True)]
    assert invitation.state is InvitationState.SPENT
    # the right code after a wrong one: the invitation is spent
    second = JoinerSession(code, "laptop", KEY)
    _, joiner_events = run_to_end(InviterSession(invitation), second)
    assert joiner_events == [Failed(Reason.SPENT, from_peer=True)]


def test_a_joiner_that_lies_about_its_confirmation_fails_as_a_wrong_code_on_the_inviter() -> None:
    """A joiner that ignores the inviter's confirmation and sends a request anyway."""
    code = Code(7, ("guitar", "ocean"))
    invitation, inviter, _, _ = pair(code)
    liar = JoinerSession(Code(7, ("guitar", "orange")), "laptop", KEY)
    liar.start()
    inviter.receive_data(liar.data_to_send())
    answer = inviter.data_to_send()
    # forge a request with the liar's own (wrong) keys
    from reliance.net.pairing import protocol

    message = protocol.unpack(answer[HEADER.size :], protocol._shape(DEFAULT_LIMITS, 4096))
    keys = protocol._derive(protocol._finish_pake(liar.side, message["pake"]))
    box = keys.to_inviter.encrypt(protocol._nonce(0), b"x", b"request")
    events = inviter.receive_data(encode({"t": "request", "confirm": keys.joiner_confirm, "box": box}))
    assert events == [Failed(Reason.WRONG_CODE)]
    assert invitation.state is InvitationState.SPENT


def test_an_expired_invitation_is_refused_clearly_and_a_link_under_way_still_ends() -> None:
    invitation, inviter, joiner, clock = pair()
    clock.now += DEFAULT_LIMITS.link_invitation_seconds
    assert invitation.expired and invitation.over
    _, joiner_events = run_to_end(inviter, joiner)
    assert joiner_events == [Failed(Reason.EXPIRED, from_peer=True)]
    # claimed just before the end: the link finishes
    invitation, inviter, joiner, clock = pair()
    joiner.start()
    inviter.receive_data(joiner.data_to_send())
    clock.now += DEFAULT_LIMITS.link_invitation_seconds + 1
    joiner.receive_data(inviter.data_to_send())
    [request] = inviter.receive_data(joiner.data_to_send())
    assert isinstance(request, DeviceRequest)


def test_the_invitations_time_is_a_limit() -> None:
    invitation, _, _, clock = pair(limits=DEFAULT_LIMITS.replace(link_invitation_seconds=5))
    clock.now += 4.9
    assert not invitation.expired
    clock.now += 0.1
    assert invitation.expired


def test_a_second_joiner_is_refused_while_the_first_is_linking() -> None:
    invitation, inviter, joiner, _ = pair()
    joiner.start()
    inviter.receive_data(joiner.data_to_send())
    other = JoinerSession(invitation.code, "thief", KEY)
    other_inviter = InviterSession(invitation)
    other.start()
    assert other_inviter.receive_data(other.data_to_send()) == [Failed(Reason.SPENT)]
    assert other.receive_data(other_inviter.data_to_send()) == [Failed(Reason.SPENT, from_peer=True)]
    # the first one is not disturbed
    joiner.receive_data(inviter.data_to_send())
    assert inviter.receive_data(joiner.data_to_send()) == [DeviceRequest("laptop", KEY)]


def test_another_invitation_number_is_refused_without_spending_this_one() -> None:
    invitation, inviter, _, _ = pair(Code(7, ("guitar", "ocean")))
    stranger = JoinerSession(Code(8, ("guitar", "ocean")), "laptop", KEY)
    stranger.start()
    assert inviter.receive_data(stranger.data_to_send()) == [Failed(Reason.UNKNOWN_NUMBER)]
    assert invitation.state is InvitationState.OPEN


def test_a_replayed_request_from_another_run_does_not_open() -> None:
    """A recorded request is bound to its run's SPAKE2 key: replayed to a new run, it is a wrong code."""
    code = new_code()
    _, first_inviter, first_joiner, _ = pair(code)
    first_joiner.start()
    first_inviter.receive_data(first_joiner.data_to_send())
    first_joiner.receive_data(first_inviter.data_to_send())
    recorded_hello_and_request = first_joiner.data_to_send()
    invitation = Invitation(code)
    replayed = InviterSession(invitation)
    from reliance.net.pairing.protocol import JoinerSession as _J

    hello = _J(code, "laptop", KEY)
    hello.start()
    replayed.receive_data(hello.data_to_send())
    assert replayed.receive_data(recorded_hello_and_request) == [Failed(Reason.WRONG_CODE)]
    assert invitation.state is InvitationState.SPENT


def test_a_replayed_hello_after_the_link_is_refused_as_spent() -> None:
    invitation, inviter, joiner, _ = pair()
    joiner.start()
    hello = joiner.data_to_send()
    inviter.receive_data(hello)
    joiner.receive_data(inviter.data_to_send())
    inviter.receive_data(joiner.data_to_send())
    inviter.send_grant(GRANT)
    joiner.receive_data(inviter.data_to_send())
    joiner.finish()
    inviter.receive_data(joiner.data_to_send())
    again = InviterSession(invitation)
    assert again.receive_data(hello) == [Failed(Reason.SPENT)]


def test_a_name_with_control_characters_is_refused_not_cleaned() -> None:
    with pytest.raises(ValueError):
        JoinerSession(new_code(), "lap\u202etop", KEY)
    with pytest.raises(ValueError):
        JoinerSession(new_code(), "x" * (DEFAULT_LIMITS.link_device_name_chars + 1), KEY)


# -- hostile bytes ----------------------------------------------------------------------------------------


def test_an_oversized_header_is_refused_before_its_body_comes() -> None:
    invitation, inviter, _, _ = pair()
    events = inviter.receive_data(HEADER.pack(DEFAULT_LIMITS.link_max_message + 1))
    assert events == [Failed(Reason.TOO_LARGE)]
    assert invitation.state is InvitationState.OPEN
    assert b"too-large" in inviter.data_to_send()


def test_an_oversized_grant_is_refused_by_the_joiner_from_its_header() -> None:
    limits = DEFAULT_LIMITS.replace(device_grant_bytes=1000)
    _, inviter, joiner, _ = pair(limits=limits)
    joiner.start()
    inviter.receive_data(joiner.data_to_send())
    joiner.receive_data(inviter.data_to_send())
    inviter.receive_data(joiner.data_to_send())
    events = joiner.receive_data(HEADER.pack(1000 + limits.link_max_message + 1))
    assert events == [Failed(Reason.TOO_LARGE)]


def test_the_inviter_will_not_send_a_grant_over_the_limit() -> None:
    limits = DEFAULT_LIMITS.replace(device_grant_bytes=10)
    invitation, inviter, joiner, _ = pair(limits=limits)
    joiner.start()
    inviter.receive_data(joiner.data_to_send())
    joiner.receive_data(inviter.data_to_send())
    inviter.receive_data(joiner.data_to_send())
    inviter.send_grant(b"x" * 11)
    assert inviter.failure == Failed(Reason.TOO_LARGE)
    assert joiner.receive_data(inviter.data_to_send()) == [Failed(Reason.TOO_LARGE, from_peer=True)]
    assert invitation.state is InvitationState.SPENT


def test_a_point_off_the_curve_is_malformed_and_claims_nothing() -> None:
    invitation, inviter, _, _ = pair()
    hello = encode({"t": "hello", "v": 1, "n": invitation.code.number, "pake": b"B" + b"\xff" * 32})
    assert inviter.receive_data(hello) == [Failed(Reason.MALFORMED)]
    assert invitation.state is InvitationState.OPEN


def test_another_version_is_refused() -> None:
    invitation, inviter, _, _ = pair()
    hello = encode({"t": "hello", "v": 2, "n": invitation.code.number, "pake": b"B" * 33})
    assert inviter.receive_data(hello) == [Failed(Reason.VERSION)]


def test_a_truncated_message_waits_and_a_closed_connection_ends_it() -> None:
    invitation, inviter, joiner, _ = pair()
    joiner.start()
    hello = joiner.data_to_send()
    assert inviter.receive_data(hello[:-1]) == []
    assert inviter.connection_lost() == [Failed(Reason.CLOSED)]
    assert invitation.state is InvitationState.OPEN  # never claimed: still open for the real joiner


def test_a_joiner_silent_after_claiming_spends_the_invitation_when_it_times_out() -> None:
    invitation, inviter, joiner, _ = pair()
    joiner.start()
    inviter.receive_data(joiner.data_to_send())
    assert inviter.timed_out() == [Failed(Reason.TIMEOUT)]
    assert invitation.state is InvitationState.SPENT
    assert invitation.outcome == Failed(Reason.TIMEOUT)


def test_the_joiner_refuses_a_forged_grant() -> None:
    _, inviter, joiner, _ = pair()
    joiner.start()
    inviter.receive_data(joiner.data_to_send())
    joiner.receive_data(inviter.data_to_send())
    inviter.receive_data(joiner.data_to_send())
    assert joiner.receive_data(encode({"t": "grant", "box": b"\x00" * 64})) == [Failed(Reason.MALFORMED)]


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200), st.integers(min_value=1, max_value=17))
def test_any_bytes_to_the_inviter_fail_cleanly_and_claim_nothing(data: bytes, step: int) -> None:
    invitation = Invitation(new_code())
    inviter = InviterSession(invitation)
    events: list[object] = []
    for cut in range(0, len(data), step):
        events += inviter.receive_data(data[cut : cut + step])
    assert all(isinstance(e, Failed) for e in events) and len(events) <= 1
    assert invitation.state is InvitationState.OPEN


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_to_the_joiner_fail_cleanly(data: bytes) -> None:
    joiner = JoinerSession(new_code(), "laptop", KEY)
    joiner.start()
    events = joiner.receive_data(data)
    assert all(isinstance(e, Failed) for e in events) and len(events) <= 1


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=1, max_value=50))
def test_the_exchange_cut_anywhere_gives_the_same_link(step: int) -> None:
    invitation, inviter, joiner, _ = pair()
    joiner.start()
    for _ in range(4):
        data = joiner.data_to_send()
        for cut in range(0, len(data), step):
            for event in inviter.receive_data(data[cut : cut + step]):
                if isinstance(event, DeviceRequest):
                    inviter.send_grant(GRANT)
        data = inviter.data_to_send()
        for cut in range(0, len(data), step):
            for event in joiner.receive_data(data[cut : cut + step]):
                if isinstance(event, Granted):
                    joiner.finish()
    assert invitation.state is InvitationState.LINKED


def test_the_joiner_waits_longer_for_its_grant_than_for_a_step() -> None:
    limits = DEFAULT_LIMITS.replace(link_step_seconds=5, link_grant_seconds=120)
    _, inviter, joiner, _ = pair(limits=limits)
    joiner.start()
    assert joiner.patience() == 5
    inviter.receive_data(joiner.data_to_send())
    joiner.receive_data(inviter.data_to_send())
    assert joiner.state is State.AWAIT_GRANT and joiner.patience() == 120
    assert inviter.patience() == 5
