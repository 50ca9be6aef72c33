"""How long the consumer loop keeps retrying a message that fails transiently (pure logic).

A `TransientError` says "try again later", but a message that keeps failing that way must not
hold its partition forever: once its attempts reach `max_attempts` *and* the first failure is
`max_age_s` old, the loop dead-letters it with the last reason. Both bounds must be passed, so a
short dependency outage (many quick attempts) or a single slow attempt does not give up early.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Position = tuple[str, int, int]  # topic, partition, offset


@dataclass(frozen=True)
class RetryPolicy:
    """When a transient failure is given up on, and the back-off between attempts."""

    max_attempts: int = 10
    max_age_s: float = 300.0
    initial_backoff_s: float = 0.5
    max_backoff_s: float = 10.0

    def backoff(self, attempts: int) -> float:
        """The pause before attempt `attempts + 1` (doubling, capped)."""
        growth = 2.0 ** max(attempts - 1, 0)
        return float(min(self.initial_backoff_s * growth, self.max_backoff_s))


@dataclass
class _Attempts:
    count: int
    first_at: float
    last_reason: str


@dataclass
class RetryLedger:
    """Transient failures per message position, forgotten once the position is passed; safe
    across threads (a loop with concurrency records failures on its handler threads)."""

    policy: RetryPolicy
    clock: Callable[[], float] = time.monotonic
    _attempts: dict[Position, _Attempts] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def failed(self, position: Position, reason: str) -> int:
        """Record one transient failure at `position`; returns its attempts so far."""
        with self._lock:
            entry = self._attempts.get(position)
            if entry is None:
                entry = self._attempts[position] = _Attempts(0, self.clock(), reason)
            entry.count += 1
            entry.last_reason = reason
            return entry.count

    def exhausted(self, position: Position) -> bool:
        """True when `position` used up its retries: the next transient failure dead-letters."""
        with self._lock:
            entry = self._attempts.get(position)
            if entry is None:
                return False
            old_enough = self.clock() - entry.first_at >= self.policy.max_age_s
            return entry.count >= self.policy.max_attempts and old_enough

    def describe(self, position: Position) -> str:
        """A reason for the dead letter of an exhausted position."""
        with self._lock:
            entry = self._attempts.get(position)
            if entry is None:
                return "transient failure"
            age = self.clock() - entry.first_at
            count, reason = entry.count, entry.last_reason
        return f"gave up after {count} transient failures over {age:.0f}s: {reason}"

    def passed(self, topic: str, partition: int, next_offset: int) -> None:
        """Forget positions of `topic`/`partition` before `next_offset` (done or skipped)."""
        with self._lock:
            for position in [p for p in self._attempts if p[:2] == (topic, partition)]:
                if position[2] < next_offset:
                    del self._attempts[position]

    def forget_partition(self, topic: str, partition: int) -> None:
        """Forget a partition this member no longer owns."""
        self.passed(topic, partition, 2**63 - 1)

    def attempts(self, position: Position) -> int:
        """Transient failures recorded at `position`."""
        with self._lock:
            entry = self._attempts.get(position)
            return entry.count if entry is not None else 0
