"""Ingest's Prometheus metrics (process-global, no per-stream labels to keep cardinality flat)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

PUBLISHES = Counter(
    "sightline_ingest_publishes_total", "nginx-rtmp publish callbacks by outcome", ["outcome"]
)
SEGMENTS_SPOOLED = Counter("sightline_ingest_segments_spooled_total", "Segments picked up")
SEGMENTS_READY = Counter(
    "sightline_ingest_segments_ready_total", "Segments stored and announced (SegmentReady)"
)
SEGMENTS_DEAD = Counter("sightline_ingest_segments_dead_total", "Unreadable segments dead-lettered")
SEGMENTS_LOST = Counter(
    "sightline_ingest_segments_lost_total", "Segments nginx removed before ingest saw them"
)
READY_SECONDS = Histogram(
    "sightline_ingest_segment_ready_seconds",
    "From nginx closing a segment to its SegmentReady acknowledged by Kafka",
    buckets=(0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0),
)
