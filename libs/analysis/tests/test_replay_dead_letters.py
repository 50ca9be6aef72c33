"""A backfill or reanalysis run dead-letters a segment it can never analyse (#16), on the real
broker and MinIO.

Chaos found the gap: after a broker restart the live detector shed the injected garbage segment
as too old and handed it to a backfill run, which only logged it, so it never reached
`segments.dlq`. A backfill's dead letter must be the one live analysis would have produced
(same record, group and event id); a reanalysis run's is its own.
"""

from __future__ import annotations

import base64
import uuid

import pytest

from sightline_analysis.policies import StreamPolicies
from sightline_analysis.replay.run import (
    Outcome,
    ReplayContext,
    ReplayRun,
    RunSignals,
    SingleRequest,
)
from sightline_analysis.scenario import Scenario
from sightline_analysis.settings import DetectorSettings
from sightline_common.envelope import deterministic_event_id
from sightline_common.kafka import EventProducer
from sightline_common.messages import (
    DeadLetter,
    Detection,
    ReanalysisAction,
    ReanalysisPurpose,
    ReanalysisRequest,
)
from sightline_common.storage import ObjectStore
from sightline_common.topics import Topic
from sightline_testkit.kafka import read_all, read_messages
from sightline_testkit.plugin import Isolated

pytestmark = pytest.mark.integration

GARBAGE = b"\x47\x00garbage" * 500  # what the chaos run announces on `segments`
STREAM = "cam-dl"


def settings_of(isolated: Isolated) -> DetectorSettings:
    return DetectorSettings.model_validate(
        {k.removeprefix("SIGHTLINE_").lower(): v for k, v in isolated.env.items()}
    )


def execute(
    settings: DetectorSettings, producer: EventProducer, purpose: ReanalysisPurpose
) -> tuple[str, Outcome]:
    """One run of the `colours` detector over the whole stream; (run id, outcome)."""
    run_id = f"{purpose.value}-{uuid.uuid4().hex[:8]}"
    context = ReplayContext(
        detector="colours",
        version="0.1.0",
        analyzer_keys=("colours",),
        group_id=settings.topics.group("detector-colours"),
        settings=settings,
        store=ObjectStore.from_settings(settings),
        policies=StreamPolicies(),
        producer=producer,
    )
    request = ReanalysisRequest(
        run_id=run_id,
        action=ReanalysisAction.start,
        purpose=purpose,
        stream_id=STREAM,
        media_from=0,
        media_to=None,
        wall_from=None,
        wall_to=None,
        config={},
    )
    return run_id, ReplayRun(SingleRequest(request), context, RunSignals.new()).execute()


def test_an_unanalysable_segment_is_dead_lettered_by_backfill_as_live_would_and_by_a_rerun(
    isolated: Isolated, logo_segment: bytes
) -> None:
    settings = settings_of(isolated)
    scenario = Scenario(settings)
    scenario.add_segment(STREAM, 0, logo_segment)
    scenario.add_segment(STREAM, 1, GARBAGE)
    scenario.add_segment(STREAM, 2, logo_segment)
    segments = settings.topics.name(Topic.SEGMENTS)
    garbage_record = read_all(isolated.bootstrap, segments)[1]
    live_group = settings.topics.group("detector-colours")
    producer = EventProducer(settings.kafka_bootstrap, "test-replay")
    try:
        _, first = execute(settings, producer, ReanalysisPurpose.backfill)
        # The live detector sheds the range again after a restart: another backfill run.
        _, again = execute(settings, producer, ReanalysisPurpose.backfill)
        rerun_id, rerun = execute(settings, producer, ReanalysisPurpose.reanalysis)
    finally:
        producer.close()
    assert (first, again, rerun) == (Outcome.completed,) * 3

    letters = read_messages(isolated.bootstrap, f"{segments}.dlq")
    assert len(letters) == 3
    backfill, backfill_again, by_rerun = letters
    as_live = str(
        deterministic_event_id(
            "dead-letter", segments, garbage_record.partition(), garbage_record.offset(), live_group
        )
    )
    # The same event live analysis would have produced, however often a backfill meets it.
    assert str(backfill.event_id) == str(backfill_again.event_id) == as_live
    payload: DeadLetter = backfill.payload
    assert payload.consumer_group == live_group
    assert (payload.source_topic, payload.offset) == (segments, garbage_record.offset())
    assert base64.b64decode(payload.original_b64) == garbage_record.value()
    assert payload.error_type == "CorruptMediaError"
    assert payload.reason.strip()
    rerun_letter: DeadLetter = by_rerun.payload
    assert rerun_letter.consumer_group == f"{live_group}-replay-{rerun_id}"
    assert str(by_rerun.event_id) != as_live

    # The segments around it were analysed by every run.
    topic = settings.topics.name(Topic.DETECTIONS)
    detections: list[Detection] = [m.payload for m in read_messages(isolated.bootstrap, topic)]
    assert sorted((d.run_id, d.segment.sequence) for d in detections) == sorted(
        [("live", 0), ("live", 2)] * 2 + [(rerun_id, 0), (rerun_id, 2)]
    )
