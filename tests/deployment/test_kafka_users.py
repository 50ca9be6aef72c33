"""Kafka on Kubernetes authenticates every client and authorises it by `acl_spec`: the listener
requires SCRAM over TLS, each service's `KafkaUser` carries the spec's ACLs, every workload that
talks to Kafka logs in as one of them and verifies the broker with the cluster CA, and KEDA reads
lag with the scaled workload's login, over TLS too."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sightline_common.kafka.acl_spec import SERVICES
from sightline_common.topics import Topic

from .manifests import K8S, OVERLAYS, REPO, containers, of_kind, render, workloads

REGENERATE = "regenerate: .venv/bin/python deploy/render_kafka_users.py"
CONTROL_TOPICS = (Topic.STREAM_CONFIG, Topic.API_TOKENS, Topic.LOGO_LIBRARY)


def renderer() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "render_kafka_users", REPO / "deploy" / "render_kafka_users.py"
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest, kubectl: str) -> tuple[dict[str, Any], ...]:
    return render(kubectl, K8S / "overlays" / request.param)


def writers(users: dict[str, dict[str, Any]], topic: str) -> set[str]:
    """The KafkaUsers granted Write on the literal topic `topic`."""
    return {
        name
        for name, user in users.items()
        for rule in user["spec"]["authorization"]["acls"]
        if rule["resource"] == {"type": "topic", "name": topic, "patternType": "literal"}
        and "Write" in rule["operations"]
    }


def test_kafka_users_and_credentials_are_rendered_from_the_acl_spec() -> None:
    module = renderer()
    committed = (K8S / "base" / "platform" / "kafka-users.yaml").read_text()
    assert committed == module.render_users(), REGENERATE
    for workload in module.WORKLOAD_PRINCIPALS:
        path = K8S / "base" / "kafka-credentials" / f"{workload}.yaml"
        assert path.read_text() == module.render_credentials(workload), REGENERATE


def test_the_listener_requires_scram_over_tls_and_the_cluster_enforces_acls(
    overlay: tuple[dict[str, Any], ...],
) -> None:
    kafka = next(iter(of_kind(overlay, "Kafka").values()))["spec"]
    assert kafka["kafka"]["authorization"]["type"] == "simple"
    for listener in kafka["kafka"]["listeners"]:
        assert listener.get("authentication", {}).get("type") == "scram-sha-512", listener
        assert listener["tls"] is True, listener
    assert "userOperator" in kafka["entityOperator"]


def test_every_kafka_client_verifies_the_broker_with_the_cluster_ca(
    overlay: tuple[dict[str, Any], ...],
) -> None:
    (kafka_name,) = of_kind(overlay, "Kafka")
    shared = next(
        cm["data"]
        for name, cm in of_kind(overlay, "ConfigMap").items()
        if name.startswith("sightline-shared")
    )
    assert shared["SIGHTLINE_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    ca_file = Path(shared["SIGHTLINE_KAFKA_CA_FILE"])
    unverified = []
    for name, workload in workloads(overlay).items():
        pod = workload["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for container in containers(workload):
            env = {item["name"] for item in container.get("env", [])}
            if "SIGHTLINE_KAFKA_USERNAME" not in env:
                continue
            mounted = {
                m["mountPath"]: volumes.get(m["name"], {}).get("secret", {})
                for m in container.get("volumeMounts", [])
            }
            secret = mounted.get(str(ca_file.parent), {})
            items = {i["path"]: i["key"] for i in secret.get("items", [])}
            if secret.get("secretName") != f"{kafka_name}-cluster-ca-cert" or (
                items.get(ca_file.name) != "ca.crt"
            ):
                unverified.append(f"{name}/{container['name']}")
    assert not unverified, f"Kafka clients without the cluster CA at {ca_file}: {unverified}"


def test_every_service_principal_is_a_kafka_user(overlay: tuple[dict[str, Any], ...]) -> None:
    users = of_kind(overlay, "KafkaUser")
    assert set(users) == {service.principal for service in SERVICES}
    for user in users.values():
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"
        assert user["metadata"]["labels"]["strimzi.io/cluster"] in of_kind(overlay, "Kafka")


def test_only_results_api_writes_the_control_topics(overlay: tuple[dict[str, Any], ...]) -> None:
    users = of_kind(overlay, "KafkaUser")
    for topic in CONTROL_TOPICS:
        assert writers(users, topic.value) == {"results-api"}, topic
    notifier = users["notifier"]["spec"]["authorization"]["acls"]
    assert all(rule["operations"] == ["Read"] for rule in notifier)


def test_every_workload_talking_to_kafka_logs_in_as_a_kafka_user(
    overlay: tuple[dict[str, Any], ...],
) -> None:
    users = of_kind(overlay, "KafkaUser")
    missing = []
    for name, workload in workloads(overlay).items():
        for container in containers(workload):
            refs = {
                ref.get("configMapRef", {}).get("name", "") for ref in container.get("envFrom", [])
            }
            if not any(ref.startswith("sightline-shared") for ref in refs):
                continue  # not a Sightline Python service (postgres, minio, nginx, dashboard)
            env = {item["name"]: item for item in container.get("env", [])}
            username = env.get("SIGHTLINE_KAFKA_USERNAME", {}).get("value")
            secret = env.get("SIGHTLINE_KAFKA_PASSWORD", {}).get("valueFrom", {})
            if username not in users or secret.get("secretKeyRef") != {
                "name": username,
                "key": "password",
            }:
                missing.append(f"{name}/{container['name']}")
    assert not missing, f"no Kafka login from a KafkaUser: {missing}"


def test_keda_reads_lag_with_the_scaled_workloads_login(
    overlay: tuple[dict[str, Any], ...],
) -> None:
    auths = of_kind(overlay, "TriggerAuthentication")
    for name, scaled in of_kind(overlay, "ScaledObject").items():
        for trigger in scaled["spec"]["triggers"]:
            if trigger["type"] != "kafka":
                continue
            assert trigger["metadata"]["sasl"] == "scram_sha512", name
            assert trigger["metadata"]["tls"] == "enable", name
            auth = auths[trigger["authenticationRef"]["name"]]
            params = {item["parameter"]: item["name"] for item in auth["spec"]["env"]}
            assert params == {
                "username": "SIGHTLINE_KAFKA_USERNAME",
                "password": "SIGHTLINE_KAFKA_PASSWORD",
            }
            (ca,) = auth["spec"]["secretTargetRef"]
            assert ca == {"parameter": "ca", "name": "sightline-cluster-ca-cert", "key": "ca.crt"}
