"""The evaluator's Kafka side: folds `detections` and `segments` into per-stream state, runs
the clock for stream health, and publishes alerts together with the state's changelog record.

Exactly-once effect under at-least-once input: a message's alerts and the state after it are
produced (and flushed by the consumer loop) before its offset is stored. A crash after the
produce and before the commit redelivers the message; the restored state says it is already
applied, so it is skipped. A crash before the state is durable re-derives the same transitions
with the same alert ids (`episode` in the state) and the same event ids, which every sink
drops as duplicates.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from confluent_kafka import TopicPartition

from sightline_alerts import metrics
from sightline_alerts.evaluator import (
    BRAND_KINDS,
    HEALTH_KINDS,
    PICTURE_KINDS,
    fold_detection,
    fold_segment,
    tick,
)
from sightline_alerts.pacing import fold_member, fold_progress, segment_wall_end
from sightline_alerts.rules import RuleBook
from sightline_alerts.state import StreamState, state_input, state_key
from sightline_alerts.transitions import Transition
from sightline_common.envelope import deterministic_event_id, wrap
from sightline_common.kafka import EventProducer, Received
from sightline_common.messages import (
    Alert,
    AlertKind,
    AlertProgress,
    AlertState,
    Detection,
    SegmentReady,
)
from sightline_common.topics import Topic, TopicNames

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]


def _input_of(item: Received) -> str:
    """Which state an input message drives: segments, set-pacing progress, or one detector's
    detections (each detector analyses the same segments, so each keeps its own stream clock)."""
    if isinstance(item.payload, SegmentReady):
        return Topic.SEGMENTS.value
    if isinstance(item.payload, AlertProgress):
        return Topic.ALERT_PROGRESS.value
    return state_input(item.payload.detector.name)


@dataclass
class _Outcome:
    """What one input caused: alert transitions, and set-pacing progress for other members."""

    transitions: list[Transition] = field(default_factory=list)
    progress: list[AlertProgress] = field(default_factory=list)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AlertEvaluator:
    """Handler of the evaluator's consumer loop (`handle`), restorer of its changelog
    (`restore`), and the stream-health clock (`tick_owned`)."""

    def __init__(
        self,
        *,
        rules: RuleBook,
        producer: EventProducer,
        topics: TopicNames,
        producer_id: str,
        detectors: frozenset[str],
        picture_detectors: frozenset[str],
        max_input_age_s: float,
        clock: Clock = _utc_now,
    ) -> None:
        self._rules = rules
        self._producer = producer
        self._topics = topics
        self._producer_id = producer_id
        self._detectors = detectors
        self._picture_detectors = picture_detectors
        self._max_age_s = max_input_age_s
        self._clock = clock
        self._states: dict[str, StreamState] = {}
        self._owned: set[tuple[str, int]] = set()
        self._lock = threading.Lock()
        self._segments = topics.name(Topic.SEGMENTS)

    def handle(self, item: Received) -> None:
        """Fold one input message; publish its transitions and the stream's new state."""
        payload = item.payload
        position = f"{item.topic}:{item.partition}"
        with self._lock:
            state = self._state(payload.stream_id, _input_of(item), item.partition)
            if state.already_applied(position, item.offset):
                metrics.SKIPPED_INPUT.labels("applied").inc()
                return
            outcome = self._evaluate(state, item)
            state.applied[position] = item.offset
            state.partition = item.partition
            state.version += 1
            self._publish(state, outcome.transitions, outcome.progress)

    def _evaluate(self, state: StreamState, item: Received) -> _Outcome:
        published_at = item.message.envelope.occurred_at
        if (self._clock() - published_at).total_seconds() > self._max_age_s:
            metrics.SKIPPED_INPUT.labels("too_old").inc()
            return _Outcome()
        payload = item.payload
        if isinstance(payload, SegmentReady):
            rules = self._rules.for_stream(payload.stream_id, HEALTH_KINDS)
            return _Outcome(fold_segment(state, rules, payload.wall_clock))
        if isinstance(payload, AlertProgress):
            return _Outcome(self._sum_members(state, payload))
        assert isinstance(payload, Detection)
        return self._detection(state, payload, published_at)

    def _sum_members(self, state: StreamState, progress: AlertProgress) -> list[Transition]:
        rule = self._rules.get(progress.rule_id)
        if rule is None or not rule.enabled:
            return []
        return fold_progress(state, rule, progress)

    def _detection(
        self, state: StreamState, payload: Detection, published_at: datetime
    ) -> _Outcome:
        name = payload.detector.name
        if payload.run_id != "live" or name not in self._detectors | self._picture_detectors:
            metrics.SKIPPED_INPUT.labels("not_live_rule_input").inc()
            return _Outcome()
        kinds = frozenset[AlertKind]()
        if name in self._detectors:
            kinds |= BRAND_KINDS
        if name in self._picture_detectors:
            kinds |= PICTURE_KINDS
        rules = self._rules.for_stream(payload.stream_id, kinds)
        transitions = fold_detection(state, rules, payload)
        if name not in self._detectors:
            return _Outcome(transitions)
        members = self._rules.with_member(payload.stream_id)
        wall_end = segment_wall_end(payload, published_at)
        return _Outcome(transitions, fold_member(state, members, payload, wall_end))

    def tick_owned(self) -> None:
        """Run the stream-health clock over the streams whose segments this replica owns."""
        now = self._clock()
        published = False
        with self._lock:
            for state in list(self._states.values()):
                if state.input != Topic.SEGMENTS.value:
                    continue
                if (self._segments, state.partition) not in self._owned:
                    continue
                rules = self._rules.for_stream(state.stream_id, HEALTH_KINDS)
                transitions = tick(state, rules, now)
                if transitions:
                    state.version += 1
                    self._publish(state, transitions, [])
                    published = True
        if published:
            self._producer.flush()

    def restore(self, key: str, record: AlertState | None) -> None:
        """Apply a changelog record (at start: all of them; later: other replicas' newer
        ones). This replica's own records come back older than or equal to what it holds."""
        with self._lock:
            if record is None:
                self._states.pop(key, None)
                return
            held = self._states.get(key)
            if held is None or record.version > held.version:
                self._states[key] = StreamState.from_message(record)

    def assigned(self, partitions: list[TopicPartition]) -> None:
        """Consumer-loop callback: these partitions are this replica's now."""
        with self._lock:
            self._owned.update((tp.topic, tp.partition) for tp in partitions)

    def revoked(self, partitions: list[TopicPartition]) -> None:
        """Consumer-loop callback: these partitions went to another replica."""
        with self._lock:
            self._owned.difference_update((tp.topic, tp.partition) for tp in partitions)

    def _state(self, stream_id: str, base: str, partition: int) -> StreamState:
        key = state_key(stream_id, base)
        state = self._states.get(key)
        if state is None:
            state = self._states[key] = StreamState(stream_id, base, partition)
        return state

    def _publish(
        self, state: StreamState, transitions: list[Transition], progress: list[AlertProgress]
    ) -> None:
        """Produce the transitions, the progress records and then the state (the consumer loop
        flushes all of them before it stores the input offset)."""
        now = self._clock()
        for t in transitions:
            alert = Alert(
                alert_id=t.alert_id,
                rule_id=t.rule.rule_id,
                rule_name=t.rule.name,
                kind=t.rule.kind,
                stream_id=t.stream_id,
                status=t.status,
                brand=t.brand,
                at=now,
                evidence=t.evidence,
            )
            envelope = wrap(
                alert,
                key=t.stream_id,
                producer=self._producer_id,
                event_id=deterministic_event_id("alert-transition", t.alert_id, t.status.value),
                occurred_at=now,
            )
            self._producer.publish(self._topics.name(Topic.ALERTS), envelope)
            metrics.TRANSITIONS.labels(t.rule.kind.value, t.status.value).inc()
            log.info(
                "alerts.transition",
                alert_id=t.alert_id,
                rule_id=t.rule.rule_id,
                stream_id=t.stream_id,
                status=t.status.value,
                brand=t.brand,
            )
        for figure in progress:
            envelope = wrap(figure, key=figure.stream_id, producer=self._producer_id)
            self._producer.publish(self._topics.name(Topic.ALERT_PROGRESS), envelope)
        snapshot = wrap(state.to_message(), key=state.key, producer=self._producer_id)
        self._producer.publish(self._topics.name(Topic.ALERT_STATE), snapshot)
