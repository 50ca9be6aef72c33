"""One reanalysis run executed by one detector: read the range, analyse, publish, checkpoint.

The run builds its own analyzer set from its overrides (so its detections carry their own
configuration hash) and analyses on this worker's local executor: a LAN or cloud executor runs
its own configuration, which would not be the one under test. One execution may work through
several requests' ranges in turn (`RunWork`: the coordinator hands a stream's backfill ranges
over as one job), building the analyzer set and reading the logo library once for all of them:
that start-up took 1.5-5 s under load, more than a 1-2-segment backfill range's analysis.
The analyzers carry per-stream state from one segment to the next, so the segments analysed
under one state go one at a time and in stream order, as live analysis takes them; up to
`workers` stretches of the stream are analysed side by side, each under its own state, primed
by the segments before it (`stretches.py`). Detections are published and checkpointed in stream
order, so the committed position never passes a segment whose detection is not acknowledged.
Detection event ids are derived from (detector, config hash, run, stream, sequence): a segment
analysed twice after a crash yields the same event, which the sinks store once.

A segment that can never be analysed (corrupt, missing) is dead-lettered to `segments.dlq` as
the live detector's consumer loop would, before the run checkpoints past it. A backfill does the
live run's work, so it dead-letters under the live detector's group: the dead letter has the
event id live analysis would have given it (same record, same group), and one that live
analysis already produced (it failed on the segment, then shed it after a restart) is the same
event again, not a second one. A reanalysis run dead-letters under its own reader group, so
each run says which of its segments it could not analyse; a resumed run repeats its own event
ids. A segment read from the stored playlist (the topic no longer holds its record) has no
record to dead-letter: it is logged and counted as dropped.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import Protocol

import structlog
from pydantic import ValidationError

from sightline_analysis import metrics
from sightline_analysis.analyzers import AnalyzerRegistry
from sightline_analysis.engine import (
    LIVE_RUN,
    AnalysisEngine,
    DetectorIdentity,
    detection_event_id,
)
from sightline_analysis.executors import ExecutorRouter, build_executor
from sightline_analysis.policies import StreamPolicies
from sightline_analysis.replay.dead_letters import dead_letter
from sightline_analysis.replay.run_config import RunConfig, RunConfigError
from sightline_analysis.replay.segment_range import RangeItem, RangeSpec, SegmentRange
from sightline_analysis.replay.stored_range import stored_range
from sightline_analysis.replay.stretches import Stretches
from sightline_analysis.runtime import AnalyzerRuntime, build_analyzers
from sightline_analysis.settings import DetectorSettings
from sightline_common import metrics as common_metrics
from sightline_common.envelope import wrap
from sightline_common.errors import PermanentError, TransientError
from sightline_common.kafka import EventProducer
from sightline_common.messages import (
    AnalysisInfo,
    AnalysisMode,
    AnalysisPolicy,
    Detection,
    ExecutorKind,
    ReanalysisPurpose,
    ReanalysisRequest,
)
from sightline_common.storage import ObjectStore
from sightline_common.topics import Topic

log = structlog.get_logger(__name__)


class Outcome(StrEnum):
    """How a run's execution ended here."""

    completed = "completed"
    cancelled = "cancelled"
    stopped = "stopped"  # this worker stops or lost the request: another resumes it
    gave_way = "gave_way"  # a backfill stopped for a waiting reanalysis: resumed after it


@dataclass(frozen=True)
class ReplayContext:
    """What every run of one detector shares."""

    detector: str
    version: str
    analyzer_keys: tuple[str, ...]
    group_id: str
    settings: DetectorSettings
    store: ObjectStore
    policies: StreamPolicies
    producer: EventProducer


