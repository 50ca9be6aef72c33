"""Kafka authenticates every client and enforces `acl_spec`: on a real SCRAM broker.

A separate devstack broker (own ports and state folder, stopped and removed at the end) runs
with SASL/SCRAM-SHA-512 on its only client listener and the KRaft authorizer with default deny;
its users and ACLs come from `sightline_common.kafka.acl_spec`, as on a deployment. Each check
uses the project's own client code (`EventProducer`, `consumer_config`).
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from sightline_common.envelope import wrap
from sightline_common.errors import DeliveryError
from sightline_common.kafka.acl_spec import SERVICES, Operation, Pattern, Resource, ServiceAccess
from sightline_common.kafka.config import consumer_config
from sightline_common.kafka.follower import CompactedTopicFollower
from sightline_common.kafka.producer import EventProducer
from sightline_common.kafka.security import KafkaSecurity
from sightline_common.messages import LogoEntry
from sightline_common.topics import Topic, TopicNames
from sightline_devstack import ports
from sightline_devstack.servers import kafka_auth
from sightline_testkit.plugin import Isolated

from .brokers import private_broker

# One SCRAM broker for the module: under xdist all its tests go to one worker.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.xdist_group("kafka-scram"),
    # The services under test use the private broker: the shared one's topic set of `isolated`
    # needs no more than one partition per topic (testkit).
    pytest.mark.topic_partitions(1),
    pytest.mark.timeout(600),
]
NAMES = TopicNames()
# Fail within seconds instead of librdkafka's retrying-for-minutes defaults.
FAST = {"message.timeout.ms": 8000, "delivery.timeout.ms": 8000, "socket.timeout.ms": 5000}


@dataclasses.dataclass(frozen=True)
class ScramBroker:
    """A running broker that takes SCRAM logins only."""

    bootstrap: str
    admin: KafkaSecurity

    def producer(self, security: KafkaSecurity, **overrides: Any) -> EventProducer:
        """The project's producer logged in as `security`."""
        return EventProducer(
            self.bootstrap,
            f"test-{security.username or 'anonymous'}",
            **{**security.librdkafka(), **FAST, **overrides},
        )

    def end_offset(self, topic: str) -> int:
        """The end offset of `topic`'s partition 0, read as the super user."""
        reader = Consumer(
            {**consumer_config(self.bootstrap, "admin-check", "admin"), **self.admin.librdkafka()}
        )
        try:
            _low, high = reader.get_watermark_offsets(TopicPartition(topic, 0), timeout=15)
            return int(high)
        finally:
            reader.close()

    def consumer(self, security: KafkaSecurity, group: str) -> Consumer:
        """The project's consumer configuration logged in as `security`."""
        config = consumer_config(self.bootstrap, group, f"test-{security.username}")
        return Consumer({**config, **security.librdkafka(), "session.timeout.ms": 6000})


@pytest.fixture(scope="module")
def broker() -> Iterator[ScramBroker]:
    with private_broker(tls=False) as running:
        yield ScramBroker(running.bootstrap, kafka_auth.admin_identity(running.admin_password))


def produce_one(producer: EventProducer, topic: str) -> None:
    """Produce one raw record and wait for its delivery (DeliveryError when refused)."""
    producer.publish_raw(topic, b"key", b"value")
    producer.flush(15)


def test_a_client_without_credentials_cannot_even_read_metadata(broker: ScramBroker) -> None:
    admin = AdminClient({"bootstrap.servers": broker.bootstrap, "socket.timeout.ms": 3000})
    with pytest.raises(KafkaException):
        admin.list_topics(timeout=5)
    with pytest.raises(DeliveryError):
        produce_one(broker.producer(KafkaSecurity()), NAMES.name(Topic.STREAM_CONFIG))


