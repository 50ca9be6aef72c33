"""A run's segments analysed in stretches side by side, each in order from its own state.

The analyzers step per-stream state with each segment (the logo pipeline's tracks and the
previous segment's tail, the shot detector's last frame), so the segments analysed under one
state must come one at a time and in stream order: a replay that analysed two of a stream's
segments at once under one state got detections that depended on which finished decoding first.
In order, one stream uses one core, though, and a reanalysis of an hour may have several. So a
run cuts the stream into stretches of `segments` consecutive sequence numbers (`sequence //
segments`: the same cut wherever a run starts or resumes) and analyses up to `workers`
stretches at once, each on a thread of its own, in order, under a state key of its own.

A stretch's state starts empty. To start where analysis in order would have stood, a stretch
first analyses the previous stretch's last `warm_up` segments again under its own key and
discards their detections: what analysis carries across segments (a track, a logo verified a
moment ago, the previous frame, the tail late sightings look back into) is rebuilt from the
same frames. A stretch whose previous one this run did not read (the range starts there, or
segments are missing before it) starts cold, as a run always did. A thread forgets a stretch's
state when it starts its next one, so a long run holds at most `workers` stretches' state.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

import structlog

from sightline_analysis.replay.segment_range import RangeItem
from sightline_common.errors import PermanentError

log = structlog.get_logger(__name__)

WARM_UP_SEGMENTS = 2
"""Segments of the previous stretch a stretch analyses first (4 s at the usual 2-s segments:
the logo pipeline verifies a logo on screen within a second or two and keeps one segment's
tail; the shot detector needs one frame). The logo kit in process (`logo_eval_bench.py
--carried --stretch 5`: a fresh pipeline every 5 segments, 13 stretch starts on seed 1401;
nproc 2): with 2 segments of warm-up, the same bins as one pipeline through the stream on both
tune seeds (1401 0.995 / 0.861, 43/51 appearances, screen time -13 %; 1403 0.995 / 0.854,
41/48, -14 %); cold (none), 1401 fell to 0.995 / 0.843, screen time -15 %. One segment gave
the same bins as two on both seeds: two are kept for what the kit does not hold (a logo last
verified more than a segment before the cut), at 1/15 more of a run's analyses than one."""

Answer = TypeVar("Answer")


class Stretches(Generic[Answer]):
    """Where and under which state key each of a run's segments is analysed: `analyse(item,
    key)` answers for one segment (retrying what may succeed later)."""

    def __init__(
        self,
        stream_id: str,
        workers: int,
        segments: int,
        analyse: Callable[[RangeItem, str], Answer],
        forget: Callable[[str], None],
    ) -> None:
        self._stream_id = stream_id
        self._segments = segments
        self._analyse = analyse
        self._forget = forget
        self._lanes = [
            ThreadPoolExecutor(1, thread_name_prefix=f"replay-{lane}")
            for lane in range(max(1, workers))
        ]
        self._keys: dict[int, str] = {}  # lane -> the state key of the stretch it works on
        self._current: int | None = None
        self._recent: deque[RangeItem] = deque(maxlen=WARM_UP_SEGMENTS)

    @property
    def ahead(self) -> int:
        """How many segments may be handed over before the oldest one's detection is taken:
        enough for every worker to have a stretch to work on."""
        return len(self._lanes) * max(self._segments, 2)

    def submit(self, item: RangeItem) -> Future[Answer]:
        """Queue `item`'s analysis on its stretch's thread, after that stretch's earlier ones."""
        stretch = self._stretch_of(item)
        lane, key = stretch % len(self._lanes), self._key(stretch)
        if stretch == self._current:
            self._recent.append(item)
            return self._lanes[lane].submit(self._analyse, item, key)
        warm_up = list(self._recent) if stretch - 1 == self._current else []
        done_with = self._keys.get(lane)
        self._keys[lane], self._current = key, stretch
        self._recent.clear()
        self._recent.append(item)
        return self._lanes[lane].submit(self._start, done_with, warm_up, item, key)

    def close(self, *, cancel: bool) -> None:
        """Finish the analyses handed over (`cancel`: those started), then forget every
        stretch's state."""
        for lane in self._lanes:
            lane.shutdown(wait=True, cancel_futures=cancel)
        for key in self._keys.values():
            self._forget(key)

    def _start(
        self, done_with: str | None, warm_up: list[RangeItem], item: RangeItem, key: str
    ) -> Answer:
        """The first segment of a stretch on this thread: forget the stretch it worked on
        before (all of its analyses ran), rebuild the state the segments before `item` leave,
        then analyse `item`."""
        if done_with is not None:
            self._forget(done_with)
        for earlier in warm_up:
            try:
                self._analyse(earlier, key)
            except PermanentError as exc:  # dead-lettered by its own stretch
                log.info(
                    "replay.warm_up_skipped",
                    stream_id=self._stream_id,
                    sequence=earlier.segment.sequence,
                    reason=exc.reason,
                )
        return self._analyse(item, key)

    def _stretch_of(self, item: RangeItem) -> int:
        return item.segment.sequence // self._segments if self._segments > 0 else 0

    def _key(self, stretch: int) -> str:
        return f"{self._stream_id}/stretch-{stretch}"
