"""The segments consumer's handler: a SegmentReady in, a Detection published out."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable

import structlog
from confluent_kafka import TopicPartition

from sightline_analysis import metrics
from sightline_analysis.analyzers import AnalyzerSet
from sightline_analysis.backfill import BackfillRequests
from sightline_analysis.engine import LIVE_RUN, AnalysisEngine, detection_event_id
from sightline_analysis.newest import NewestSegments
from sightline_analysis.policies import StreamPolicies
from sightline_analysis.shedding import LiveShedder, Verdict
from sightline_common.envelope import wrap
from sightline_common.kafka import Received
from sightline_common.messages import AnalysisInfo, AnalysisMode, Envelope, SegmentReady

log = structlog.get_logger(__name__)

Publish = Callable[[str, Envelope], None]


class SegmentHandler:
    """Analyses each segment whose stream policy includes this detector and publishes the
    Detection under its deterministic event id; errors propagate to the consumer loop (which
    dead-letters permanent ones and retries transient ones).

    With a `shedder`, a segment older than the live lag bound is skipped instead when `newest`
    has seen a later segment of its stream (its range is handed to `backfill` before its offset
    is stored), so a detector that cannot keep up stays fresh; every Detection says its mode,
    rate, lag and how many segments were skipped before.
    """

    def __init__(
        self,
        *,
        engine: AnalysisEngine,
        analyzers: AnalyzerSet,
        policies: StreamPolicies,
        publish: Publish,
        detections_topic: str,
        producer_id: str,
        shedder: LiveShedder | None = None,
        backfill: BackfillRequests | None = None,
        newest: NewestSegments | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if (shedder is None) != (backfill is None):
            raise ValueError("a shedder needs backfill requests for what it skips, and back")
        self._engine = engine
        self._analyzers = analyzers
        self._policies = policies
        self._publish = publish
        self._topic = detections_topic
        self._producer_id = producer_id
        self._shedder = shedder or LiveShedder(max_lag_s=0)
        self._backfill = backfill
        self._newest = newest
        self._clock = clock
        self._streams_of: defaultdict[tuple[str, int], set[str]] = defaultdict(set)
        # Per stream: the last sequence taken (analysed or shed), when it was last analysed.
        self._taken_up_to: dict[str, int] = {}
        self._analysed_at: dict[str, float] = {}

    def handled_at_once(self, received: Received) -> bool:
        """Whether `received` needs no analysis, and if so handle it now: a segment of a stream
        this detector does not analyse, or a stale one the shedder skips. The consumer loop
        asks on its own thread before a segment waits for an analysis thread, so a stream that
        fell behind skips its whole stale backlog at once and its newest segment competes for
        the next thread (skipped one per thread's turn, it never caught up: issue #15)."""
        segment: SegmentReady = received.payload
        if self._engine.detector.name not in self._policies.policy_for(segment.stream_id).detectors:
            return True
        now = self._clock()
        newer_waiting = self._newer_waiting(segment)
        if not self._shedder.sheds(segment, now, newer_waiting, self._yields(received, now)):
            return False
        self._take(received, now, newer_waiting)
        return True

    def __call__(self, received: Received) -> None:
        """Handle one SegmentReady."""
        segment: SegmentReady = received.payload
        detector = self._engine.detector
        policy = self._policies.policy_for(segment.stream_id)
        if detector.name not in policy.detectors:
            return
        verdict = self._take(received, self._clock(), self._newer_waiting(segment))
        if not verdict.analyse:
            return
        analysis = AnalysisInfo(
            mode=verdict.mode,
            sample_fps=policy.sample_fps,
            lag_s=round(verdict.lag_s, 3),
            shed_before=verdict.shed_before,
            backfill_run_id=None,
        )
        detection = self._engine.analyse(segment, policy, LIVE_RUN, received.event_id, analysis)
        event_id = detection_event_id(detector, LIVE_RUN, segment.stream_id, segment.sequence)
        self._publish(
            self._topic,
            wrap(detection, key=segment.stream_id, producer=self._producer_id, event_id=event_id),
        )
        ready = max(0.0, self._clock() - segment.wall_clock.timestamp())
        metrics.LIVE_READY_SECONDS.labels(detector.name).observe(ready)
        log.info(
            "detection.published",
            stream_id=segment.stream_id,
            sequence=segment.sequence,
            executor=detection.executor.kind.value,
            fallback_from=[k.value for k in detection.executor.fallback_from],
            results=sum(len(f.results) for f in detection.frames),
            total_ms=detection.timings.total_ms,
            mode=verdict.mode.value,
            lag_s=round(verdict.lag_s, 3),
        )

    def _newer_waiting(self, segment: SegmentReady) -> bool:
        return self._newest is None or self._newest.newer_than(segment.stream_id, segment.sequence)

    def _yields(self, received: Received, now: float) -> bool:
        """Whether another stream of the segment's partition was analysed live less recently
        (or never) and has a fresh segment waiting, later in the partition (its earlier ones
        were taken already: a partition's segments are taken in order)."""
        if self._newest is None:
            return False
        stream_id = received.payload.stream_id
        mine = self._analysed_at.get(stream_id, -math.inf)
        for other in list(self._streams_of.get((received.topic, received.partition), ())):
            latest = self._newest.latest(other)
            if other == stream_id or latest is None:
                continue
            sequence, stored = latest
            waiting = sequence > self._taken_up_to.get(other, -1)
            fresh = now - stored <= self._shedder.max_lag_s
            if waiting and fresh and self._analysed_at.get(other, -math.inf) < mine:
                return True
        return False

    def _take(self, received: Received, now: float, newer_waiting: bool) -> Verdict:
        """The shedder's verdict on the segment; a skipped one's range is handed over."""
        segment: SegmentReady = received.payload
        self._streams_of[(received.topic, received.partition)].add(segment.stream_id)
        verdict = self._shedder.take(segment, now, newer_waiting, self._yields(received, now))
        self._taken_up_to[segment.stream_id] = segment.sequence
        if verdict.analyse:
            self._analysed_at[segment.stream_id] = now
        if self._backfill is not None and verdict.backfill is not None:
            self._backfill.hand_over(verdict.backfill)
        self._observe(segment.stream_id, verdict)
        if not verdict.analyse:
            log.info("segment.shed", stream_id=segment.stream_id, sequence=segment.sequence,
                     lag_s=round(verdict.lag_s, 3), shed_before=verdict.shed_before)  # fmt: skip
        return verdict

    def revoked(self, partitions: list[TopicPartition]) -> None:
        """Forget per-stream state of streams on partitions this member lost (what they
        skipped is handed over already)."""
        name = self._engine.detector.name
        for tp in partitions:
            streams = self._streams_of.pop((tp.topic, tp.partition), set())
            self._shedder.forget(streams)
            for stream_id in streams:
                self._taken_up_to.pop(stream_id, None)
                self._analysed_at.pop(stream_id, None)
                self._analyzers.forget(stream_id)
                metrics.LIVE_LAG.remove(name, stream_id)
                metrics.LIVE_DEGRADED.remove(name, stream_id)

    def _observe(self, stream_id: str, verdict: Verdict) -> None:
        name = self._engine.detector.name
        metrics.LIVE_LAG.labels(name, stream_id).set(verdict.lag_s)
        metrics.LIVE_PICKUP_SECONDS.labels(name).observe(verdict.lag_s)
        degraded = not verdict.analyse or verdict.mode is not AnalysisMode.full
        metrics.LIVE_DEGRADED.labels(name, stream_id).set(1 if degraded else 0)
        metrics.LIVE_SEGMENTS.labels(name, "analysed" if verdict.analyse else "shed").inc()
        metrics.SHED_RATIO.labels(name).set(self._shedder.shed_ratio(self._clock()))
