"""SASL/SCRAM and ACLs for a devstack broker, so tests exercise the authorisation production has.

The broker listener takes SCRAM-SHA-512 only; `admin` is the one super user (its SCRAM
credential is written at format time, the controller listener uses PLAIN with the same
password). Every service principal of `sightline_common.kafka.acl_spec` gets a SCRAM user and
exactly the ACLs the spec grants; anything not granted is refused
(`allow.everyone.if.no.acl.found=false`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

# confluent-kafka's stubs export these only from their defining modules.
from confluent_kafka.admin._acl import AclBinding, AclOperation, AclPermissionType
from confluent_kafka.admin._resource import ResourcePatternType, ResourceType
from confluent_kafka.admin._scram import (
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialAlteration,
    UserScramCredentialUpsertion,
)
from pydantic import SecretStr

from sightline_common.kafka.acl_spec import SERVICES, Grant, Operation, Pattern, Resource
from sightline_common.kafka.security import KafkaSecurity
from sightline_common.topics import TopicNames
from sightline_devstack.errors import PlatformError

ADMIN = "admin"
MECHANISM = "SCRAM-SHA-512"
_ITERATIONS = 4096

_RESOURCES = {Resource.TOPIC: ResourceType.TOPIC, Resource.GROUP: ResourceType.GROUP}
_PATTERNS = {
    Pattern.LITERAL: ResourcePatternType.LITERAL,
    Pattern.PREFIXED: ResourcePatternType.PREFIXED,
}
_OPERATIONS = {
    Operation.READ: AclOperation.READ,
    Operation.WRITE: AclOperation.WRITE,
    Operation.DESCRIBE: AclOperation.DESCRIBE,
    Operation.CREATE: AclOperation.CREATE,
}


def dev_password(principal: str) -> str:
    """The development password of a service principal on a devstack broker."""
    return f"{principal}-dev-password"


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
    """Lines appended to server.properties: SCRAM on the broker `listener`, PLAIN between the
    broker and its controller, the KRaft authorizer with default deny."""
    scram = f'username="{ADMIN}" password="{password}";'
    plain = f'username="{ADMIN}" password="{password}" user_{ADMIN}="{password}";'
    name = listener.lower()
    return "\n".join(
        [
            "sasl.enabled.mechanisms=SCRAM-SHA-512",
            "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
            f"listener.name.{name}.sasl.enabled.mechanisms=SCRAM-SHA-512",
            f"listener.name.{name}.scram-sha-512.sasl.jaas.config="
            f"org.apache.kafka.common.security.scram.ScramLoginModule required {scram}",
            "sasl.mechanism.controller.protocol=PLAIN",
            "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
            "listener.name.controller.plain.sasl.jaas.config="
            f"org.apache.kafka.common.security.plain.PlainLoginModule required {plain}",
            "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            f"super.users=User:{ADMIN}",
            "allow.everyone.if.no.acl.found=false",
            "",
        ]
    )


def format_args(password: str) -> list[str]:
    """`StorageTool format` arguments that store the admin's SCRAM credential."""
    return ["--add-scram", f"{MECHANISM}=[name={ADMIN},password={password}]"]


def acl_binding(principal: str, grant: Grant) -> AclBinding:
    """The broker's form of one spec grant (ALLOW from any host)."""
    return AclBinding(
        _RESOURCES[grant.resource],
        grant.name,
        _PATTERNS[grant.pattern],
        f"User:{principal}",
        "*",
        _OPERATIONS[grant.operation],
        AclPermissionType.ALLOW,
    )


def spec_bindings(names: TopicNames) -> list[AclBinding]:
    """Every ACL of every service principal under `names.prefix`."""
    return [
        acl_binding(service.principal, grant)
        for service in SERVICES
        for grant in service.grants(names)
    ]


def provision_principals(
    admin: AdminClient, names: TopicNames, passwords: Mapping[str, str] | None = None
) -> None:
    """Create (or reset) each service's SCRAM user and its ACLs; idempotent.

    `passwords` maps a principal to its password (default: `dev_password`). Raises
    `PlatformError` when the broker refuses either step.
    """
    chosen = passwords or {}
    upserts: list[UserScramCredentialAlteration] = [
        UserScramCredentialUpsertion(
            service.principal,
            ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, _ITERATIONS),
            chosen.get(service.principal, dev_password(service.principal)).encode(),
        )
        for service in SERVICES
    ]
    try:
        for future in admin.alter_user_scram_credentials(upserts).values():
            future.result()
        for future in admin.create_acls(spec_bindings(names), request_timeout=30).values():
            future.result()
    except KafkaException as exc:
        raise PlatformError(f"kafka: could not create users and ACLs: {exc}") from exc