@dataclass
class RunSignals:
    """Set from outside while a run executes: cancel it, stop working on it here, or give way
    to a waiting reanalysis (a backfill: it resumes from its checkpoint afterwards)."""

    cancel: threading.Event
    stop: threading.Event
    give_way: threading.Event

    @classmethod
    def new(cls) -> RunSignals:
        """None set."""
        return cls(threading.Event(), threading.Event(), threading.Event())

    def halted(self) -> bool:
        """Whether the run must not take another segment."""
        return self.cancel.is_set() or self.stop.is_set() or self.give_way.is_set()

    def outcome(self) -> Outcome:
        """How an execution that ended now ended."""
        if self.cancel.is_set():
            return Outcome.cancelled
        if self.stop.is_set():
            return Outcome.stopped
        if self.give_way.is_set():
            return Outcome.gave_way
        return Outcome.completed


class RunWork(Protocol):
    """The requests one execution works through, in turn (all of one stream, purpose and
    config: they share one analyzer set)."""

    def next(self) -> ReanalysisRequest | None:
        """The next request whose range to analyse; None: the execution ends here."""
        ...

    def completed(self, request: ReanalysisRequest) -> None:
        """`request`'s range was analysed to its end and checkpointed."""
        ...


@dataclass
class SingleRequest:
    """The work of one request executed on its own."""

    request: ReanalysisRequest
    given: bool = False
    done: bool = False

    def next(self) -> ReanalysisRequest | None:
        """The request, once."""
        if self.given:
            return None
        self.given = True
        return self.request

    def completed(self, request: ReanalysisRequest) -> None:
        """Noted in `done`."""
        self.done = True


@dataclass(frozen=True)
class _Analysing:
    """What a run analyses with: its engine and identity, and how its analyzers drop a
    state they keep."""

    engine: AnalysisEngine
    identity: DetectorIdentity
    forget: Callable[[str], None]


@dataclass(frozen=True)
class _Range:
    """One request's range as this run analyses it: under which run its detections go, under
    which group its reader checkpoints and its dead letters are sent, and what tells its
    analyses to stop retrying (once its analysis ends: of its own, as the next range of the
    execution must retry again)."""

    request: ReanalysisRequest
    backfill: bool
    detections_run: str
    reader_group: str
    dead_letter_group: str
    abort: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def of(cls, request: ReanalysisRequest, group_id: str) -> _Range:
        """A backfill completes the live run (same event ids as live analysis would have used);
        a reanalysis forms a run of its own."""
        backfill = request.purpose is ReanalysisPurpose.backfill
        reader_group = f"{group_id}-replay-{request.run_id}"
        return cls(
            request,
            backfill,
            LIVE_RUN if backfill else request.run_id,
            reader_group,
            group_id if backfill else reader_group,
        )


