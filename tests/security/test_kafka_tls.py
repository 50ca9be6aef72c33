"""Kafka over TLS, as production's listener runs (#17): on a real SCRAM broker whose client
listener is SASL_SSL, its certificate signed by a throwaway CA (`servers.kafka_tls`).

A client that verifies the broker against the CA file it is given (SIGHTLINE_KAFKA_CA_FILE,
the mounted cluster CA on Kubernetes) logs in and works, from the environment as every service
configures itself; one that does not trust the CA, or talks plain SASL to the TLS port, never
gets as far as a login. The services run on it as deployed: the notifier (confluent-kafka) and
the exposure processor (faust's own client) reach /readyz.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from sightline_common.envelope import wrap
from sightline_common.kafka.follower import CompactedTopicFollower
from sightline_common.kafka.producer import EventProducer
from sightline_common.kafka.security import KafkaSecurity
from sightline_common.messages import LogoEntry
from sightline_common.topics import Topic, TopicNames
from sightline_devstack import ports
from sightline_devstack.servers import kafka_auth
from sightline_testkit.plugin import Isolated

from .brokers import private_broker

pytestmark = [
    pytest.mark.integration,
    pytest.mark.xdist_group("kafka-tls"),
    # The services under test use the private broker: the shared one's topic set of `isolated`
    # needs no more than one partition per topic (testkit).
    pytest.mark.topic_partitions(1),
    pytest.mark.timeout(600),
]
NAMES = TopicNames()


@dataclasses.dataclass(frozen=True)
class TlsBroker:
    """A running broker that takes SCRAM logins over TLS only, and the CA that signed it."""

    bootstrap: str
    ca_file: Path


@pytest.fixture(scope="module")
def broker() -> Iterator[TlsBroker]:
    with private_broker(tls=True) as running:
        assert running.ca_file is not None
        yield TlsBroker(running.bootstrap, running.ca_file)


class _Lines(logging.Handler):
    """librdkafka's log lines of one client."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _refused(bootstrap: str, security: KafkaSecurity) -> str:
    """Why librdkafka could not get metadata logged in as `security` (it must fail): the
    error, then its log lines."""
    lines = _Lines()
    logger = logging.getLogger(f"kafka-tls-test-{uuid.uuid4().hex}")
    logger.addHandler(lines)
    logger.propagate = False
    config = {"bootstrap.servers": bootstrap, "socket.timeout.ms": 3000, **security.librdkafka()}
    admin = AdminClient(config, logger=logger)
    with pytest.raises(KafkaException) as failed:
        admin.list_topics(timeout=8)
    deadline = time.monotonic() + 10
    while not lines.lines and time.monotonic() < deadline:
        admin.poll(0.25)  # serve the log queue
    return "\n".join([str(failed.value), *lines.lines])


def test_a_client_verifying_the_ca_logs_in_and_follows_what_another_wrote(
    broker: TlsBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = NAMES.name(Topic.LOGO_LIBRARY)
    entry = LogoEntry(
        logo_id="logo-1", brand="Aurora", bucket="logos", object_key="a.png", sha256="0" * 64
    )
    writer = kafka_auth.service_identity("results-api", ca_file=broker.ca_file)
    assert writer.librdkafka()["security.protocol"] == "SASL_SSL"
    producer = EventProducer(broker.bootstrap, "test-results-api", **writer.librdkafka())
    producer.publish(library, wrap(entry, key="logo-1", producer="test"))
    producer.flush(30)  # raises DeliveryError unless the broker took it
    # The reader takes its identity from the environment, as shared.env sets it on Kubernetes.
    monkeypatch.setenv("SIGHTLINE_KAFKA_USERNAME", "executor")
    monkeypatch.setenv("SIGHTLINE_KAFKA_PASSWORD", kafka_auth.dev_password("executor"))
    monkeypatch.setenv("SIGHTLINE_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("SIGHTLINE_KAFKA_CA_FILE", str(broker.ca_file))
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


def test_a_client_that_does_not_trust_the_ca_is_refused_before_logging_in(
    broker: TlsBroker,
) -> None:
    untrusting = kafka_auth.service_identity("results-api", ca_file=broker.ca_file)
    untrusting = untrusting.model_copy(update={"ca_file": ""})  # the system's trust store only
    assert "ssl.ca.location" not in untrusting.librdkafka()
    assert "certificate verify failed" in _refused(broker.bootstrap, untrusting)


def test_plain_sasl_to_the_tls_listener_gets_nowhere(broker: TlsBroker) -> None:
    plain = kafka_auth.service_identity("results-api")
    assert plain.librdkafka()["security.protocol"] == "SASL_PLAINTEXT"
    # The TLS listener hangs up on the first plain request, before any SASL exchange.
    assert "_TRANSPORT" in _refused(broker.bootstrap, plain)


@pytest.mark.parametrize(
    ("principal", "module", "args"),
    [("notifier", "sightline_notifier", ()), ("exposure", "sightline_results_api", ("exposure",))],
    ids=["notifier", "exposure-faust"],
)
def test_a_service_configured_as_deployed_gets_ready_over_tls(
    broker: TlsBroker, isolated: Isolated, principal: str, module: str, args: tuple[str, ...]
) -> None:
    port = ports.ephemeral_port()
    process = isolated.spawn(
        module,
        *args,
        SIGHTLINE_KAFKA_BOOTSTRAP=broker.bootstrap,
        SIGHTLINE_TOPIC_PREFIX="",
        SIGHTLINE_KAFKA_USERNAME=principal,
        SIGHTLINE_KAFKA_PASSWORD=kafka_auth.dev_password(principal),
        SIGHTLINE_KAFKA_SECURITY_PROTOCOL="SASL_SSL",
        SIGHTLINE_KAFKA_CA_FILE=str(broker.ca_file),
        SIGHTLINE_HTTP_PORT=str(port),
        SIGHTLINE_EXPOSURE_DATA_DIR=str(isolated.tmp / "exposure"),
    )
    process.wait_http_ok(f"http://127.0.0.1:{port}/readyz", timeout=120)