def test_a_wrong_password_is_refused(broker: ScramBroker) -> None:
    wrong = kafka_auth.service_identity("results-api", password="not-the-password")
    with pytest.raises(DeliveryError):
        produce_one(broker.producer(wrong), NAMES.name(Topic.STREAM_CONFIG))


def test_results_api_may_produce_the_control_topics(broker: ScramBroker) -> None:
    producer = broker.producer(kafka_auth.service_identity("results-api"))
    for topic in (Topic.STREAM_CONFIG, Topic.API_TOKENS, Topic.LOGO_LIBRARY):
        produce_one(producer, NAMES.name(topic))


@pytest.mark.parametrize(
    "service", [s for s in SERVICES if s.writes or s.dead_letters], ids=lambda s: s.principal
)
def test_every_principal_writes_every_literal_topic_its_spec_grants(
    broker: ScramBroker, service: ServiceAccess
) -> None:
    """The project's idempotent producer, as the service uses it, on each granted topic
    (dead-letter topics included)."""
    granted = [
        g.name
        for g in service.grants(NAMES)
        if g.resource == Resource.TOPIC
        and g.pattern == Pattern.LITERAL
        and g.operation == Operation.WRITE
    ]
    assert granted
    producer = broker.producer(kafka_auth.service_identity(service.principal))
    for topic in granted:
        produce_one(producer, topic)


@pytest.mark.parametrize(
    ("principal", "topic"),
    [
        ("notifier", Topic.API_TOKENS),  # it would mint WebSocket tokens
        ("ingest", Topic.STREAM_CONFIG),  # it would authorise its own RTMP keys
        ("detector-logo", Topic.LOGO_LIBRARY),
        ("alerts", Topic.SEGMENTS),
    ],
)
def test_a_service_cannot_produce_to_a_topic_its_acl_does_not_grant(
    broker: ScramBroker, principal: str, topic: Topic
) -> None:
    # Not idempotent: an idempotent producer of a principal granted no write at all (the
    # notifier) fails as a whole ("cluster authorization failed"); this shows the per-topic
    # refusal every principal gets.
    producer = broker.producer(
        kafka_auth.service_identity(principal), **{"enable.idempotence": False}
    )
    before = broker.end_offset(NAMES.name(topic))
    with pytest.raises(DeliveryError, match=r"(?i)authori"):
        produce_one(producer, NAMES.name(topic))
    assert broker.end_offset(NAMES.name(topic)) == before


def test_a_detector_consumes_segments_in_its_group_and_nowhere_else(broker: ScramBroker) -> None:
    segments = NAMES.name(Topic.SEGMENTS)
    produce_one(broker.producer(kafka_auth.service_identity("ingest")), segments)
    detector = kafka_auth.service_identity("detector-logo")

    consumer = broker.consumer(detector, NAMES.group("detector-logo"))
    try:
        consumer.subscribe([segments])
        received = poll_one(consumer)
        assert received is not None
        assert received.error() is None
        assert received.value() == b"value"
    finally:
        consumer.close()

    other_group = broker.consumer(detector, NAMES.group("results-api-materializer"))
    try:
        other_group.subscribe([segments])
        refused = poll_one(other_group)
        assert refused is not None
        assert refused.error() is not None
        assert refused.error().code() == KafkaError.GROUP_AUTHORIZATION_FAILED
    finally:
        other_group.close()


def test_the_notifier_reads_tokens_but_not_what_it_has_no_grant_for(broker: ScramBroker) -> None:
    notifier = kafka_auth.service_identity("notifier")
    produce_one(
        broker.producer(kafka_auth.service_identity("results-api")), NAMES.name(Topic.API_TOKENS)
    )
    reader = broker.consumer(notifier, f"notifier/test-{uuid.uuid4().hex[:8]}")
    try:
        reader.assign([TopicPartition(NAMES.name(Topic.API_TOKENS), 0, 0)])
        got = poll_one(reader)
        assert got is not None
        assert got.error() is None
        hidden = NAMES.name(Topic.ALERT_STATE)  # no grant: not even its metadata is shown
        refused = reader.list_topics(hidden, timeout=10).topics[hidden].error
        assert refused is not None
        assert refused.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
    finally:
        reader.close()


