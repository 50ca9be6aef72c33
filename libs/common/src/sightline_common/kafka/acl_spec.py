"""Who may do what on the broker: each service's principal, the topics it reads and writes, the
consumer groups it joins. The one source of the ACLs, for the devstack broker, the tests and
the Strimzi `KafkaUser`s (`deploy/render_kafka_users.py`).

Derived from what each service's code consumes and produces. The control topics are the point:
only results-api writes `stream-config` (ingest authorises RTMP keys from it), `api-tokens`
(the notifier admits WebSocket clients from it) and `logo-library`; the notifier writes nothing.
A consumer that dead-letters writes `<topic>.dlq` of each topic it consumes through the loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sightline_common.topics import Topic, TopicNames


class Resource(StrEnum):
    """Kafka ACL resource types Sightline grants on."""

    TOPIC = "topic"
    GROUP = "group"


class Pattern(StrEnum):
    """Whether a grant's name is the whole resource name or a prefix of it."""

    LITERAL = "literal"
    PREFIXED = "prefixed"


class Operation(StrEnum):
    """Kafka ACL operations (Read and Write imply Describe on the broker)."""

    READ = "Read"
    WRITE = "Write"
    DESCRIBE = "Describe"
    CREATE = "Create"


@dataclass(frozen=True)
class Grant:
    """One ALLOW ACL for a principal: `operation` on `resource` named (or prefixed) `name`."""

    resource: Resource
    name: str
    pattern: Pattern
    operation: Operation


@dataclass(frozen=True)
class ServiceAccess:
    """What one service's principal may do (topic and group names before the deployment prefix).

    `groups` are consumer-group name prefixes under the topic prefix; `own_topics` are topic
    name prefixes the service creates and owns (faust's changelog). Every client's private
    groups (`<service>/<instance>-…`, used by followers that assign partitions) are granted too.
    """

    principal: str
    reads: tuple[Topic, ...] = ()
    writes: tuple[Topic, ...] = ()
    dead_letters: tuple[Topic, ...] = ()
    dlq_reads: tuple[Topic, ...] = ()
    groups: tuple[str, ...] = ()
    own_topics: tuple[str, ...] = ()

    def grants(self, names: TopicNames) -> list[Grant]:
        """Every ACL this principal needs under `names.prefix`."""
        out: list[Grant] = []

        def topic(name: str, operation: Operation, pattern: Pattern = Pattern.LITERAL) -> None:
            out.append(Grant(Resource.TOPIC, name, pattern, operation))

        for read in self.reads:
            topic(names.name(read), Operation.READ)
        for write in self.writes:
            topic(names.name(write), Operation.WRITE)
        for source in self.dead_letters:
            topic(names.dlq(names.name(source)), Operation.WRITE)
        for source in self.dlq_reads:
            topic(names.dlq(names.name(source)), Operation.READ)
        for prefix in self.own_topics:
            for operation in (Operation.CREATE, Operation.READ, Operation.WRITE):
                topic(names.group(prefix), operation, Pattern.PREFIXED)
        for group in self.groups:
            out.append(Grant(Resource.GROUP, names.group(group), Pattern.PREFIXED, Operation.READ))
        out.append(Grant(Resource.GROUP, f"{self.principal}/", Pattern.PREFIXED, Operation.READ))
        return out


DETECTOR_READS = (Topic.SEGMENTS, Topic.REANALYSIS, Topic.STREAM_CONFIG, Topic.LOGO_LIBRARY)


def _detector(name: str) -> ServiceAccess:
    """A detector: live analysis of `segments`, replay runs from `reanalysis` (groups
    `<name>`, `<name>-replay`, `<name>-replay-<run>`), policies from `stream-config`."""
    return ServiceAccess(
        principal=name,
        reads=DETECTOR_READS,
        writes=(Topic.DETECTIONS,),
        dead_letters=(Topic.SEGMENTS, Topic.REANALYSIS),
        groups=(name,),
    )


SERVICES: tuple[ServiceAccess, ...] = (
    ServiceAccess(
        principal="ingest",
        reads=(Topic.STREAM_CONFIG,),
        writes=(Topic.STREAMS, Topic.SEGMENTS),
        dead_letters=(Topic.SEGMENTS,),  # a segment file that cannot be read (its outbox)
    ),
    _detector("detector-logo"),
    _detector("detector-visual"),
    ServiceAccess(
        principal="results-api",
        reads=(
            Topic.STREAMS,
            Topic.SEGMENTS,
            Topic.DETECTIONS,
            Topic.EXPOSURE,
            Topic.ALERTS,
            Topic.ALERT_DELIVERIES,
        ),
        writes=(
            Topic.STREAM_CONFIG,
            Topic.API_TOKENS,
            Topic.LOGO_LIBRARY,
            Topic.REANALYSIS,
            Topic.ALERT_RULES,
        ),
        dead_letters=(
            Topic.STREAMS,
            Topic.SEGMENTS,
            Topic.DETECTIONS,
            Topic.EXPOSURE,
            Topic.ALERTS,
            Topic.ALERT_DELIVERIES,
        ),
        dlq_reads=(Topic.REANALYSIS,),
        groups=("results-api-materializer", "results-api-alerts"),
    ),
    ServiceAccess(
        principal="exposure",
        reads=(Topic.DETECTIONS,),
        writes=(Topic.EXPOSURE,),
        groups=("results-api-exposure",),
        own_topics=("results-api-exposure",),  # faust's table changelog and leader topic
    ),
    ServiceAccess(
        principal="notifier",
        reads=(
            Topic.DETECTIONS,
            Topic.STREAMS,
            Topic.EXPOSURE,
            Topic.SEGMENTS,
            Topic.ALERTS,
            Topic.API_TOKENS,
        ),
    ),
    ServiceAccess(
        principal="alerts",
        reads=(
            Topic.DETECTIONS,
            Topic.SEGMENTS,
            Topic.ALERTS,
            Topic.ALERT_RULES,
            Topic.ALERT_STATE,
            Topic.ALERT_DELIVERIES,
            Topic.ALERT_PROGRESS,
        ),
        writes=(Topic.ALERTS, Topic.ALERT_STATE, Topic.ALERT_DELIVERIES, Topic.ALERT_PROGRESS),
        dead_letters=(Topic.DETECTIONS, Topic.SEGMENTS, Topic.ALERTS, Topic.ALERT_PROGRESS),
        groups=("alerts-evaluator", "alerts-webhooks"),
    ),
    # detector-logo's proposal trainer follows the logo library (its own follower group, granted
    # to every principal) and writes only to object storage.
    ServiceAccess(principal="detector-logo-trainer", reads=(Topic.LOGO_LIBRARY,)),
    # The detectors' LAN executors and the dev cloud stand-in: they follow the logo library to
    # match against it, and touch nothing else.
    ServiceAccess(principal="executor", reads=(Topic.LOGO_LIBRARY,)),
)


def access_of(principal: str) -> ServiceAccess:
    """The access of the service named `principal` (KeyError for an unknown one)."""
    for service in SERVICES:
        if service.principal == principal:
            return service
    raise KeyError(principal)
