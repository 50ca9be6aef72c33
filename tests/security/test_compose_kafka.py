"""docker-compose's broker takes SCRAM logins only and each service is its own principal.

There is no Docker engine here, so the compose file is checked as written, and its broker is run
for real: the devstack's Kafka jars with the `KAFKA_*` properties of docker-compose.yml turned
into server.properties the way the apache/kafka image does (`_` is `.`, `__` is `_`, `___` is
`-`), storage formatted and EXTERNAL's TLS certificate made by deploy/kafka/entrypoint.sh (the
container's entrypoint), users and ACLs created by `python -m sightline_common.provision` with
compose's provisioning environment, and clients logged in with the username and password compose
gives each service.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from sightline_common.errors import DeliveryError
from sightline_common.kafka.acl_spec import SERVICES
from sightline_common.kafka.producer import EventProducer
from sightline_common.kafka.scram import ADMIN, broker_properties, dev_password, password_variable
from sightline_common.kafka.security import KafkaSecurity
from sightline_common.topics import Topic, TopicNames
from sightline_devstack import ports
from sightline_devstack.servers.kafka import JVM_OPTIONS, Kafka

from .brokers import broker_settings

# One broker for the module: under xdist all its tests go to one worker.
pytestmark = pytest.mark.xdist_group("kafka-compose")
REPO = Path(__file__).resolve().parents[2]
ENTRYPOINT = REPO / "deploy" / "kafka" / "entrypoint.sh"
INTERPOLATION = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")
NAMES = TopicNames()
FAST = {"message.timeout.ms": 8000, "delivery.timeout.ms": 8000, "socket.timeout.ms": 5000}
# The compose services that are Kafka clients, and the principal each logs in as (a replay
# worker is its detector; LAN executors and the cloud stand-in are the `executor`).
PRINCIPALS = {
    "ingest": "ingest",
    "detector-logo": "detector-logo",
    "detector-logo-replay": "detector-logo",
    "detector-visual": "detector-visual",
    "detector-visual-replay": "detector-visual",
    "detector-logo-trainer": "detector-logo-trainer",
    "results-api": "results-api",
    "exposure": "exposure",
    "notifier": "notifier",
    "alerts": "alerts",
    "detector-logo-executor": "executor",
    "detector-visual-executor": "executor",
    "cloud-standin": "executor",
}


def compose_services() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return dict(spec["services"])


def environment(service: str) -> dict[str, str]:
    """A compose service's environment with every `${VAR:-default}` at its default."""
    raw = compose_services()[service].get("environment", {})
    return {
        key: INTERPOLATION.sub(lambda m: m.group(2) or "", str(value))
        for key, value in raw.items()
        if value is not None
    }


def image_properties(env: dict[str, str]) -> dict[str, str]:
    """server.properties as the apache/kafka image writes it from `KAFKA_*` variables."""
    out = {}
    for key, value in env.items():
        if not key.startswith("KAFKA_") or key.endswith("_OPTS"):
            continue
        name = key.removeprefix("KAFKA_").lower().replace("_", ".")
        out[name.replace("...", "-").replace("..", "_")] = value
    return out


def test_the_broker_runs_the_shared_scram_settings_on_every_listener() -> None:
    properties = image_properties(environment("kafka"))
    wanted = broker_properties(dev_password(ADMIN), ["internal", "external"], "internal")
    assert {key: properties.get(key) for key in wanted} == wanted
    protocols = dict(
        pair.split(":") for pair in properties["listener.security.protocol.map"].split(",")
    )
    # Logins everywhere; TLS where the path to the broker leaves this host.
    assert protocols == {
        "CONTROLLER": "SASL_PLAINTEXT",
        "INTERNAL": "SASL_PLAINTEXT",
        "EXTERNAL": "SASL_SSL",
    }
    assert {name.split("://")[0] for name in properties["listeners"].split(",")} == set(protocols)


