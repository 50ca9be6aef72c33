"""The segments consumer's handler: a SegmentReady in, a Detection published out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import structlog
from confluent_kafka import TopicPartition

from sightline_analysis.analyzers import AnalyzerSet
from sightline_analysis.engine import LIVE_RUN, AnalysisEngine, detection_event_id
from sightline_analysis.policies import StreamPolicies
from sightline_common.envelope import wrap
from sightline_common.kafka import Received
from sightline_common.messages import Envelope, SegmentReady

log = structlog.get_logger(__name__)

Publish = Callable[[str, Envelope], None]


class SegmentHandler:
    """Analyses each segment whose stream policy includes this detector and publishes the
    Detection under its deterministic event id; errors propagate to the consumer loop (which
    dead-letters permanent ones and retries transient ones)."""

    def __init__(
        self,
        *,
        engine: AnalysisEngine,
        analyzers: AnalyzerSet,
        policies: StreamPolicies,
        publish: Publish,
        detections_topic: str,
        producer_id: str,
    ) -> None:
        self._engine = engine
        self._analyzers = analyzers
        self._policies = policies
        self._publish = publish
        self._topic = detections_topic
        self._producer_id = producer_id
        self._streams_of: defaultdict[tuple[str, int], set[str]] = defaultdict(set)

    def __call__(self, received: Received) -> None:
        """Handle one SegmentReady."""
        segment: SegmentReady = received.payload
        detector = self._engine.detector
        policy = self._policies.policy_for(segment.stream_id)
        if detector.name not in policy.detectors:
            return
        self._streams_of[(received.topic, received.partition)].add(segment.stream_id)
        detection = self._engine.analyse(segment, policy, LIVE_RUN, received.event_id)
        event_id = detection_event_id(detector, LIVE_RUN, segment.stream_id, segment.sequence)
        self._publish(
            self._topic,
            wrap(detection, key=segment.stream_id, producer=self._producer_id, event_id=event_id),
        )
        log.info(
            "detection.published",
            stream_id=segment.stream_id,
            sequence=segment.sequence,
            executor=detection.executor.kind.value,
            fallback_from=[k.value for k in detection.executor.fallback_from],
            results=sum(len(f.results) for f in detection.frames),
            total_ms=detection.timings.total_ms,
        )

    def revoked(self, partitions: list[TopicPartition]) -> None:
        """Forget per-stream analyzer state of streams on partitions this member lost."""
        for tp in partitions:
            for stream_id in self._streams_of.pop((tp.topic, tp.partition), set()):
                self._analyzers.forget(stream_id)
