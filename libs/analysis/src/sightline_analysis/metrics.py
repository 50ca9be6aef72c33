"""Executor and analysis metrics (process-global, labelled by detector)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EXECUTOR_CALLS = Counter(
    "sightline_executor_calls_total",
    "Executor calls by outcome (ok, failed, skipped: breaker open)",
    ["detector", "executor", "outcome"],
)
EXECUTOR_FALLBACKS = Counter(
    "sightline_executor_fallbacks_total",
    "Segments analysed by a later executor of the policy after an earlier one failed",
    ["detector", "from_executor", "to_executor"],
)
EXECUTOR_SECONDS = Histogram(
    "sightline_executor_seconds", "Latency of successful executor calls", ["detector", "executor"]
)
BREAKER_OPEN = Gauge(
    "sightline_executor_breaker_open",
    "1 while an executor's circuit is open",
    ["detector", "executor"],
)
SEGMENTS_ANALYSED = Counter(
    "sightline_segments_analysed_total", "Segments turned into a Detection", ["detector"]
)
LATE_RESULTS = Counter(
    "sightline_late_results_total",
    "Results an analyzer found on the previous segment's frames: added to the detection's "
    "earlier_frames, or dropped (that segment was not the last one analysed)",
    ["detector", "outcome"],
)
STAGE_SECONDS = Histogram(
    "sightline_analysis_stage_seconds", "Time per analysis stage", ["detector", "stage"]
)
REPLAY_SEGMENTS = Counter(
    "sightline_replay_segments_total", "Segments re-analysed for reanalysis runs", ["detector"]
)
REPLAY_RUNS = Gauge("sightline_replay_runs_active", "Reanalysis runs executing", ["detector"])
LOGO_REFERENCES = Gauge(
    "sightline_logo_references",
    "Logo-library references by state: usable (matched in frames) or unusable (undecodable, "
    "featureless or fully transparent; never matched, logged as logo.unusable)",
    ["state"],
)
LIVE_LAG = Gauge(
    "sightline_live_lag_seconds",
    "Age of a stream's latest live segment when the detector took it (stored -> picked up)",
    ["detector", "stream_id"],
)
LIVE_DEGRADED = Gauge(
    "sightline_live_degraded",
    "1 while a stream's live analysis is degraded (segments skipped under overload)",
    ["detector", "stream_id"],
)
LIVE_SEGMENTS = Counter(
    "sightline_live_segments_total",
    "Live segments by decision: analysed, or shed (skipped and handed to a backfill run)",
    ["detector", "decision"],
)
SHED_RATIO = Gauge(
    "sightline_live_shed_ratio",
    "Share of live segments shed over the last minute",
    ["detector"],
)
BACKFILL_REQUESTED = Counter(
    "sightline_backfill_segments_requested_total",
    "Shed segments handed to backfill runs (reanalysis topic, purpose backfill)",
    ["detector"],
)
BACKFILL_SEGMENTS = Counter(
    "sightline_backfill_segments_total",
    "Segments analysed by backfill runs (replay worker)",
    ["detector"],
)
_HOP_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 8.0, 16.0, 32.0, 64.0)
LIVE_PICKUP_SECONDS = Histogram(
    "sightline_live_pickup_seconds",
    "Live hop: segment stored by ingest -> taken by the detector (queueing), every live segment",
    ["detector"],
    buckets=_HOP_BUCKETS,
)
LIVE_READY_SECONDS = Histogram(
    "sightline_live_detection_ready_seconds",
    "Live hops together: segment stored by ingest -> its Detection handed to the producer",
    ["detector"],
    buckets=_HOP_BUCKETS,
)