def test_each_kafka_client_logs_in_as_its_own_principal() -> None:
    services = compose_services()
    clients = {
        name
        for name, spec in services.items()
        if "SIGHTLINE_KAFKA_BOOTSTRAP" in spec.get("environment", {}) and name != "provision"
    }
    assert clients == set(PRINCIPALS)
    known = {service.principal for service in SERVICES}
    for name, principal in PRINCIPALS.items():
        env = services[name]["environment"]
        assert principal in known
        assert env["SIGHTLINE_KAFKA_USERNAME"] == principal, name
        assert env["SIGHTLINE_KAFKA_PASSWORD"].startswith(f"${{{password_variable(principal)}:-")
        assert env["SIGHTLINE_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT", name


def test_only_the_broker_and_provision_know_the_super_users_password() -> None:
    holders = {
        name
        for name, spec in compose_services().items()
        if "SIGHTLINE_KAFKA_ADMIN_PASSWORD" in str(spec.get("environment", {}))
    }
    assert holders == {"kafka", "provision"}
    provision = environment("provision")
    assert provision["SIGHTLINE_KAFKA_USERNAME"] == ADMIN
    for service in SERVICES:
        assert provision[password_variable(service.principal)] == dev_password(service.principal)


def test_provision_refuses_the_development_kafka_passwords_outside_development() -> None:
    env = {
        **{k: v for k, v in environment("provision").items() if k.startswith("SIGHTLINE_KAFKA")},
        "PATH": os.environ["PATH"],
        "SIGHTLINE_S3_SECRET_KEY": "a-real-root-secret",
        "SIGHTLINE_KAFKA_BOOTSTRAP": "127.0.0.1:1",
    }
    done = run_provision(env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "SIGHTLINE_KAFKA_PASSWORD" in done.stdout + done.stderr


def run_provision(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sightline_common.provision", "--skip-buckets"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


class ComposeKafka(Kafka):
    """The compose broker's configuration on the devstack's jars, on ports of its own."""

    def wanted_ports(self) -> dict[str, int]:
        return {**super().wanted_ports(), "external": ports.ephemeral_port()}

    def environment(self, chosen: dict[str, int]) -> dict[str, str]:
        """The kafka service's environment, its host names and ports made local."""
        moved = {
            "://:9092": f"://{self.settings.host}:{chosen['broker']}",
            "kafka:9092": f"{self.settings.host}:{chosen['broker']}",
            "://:9093": f"://{self.settings.host}:{chosen['controller']}",
            "kafka:9093": f"{self.settings.host}:{chosen['controller']}",
            "://:9094": f"://{self.settings.host}:{chosen['external']}",
            "localhost:9094": f"{self.settings.host}:{chosen['external']}",
        }
        env = {}
        for key, value in environment("kafka").items():
            local = value
            for old, new in moved.items():
                local = local.replace(old, new)
            env[key] = local
        env["KAFKA_LOG_DIRS"] = str(self.data_dir)
        env["KAFKA_LISTENER_NAME_EXTERNAL_SSL_KEYSTORE_LOCATION"] = str(self.keystore)
        return env

    @property
    def keystore(self) -> Path:
        return self.dir / "tls" / "broker.p12"

    def prepare(self, chosen_ports: dict[str, int]) -> None:
        env = self.environment(chosen_ports)
        bin_dir = self.dir / "bin"
        bin_dir.mkdir(exist_ok=True)
        # What the image's kafka-storage.sh runs, on the devstack's jars.
        storage = bin_dir / "kafka-storage.sh"
        storage.write_text(
            f'#!/bin/sh\nexec "{self._java()}" {" ".join(JVM_OPTIONS)} -cp "{self._classpath()}" '
            'kafka.tools.StorageTool "$@"\n'
        )
        storage.chmod(0o755)
        self.keystore.parent.mkdir(exist_ok=True)
        # The container's command is the image's start-up; here `env`, to see what it is given.
        done = subprocess.run(
            ["bash", str(ENTRYPOINT), "env"],
            env={
                **env,
                "PATH": os.environ["PATH"],
                "KAFKA_HOME": str(self.dir),
                "TMPDIR": str(self.dir),
            },
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        exported = "KAFKA_LISTENER_NAME_EXTERNAL_SSL_KEYSTORE_PASSWORD"
        given = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
        env[exported] = given[exported]
        props = image_properties(env)
        self.properties_file.write_text("".join(f"{k}={v}\n" for k, v in props.items()))

    @property
    def properties_file(self) -> Path:
        return self.dir / "server.properties"

    def provision(self, chosen_ports: dict[str, int]) -> None:
        """Nothing: compose's `provision` does it, as the test runs it."""


@dataclasses.dataclass(frozen=True)
class RunningBroker:
    internal: str
    external: str
    folder: Path

    def login(self, service: str, bootstrap: str | None = None) -> dict[str, Any]:
        """librdkafka settings of `service`'s compose login."""
        env = environment(service)
        return {
            "bootstrap.servers": bootstrap or self.internal,
            "security.protocol": env["SIGHTLINE_KAFKA_SECURITY_PROTOCOL"],
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": env["SIGHTLINE_KAFKA_USERNAME"],
            "sasl.password": env["SIGHTLINE_KAFKA_PASSWORD"],
        }

    def produce(self, config: dict[str, Any], topic: Topic) -> None:
        producer = EventProducer(config["bootstrap.servers"], "compose-test", **{**config, **FAST})
        producer.publish_raw(NAMES.name(topic), b"key", b"value")
        producer.flush(15)


@pytest.fixture(scope="module")
def broker() -> Iterator[RunningBroker]:
    state = Path(tempfile.mkdtemp(prefix="sightline-compose-kafka-"))
    # compose's default admin password, for the health polls
    settings = broker_settings(state, admin_password=dev_password(ADMIN), tls=False)
    server = ComposeKafka(settings, say=lambda _line: None)
    try:
        chosen = server.ensure_running()
        host = settings.host
        running = RunningBroker(
            f"{host}:{chosen['broker']}", f"{host}:{chosen['external']}", server.dir
        )
        env = {
            **environment("provision"),
            "PATH": os.environ["PATH"],
            "SIGHTLINE_KAFKA_BOOTSTRAP": running.internal,
            "SIGHTLINE_ALLOW_DEV_CREDENTIALS": "true",
        }
        done = run_provision(env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "kafka_principals_ready" in done.stdout + done.stderr
        yield running
    finally:
        server.stop()
        shutil.rmtree(state, ignore_errors=True)


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_without_a_login_nothing_is_served_on_either_listener(broker: RunningBroker) -> None:
    for bootstrap in (broker.internal, broker.external):
        anonymous = AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 3000})
        with pytest.raises(KafkaException):
            anonymous.list_topics(timeout=5)


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_results_api_writes_the_control_topics_the_notifier_cannot(broker: RunningBroker) -> None:
    broker.produce(broker.login("results-api"), Topic.API_TOKENS)
    notifier = {**broker.login("notifier"), "enable.idempotence": False}
    with pytest.raises(DeliveryError, match=r"(?i)authori"):
        broker.produce(notifier, Topic.API_TOKENS)


def lan_host_login(broker: RunningBroker, **overrides: str) -> dict[str, Any]:
    """What a LAN executor host is given (docs/deploy.md): compose's `executor` login over TLS,
    trusting the CA the entrypoint made, as `KafkaSecurity` turns it into client settings."""
    env = environment("detector-logo-executor")
    fields: dict[str, Any] = {
        "username": env["SIGHTLINE_KAFKA_USERNAME"],
        "password": env["SIGHTLINE_KAFKA_PASSWORD"],
        "security_protocol": "SASL_SSL",
        "ca_file": str(broker.folder / "tls" / "ca.crt"),
        **overrides,
    }
    security = KafkaSecurity(**fields)
    return {"bootstrap.servers": broker.external, **security.librdkafka()}


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_a_lan_executor_logs_in_over_tls_on_the_external_listener_with_only_its_grants(
    broker: RunningBroker,
) -> None:
    executor = lan_host_login(broker)
    library = NAMES.name(Topic.LOGO_LIBRARY)
    seen = AdminClient({**executor, "socket.timeout.ms": 5000}).list_topics(timeout=15)
    assert library in seen.topics
    assert seen.topics[library].error is None
    with pytest.raises(DeliveryError, match=r"(?i)authori"):
        broker.produce({**executor, "enable.idempotence": False}, Topic.LOGO_LIBRARY)


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_the_external_listener_takes_no_plain_connection_nor_an_untrusted_one(
    broker: RunningBroker,
) -> None:
    for login in (
        lan_host_login(broker, security_protocol="SASL_PLAINTEXT"),
        lan_host_login(broker, ca_file=""),  # the system's trust store only
    ):
        with pytest.raises(KafkaException):
            AdminClient({**login, "socket.timeout.ms": 3000}).list_topics(timeout=8)


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_the_health_checks_login_is_the_super_users(broker: RunningBroker) -> None:
    """The client properties the entrypoint writes for kafka-broker-api-versions.sh log in."""
    written = dict(
        line.split("=", 1)
        for line in (broker.folder / "admin-client.properties").read_text().splitlines()
    )
    login = dict(re.findall(r'(\w+)="([^"]*)"', written["sasl.jaas.config"]))
    admin = AdminClient(
        {
            "bootstrap.servers": broker.internal,
            "security.protocol": written["security.protocol"],
            "sasl.mechanism": written["sasl.mechanism"],
            "sasl.username": login["username"],
            "sasl.password": login["password"],
        }
    )
    assert admin.list_topics(timeout=15).brokers
