"""Readiness: the database answers and the Kafka cluster is reachable.

Probes are cached for a few seconds so an orchestrator polling `/readyz` does not hammer the
dependencies.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from sightline_common.kafka.security import admin_config


def database_answers(engine: Engine) -> Callable[[], bool]:
    """A probe: `SELECT 1` succeeds."""

    def probe() -> bool:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    return probe


def kafka_answers(bootstrap: str, timeout: float = 3.0) -> Callable[[], bool]:
    """A probe: the cluster's metadata can be fetched."""
    admin = AdminClient(admin_config(bootstrap))

    def probe() -> bool:
        try:
            return bool(admin.list_topics(timeout=timeout).brokers)
        except KafkaException:
            return False

    return probe


class CachedReadiness:
    """All probes pass (plus any extra condition); the answer is reused for `ttl` seconds."""

    def __init__(self, *probes: Callable[[], bool], ttl: float = 2.0) -> None:
        self._probes = probes
        self._ttl = ttl
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._answer = False

    def __call__(self) -> bool:
        with self._lock:
            if time.monotonic() - self._checked_at > self._ttl:
                self._answer = all(probe() for probe in self._probes)
                self._checked_at = time.monotonic()
            return self._answer
