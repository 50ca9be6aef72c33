"""The Kafka login every client takes, and the ACL spec's promises (pure: no broker; the broker
enforcing them is tests/security/test_kafka_acls.py)."""

from __future__ import annotations

import pytest

from sightline_common.kafka.acl_spec import SERVICES, Operation, Pattern, Resource, access_of
from sightline_common.kafka.config import consumer_config, producer_config
from sightline_common.kafka.security import KafkaSecurity, admin_config, client_security
from sightline_common.topics import Topic, TopicNames

CONTROL_TOPICS = {Topic.STREAM_CONFIG, Topic.API_TOKENS, Topic.LOGO_LIBRARY}


def test_without_a_username_every_client_connects_in_plain_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SIGHTLINE_KAFKA_USERNAME", raising=False)
    assert client_security() == {"security.protocol": "PLAINTEXT"}
    assert producer_config("b:9092", "p")["security.protocol"] == "PLAINTEXT"


def test_the_login_in_the_environment_reaches_every_client_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SIGHTLINE_KAFKA_USERNAME", "notifier")
    monkeypatch.setenv("SIGHTLINE_KAFKA_PASSWORD", "pw")
    for config in (
        producer_config("b:9092", "p"),
        consumer_config("b:9092", "g", "c"),
        admin_config("b:9092"),
    ):
        assert config["security.protocol"] == "SASL_PLAINTEXT"
        assert config["sasl.mechanism"] == "SCRAM-SHA-512"
        assert (config["sasl.username"], config["sasl.password"]) == ("notifier", "pw")


def test_sasl_ssl_trusts_the_given_ca() -> None:
    security = KafkaSecurity(username="u", security_protocol="SASL_SSL", ca_file="/ca.crt")
    assert security.librdkafka()["ssl.ca.location"] == "/ca.crt"


def test_only_results_api_writes_the_control_topics() -> None:
    for service in SERVICES:
        written = set(service.writes) & CONTROL_TOPICS
        assert written == (CONTROL_TOPICS if service.principal == "results-api" else set())


def test_the_notifier_and_the_executors_only_read() -> None:
    for principal in ("notifier", "executor"):
        grants = access_of(principal).grants(TopicNames())
        assert {g.operation for g in grants} == {Operation.READ}


def test_every_topic_read_has_a_writer_and_every_topic_exists() -> None:
    writes = {topic for service in SERVICES for topic in service.writes}
    reads = {topic for service in SERVICES for topic in service.reads}
    assert reads <= writes
    assert writes <= set(Topic)


def test_grants_follow_the_deployment_prefix() -> None:
    grants = access_of("detector-logo").grants(TopicNames(prefix="t1."))
    topics = {g.name for g in grants if g.resource == Resource.TOPIC}
    assert topics >= {"t1.segments", "t1.detections", "t1.segments.dlq"}
    groups = {(g.name, g.pattern) for g in grants if g.resource == Resource.GROUP}
    assert ("t1.detector-logo", Pattern.PREFIXED) in groups
