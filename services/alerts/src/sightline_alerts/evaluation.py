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
from datetime import UTC, datetime

import structlog
from confluent_kafka import TopicPartition

from sightline_alerts import metrics
from sightline_alerts.evaluator import (
    BRAND_KINDS,
    HEALTH_KINDS,
    PICTURE_KINDS,
    Transition,
    fold_detection,
    fold_segment,
    tick,
)
from sightline_alerts.rules import RuleBook
from sightline_alerts.state import StreamState, state_input, state_key
from sightline_common.envelope import deterministic_event_id, wrap
from sightline_common.kafka import EventProducer, Received
from sightline_common.messages import Alert, AlertKind, AlertState, Detection, SegmentReady
from sightline_common.topics import Topic, TopicNames

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]


def _input_of(item: Received, detections_topic: str) -> str:
    """Which state an input message drives: segments, or one detector's detections (each
    detector analyses the same segments, so each keeps its own stream clock)."""
    if item.topic != detections_topic:
        return Topic.SEGMENTS.value
    return state_input(item.payload.detector.name)


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
        self._detections = topics.name(Topic.DETECTIONS)
        self._segments = topics.name(Topic.SEGMENTS)

    def handle(self, item: Received) -> None:
        """Fold one input message; publish its transitions and the stream's new state."""
        payload = item.payload
        position = f"{item.topic}:{item.partition}"
        with self._lock:
            state = self._state(
                payload.stream_id, _input_of(item, self._detections), item.partition
            )
            if state.already_applied(position, item.offset):
                metrics.SKIPPED_INPUT.labels("applied").inc()
                return
            transitions = self._evaluate(state, item)
            state.applied[position] = item.offset
            state.partition = item.partition
            state.version += 1
            self._publish(state, transitions)

    def _evaluate(self, state: StreamState, item: Received) -> list[Transition]:
        age = (self._clock() - item.message.envelope.occurred_at).total_seconds()
        if age > self._max_age_s:
            metrics.SKIPPED_INPUT.labels("too_old").inc()
            return []
        payload = item.payload
        if isinstance(payload, SegmentReady):
            rules = self._rules.for_stream(payload.stream_id, HEALTH_KINDS)
            return fold_segment(state, rules, payload.wall_clock)
        assert isinstance(payload, Detection)
        name = payload.detector.name
        if payload.run_id != "live" or name not in self._detectors | self._picture_detectors:
            metrics.SKIPPED_INPUT.labels("not_live_rule_input").inc()
            return []
        kinds = frozenset[AlertKind]()
        if name in self._detectors:
            kinds |= BRAND_KINDS
        if name in self._picture_detectors:
            kinds |= PICTURE_KINDS
        return fold_detection(state, self._rules.for_stream(payload.stream_id, kinds), payload)

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
                    self._publish(state, transitions)
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

    def _publish(self, state: StreamState, transitions: list[Transition]) -> None:
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
        snapshot = wrap(state.to_message(), key=state.key, producer=self._producer_id)
        self._producer.publish(self._topics.name(Topic.ALERT_STATE), snapshot)
