"""The dialer's backoff on a fake clock: no sleeping, no sockets."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reliance.net.dialer import Dialer, Retry


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_backoff_doubles_from_the_minimum_up_to_the_maximum() -> None:
    clock = FakeClock()
    dialer = Dialer(2.0, 60.0, clock)
    retry = Retry()
    waits = []
    for _ in range(8):
        dialer.failed(retry)
        waits.append(retry.next_dial - clock.now)
    assert waits == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]


def test_a_retry_is_due_when_the_clock_reaches_its_backoff() -> None:
    clock = FakeClock()
    dialer = Dialer(2.0, 60.0, clock)
    retry = Retry()
    assert dialer.due(retry)  # never failed: dial now
    dialer.failed(retry)
    assert not dialer.due(retry)
    clock.now += 1.999
    assert not dialer.due(retry)
    clock.now += 0.001
    assert dialer.due(retry)


def test_a_success_starts_the_next_failure_from_the_minimum() -> None:
    clock = FakeClock()
    dialer = Dialer(2.0, 60.0, clock)
    retry = Retry()
    for _ in range(5):
        dialer.failed(retry)
    Dialer.succeeded(retry)
    dialer.failed(retry)
    assert retry.backoff == 2.0 and retry.next_dial == clock.now + 2.0


def test_a_given_time_is_used_instead_of_the_clock() -> None:
    dialer = Dialer(1.0, 8.0, FakeClock())
    retry = Retry()
    dialer.failed(retry, now=5.0)
    assert retry.next_dial == 6.0
    assert dialer.due(retry, now=6.0) and not dialer.due(retry, now=5.5)


@settings(max_examples=50)
@given(
    minimum=st.floats(0.0, 100.0),
    span=st.floats(0.0, 1000.0),
    failures=st.integers(0, 40),
)
def test_every_backoff_stays_within_the_bounds_and_never_shrinks(
    minimum: float, span: float, failures: int
) -> None:
    dialer = Dialer(minimum, minimum + span, FakeClock())
    retry = Retry()
    previous = 0.0
    for _ in range(failures):
        dialer.failed(retry)
        assert minimum <= retry.backoff <= minimum + span
        assert retry.backoff >= previous
        previous = retry.backoff


def test_when_the_bounds_cross_the_maximum_wins() -> None:
    dialer = Dialer(1.0, 0.5, FakeClock())
    retry = Retry()
    for _ in range(3):
        dialer.failed(retry)
        assert retry.backoff == 0.5
