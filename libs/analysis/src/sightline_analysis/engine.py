"""The analysis engine: one SegmentReady in, one Detection out (pure of Kafka).

Fetch the segment from object storage, decode only the sampled frames, run the detector's
analyzers on the executor the stream's policy picks, and shape the answer as a Detection whose
frames carry stream time. The event id is derived from what the detection is about, so
reprocessing the same segment yields the same id and sinks deduplicate it.

An analyzer may find something on the previous segment's frames too (`Analyzer.late`: a logo
followed back across the boundary). Those frames' stream times are known only here, so the
engine remembers, per stream, the last segment it analysed (run, sequence, executor, frame
times) and adds late results as `earlier_frames` only when that was this run's segment just
before, analysed by the same executor (whose analyzers' state then holds exactly its frames);
otherwise (a segment shed or failed in between, a retry, another LAN host, another run of the
stream in this process, or either segment analysed while another of the stream was: callers
analyse a stream's segments one at a time, this keeps one that does not from mixing segments'
frames) they are dropped, and counted. A replay analyses stretches of a stream side by side,
each under a state key of its own (`analyse(state_key=)`): the analyzers keep each stretch's
state apart, and the engine remembers each stretch's last segment.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from sightline_analysis import metrics
from sightline_analysis.analyzers import LateResult
from sightline_analysis.decode import decode_sampled
from sightline_analysis.executors import AnalysisCall, ExecutorRouter
from sightline_analysis.executors.router import RoutedAnswer
from sightline_common.envelope import deterministic_event_id
from sightline_common.messages import (
    AnalysisInfo,
    AnalysisMode,
    AnalysisPolicy,
    Detection,
    DetectorInfo,
    ExecutorInfo,
    ExecutorKind,
    FrameResult,
    ResultItem,
    SegmentRef,
    Timings,
)

LIVE_RUN = "live"
REMEMBERED_STREAMS = 4096
"""How many streams' last analysed segment the engine keeps for late results (the least
recently analysed are forgotten first: their next segment's late results are dropped)."""


class SegmentSource(Protocol):
    """Where segment bytes come from (an `ObjectStore`)."""

    def get_bytes(self, bucket: str, key: str) -> bytes:
        """The whole object; raises MissingObjectError / StorageUnavailableError."""
        ...


class SegmentToAnalyse(Protocol):
    """What analysis needs of a segment: a SegmentReady, or a reference from the stored
    playlist when the topic no longer holds it."""

    @property
    def stream_id(self) -> str: ...
    @property
    def sequence(self) -> int: ...
    @property
    def bucket(self) -> str: ...
    @property
    def object_key(self) -> str: ...
    @property
    def media_start(self) -> float: ...
    @property
    def duration(self) -> float: ...


@dataclass(frozen=True)
class DetectorIdentity:
    """Name, version and configuration hash: what a detection says produced it."""

    name: str
    version: str
    config_hash: str

    def info(self) -> DetectorInfo:
        """As the schema's DetectorInfo."""
        return DetectorInfo(name=self.name, version=self.version, config_hash=self.config_hash)


def detection_event_id(
    detector: DetectorIdentity, run_id: str, stream_id: str, sequence: int
) -> uuid.UUID:
    """The deterministic event id of one detector's detection of one segment in one run."""
    return deterministic_event_id(
        "detection", detector.name, detector.config_hash, run_id, stream_id, sequence
    )


@dataclass(frozen=True)
class _Analysed:
    """What late results of a stream's next segment need of the segment analysed before."""

    run_id: str
    sequence: int
    executor: tuple[ExecutorKind, str | None]
    media_ts: tuple[float, ...]
    alone: bool
    """No other analysis of the stream ran beside it."""


@dataclass
class _Running:
    """One analysis in progress under a state key; `crowded` once another ran beside it."""

    key: str
    crowded: bool = False


