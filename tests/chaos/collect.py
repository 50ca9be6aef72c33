"""Reading the run's evidence back from the real servers: Postgres (also while running, to time
recovery), Kafka (segments, detections, every dead-letter topic) and MinIO.
"""

from __future__ import annotations

import base64
import contextlib
import threading
import time
from collections.abc import Iterator
from typing import TypeVar

import psycopg
from minio import Minio
from pydantic import BaseModel

from sightline_common.envelope import Message, decode
from sightline_common.errors import PermanentError
from sightline_common.messages import DeadLetter, Detection, SegmentReady
from sightline_common.topics import Topic, TopicNames
from sightline_devstack.envfile import PlatformEnv
from sightline_testkit.kafka import read_all

from .evidence import (
    DeadLetterSeen,
    DetectionFact,
    Evidence,
    PublishedSegment,
    SegmentRow,
    StoredObject,
)
from .rig import http_ok

P = TypeVar("P", bound=BaseModel)


class ProgressMonitor:
    """Samples Postgres about once a second and remembers when each sequence of the stream
    first appeared in `segments` and, per detector, in `analysed_segments`. While Postgres is
    down it just tries again."""

    def __init__(self, dsn: str, stream_id: str, interval: float = 1.0) -> None:
        self._dsn = dsn
        self._stream_id = stream_id
        self._interval = interval
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="progress", daemon=True)
        self.segment_seen_at: dict[int, float] = {}
        self.analysed_seen_at: dict[str, dict[int, float]] = {}

    def start(self) -> None:
        """Start sampling."""
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join(15)

    def done(self, detectors: tuple[str, ...]) -> set[int]:
        """Sequences materialized and analysed by every detector so far."""
        with self._lock:
            done = set(self.segment_seen_at)
            for detector in detectors:
                done &= set(self.analysed_seen_at.get(detector, {}))
            return done

    def sample(self) -> None:
        """One look at the tables (raises psycopg.Error while Postgres is away)."""
        with psycopg.connect(self._dsn, connect_timeout=3) as conn:
            now = time.time()
            rows = conn.execute(
                "SELECT sequence FROM segments WHERE stream_id = %s", (self._stream_id,)
            ).fetchall()
            analysed = conn.execute(
                "SELECT detector_name, segment_sequence FROM analysed_segments"
                " WHERE stream_id = %s AND run_id = 'live'",
                (self._stream_id,),
            ).fetchall()
        with self._lock:
            for (seq,) in rows:
                self.segment_seen_at.setdefault(seq, now)
            for detector, seq in analysed:
                self.analysed_seen_at.setdefault(detector, {}).setdefault(seq, now)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            with contextlib.suppress(psycopg.Error):
                self.sample()


class HealthMonitor:
    """Polls every service's /readyz once a second, so a killed service's way back (down,
    then ready again) can be timed without holding up the next fault. Only the report shows
    that time, to the second; a probe costs the service 2-4 ms of CPU and the prober ~1 ms
    (results-api / detector-logo / ingest, 200 probes each, nproc 2), so twice a second over the
    short run's ~200 s and 6 services cost ~4-5 CPU-s more of the suite's shared CPU."""

    def __init__(self, urls: dict[str, str], interval: float = 1.0) -> None:
        self._urls = urls
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="health", daemon=True)
        self.samples: dict[str, list[tuple[float, bool]]] = {name: [] for name in urls}

    def start(self) -> None:
        """Start polling."""
        self._thread.start()

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()
        self._thread.join(10)

    def back_after(self, service: str, killed: float) -> float | None:
        """Seconds from `killed` until `service` answered ready again after being down."""
        was_down = False
        for t, ok in list(self.samples[service]):
            if t <= killed:
                continue
            if not ok:
                was_down = True
            elif was_down:
                return t - killed
        return None

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            for name, url in self._urls.items():
                self.samples[name].append((time.time(), http_ok(url, timeout=1.0)))


def read_postgres(dsn: str, evidence: Evidence) -> None:
    """Fill the table-backed parts of `evidence` (every stream: the checker filters)."""
    with psycopg.connect(dsn, connect_timeout=10) as conn:
        evidence.segment_rows = [
            SegmentRow(event_id, stream_id, seq, sha)
            for event_id, stream_id, seq, sha in conn.execute(
                "SELECT event_id, stream_id, sequence, sha256 FROM segments"
            )
        ]
        evidence.analysed_rows = [
            DetectionFact(event_id, detector, run_id, stream_id, seq)
            for event_id, detector, run_id, stream_id, seq in conn.execute(
                "SELECT event_id, detector_name, run_id, stream_id, segment_sequence"
                " FROM analysed_segments"
            )
        ]
        evidence.detection_rows = [
            DetectionFact(event_id, detector, run_id, stream_id, seq)
            for event_id, detector, run_id, stream_id, seq in conn.execute(
                "SELECT DISTINCT event_id, detector_name, run_id, stream_id, segment_sequence"
                " FROM detections"
            )
        ]


def read_kafka(bootstrap: str, topics: TopicNames, evidence: Evidence) -> None:
    """Fill the topic-backed parts of `evidence`; undecodable messages (the harness's own
    malformed ones) are skipped here, the dead letters account for them."""
    evidence.published = [
        PublishedSegment(m.event_id, p.stream_id, p.sequence, p.sha256, p.object_key, p.size_bytes)
        for m in _decoded(bootstrap, topics.name(Topic.SEGMENTS), SegmentReady)
        if (p := m.payload)
    ]
    evidence.detection_messages = [
        DetectionFact(
            m.event_id,
            d.detector.name,
            d.run_id,
            d.stream_id,
            d.segment.sequence,
            brand_hits=sum(
                r.kind == "logo" and r.label == evidence.brand
                for frame in d.frames
                for r in frame.results
            ),
            config_hash=d.detector.config_hash,
        )
        for m in _decoded(bootstrap, topics.name(Topic.DETECTIONS), Detection)
        if (d := m.payload)
    ]
    letters: list[DeadLetterSeen] = []
    for topic in Topic:
        dlq = topics.dlq(topics.name(topic))
        for m in _decoded(bootstrap, dlq, DeadLetter):
            dl = m.payload
            letters.append(
                DeadLetterSeen(
                    dlq_topic=dlq,
                    consumer_group=dl.consumer_group,
                    error_type=dl.error_type,
                    reason=dl.reason,
                    original=base64.b64decode(dl.original_b64),
                    event_id=dl.event_id,
                )
            )
    evidence.dead_letters = letters


def read_minio(env: PlatformEnv, prefix: str, evidence: Evidence) -> None:
    """Every `.ts` object under `prefix` in the segments bucket, with size and etag."""
    client = Minio(
        env.s3_endpoint, access_key=env.s3_access_key, secret_key=env.s3_secret_key, secure=False
    )
    evidence.stored = {
        obj.object_name: StoredObject(obj.object_name, obj.size or 0, obj.etag or "")
        for obj in client.list_objects(env.segments_bucket, prefix=prefix, recursive=True)
        if obj.object_name and obj.object_name.endswith(".ts")
    }


def _decoded(bootstrap: str, topic: str, model: type[P]) -> Iterator[Message[P]]:
    for raw in read_all(bootstrap, topic, timeout=60):
        with contextlib.suppress(PermanentError):
            yield decode(raw.value(), model)
