"""A Kafka broker of a test module's own (ports and state folder of its own, stopped and removed
at the end), with SCRAM logins and the spec's ACLs, and TLS on its client listener when asked:
the security checks need what production runs, which the shared platform's broker is not."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sightline_devstack import ports
from sightline_devstack.servers.kafka import Kafka
from sightline_devstack.settings import DevstackSettings


@dataclasses.dataclass(frozen=True)
class PrivateBroker:
    """Where it listens, its super user's password, and the CA that signed it (with TLS)."""

    bootstrap: str
    admin_password: str
    ca_file: Path | None


def broker_settings(state: Path, *, admin_password: str, tls: bool) -> DevstackSettings:
    """The shared platform's settings moved to `state` and fresh ports, so a test's broker never
    meets the shared one; its start may take minutes on a loaded 2-vCPU CI machine."""
    broker_port = ports.ephemeral_port()
    controller_port = ports.ephemeral_port()
    while controller_port == broker_port:  # the kernel may hand the same free port out twice
        controller_port = ports.ephemeral_port()
    return dataclasses.replace(
        DevstackSettings.from_env(),
        state_dir=state,
        kafka_port=broker_port,
        kafka_controller_port=controller_port,
        kafka_heap="384m",
        topic_prefix="",
        kafka_admin_password=admin_password,
        kafka_tls=tls,
        health_timeout_s=300.0,
    )


@contextmanager
def private_broker(*, tls: bool) -> Iterator[PrivateBroker]:
    """A running broker until the block ends."""
    state = Path(tempfile.mkdtemp(prefix="sightline-broker-"))
    settings = broker_settings(state, admin_password=f"admin-{uuid.uuid4().hex}", tls=tls)
    server = Kafka(settings, say=lambda _line: None)
    try:
        chosen = server.ensure_running()
        yield PrivateBroker(server.bootstrap(chosen), settings.kafka_admin_password, server.ca_file)
    finally:
        server.stop()
        shutil.rmtree(state, ignore_errors=True)
