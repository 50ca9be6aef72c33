"""Live shedding: under overload a stream's stale segments are skipped, never queued.

A live detector that cannot keep up would otherwise fall behind for good: every segment waits
for all those before it, and the dashboard shows minutes-old results as live. Instead, a
segment whose age (now less when ingest stored it) exceeds the bound is skipped, which costs
nothing (no fetch, no decode), so the detector catches up at once and analyses the newest
segment of every stream that fell behind. Only when a newer segment of the same stream is
actually waiting, though (`newest.py` follows what was published): a stream's latest segment,
however late, is analysed live, since skipping it buys no freshness (its publisher stopped, or
one hiccup delayed it) and would only push its results to a backfill. While a stream is
degraded, a fresh segment of it is skipped too when another stream of the same partition,
analysed less recently, has a fresh segment waiting behind it (the handler tells): a partition's
segments are taken in order, and its first fresh segment would otherwise take every turn.
Consecutive skipped segments of a stream form one range, analysed later by a backfill run (the
replay worker, niced) when there is spare capacity.
Every skip hands the range so far over at once (the backfill request is published before the
skipped segment's offset is stored), so a detector killed while shedding loses nothing; the
replay worker widens a queued request of the same run, or resumes the run from its checkpoint.

Why skip whole segments rather than lower the sampled rate: a segment's cost is mostly its
fetch and decode (decoding runs up to the last sampled frame whatever the rate), so a lower
rate buys little and gives no bound; an age threshold bounds lag by construction, applies to
every stream alike (stream policies carry no priority), and returns to full rate by itself as
soon as segments arrive fresh again. Pure logic: the handler feeds it segments and the clock.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sightline_common.messages import AnalysisMode, SegmentReady


@dataclass(frozen=True)
class BackfillRange:
    """Consecutive live-skipped segments of one stream (nothing live-analysed between them).

    `media_to` lies inside the last segment (a range holds the segments starting before it), so
    stream-time rounding never pulls in the next, live-analysed segment.
    """

    stream_id: str
    first_sequence: int
    last_sequence: int
    segments: int
    media_from: float
    media_to: float
    wall_from: datetime

    def run_id(self, detector: str) -> str:
        """The backfill run's id: a growing range keeps its id (the run is widened or resumed)."""
        return f"backfill-{detector}-{self.stream_id}-{self.first_sequence}"

    def extended(self, segment: SegmentReady) -> BackfillRange:
        """This range with `segment` (the stream's next skipped one) added."""
        return replace(
            self,
            last_sequence=segment.sequence,
            segments=self.segments + 1,
            media_to=_range_end(segment),
        )


@dataclass(frozen=True)
class Verdict:
    """What to do with one live segment; `backfill`: the range to hand over now (skipped: the
    stream's range including this segment), before this segment's offset is stored."""

    analyse: bool
    lag_s: float
    mode: AnalysisMode
    shed_before: int
    backfill: BackfillRange | None = None


@dataclass
class _StreamState:
    open_range: BackfillRange | None = None
    shed_since_analysed: int = 0
    degraded: bool = False


