"""Putting synthetic inputs onto a real platform: segments, logo-library entries, policies.

Used by the integration tests and the benchmark to drive detectors exactly as ingest and the
results API would (objects in MinIO, references on Kafka).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

from sightline_analysis.frames import Image
from sightline_analysis.wire import encode_image
from sightline_common.envelope import wrap
from sightline_common.hls import PLAYLIST_TYPE, StoredSegment, render_playlist
from sightline_common.kafka import EventProducer
from sightline_common.media_layout import playlist_key, segment_file_name, segment_object_key
from sightline_common.messages import (
    AnalysisPolicy,
    ExecutorKind,
    LogoEntry,
    SegmentReady,
    Source,
    SourceKind,
    StreamConfig,
)
from sightline_common.settings import ServiceSettings
from sightline_common.storage import ObjectStore
from sightline_common.topics import Topic


class Scenario:
    """Publishes inputs for detectors under one settings object (one topic prefix)."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.store = ObjectStore.from_settings(settings)
        self.producer = EventProducer(settings.kafka_bootstrap, "scenario")

    def add_logo(self, logo_id: str, brand: str, image: Image) -> LogoEntry:
        """Store a reference image and announce it on the logo-library topic."""
        data = base64.b64decode(encode_image(image, quality=95))
        key = f"logos/{logo_id}.jpg"
        self.store.put_bytes(self.settings.logos_bucket, key, data, "image/jpeg")
        entry = LogoEntry(
            logo_id=logo_id,
            brand=brand,
            bucket=self.settings.logos_bucket,
            object_key=key,
            sha256=hashlib.sha256(data).hexdigest(),
        )
        topic = self.settings.topics.name(Topic.LOGO_LIBRARY)
        self.producer.publish(topic, wrap(entry, key=logo_id, producer="scenario"))
        self.producer.flush()
        return entry

    def set_policy(
        self,
        stream_id: str,
        executors: list[ExecutorKind],
        sample_fps: float = 2,
        detectors: list[str] | None = None,
    ) -> None:
        """Publish a stream configuration whose policy routes to `executors` (and names the
        detectors that analyse it live: all by default)."""
        config = StreamConfig(
            stream_id=stream_id,
            name=stream_id,
            key_hash="0" * 64,
            source=Source(kind=SourceKind.test, uri=None),
            policy=AnalysisPolicy.model_validate(
                {
                    "executors": [e.value for e in executors],
                    "sample_fps": sample_fps,
                    **({} if detectors is None else {"detectors": detectors}),
                }
            ),
            enabled=True,
        )
        topic = self.settings.topics.name(Topic.STREAM_CONFIG)
        self.producer.publish(topic, wrap(config, key=stream_id, producer="scenario"))
        self.producer.flush()

    def add_segment(
        self,
        stream_id: str,
        sequence: int,
        data: bytes,
        duration: float = 2.0,
        *,
        store: bool = True,
    ) -> SegmentReady:
        """Store segment bytes where ingest stores them and publish its SegmentReady (media
        time = sequence * duration)."""
        key = segment_object_key(stream_id, sequence)
        if store:  # `store=False` announces a segment whose object is missing
            self.store.put_bytes(self.settings.segments_bucket, key, data, "video/mp2t")
        segment = SegmentReady(
            stream_id=stream_id,
            sequence=sequence,
            bucket=self.settings.segments_bucket,
            object_key=key,
            playlist_key=playlist_key(stream_id),
            media_start=sequence * duration,
            duration=duration,
            wall_clock=datetime.now(UTC),
            size_bytes=max(1, len(data)),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        topic = self.settings.topics.name(Topic.SEGMENTS)
        self.producer.publish(topic, wrap(segment, key=stream_id, producer="scenario"))
        self.producer.flush()
        return segment

    def store_playlist(self, stream_id: str, durations: Sequence[float]) -> None:
        """Write the stream's stored playlist as ingest does: segments 0..n-1, ended."""
        listed = [StoredSegment(segment_file_name(i), d) for i, d in enumerate(durations)]
        text = render_playlist(listed, ended=True)
        self.store.put_bytes(
            self.settings.segments_bucket, playlist_key(stream_id), text.encode(), PLAYLIST_TYPE
        )
