"""Prometheus metrics shared by every service's consumer loop and executors.

Defined once at module level because prometheus_client's registry is process-global; labels
carry the topic/service so one scrape tells consumers apart.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

MESSAGES_CONSUMED = Counter(
    "sightline_messages_consumed_total", "Messages read from Kafka", ["topic", "group"]
)
MESSAGES_HANDLED = Counter(
    "sightline_messages_handled_total", "Messages whose effect is durable", ["topic", "group"]
)
DEAD_LETTERS = Counter(
    "sightline_dead_letters_total", "Messages routed to a dead-letter topic", ["topic", "error"]
)
HANDLER_RETRIES = Counter(
    "sightline_handler_retries_total", "Batches retried after a transient error", ["group"]
)
HANDLER_SECONDS = Histogram(
    "sightline_handler_seconds", "Time to handle one batch of messages", ["group"]
)
CONSUMER_READY = Gauge(
    "sightline_consumer_ready", "1 when the consumer reached the broker", ["group"]
)
DEAD_LETTERS_DROPPED = Counter(
    "sightline_dead_letters_dropped_total",
    "Unprocessable messages skipped without a dead letter (read from a dead-letter topic, or "
    "whose dead letter could not be produced); each one is logged",
    ["topic", "error"],
)
RETRIES_EXHAUSTED = Counter(
    "sightline_retries_exhausted_total",
    "Messages dead-lettered because a transient failure outlasted the retry policy",
    ["topic", "group"],
)
CONSUMER_LOOP_HEARTBEAT = Gauge(
    "sightline_consumer_loop_heartbeat_seconds",
    "Unix time of the consumer loop's last turn (a stuck loop stops moving it)",
    ["group"],
)
