"""Settings every service shares, read from the environment (prefix `SIGHTLINE_`).

Each service subclasses `ServiceSettings` with its own fields and builds it once in its entry
point; nothing reads the environment at import time.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable

import structlog
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from sightline_common.dev_credentials import DevCredentialsError, refuse_dev_credentials
from sightline_common.kafka.security import KafkaSecurity
from sightline_common.topics import TopicNames


class ServiceSettings(BaseSettings):
    """Connection and identity settings common to all services."""

    model_config = SettingsConfigDict(env_prefix="SIGHTLINE_", extra="ignore")

    service_name: str = "sightline"
    instance_id: str = Field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    log_level: str = "INFO"

    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_prefix: str = ""

    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: str = "sightline"
    s3_secret_key: SecretStr = SecretStr("sightline-secret")
    s3_secure: bool = False
    segments_bucket: str = "sightline-segments"
    logos_bucket: str = "sightline-logos"

    http_host: str = "127.0.0.1"
    http_port: int = 8000
    # Development machines only: run although a credential is a built-in development value.
    allow_dev_credentials: bool = False

    def refuse_dev_credentials(
        self,
        database_url: str | None = None,
        *,
        storage: bool = True,
        storage_secret_keys: Iterable[str] = (),
        kafka_passwords: Iterable[str] = (),
    ) -> None:
        """Exit with code 2 and the reason in the log when a built-in development credential
        (of MinIO unless the service uses no `storage`, of the `database_url` it connects to, of
        its own Kafka login, or among the `storage_secret_keys` and `kafka_passwords` it
        provisions) is in use outside development. Services call this once at start, before
        they connect to anything."""
        s3_secret_key = self.s3_secret_key.get_secret_value() if storage else None
        own_kafka_password = KafkaSecurity().password.get_secret_value()
        try:
            refuse_dev_credentials(
                self.allow_dev_credentials,
                s3_secret_key,
                database_url,
                storage_secret_keys,
                [own_kafka_password, *kafka_passwords],
            )
        except DevCredentialsError as exc:
            structlog.get_logger(__name__).error("service.refused", reason=str(exc))
            raise SystemExit(2) from exc

    @property
    def topics(self) -> TopicNames:
        """On-broker topic names under this deployment's prefix."""
        return TopicNames(prefix=self.topic_prefix)

    @property
    def producer_id(self) -> str:
        """What goes into every envelope's `producer` field."""
        return f"{self.service_name}/{self.instance_id}"
