"""When the consumer loop gives up on a transient failure (pure logic, no broker)."""

from __future__ import annotations

from sightline_common.kafka.retry import RetryLedger, RetryPolicy


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_position_is_given_up_only_past_both_the_count_and_the_age() -> None:
    clock = Clock()
    ledger = RetryLedger(RetryPolicy(max_attempts=3, max_age_s=60), clock)
    for _ in range(5):
        ledger.failed(("t", 0, 7), "db down")
    assert not ledger.exhausted(("t", 0, 7))  # many quick attempts: a short outage
    clock.now = 61
    assert ledger.exhausted(("t", 0, 7))
    assert "gave up after 5 transient failures over 61s: db down" in ledger.describe(("t", 0, 7))


def test_passing_a_position_forgets_it_and_back_off_doubles_to_its_cap() -> None:
    ledger = RetryLedger(RetryPolicy(max_attempts=1, max_age_s=0), Clock())
    ledger.failed(("t", 0, 7), "x")
    ledger.failed(("t", 1, 7), "x")
    ledger.passed("t", 0, 8)
    assert ledger.attempts(("t", 0, 7)) == 0
    assert ledger.exhausted(("t", 1, 7))
    policy = RetryPolicy(initial_backoff_s=0.5, max_backoff_s=3)
    assert [policy.backoff(n) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
