"""The segments handler: publishes under the deterministic id, honours the stream policy."""

from __future__ import annotations

from confluent_kafka import TopicPartition

from sightline_analysis.analyzers import AnalyzerSet
from sightline_analysis.backfill import BackfillRequests
from sightline_analysis.engine import AnalysisEngine, detection_event_id
from sightline_analysis.handler import SegmentHandler
from sightline_analysis.policies import StreamPolicies
from sightline_analysis.shedding import LiveShedder
from sightline_common.envelope import Message, decode, encode, wrap
from sightline_common.kafka import Received
from sightline_common.messages import (
    AnalysisMode,
    AnalysisPolicy,
    Detection,
    Envelope,
    ReanalysisPurpose,
    ReanalysisRequest,
    SegmentReady,
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
    message: Message[SegmentReady] = decode(
        encode(wrap(segment("logo.ts"), key="cam-1", producer="ingest"))
    )
    return Received(message, "segments", partition, 0)


def handler(
    engine: AnalysisEngine,
    policies: StreamPolicies,
    sent: list[tuple[str, Envelope]],
    analyzers: AnalyzerSet,
) -> SegmentHandler:
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


def visual_only() -> StreamPolicies:
    """Policies where cam-1 is analysed by the visual detector only."""
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
    return policies


def test_a_stream_whose_policy_leaves_out_this_detector_is_skipped(
    engine: AnalysisEngine, logo_analyzers: AnalyzerSet
) -> None:
    policies = visual_only()
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


def test_a_stale_segment_is_handed_to_a_backfill_and_the_next_says_it_was_degraded(
    engine: AnalysisEngine, logo_analyzers: AnalyzerSet
) -> None:
    sent: list[tuple[str, Envelope]] = []
    stored_at = segment("logo.ts").wall_clock.timestamp()
    now = [stored_at + 10]  # the detector reaches the segment 10 s after it was stored
    handle = SegmentHandler(
        engine=engine,
        analyzers=logo_analyzers,
        policies=StreamPolicies(),
        publish=lambda topic, envelope: sent.append((topic, envelope)),
        detections_topic="detections",
        producer_id="detector-logo/test",
        shedder=LiveShedder(max_lag_s=4),
        backfill=BackfillRequests(
            detector="logo",
            publish=lambda topic, envelope: sent.append((topic, envelope)),
            topic="reanalysis",
            producer_id="detector-logo/test",
        ),
        clock=lambda: now[0],
    )
    handle(received())  # skipped: no fetch, no decode; its backfill is requested at once
    now[0] = stored_at + 1
    handle(received())
    (request_topic, request), (detection_topic, detection) = sent
    assert request_topic == "reanalysis"
    backfill = ReanalysisRequest.model_validate(request.payload)
    assert backfill.purpose is ReanalysisPurpose.backfill
    assert backfill.detectors == ["logo"]
    assert (backfill.stream_id, backfill.media_from, backfill.media_to) == ("cam-1", 14.0, 15.0)
    assert request.key == backfill.run_id == "backfill-logo-cam-1-7"
    assert detection_topic == "detections"
    analysis = Detection.model_validate(detection.payload).analysis
    assert analysis is not None
    assert (analysis.mode, analysis.shed_before, analysis.sample_fps) == (
        AnalysisMode.degraded,
        1,
        2,
    )


def test_the_loop_thread_skips_a_stale_segment_at_once_and_leaves_a_fresh_one_to_analyse(
    engine: AnalysisEngine, logo_analyzers: AnalyzerSet
) -> None:
    """`handled_at_once` (asked by the consumer loop before a segment waits for a thread)
    sheds what `__call__` would shed, recording it once, and never analyses."""
    sent: list[tuple[str, Envelope]] = []
    stored_at = segment("logo.ts").wall_clock.timestamp()
    now = [stored_at + 1]

    def publish(topic: str, envelope: Envelope) -> None:
        sent.append((topic, envelope))

    handle = SegmentHandler(
        engine=engine,
        analyzers=logo_analyzers,
        policies=StreamPolicies(),
        publish=publish,
        detections_topic="detections",
        producer_id="detector-logo/test",
        shedder=LiveShedder(max_lag_s=4),
        backfill=BackfillRequests(
            detector="logo", publish=publish, topic="reanalysis", producer_id="detector-logo/test"
        ),
        clock=lambda: now[0],
    )
    assert handle.handled_at_once(received()) is False  # fresh: it needs a thread
    assert sent == []
    now[0] = stored_at + 10
    assert handle.handled_at_once(received()) is True  # stale: skipped here and now
    assert [topic for topic, _ in sent] == ["reanalysis"]
    now[0] = stored_at + 1
    handle(received())  # the next one analysed says one segment was skipped before it
    analysis = Detection.model_validate(sent[-1][1].payload).analysis
    assert analysis is not None
    assert (analysis.mode, analysis.shed_before) == (AnalysisMode.degraded, 1)


def test_the_loop_thread_skips_a_stream_whose_policy_leaves_out_this_detector(
    engine: AnalysisEngine, logo_analyzers: AnalyzerSet
) -> None:
    policies = visual_only()
    sent: list[tuple[str, Envelope]] = []
    assert handler(engine, policies, sent, logo_analyzers).handled_at_once(received()) is True
    assert sent == []
