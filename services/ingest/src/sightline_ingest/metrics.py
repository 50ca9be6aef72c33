"""Ingest's Prometheus metrics (process-global, no per-stream labels to keep cardinality flat)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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
PROBE_TIMEOUTS = Counter(
    "sightline_ingest_probe_timeouts_total",
    "Segment probes that timed out (the segment is retried)",
)
SEGMENTS_QUARANTINED = Counter(
    "sightline_ingest_segments_quarantined_total", "Unreadable segments kept in quarantine storage"
)
SPOOL_FILES_MISSING = Counter(
    "sightline_ingest_spool_files_missing_total", "Spooled segments whose file vanished (skipped)"
)
SPOOL_BYTES = Gauge("sightline_ingest_spool_bytes", "Bytes held in the local spool")
SPOOL_LIMIT_BYTES = Gauge("sightline_ingest_spool_limit_bytes", "The spool's quota")
SPOOL_FILL = Gauge(
    "sightline_ingest_spool_fill_ratio", "Spool bytes over its quota (new publishes refused >= 0.9)"
)
READY_SECONDS = Histogram(
    "sightline_ingest_segment_ready_seconds",
    "From nginx closing a segment to its SegmentReady acknowledged by Kafka",
    buckets=(0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0),
)
