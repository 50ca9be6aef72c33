"""The segments handler: publishes under the deterministic id, honours the stream policy."""

from __future__ import annotations

from confluent_kafka import TopicPartition

from sightline_analysis.analyzers import AnalyzerSet
from sightline_analysis.engine import AnalysisEngine, detection_event_id
from sightline_analysis.handler import SegmentHandler
from sightline_analysis.policies import StreamPolicies
from sightline_common.envelope import decode, encode, wrap
from sightline_common.kafka import Received
from sightline_common.messages import (
    AnalysisPolicy,
    Detection,
    Envelope,
    Source,
    SourceKind,
    StreamConfig,
)

from .conftest import segment


class Forgetting(AnalyzerSet):
    def __init__(self, inner: AnalyzerSet) -> None:
        super().__init__(inner.analyzers)
        self.forgotten: list[str] = []

    def forget(self, stream_id: str) -> None:
        self.forgotten.append(stream_id)


def received(partition: int = 3) -> Received:
    message = decode(encode(wrap(segment("logo.ts"), key="cam-1", producer="ingest")))
    return Received(message, "segments", partition, 0)


def handler(engine: AnalysisEngine, policies: StreamPolicies, sent: list, analyzers: AnalyzerSet):
    return SegmentHandler(
        engine=engine,
        analyzers=analyzers,
        policies=policies,
        publish=lambda topic, envelope: sent.append((topic, envelope)),
        detections_topic="detections",
        producer_id="detector-logo/test",
    )


def test_each_segment_is_published_under_the_same_id_every_time(
    engine: AnalysisEngine, logo_analyzers: AnalyzerSet
) -> None:
    sent: list[tuple[str, Envelope]] = []
    handle = handler(engine, StreamPolicies(), sent, logo_analyzers)
    handle(received())
    handle(received())
    (topic, first), (_, again) = sent
    assert topic == "detections"
    assert first.key == "cam-1"
    assert (
        first.event_id == again.event_id == detection_event_id(engine.detector, "live", "cam-1", 7)
    )
    assert Detection.model_validate(first.payload).frames[0].results[0].label == "acme"


def test_a_stream_whose_policy_leaves_out_this_detector_is_skipped(
    engine: AnalysisEngine, logo_analyzers: AnalyzerSet
) -> None:
    policies = StreamPolicies()
    policies.apply(
        "cam-1",
        StreamConfig(
            stream_id="cam-1",
            name="cam",
            key_hash="0" * 64,
            source=Source(kind=SourceKind.test, uri=None),
            policy=AnalysisPolicy.model_validate({"detectors": ["visual"]}),
            enabled=True,
        ),
    )
    sent: list[tuple[str, Envelope]] = []
    handler(engine, policies, sent, logo_analyzers)(received())
    assert sent == []


def test_losing_a_partition_forgets_the_state_of_its_streams(
    engine: AnalysisEngine, logo_analyzers: AnalyzerSet
) -> None:
    analyzers = Forgetting(logo_analyzers)
    handle = handler(engine, StreamPolicies(), [], analyzers)
    handle(received(partition=3))
    handle.revoked([TopicPartition("segments", 5)])
    assert analyzers.forgotten == []
    handle.revoked([TopicPartition("segments", 3)])
    assert analyzers.forgotten == ["cam-1"]