class ReplayRun:
    """Executes the requests of `work` for this detector until done, cancelled or stopped."""

    def __init__(self, work: RunWork, context: ReplayContext, signals: RunSignals) -> None:
        self._work = work
        self._ctx = context
        self._signals = signals
        self._log = log.bind(detector=context.detector)
        self.analysed = 0

    def execute(self) -> Outcome:
        """Run to the end of every range `work` hands out; raises RunConfigError (bad
        overrides) or TransientError."""
        request = self._work.next()
        if request is None:
            return self._signals.outcome()
        ctx = self._ctx
        overrides = RunConfig.parse(
            request.config, ctx.analyzer_keys, AnalyzerRegistry.discover().keys
        )
        runtime = self._runtime(overrides)
        router = ExecutorRouter(
            ctx.detector,
            {ExecutorKind.local: build_executor({"type": "local"}, runtime.analyzers)},
            ctx.settings.breaker_failures,
            ctx.settings.breaker_reset_seconds,
        )
        identity = DetectorIdentity(ctx.detector, ctx.version, runtime.analyzers.fingerprint())
        engine = AnalysisEngine(identity, router, ctx.store, ctx.settings.keyframe_interval)
        analysing = _Analysing(engine, identity, runtime.analyzers.forget)
        metrics.REPLAY_RUNS.labels(ctx.detector).inc()
        try:
            runtime.start()
            self._await_tables(runtime)
            while request is not None and not self._signals.halted():
                self._analyse_range(request, overrides, analysing)
                if self._signals.halted():
                    break
                self._work.completed(request)
                request = self._work.next()
        finally:
            router.close()
            runtime.stop()
            metrics.REPLAY_RUNS.labels(ctx.detector).dec()
        return self._signals.outcome()

    def _analyse_range(
        self,
        request: ReanalysisRequest,
        overrides: RunConfig,
        analysing: _Analysing,
    ) -> None:
        """Analyse one request's range to its end (or until the run is halted)."""
        ctx = self._ctx
        bound = self._log.bind(run_id=request.run_id, stream_id=request.stream_id)
        policy = overrides.apply(ctx.policies.policy_for(request.stream_id))
        policy = policy.model_copy(update={"executors": [ExecutorKind.local]})
        current = _Range.of(request, ctx.group_id)
        reader = SegmentRange(
            bootstrap=ctx.settings.kafka_bootstrap,
            topic=ctx.settings.topics.name(Topic.SEGMENTS),
            group_id=current.reader_group,
            client_id=ctx.settings.producer_id,
            spec=RangeSpec(
                request.stream_id,
                request.media_from,
                request.media_to,
                request.wall_from,
                ctx.settings.replay_seek_slack,
            ),
            halted=self._signals.halted,
        )
        started, analysed_before = time.monotonic(), self.analysed
        bound.info(
            "replay.run_started",
            purpose=request.purpose.value,
            config_hash=analysing.identity.config_hash,
            media_from=request.media_from,
            media_to=request.media_to,
        )
        try:
            items, done = self._source(reader)
            self._pump(current, items, done, analysing, policy)
        finally:
            reader.close()
        bound.info(
            "replay.run_ended",
            outcome=self._signals.outcome().value,
            segments=self.analysed - analysed_before,
            seconds=round(time.monotonic() - started, 3),
        )

    def _runtime(self, overrides: RunConfig) -> AnalyzerRuntime:
        try:
            return build_analyzers(
                self._ctx.analyzer_keys, self._ctx.settings, self._ctx.store, overrides.analyzers
            )
        except ValidationError as exc:
            raise RunConfigError(f"config invalid: {exc.errors(include_url=False)}") from exc

    def _await_tables(self, runtime: AnalyzerRuntime) -> None:
        """Analyse nothing before the logo library is loaded (bounded wait)."""
        deadline = time.monotonic() + self._ctx.settings.follow_timeout
        while not runtime.caught_up() and not self._signals.halted():
            if time.monotonic() > deadline:
                raise TransientError("the logo library could not be read in time")
            time.sleep(0.05)

    def _source(
        self, reader: SegmentRange
    ) -> tuple[Iterable[RangeItem], Callable[[RangeItem], None]]:
        """The topic, unless retention may have cut the range: then the stored playlist."""
        if reader.open().retention_cut:
            bucket = self._ctx.settings.segments_bucket
            stored = stored_range(self._ctx.store, bucket, reader.spec)
            if stored:
                self._log.info("replay.stored_source", segments=len(stored))
                return [RangeItem(ref, None) for ref in stored], lambda _item: None
        return reader, reader.done

    def _pump(
        self,
        current: _Range,
        items: Iterable[RangeItem],
        done: Callable[[RangeItem], None],
        analysing: _Analysing,
        policy: AnalysisPolicy,
    ) -> None:
        """Analyse `items` in stretches side by side (`Stretches`), publishing in stream order.
        Halted (cancelled, giving way, stopped), analyses not started are dropped and what
        was analysed before the first of them is published: the checkpoint ends there."""
        settings = self._ctx.settings
        stretches = Stretches(
            current.request.stream_id,
            settings.replay_workers,
            settings.replay_stretch_segments,
            partial(self._analyse, current, analysing.engine, policy),
            analysing.forget,
        )
        in_flight: deque[tuple[RangeItem, Future[Detection]]] = deque()
        publish = partial(self._publish, current, done, analysing.identity)
        try:
            for item in items:
                if self._signals.halted():
                    break
                in_flight.append((item, stretches.submit(item)))
                if len(in_flight) >= stretches.ahead:
                    publish(*in_flight.popleft())
            while in_flight and not self._signals.halted():
                publish(*in_flight.popleft())
        finally:
            current.abort.set()
            stretches.close(cancel=True)
        # Halted: the analyses that ran before the first one dropped (none once stopped).
        while in_flight and not in_flight[0][1].cancelled() and not self._signals.stop.is_set():
            publish(*in_flight.popleft())

    def _analyse(
        self,
        current: _Range,
        engine: AnalysisEngine,
        policy: AnalysisPolicy,
        item: RangeItem,
        state_key: str,
    ) -> Detection:
        """The segment's detection; raises PermanentError when it can never be analysed."""
        analysis = (
            AnalysisInfo(
                mode=AnalysisMode.backfill,
                sample_fps=policy.sample_fps,
                lag_s=None,
                shed_before=0,
                backfill_run_id=current.request.run_id,
            )
            if current.backfill
            else None
        )
        return _retrying(
            lambda: engine.analyse(
                item.segment,
                policy,
                current.detections_run,
                item.event_id,
                analysis,
                state_key=state_key,
            ),
            current.abort,
            self._log.bind(run_id=current.request.run_id, sequence=item.segment.sequence),
        )

    def _publish(
        self,
        current: _Range,
        done: Callable[[RangeItem], None],
        identity: DetectorIdentity,
        item: RangeItem,
        future: Future[Detection],
    ) -> None:
        """Make the segment's outcome durable (detection or dead letter), then checkpoint."""
        try:
            detection = future.result()
        except AbortedError:
            return
        except PermanentError as exc:
            self._unanalysable(current, item, exc)
            done(item)
            return
        segment = item.segment
        event_id = detection_event_id(
            identity, current.detections_run, segment.stream_id, segment.sequence
        )
        self._ctx.producer.publish(
            self._ctx.settings.topics.name(Topic.DETECTIONS),
            wrap(
                detection,
                key=segment.stream_id,
                producer=self._ctx.settings.producer_id,
                event_id=event_id,
            ),
        )
        self._ctx.producer.flush()
        self.analysed += 1
        metrics.REPLAY_SEGMENTS.labels(self._ctx.detector).inc()
        if current.backfill:
            metrics.BACKFILL_SEGMENTS.labels(self._ctx.detector).inc()
        done(item)

    def _unanalysable(self, current: _Range, item: RangeItem, exc: PermanentError) -> None:
        """Dead-letter a segment that can never be analysed (see the module docstring)."""
        bound = self._log.bind(run_id=current.request.run_id, sequence=item.segment.sequence)
        error_type = type(exc).__name__
        if item.record is None:
            common_metrics.DEAD_LETTERS_DROPPED.labels(
                self._ctx.settings.topics.name(Topic.SEGMENTS), error_type
            ).inc()
            bound.error(
                "replay.segment_unanalysable",
                reason=exc.reason,
                error_type=error_type,
                not_dead_lettered_because="read from the stored playlist: no record to carry",
            )
            return
        dead_letter(
            self._ctx.producer,
            item.record,
            group=current.dead_letter_group,
            reason=exc.reason,
            error_type=error_type,
            client_id=self._ctx.settings.producer_id,
            log=bound,
        )


class AbortedError(Exception):
    """A segment's analysis gave up because the run stopped before it succeeded."""


def _retrying(
    attempt: Callable[[], Detection], stop: threading.Event, bound: structlog.BoundLogger
) -> Detection:
    """`attempt()` retried with back-off on TransientError until it succeeds or `stop` is set
    (AbortedError); a PermanentError (corrupt or missing segment) is raised to the caller."""
    backoff = 0.5
    while True:
        try:
            return attempt()
        except TransientError as exc:
            bound.warning("replay.segment_retry", reason=str(exc), backoff=backoff)
            if stop.wait(backoff):
                raise AbortedError from exc
            backoff = min(backoff * 2, 10.0)
