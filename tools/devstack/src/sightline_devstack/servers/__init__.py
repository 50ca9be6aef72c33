"""The platform's servers, in start order (stopped in reverse)."""

from __future__ import annotations

from sightline_devstack.servers.base import Server, ServerStatus
from sightline_devstack.servers.kafka import Kafka
from sightline_devstack.servers.minio import MinioServer
from sightline_devstack.servers.nginx import NginxRtmp
from sightline_devstack.servers.postgres import Postgres

# Kafka first: its JVM is the slowest to become ready, so it warms up while the others start.
SERVER_TYPES: tuple[type[Server], ...] = (Kafka, Postgres, MinioServer, NginxRtmp)
SERVER_NAMES: tuple[str, ...] = tuple(t.name for t in SERVER_TYPES)

__all__ = ["SERVER_NAMES", "SERVER_TYPES", "Server", "ServerStatus"]