def poll_one(consumer: Consumer, timeout: float = 30.0) -> Any:
    """The first message or error event within `timeout` seconds (None if nothing came)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is not None:
            return message
    return None


def test_a_follower_logs_in_with_the_identity_in_the_environment(
    broker: ScramBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The project's follower takes its login from SIGHTLINE_KAFKA_*, as every service client
    does: the executor principal (granted only the logo library) follows what results-api wrote."""
    library = NAMES.name(Topic.LOGO_LIBRARY)
    entry = LogoEntry(
        logo_id="logo-1", brand="Aurora", bucket="logos", object_key="a.png", sha256="0" * 64
    )
    producer = broker.producer(kafka_auth.service_identity("results-api"))
    producer.publish(library, wrap(entry, key="logo-1", producer="test"))
    producer.flush(15)
    monkeypatch.setenv("SIGHTLINE_KAFKA_USERNAME", "executor")
    monkeypatch.setenv("SIGHTLINE_KAFKA_PASSWORD", kafka_auth.dev_password("executor"))
    applied: dict[str, Any] = {}
    follower = CompactedTopicFollower(
        broker.bootstrap, library, LogoEntry, applied.__setitem__, "detector-logo/test"
    )
    follower.start()
    try:
        assert follower.caught_up.wait(60)
    finally:
        follower.stop()
    assert applied["logo-1"] == entry


SERVICE_PROCESSES = [
    # (principal, module, args): each process as deployed, logged in as its own principal.
    ("results-api", "sightline_results_api", ()),
    ("exposure", "sightline_results_api", ("exposure",)),
    ("notifier", "sightline_notifier", ()),
    ("alerts", "sightline_alerts", ()),
    ("ingest", "sightline_ingest", ()),
    ("detector-visual", "sightline_detector_visual", ()),
    ("detector-visual", "sightline_detector_visual", ("replay",)),
]


@pytest.mark.parametrize(
    ("principal", "module", "args"), SERVICE_PROCESSES, ids=lambda v: str(v).strip("(),'")
)
def test_each_service_gets_ready_with_only_its_acls(
    broker: ScramBroker, isolated: Isolated, principal: str, module: str, args: tuple[str, ...]
) -> None:
    """The spec grants enough: every service joins its groups, catches up its followers and
    answers /readyz on the SCRAM broker with its own login (Postgres and MinIO from the test's
    isolated environment)."""
    port = ports.ephemeral_port()
    # Which analyzers detector-visual runs touches no topic or group: one cheap analyzer
    # spares it MTCNN's TensorFlow build (3.3-3.9 of its 6 CPU-s to ready), which made it the
    # start that missed the 120-s bound once on a machine at load 22.
    analyzers = {"SIGHTLINE_ANALYZERS": "colours"} if module == "sightline_detector_visual" else {}
    process = isolated.spawn(
        module,
        *args,
        *(("--port", str(port)) if args == ("replay",) else ()),
        **analyzers,
        SIGHTLINE_KAFKA_BOOTSTRAP=broker.bootstrap,
        SIGHTLINE_TOPIC_PREFIX="",
        SIGHTLINE_KAFKA_USERNAME=principal,
        SIGHTLINE_KAFKA_PASSWORD=kafka_auth.dev_password(principal),
        SIGHTLINE_KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT",
        SIGHTLINE_HTTP_PORT=str(port),
        SIGHTLINE_EXPOSURE_DATA_DIR=str(isolated.tmp / "exposure"),
    )
    process.wait_http_ok(f"http://127.0.0.1:{port}/readyz", timeout=120)
    assert "AUTHORIZATION_FAILED" not in process.tail(400).upper()
