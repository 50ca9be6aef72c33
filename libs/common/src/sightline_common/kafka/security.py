"""How every Kafka client authenticates: one place, so no client is left on a plain connection.

A broker with ACLs (see `acl_spec`) knows each service by its SCRAM principal. The credentials
come from `SIGHTLINE_KAFKA_USERNAME` / `SIGHTLINE_KAFKA_PASSWORD` (each deployment mounts its own
service's secret), read when a client is built, never at import time. With no username the
client connects in plain text as before, which is what a development broker without
authentication expects. `producer_config`, `consumer_config`, the compacted-topic follower, the
admin clients and faust all take their security settings from here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Protocol = Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"]
Mechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256"]


class KafkaSecurity(BaseSettings):
    """A client's identity on the broker (environment prefix `SIGHTLINE_KAFKA_`)."""

    model_config = SettingsConfigDict(env_prefix="SIGHTLINE_KAFKA_", extra="ignore")

    username: str = ""
    password: SecretStr = SecretStr("")
    # SASL_PLAINTEXT inside a cluster network; SASL_SSL where the path to the broker is shared.
    security_protocol: Protocol = "SASL_PLAINTEXT"
    sasl_mechanism: Mechanism = "SCRAM-SHA-512"
    # The broker's CA certificate for SASL_SSL (empty: the system's trust store).
    ca_file: str = ""

    @property
    def authenticated(self) -> bool:
        """Whether a username is set; without one the client connects in plain text."""
        return bool(self.username)

    def librdkafka(self) -> dict[str, Any]:
        """The librdkafka (confluent-kafka) properties for this identity."""
        if not self.authenticated:
            return {"security.protocol": "PLAINTEXT"}
        config: dict[str, Any] = {
            "security.protocol": self.security_protocol,
            "sasl.mechanism": self.sasl_mechanism,
            "sasl.username": self.username,
            "sasl.password": self.password.get_secret_value(),
        }
        if self.security_protocol == "SASL_SSL" and self.ca_file:
            config["ssl.ca.location"] = self.ca_file
        return config


def client_security(security: KafkaSecurity | None = None) -> dict[str, Any]:
    """librdkafka security properties for `security`, or for the identity in the environment
    when None (read now: a process's credentials are fixed at start, its clients built later)."""
    return (security or KafkaSecurity()).librdkafka()


def admin_config(bootstrap: str, **overrides: Any) -> dict[str, Any]:
    """An AdminClient's configuration under the process's identity."""
    return {"bootstrap.servers": bootstrap, **client_security(), **overrides}
