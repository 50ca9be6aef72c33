"""What a chaos run observed, as plain values: the checker's input, free of Kafka/MinIO/Postgres.

The run collects these from the real servers (`collect.py`); the checker's unit tests build them
by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class WrittenSegment:
    """An HLS segment nginx-rtmp wrote (listed in its playlist, so complete), as first seen."""

    name: str
    size: int
    mtime: float
    sha256: str
    md5: str


@dataclass(frozen=True)
class PublishedSegment:
    """A SegmentReady on the `segments` topic."""

    event_id: str
    stream_id: str
    sequence: int
    sha256: str
    object_key: str
    size: int


@dataclass(frozen=True)
class StoredObject:
    """An object in the segments bucket (MinIO's etag of a single PUT is the content's MD5)."""

    key: str
    size: int
    etag: str


@dataclass(frozen=True)
class SegmentRow:
    """A row of Postgres `segments`."""

    event_id: str
    stream_id: str
    sequence: int
    sha256: str


@dataclass(frozen=True)
class DetectionFact:
    """One Detection (a message on `detections`, a row of `analysed_segments`, or the distinct
    event of `detections` rows): what it is about and its event id."""

    event_id: str
    detector: str
    run_id: str
    stream_id: str
    sequence: int
    brand_hits: int | None = None  # frames' results naming the pushed logo (messages only)
    config_hash: str = ""  # the detector's configuration hash (messages only)


@dataclass(frozen=True)
class DeadLetterSeen:
    """A dead letter read back from a `<topic>.dlq`."""

    dlq_topic: str
    consumer_group: str
    error_type: str
    reason: str
    original: bytes
    event_id: str | None = None


@dataclass(frozen=True)
class BadInput:
    """Something the harness injected that must end in a dead-letter topic.

    `marker` is found in a dead letter's original bytes (the injected value itself, or for a
    corrupt HLS file its name, which ingest's dead letter describes). `expect_dlq` is False where
    no consumer of the topic dead-letters by design (compacted tables followed by every replica,
    which log and skip); those are reported, not failed.
    """

    label: str
    topic: str
    marker: bytes
    expect_dlq: bool = True


@dataclass(frozen=True)
class FaultRecord:
    """One injected fault: when it started and ended (wall clock), and what it did."""

    name: str
    started: float
    ended: float
    detail: str = ""
    service: str | None = None  # the service a kill was aimed at
    service_back_s: float | None = None  # until its /readyz answered again
    error: str | None = None


@dataclass
class Evidence:
    """Everything the checker compares, for the one stream the run pushed."""

    stream_id: str
    detectors: tuple[str, ...]
    brand: str = ""  # the logo always on screen: every logo detection must name it
    written: list[WrittenSegment] = field(default_factory=list)
    published: list[PublishedSegment] = field(default_factory=list)
    stored: dict[str, StoredObject] = field(default_factory=dict)
    segment_rows: list[SegmentRow] = field(default_factory=list)
    detection_messages: list[DetectionFact] = field(default_factory=list)
    detection_rows: list[DetectionFact] = field(default_factory=list)
    analysed_rows: list[DetectionFact] = field(default_factory=list)
    dead_letters: list[DeadLetterSeen] = field(default_factory=list)
    bad_inputs: list[BadInput] = field(default_factory=list)
    faults: list[FaultRecord] = field(default_factory=list)
    # When the harness first saw each sequence in Postgres: `segments` and, per detector,
    # `analysed_segments` (wall clock, sampled about once a second).
    segment_seen_at: dict[int, float] = field(default_factory=dict)
    analysed_seen_at: dict[str, dict[int, float]] = field(default_factory=dict)