class AnalysisEngine:
    """Turns segments into detections for one detector."""

    def __init__(
        self,
        detector: DetectorIdentity,
        router: ExecutorRouter,
        source: SegmentSource,
        keyframe_interval: float = 2.0,
    ) -> None:
        self.detector = detector
        self._router = router
        self._source = source
        self._keyframe_interval = keyframe_interval
        self._analysed: OrderedDict[str, _Analysed] = OrderedDict()
        self._runs: dict[str, list[_Running]] = {}
        self._analysed_lock = threading.Lock()

    def analyse(
        self,
        segment: SegmentToAnalyse,
        policy: AnalysisPolicy,
        run_id: str = LIVE_RUN,
        segment_event_id: str | None = None,
        analysis: AnalysisInfo | None = None,
        *,
        state_key: str | None = None,
    ) -> Detection:
        """The Detection for `segment`; `analysis` says how it came to be analysed (default:
        live at full rate), its `sample_fps` is always the policy's. The analyzers keep the
        per-stream state this analysis steps (tracks, the previous frame) under `state_key`,
        the stream's id by default: the segments analysed under one key must come one at a
        time and in stream order.

        Raises `MissingObjectError` / `CorruptMediaError` / an analyzer's `PermanentError`
        (dead letter), `StorageUnavailableError` / `ExecutorsExhaustedError` (retry).
        """
        started = time.perf_counter()
        data = self._source.get_bytes(segment.bucket, segment.object_key)
        fetched = time.perf_counter()
        frames = decode_sampled(data, policy.sample_fps, self._keyframe_interval,
                                duration=segment.duration, start=segment.media_start)  # fmt: skip
        decoded = time.perf_counter()
        media_ts = [round(segment.media_start + frame.offset, 3) for frame in frames]
        key = state_key or segment.stream_id
        with self._running(key) as running:
            answer = self._router.run(policy.executors, AnalysisCall(key, frames))
            earlier = self._earlier_frames(segment, run_id, answer, media_ts, running)
        done = time.perf_counter()
        self._observe(fetched - started, decoded - fetched, done - decoded)
        return Detection(
            stream_id=segment.stream_id,
            segment=SegmentRef(
                sequence=segment.sequence,
                bucket=segment.bucket,
                object_key=segment.object_key,
                media_start=segment.media_start,
                duration=segment.duration,
                segment_event_id=segment_event_id,
            ),
            run_id=run_id,
            detector=self.detector.info(),
            executor=ExecutorInfo(
                kind=answer.kind,
                host=answer.host,
                latency_ms=answer.latency_ms,
                fallback_from=answer.fallback_from,
            ),
            frames=[
                FrameResult(media_ts=ts, results=results)
                for ts, results in zip(media_ts, answer.results, strict=True)
            ],
            earlier_frames=earlier,
            timings=Timings(
                fetch_ms=_ms(fetched - started),
                decode_ms=_ms(decoded - fetched),
                analyze_ms=_ms(done - decoded),
                total_ms=_ms(done - started),
            ),
            analysis=_at_rate(analysis, policy.sample_fps),
        )

    @contextmanager
    def _running(self, key: str) -> Iterator[_Running]:
        """This analysis under state `key` among those running: each is marked `crowded` when
        another analysis under the key runs at any time beside it (its analyzer state then
        mixes segments)."""
        mine = _Running(key)
        with self._analysed_lock:
            others = self._runs.setdefault(key, [])
            for other in others:
                other.crowded = mine.crowded = True
            others.append(mine)
        try:
            yield mine
        finally:
            with self._analysed_lock:
                others[:] = [other for other in others if other is not mine]
                if not others:
                    del self._runs[key]

    def _earlier_frames(
        self,
        segment: SegmentToAnalyse,
        run_id: str,
        answer: RoutedAnswer,
        media_ts: Sequence[float],
        running: _Running,
    ) -> list[FrameResult]:
        """`answer.late` on the frames of the stream's previous segment, when the engine's last
        analysis under this state key was that segment in this run by this executor, and
        neither it nor this one ran beside another under the key; remembers this segment for
        the next (while still `running`, so an analysis that starts later sees it)."""
        executor = (answer.kind, answer.host)
        with self._analysed_lock:
            alone = not running.crowded
            before = self._analysed.pop(running.key, None)
            self._analysed[running.key] = _Analysed(
                run_id, segment.sequence, executor, tuple(media_ts), alone
            )
            while len(self._analysed) > REMEMBERED_STREAMS:
                self._analysed.popitem(last=False)
        if not answer.late:
            return []
        if (
            before is None
            or not (alone and before.alone)
            or (before.run_id, before.sequence, before.executor)
            != (run_id, segment.sequence - 1, executor)
        ):
            metrics.LATE_RESULTS.labels(self.detector.name, "dropped").inc(len(answer.late))
            return []
        metrics.LATE_RESULTS.labels(self.detector.name, "added").inc(len(answer.late))
        return _on_frames(answer.late, before.media_ts)

    def _observe(self, fetch: float, decode: float, analyze: float) -> None:
        for stage, seconds in (("fetch", fetch), ("decode", decode), ("analyze", analyze)):
            metrics.STAGE_SECONDS.labels(self.detector.name, stage).observe(seconds)
        metrics.SEGMENTS_ANALYSED.labels(self.detector.name).inc()


def _on_frames(late: Sequence[LateResult], media_ts: Sequence[float]) -> list[FrameResult]:
    """`late` results grouped on the frames (`media_ts`, in order) they are `ago` from the
    end of, in stream order (an `ago` beyond them is dropped)."""
    by_ts: dict[float, list[ResultItem]] = {}
    for result in late:
        if 1 <= result.ago <= len(media_ts):
            by_ts.setdefault(media_ts[-result.ago], []).append(result.item)
    return [FrameResult(media_ts=ts, results=items) for ts, items in sorted(by_ts.items())]


def _at_rate(analysis: AnalysisInfo | None, sample_fps: float) -> AnalysisInfo:
    """`analysis` (live at full rate when None) with the rate the frames were sampled at."""
    if analysis is None:
        return AnalysisInfo(
            mode=AnalysisMode.full,
            sample_fps=sample_fps,
            lag_s=None,
            shed_before=0,
            backfill_run_id=None,
        )
    return analysis.model_copy(update={"sample_fps": sample_fps})


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)
