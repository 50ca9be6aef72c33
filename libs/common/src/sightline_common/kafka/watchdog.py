"""Is a consumer loop still doing its job? The answer behind `/healthz` (pure logic).

Two ways a member stops while its process looks fine: the loop thread is stuck (a call that
never returns), or the loop turns but the group gave this member nothing back after a
rebalance while work waits. The loop reports each turn (`beat`) and its assignment; when it
has owned nothing for `unassigned_grace_s` it samples the group's progress (committed offset
and end offset per partition). If a later sample shows lag and no committed offset moved, no
member is working: this one is stalled, and failing liveness gets it restarted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

# (topic, partition) -> (committed offset, end offset)
GroupProgress = Mapping[tuple[str, int], tuple[int, int]]


@dataclass
class LoopWatchdog:
    """Liveness of one consumer loop: beats, assignment, and the group's progress."""

    stuck_after_s: float
    unassigned_grace_s: float
    clock: Callable[[], float] = time.monotonic
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _last_beat: float | None = None
    _unassigned_since: float | None = None
    _sample: GroupProgress | None = None
    _sampled_at: float = 0.0
    _stalled: bool = False

    def beat(self, assigned: bool) -> None:
        """The loop turned; `assigned` says whether it owns any partition now."""
        now = self.clock()
        with self._lock:
            self._last_beat = now
            if assigned:
                self._unassigned_since = None
                self._sample = None
                self._stalled = False
            elif self._unassigned_since is None:
                self._unassigned_since = now

    def wants_sample(self) -> bool:
        """True when the loop should measure the group's progress (`sampled`) now."""
        now = self.clock()
        with self._lock:
            if self._unassigned_since is None:
                return False
            if now - self._unassigned_since < self.unassigned_grace_s / 2:
                return False
            return self._sample is None or now - self._sampled_at >= self.unassigned_grace_s / 2

    def sampled(self, progress: GroupProgress) -> None:
        """The group's progress as measured now (empty when it could not be measured)."""
        now = self.clock()
        with self._lock:
            previous, self._sample, self._sampled_at = self._sample, dict(progress), now
            if previous is None or self._unassigned_since is None:
                return
            if now - self._unassigned_since < self.unassigned_grace_s:
                return
            lagging = [tp for tp, (committed, end) in progress.items() if end > committed]
            moved = any(previous.get(tp, (None, None))[0] != progress[tp][0] for tp in lagging)
            self._stalled = bool(lagging) and not moved

    def alive(self) -> bool:
        """False when the loop is stuck or stalled without an assignment while work waits."""
        now = self.clock()
        with self._lock:
            if self._stalled:
                return False
            return self._last_beat is None or now - self._last_beat < self.stuck_after_s

    def owned_nothing_for(self) -> float:
        """Seconds since the loop last owned a partition (0 while it owns one)."""
        with self._lock:
            if self._unassigned_since is None:
                return 0.0
            return self.clock() - self._unassigned_since
