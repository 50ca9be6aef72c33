"""Prometheus metrics of the WebSocket fan-out (process-global, hence module level)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

CLIENTS = Gauge("sightline_notifier_clients", "Open WebSocket connections")
EVENTS = Counter("sightline_notifier_events_total", "Events read from Kafka", ["type"])
INVALID_MESSAGES = Counter(
    "sightline_notifier_invalid_messages_total", "Kafka messages skipped as invalid", ["topic"]
)
FRAMES_SENT = Counter("sightline_notifier_frames_sent_total", "Frames written to clients")
FRAMES_DROPPED = Counter(
    "sightline_notifier_frames_dropped_total", "Frames discarded from slow clients' outboxes"
)
STALLS = Counter(
    "sightline_notifier_stalls_total", "Times a client's socket did not drain within the timeout"
)
RESYNCS = Counter("sightline_notifier_resyncs_total", "Resumes that could not be replayed")
REJECTED = Counter("sightline_notifier_rejected_total", "Handshakes refused", ["reason"])
