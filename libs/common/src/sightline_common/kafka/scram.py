"""A broker's SCRAM logins and ACLs, set up the same way wherever Sightline runs its own broker.

Strimzi does this on Kubernetes (`deploy/render_kafka_users.py`); the devstack's SCRAM broker and
docker-compose's broker do it with this module: the broker properties that turn SCRAM and the
default-deny authorizer on, the `StorageTool format` arguments that store the super user's
credential before the first start (a KRaft broker keeps SCRAM credentials in its metadata, so
its own inter-broker login must exist before it can serve anything), and `provision_principals`,
which gives every service principal of `acl_spec` its SCRAM user and exactly the spec's ACLs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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

from sightline_common.errors import SightlineError
from sightline_common.kafka.acl_spec import SERVICES, Grant, Operation, Pattern, Resource
from sightline_common.topics import TopicNames

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


class PrincipalsError(SightlineError):
    """The broker refused to create a SCRAM user or an ACL (a wrong admin login, say)."""


def dev_password(principal: str) -> str:
    """The development password of `principal` (a service or the super user): what the local
    platform and compose's first start use, refused outside development (`dev_credentials`)."""
    return f"{principal}-dev-password"


def password_variable(principal: str) -> str:
    """The variable compose's provisioning reads `principal`'s password from (the service
    itself reads its own from SIGHTLINE_KAFKA_PASSWORD)."""
    return f"SIGHTLINE_KAFKA_PASSWORD_{principal.upper().replace('-', '_')}"


def broker_properties(
    admin_password: str, listeners: Sequence[str], inter_broker: str
) -> dict[str, str]:
    """Broker properties: SCRAM-SHA-512 on every client listener in `listeners` (lower-case
    listener names), the super user's SCRAM login between the broker and itself on
    `inter_broker`, PLAIN with the same password between the broker and its controller, the
    KRaft authorizer with default deny."""
    scram = f'username="{ADMIN}" password="{admin_password}";'
    plain = f'username="{ADMIN}" password="{admin_password}" user_{ADMIN}="{admin_password}";'
    properties = {
        "sasl.enabled.mechanisms": MECHANISM,
        "sasl.mechanism.inter.broker.protocol": MECHANISM,
    }
    for name in listeners:
        # Each SASL listener needs a login context; the broker logs in with it only on its own
        # inter-broker listener, the others serve clients only.
        login = f" {scram}" if name == inter_broker else ";"
        properties[f"listener.name.{name}.sasl.enabled.mechanisms"] = MECHANISM
        properties[f"listener.name.{name}.{MECHANISM.lower()}.sasl.jaas.config"] = (
            f"org.apache.kafka.common.security.scram.ScramLoginModule required{login}"
        )
    properties |= {
        "sasl.mechanism.controller.protocol": "PLAIN",
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config": (
            f"org.apache.kafka.common.security.plain.PlainLoginModule required {plain}"
        ),
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": f"User:{ADMIN}",
        "allow.everyone.if.no.acl.found": "false",
    }
    return properties


def format_args(admin_password: str) -> list[str]:
    """`StorageTool format` arguments that store the super user's SCRAM credential."""
    return ["--add-scram", f"{MECHANISM}=[name={ADMIN},password={admin_password}]"]


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


def principal_passwords(environ: Mapping[str, str]) -> dict[str, str]:
    """principal -> password of every service principal whose `password_variable` is set (and
    not empty)."""
    return {
        service.principal: environ[password_variable(service.principal)]
        for service in SERVICES
        if environ.get(password_variable(service.principal))
    }


def provision_principals(
    admin: AdminClient, names: TopicNames, passwords: Mapping[str, str] | None = None
) -> list[str]:
    """Create (or reset) the SCRAM user of each principal in `passwords` (principal ->
    password; None: every service principal with its `dev_password`) and every principal's ACLs;
    idempotent, so running it at every start converges on the spec, a rotated password
    included. Returns the principals given a user. Raises `PrincipalsError` when the broker
    refuses either step.
    """
    chosen = (
        dict(passwords)
        if passwords is not None
        else {service.principal: dev_password(service.principal) for service in SERVICES}
    )
    upserts: list[UserScramCredentialAlteration] = [
        UserScramCredentialUpsertion(
            principal,
            ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, _ITERATIONS),
            password.encode(),
        )
        for principal, password in chosen.items()
    ]
    try:
        for future in admin.alter_user_scram_credentials(upserts).values():
            future.result()
        for future in admin.create_acls(spec_bindings(names), request_timeout=30).values():
            future.result()
    except KafkaException as exc:
        raise PrincipalsError(f"kafka: could not create users and ACLs: {exc}") from exc
    return list(chosen)
