"""The materializer: `streams`, `segments`, `detections`, `exposure` and `reanalysis.dlq`
(runs a detector refused) → Postgres.

A `ConsumerLoop` with a batch handler: each poll's messages become rows written in one
transaction by `BatchSink`; the loop commits offsets only after the handler returned, i.e.
after the transaction committed, so a crash anywhere replays the batch and the conflict clause
makes the replay a no-op. A database outage raises `TransientError`: the batch's partitions are
retried with back-off until the loop's `RetryPolicy` gives up on a message (then dead-lettered).
Data the database refuses (a bad value, a size limit) is a `PermanentError`: dead-lettered. A
record of `reanalysis.dlq` that cannot be read is logged, counted and skipped (no `.dlq.dlq`).
"""

from __future__ import annotations

import structlog
from prometheus_client import Counter

from sightline_common.kafka import ConsumerLoop, EventProducer, Received
from sightline_common.messages import (
    DeadLetter,
    Detection,
    ExposureUpdate,
    SegmentReady,
    StreamLifecycle,
)
from sightline_common.topics import Topic
from sightline_results_api.rows import rows_for
from sightline_results_api.settings import ResultsApiSettings
from sightline_results_api.sink import BatchSink

log = structlog.get_logger(__name__)

ROWS_WRITTEN = Counter(
    "sightline_results_rows_written_total",
    "Rows the materializer inserted (replayed rows are not counted).",
    ["table"],
)


class Materializer:
    """The batch handler: messages → rows → one idempotent transaction."""

    def __init__(self, sink: BatchSink) -> None:
        self._sink = sink

    def __call__(self, messages: list[Received]) -> None:
        """Write the batch; raises TransientError (retry) or PermanentError (isolate + DLQ)."""
        rows = rows_for(messages)
        result = self._sink.write(rows)
        ROWS_WRITTEN.labels("lifecycle_events").inc(result.lifecycle)
        ROWS_WRITTEN.labels("segments").inc(result.segments)
        ROWS_WRITTEN.labels("detections").inc(result.detections)
        ROWS_WRITTEN.labels("exposure_windows").inc(result.exposure)
        ROWS_WRITTEN.labels("analysed_segments").inc(result.analysed)
        ROWS_WRITTEN.labels("reanalysis_failures").inc(result.failures)
        log.debug(
            "materializer.batch_written",
            messages=len(messages),
            rows=len(rows),
            inserted_detections=result.detections,
        )


def build_consumer(
    settings: ResultsApiSettings, sink: BatchSink, producer: EventProducer
) -> ConsumerLoop:
    """The consumer loop over the three topics the read side materializes."""
    topics = settings.topics
    return ConsumerLoop(
        bootstrap=settings.kafka_bootstrap,
        group_id=settings.topics.group(settings.materializer_group),
        client_id=settings.producer_id,
        topics={
            topics.name(Topic.STREAMS): StreamLifecycle,
            topics.name(Topic.SEGMENTS): SegmentReady,
            topics.name(Topic.DETECTIONS): Detection,
            topics.name(Topic.EXPOSURE): ExposureUpdate,
            topics.dlq(topics.name(Topic.REANALYSIS)): DeadLetter,
        },
        producer=producer,
        batch_handler=Materializer(sink),
        batch_size=settings.materializer_batch_size,
        consumer_overrides={"session.timeout.ms": settings.materializer_session_timeout_ms},
    )
