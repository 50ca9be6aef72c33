"""The alerts service's Prometheus metrics (process-global registry, defined once)."""

from __future__ import annotations

from prometheus_client import Counter

TRANSITIONS = Counter(
    "sightline_alerts_transitions_total", "Alerts fired or resolved", ["kind", "status"]
)
SKIPPED_INPUT = Counter(
    "sightline_alerts_skipped_input_total",
    "Input not evaluated (already applied, too old, another detector)",
    ["reason"],
)
WEBHOOK_ATTEMPTS = Counter(
    "sightline_alerts_webhook_attempts_total", "Webhook POSTs by outcome", ["outcome"]
)
WEBHOOK_FINAL = Counter(
    "sightline_alerts_webhook_deliveries_total", "Webhook deliveries by final status", ["status"]
)