@dataclass
class LiveShedder:
    """Decides per segment: analyse it, or skip it into the stream's backfill range.

    `max_lag_s` <= 0 never skips. A stream is degraded from its first skipped segment until a
    segment is analysed with nothing skipped before it and a lag under half the bound (so it
    does not flap at the threshold). A range ends when the stream's next segment is analysed
    or when it holds `max_range_segments` (the next skip starts another run).
    """

    max_lag_s: float
    max_range_segments: int = 30
    window_s: float = 60.0
    _streams: dict[str, _StreamState] = field(default_factory=dict)
    _recent: deque[tuple[float, bool]] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def sheds(
        self,
        segment: SegmentReady,
        now: float,
        newer_waiting: bool = True,
        another_waited_longer: bool = False,
    ) -> bool:
        """Whether `take` would skip `segment` at `now` (nothing is recorded)."""
        with self._lock:
            return self._sheds(segment, now, newer_waiting, another_waited_longer)

    def take(
        self,
        segment: SegmentReady,
        now: float,
        newer_waiting: bool = True,
        another_waited_longer: bool = False,
    ) -> Verdict:
        """The verdict for `segment` at wall-clock time `now` (epoch seconds); `newer_waiting`:
        whether a later segment of its stream has been published (a segment is skipped only
        then); `another_waited_longer`: whether another stream of its partition, analysed live
        less recently, has a fresh segment waiting behind it (see `_sheds`)."""
        lag = _lag(segment, now)
        with self._lock:
            state = self._streams.setdefault(segment.stream_id, _StreamState())
            shed = self._sheds(segment, now, newer_waiting, another_waited_longer)
            self._count(now, shed)
            if shed:
                state.degraded = True
                state.shed_since_analysed += 1
                if state.open_range is None:
                    state.open_range = BackfillRange(
                        segment.stream_id,
                        segment.sequence,
                        segment.sequence,
                        1,
                        segment.media_start,
                        _range_end(segment),
                        segment.wall_clock,
                    )
                else:
                    state.open_range = state.open_range.extended(segment)
                handed = state.open_range
                if handed.segments >= self.max_range_segments:
                    state.open_range = None
                return Verdict(False, lag, AnalysisMode.degraded, state.shed_since_analysed, handed)
            state.open_range = None
            shed_before, state.shed_since_analysed = state.shed_since_analysed, 0
            state.degraded = shed_before > 0 or (state.degraded and lag > self.max_lag_s / 2)
            mode = AnalysisMode.degraded if state.degraded else AnalysisMode.full
            return Verdict(True, lag, mode, shed_before)

    def _sheds(
        self, segment: SegmentReady, now: float, newer_waiting: bool, another_waited_longer: bool
    ) -> bool:
        """Skipped: a segment older than the bound, or, while its stream is degraded, one whose
        turn another stream of the partition waited longer for; never a stream's latest.

        The second rule shares a partition's turns among its streams: its segments are taken
        in order whichever stream they belong to, and under overload the first fresh one took
        every turn (the stream published first each period), its partition's other streams
        none (the e2e bench: 1 of 3 streams on one partition never analysed live for 60 s)."""
        if self.max_lag_s <= 0 or not newer_waiting:
            return False
        if _lag(segment, now) > self.max_lag_s:
            return True
        state = self._streams.get(segment.stream_id)
        return another_waited_longer and state is not None and state.degraded

    def forget(self, stream_ids: Iterable[str]) -> None:
        """Drop the state of `stream_ids` (their partitions went to another member, whose
        ranges start afresh; what was skipped here is handed over already)."""
        with self._lock:
            for stream_id in stream_ids:
                self._streams.pop(stream_id, None)

    def degraded(self, stream_id: str) -> bool:
        """Whether the stream's live analysis is degraded now."""
        with self._lock:
            state = self._streams.get(stream_id)
            return state is not None and state.degraded

    def shed_ratio(self, now: float) -> float:
        """Share of live segments skipped over the last `window_s` (0 when none arrived)."""
        with self._lock:
            self._expire(now)
            if not self._recent:
                return 0.0
            return sum(1 for _, shed in self._recent if shed) / len(self._recent)

    def _count(self, now: float, shed: bool) -> None:
        self._recent.append((now, shed))
        self._expire(now)

    def _expire(self, now: float) -> None:
        while self._recent and now - self._recent[0][0] > self.window_s:
            self._recent.popleft()


def _lag(segment: SegmentReady, now: float) -> float:
    """How long ago ingest stored `segment`, at `now`."""
    return max(0.0, now - segment.wall_clock.timestamp())


def _range_end(segment: SegmentReady) -> float:
    """Where a range whose last segment is `segment` ends: inside it (see BackfillRange)."""
    return segment.media_start + segment.duration / 2
