"""SASL/SCRAM and ACLs for a devstack broker, so tests exercise the authorisation production has.

The broker listener takes SCRAM-SHA-512 only; `admin` is the one super user (its SCRAM
credential is written at format time, the controller listener uses PLAIN with the same
password). Every service principal of `sightline_common.kafka.acl_spec` gets a SCRAM user and
exactly the ACLs the spec grants; anything not granted is refused
(`allow.everyone.if.no.acl.found=false`). The broker settings and the provisioning are
`sightline_common.kafka.scram`'s, which docker-compose's broker uses too; this module adds the
devstack's client identities and its properties file form.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from confluent_kafka.admin import AdminClient
from pydantic import SecretStr

from sightline_common.kafka import scram
from sightline_common.kafka.scram import ADMIN, MECHANISM, dev_password, format_args
from sightline_common.kafka.security import KafkaSecurity
from sightline_common.topics import TopicNames
from sightline_devstack.errors import PlatformError

__all__ = [
    "ADMIN",
    "MECHANISM",
    "admin_identity",
    "dev_password",
    "format_args",
    "provision_principals",
    "server_properties",
    "service_identity",
]


def admin_identity(password: str, ca_file: Path | None = None) -> KafkaSecurity:
    """The super user's client identity (over TLS trusting `ca_file` when given)."""
    return _identity(ADMIN, password, ca_file)


def service_identity(
    principal: str, password: str | None = None, ca_file: Path | None = None
) -> KafkaSecurity:
    """A service's client identity on a devstack broker (its development password by default;
    over TLS trusting `ca_file` when given)."""
    chosen = password if password is not None else dev_password(principal)
    return _identity(principal, chosen, ca_file)


def _identity(username: str, password: str, ca_file: Path | None) -> KafkaSecurity:
    return KafkaSecurity(
        username=username,
        password=SecretStr(password),
        security_protocol="SASL_SSL" if ca_file else "SASL_PLAINTEXT",
        ca_file=str(ca_file or ""),
    )


def server_properties(password: str, listener: str = "SASL_PLAINTEXT") -> str:
    """Lines appended to server.properties: SCRAM on the broker `listener` (also the
    inter-broker one), PLAIN between the broker and its controller, default deny."""
    name = listener.lower()
    properties = scram.broker_properties(password, [name], inter_broker=name)
    return "".join(f"{key}={value}\n" for key, value in properties.items())


def provision_principals(
    admin: AdminClient, names: TopicNames, passwords: Mapping[str, str] | None = None
) -> None:
    """`scram.provision_principals`, its refusal as the devstack's `PlatformError`."""
    try:
        scram.provision_principals(admin, names, passwords)
    except scram.PrincipalsError as exc:
        raise PlatformError(str(exc)) from exc
