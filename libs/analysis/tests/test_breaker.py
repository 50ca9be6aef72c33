"""The circuit breaker opens on repeated failure and probes again after the reset time."""

from __future__ import annotations

from sightline_analysis.breaker import BreakerState, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_it_opens_after_the_threshold_and_refuses_calls() -> None:
    breaker = CircuitBreaker(failure_threshold=2, reset_after=10, clock=Clock())
    breaker.record_failure()
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()


def test_after_the_reset_time_one_probe_goes_through_and_success_closes() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, reset_after=10, clock=clock)
    breaker.record_failure()
    clock.now = 10
    assert breaker.allow()
    assert not breaker.allow()  # one probe at a time
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow()


def test_a_failed_probe_reopens_for_another_full_period() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=3, reset_after=10, clock=clock)
    for _ in range(3):
        breaker.record_failure()
    clock.now = 11
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    clock.now = 20
    assert not breaker.allow()
    clock.now = 21
    assert breaker.allow()


def test_a_success_resets_the_failure_count() -> None:
    breaker = CircuitBreaker(failure_threshold=2, reset_after=10, clock=Clock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
