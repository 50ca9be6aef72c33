"""Pure mapping from consumed messages to table rows (no Kafka, no database).

Each row carries the event id of its message (and, for detections, the index of the result item
in the message), which is what makes the sink idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sightline_common.kafka import Received
from sightline_common.messages import (
    DeadLetter,
    Detection,
    ExposureUpdate,
    SegmentReady,
    StreamLifecycle,
)

# Room for stream id and kind beside the label in one btree index entry (at most ~2.7 kB).
LABEL_MAX_BYTES = 1024

LIFECYCLE_COLUMNS = (
    "event_id",
    "stream_id",
    "status",
    "source_kind",
    "reason",
    "discontinuity",
    "occurred_at",
)
SEGMENT_COLUMNS = (
    "event_id",
    "stream_id",
    "sequence",
    "bucket",
    "object_key",
    "playlist_key",
    "media_start",
    "duration",
    "wall_clock",
    "size_bytes",
    "sha256",
    "width",
    "height",
    "codec",
    "discontinuity",
)
DETECTION_COLUMNS = (
    "event_id",
    "item_index",
    "stream_id",
    "run_id",
    "detector_name",
    "detector_version",
    "config_hash",
    "executor_kind",
    "segment_sequence",
    "media_ts",
    "frame_span",
    "kind",
    "label",
    "confidence",
    "box_x",
    "box_y",
    "box_w",
    "box_h",
    "area_share",
    "attributes",
    "occurred_at",
)

ANALYSED_COLUMNS = (
    "event_id",
    "stream_id",
    "run_id",
    "segment_sequence",
    "media_start",
    "detector_name",
    "detector_version",
    "occurred_at",
    "analysis_mode",
    "shed_before",
)
EXPOSURE_COLUMNS = (
    "stream_id",
    "run_id",
    "window_start",
    "window_end",
    "detections",
    "brands",
    "event_id",
    "occurred_at",
)

FAILURE_COLUMNS = ("event_id", "run_id", "reason", "occurred_at")

Row = tuple[Any, ...]


@dataclass
class RowBatch:
    """The rows one consumed batch adds, per table."""

    lifecycle: list[Row] = field(default_factory=list)
    segments: list[Row] = field(default_factory=list)
    detections: list[Row] = field(default_factory=list)
    exposure: list[Row] = field(default_factory=list)
    analysed: list[Row] = field(default_factory=list)
    failures: list[Row] = field(default_factory=list)

    def __len__(self) -> int:
        tables = (
            self.lifecycle,
            self.segments,
            self.detections,
            self.exposure,
            self.analysed,
            self.failures,
        )
        return sum(len(rows) for rows in tables)


def lifecycle_row(event_id: str, occurred_at: datetime, event: StreamLifecycle) -> Row:
    """The `lifecycle_events` row for one lifecycle message."""
    return (
        event_id,
        event.stream_id,
        event.status.value,
        event.source_kind.value,
        event.reason,
        event.discontinuity,
        occurred_at,
    )


def segment_row(event_id: str, segment: SegmentReady) -> Row:
    """The `segments` row for one SegmentReady message."""
    return (
        event_id,
        segment.stream_id,
        segment.sequence,
        segment.bucket,
        segment.object_key,
        segment.playlist_key,
        segment.media_start,
        segment.duration,
        segment.wall_clock,
        segment.size_bytes,
        segment.sha256,
        segment.width,
        segment.height,
        segment.codec,
        segment.discontinuity,
    )


def detection_rows(event_id: str, occurred_at: datetime, detection: Detection) -> list[Row]:
    """One `detections` row per result item, numbered in message order across frames, then
    across `earlier_frames` (rows of the previous segment's frames: its sequence, so its
    evidence and retention apply to them).

    A frame stands for `segment duration / frames sampled` seconds of stream time.
    """
    frame_span = detection.segment.duration / max(len(detection.frames), 1)
    sequence = detection.segment.sequence
    rows: list[Row] = []
    placed = [(sequence, f) for f in detection.frames]
    placed += [(sequence - 1, f) for f in detection.earlier_frames]
    for segment_sequence, frame in placed:
        for item in frame.results:
            box = item.box
            rows.append(
                (
                    event_id,
                    len(rows),
                    detection.stream_id,
                    detection.run_id,
                    detection.detector.name,
                    detection.detector.version,
                    detection.detector.config_hash,
                    detection.executor.kind.value,
                    segment_sequence,
                    frame.media_ts,
                    frame_span,
                    item.kind,
                    bounded_label(item.label),
                    item.confidence,
                    box.x if box else None,
                    box.y if box else None,
                    box.w if box else None,
                    box.h if box else None,
                    item.area_share,
                    item.attributes,
                    occurred_at,
                )
            )
    return rows


def bounded_label(label: str) -> str:
    """`label` cut to `LABEL_MAX_BYTES` of UTF-8 (at a character boundary).

    Labels are indexed (`ix_detections_kind_label`), and a btree entry cannot exceed about
    2.7 kB: an OCR label of a whole page of text would make the insert fail for good.
    """
    raw = label.encode()
    if len(raw) <= LABEL_MAX_BYTES:
        return label
    return raw[:LABEL_MAX_BYTES].decode(errors="ignore")


def analysed_row(event_id: str, occurred_at: datetime, detection: Detection) -> Row:
    """The `analysed_segments` row for one Detection message (results or not)."""
    return (
        event_id,
        detection.stream_id,
        detection.run_id,
        detection.segment.sequence,
        detection.segment.media_start,
        detection.detector.name,
        detection.detector.version,
        occurred_at,
        analysis.mode.value if (analysis := detection.analysis) else None,
        analysis.shed_before if analysis else 0,
    )


def exposure_row(event_id: str, occurred_at: datetime, update: ExposureUpdate) -> Row:
    """The `exposure_windows` row for one exposure update."""
    return (
        update.stream_id,
        update.run_id,
        update.window_start,
        update.window_end,
        update.detections,
        [brand.model_dump(mode="json") for brand in update.brands],
        event_id,
        occurred_at,
    )


def rows_for(messages: Iterable[Received]) -> RowBatch:
    """Sort a consumed batch into table rows; payload types it does not store are skipped."""
    batch = RowBatch()
    for received in messages:
        payload = received.payload
        envelope = received.message.envelope
        event_id = str(envelope.event_id)
        if isinstance(payload, Detection):
            batch.detections.extend(detection_rows(event_id, envelope.occurred_at, payload))
            batch.analysed.append(analysed_row(event_id, envelope.occurred_at, payload))
        elif isinstance(payload, SegmentReady):
            batch.segments.append(segment_row(event_id, payload))
        elif isinstance(payload, StreamLifecycle):
            batch.lifecycle.append(lifecycle_row(event_id, envelope.occurred_at, payload))
        elif isinstance(payload, ExposureUpdate):
            batch.exposure.append(exposure_row(event_id, envelope.occurred_at, payload))
        elif isinstance(payload, DeadLetter) and payload.original_key:
            # Only `reanalysis.dlq` is consumed: keyed by run id, a request a detector refused.
            row = (event_id, payload.original_key, payload.reason, envelope.occurred_at)
            batch.failures.append(row)
    return batch
