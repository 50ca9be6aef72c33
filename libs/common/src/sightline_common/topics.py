"""The one place where Sightline's Kafka topics are named and shaped.

Every producer, consumer, the local platform and the deployment manifests take topic names from
here, so a rename or a retention change happens once. A prefix lets tests (and tenants sharing a
cluster) work on their own isolated set of topics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

DAY_MS = 24 * 60 * 60 * 1000


class Topic(StrEnum):
    """Base names of the topics; the on-broker name is `prefix + base name`."""

    STREAMS = "streams"
    STREAM_CONFIG = "stream-config"
    SEGMENTS = "segments"
    DETECTIONS = "detections"
    REANALYSIS = "reanalysis"
    LOGO_LIBRARY = "logo-library"
    EXPOSURE = "exposure"
    API_TOKENS = "api-tokens"
    ALERT_RULES = "alert-rules"
    ALERTS = "alerts"
    ALERT_DELIVERIES = "alert-deliveries"
    ALERT_STATE = "alert-state"
    ALERT_PROGRESS = "alert-progress"


@dataclass(frozen=True)
class TopicSpec:
    """How a topic is created: partitions for parallelism, retention for replay."""

    topic: Topic
    partitions: int
    retention_ms: int
    compacted: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def config(self) -> dict[str, str]:
        """Broker-side topic configuration."""
        cfg = {
            "cleanup.policy": "compact" if self.compacted else "delete",
            "retention.ms": str(-1 if self.compacted else self.retention_ms),
        }
        cfg.update(self.extra)
        return cfg


# Partition counts bound how far each consumer group scales out: detectors are the heaviest
# consumers, so `segments` gets the most. Compacted topics keep the latest state per key forever.
TOPIC_SPECS: tuple[TopicSpec, ...] = (
    TopicSpec(Topic.STREAMS, partitions=6, retention_ms=30 * DAY_MS),
    TopicSpec(Topic.STREAM_CONFIG, partitions=3, retention_ms=-1, compacted=True),
    TopicSpec(Topic.SEGMENTS, partitions=12, retention_ms=30 * DAY_MS),
    TopicSpec(Topic.DETECTIONS, partitions=12, retention_ms=30 * DAY_MS),
    TopicSpec(Topic.REANALYSIS, partitions=3, retention_ms=30 * DAY_MS),
    TopicSpec(Topic.LOGO_LIBRARY, partitions=1, retention_ms=-1, compacted=True),
    TopicSpec(Topic.EXPOSURE, partitions=6, retention_ms=30 * DAY_MS),
    TopicSpec(Topic.API_TOKENS, partitions=1, retention_ms=-1, compacted=True),
    TopicSpec(Topic.ALERT_RULES, partitions=1, retention_ms=-1, compacted=True),
    TopicSpec(Topic.ALERTS, partitions=6, retention_ms=30 * DAY_MS),
    TopicSpec(Topic.ALERT_DELIVERIES, partitions=3, retention_ms=-1, compacted=True),
    TopicSpec(Topic.ALERT_STATE, partitions=6, retention_ms=-1, compacted=True),
    # Members' progress of pacing rules over a set of streams, keyed by the set's first stream:
    # the summing evaluator keeps what it needs in `alert-state`, so a week is plenty.
    TopicSpec(Topic.ALERT_PROGRESS, partitions=6, retention_ms=7 * DAY_MS),
)

DLQ_SUFFIX = ".dlq"
DLQ_PARTITIONS = 1
DLQ_RETENTION_MS = 30 * DAY_MS


@dataclass(frozen=True)
class TopicNames:
    """Resolves base topic names to on-broker names under one prefix."""

    prefix: str = ""

    def name(self, topic: Topic) -> str:
        """The on-broker name of `topic`."""
        return f"{self.prefix}{topic.value}"

    def group(self, name: str) -> str:
        """A consumer group's name under the same prefix: deployments (and tests) sharing a
        broker must not share groups, or each one's members rebalance the other's."""
        return f"{self.prefix}{name}"

    def dlq(self, topic_name: str) -> str:
        """The dead-letter topic for an on-broker topic name."""
        return f"{topic_name}{DLQ_SUFFIX}"

    def all_names(self) -> dict[str, dict[str, str | int]]:
        """Every topic and dead-letter topic with its partitions and config, for creation."""
        out: dict[str, dict[str, str | int]] = {}
        for spec in TOPIC_SPECS:
            name = self.name(spec.topic)
            out[name] = {"partitions": spec.partitions, **spec.config()}
            out[self.dlq(name)] = {
                "partitions": DLQ_PARTITIONS,
                "cleanup.policy": "delete",
                "retention.ms": str(DLQ_RETENTION_MS),
            }
        return out
