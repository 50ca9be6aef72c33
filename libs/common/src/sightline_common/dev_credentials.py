"""Built-in development credentials never run a real deployment.

The local platform (`make run`, the tests) and compose's first start use well-known passwords so
that nothing has to be set up. A deployment that forgot to replace them would run with a MinIO
and a database anyone can log into, silently. So every service refuses to start while one of
them is in use, unless `SIGHTLINE_ALLOW_DEV_CREDENTIALS=true` says this is development (the
local platform's environment sets it).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

import structlog
from pydantic import SecretStr

from sightline_common.kafka.acl_spec import SERVICES
from sightline_common.kafka.scram import ADMIN, dev_password
from sightline_common.storage_access import STORAGE_USERS

DEV_S3_SECRET_KEY = "sightline-secret"  # noqa: S105 - the documented development value
DEV_DATABASE_PASSWORD = "sightline"  # noqa: S105 - the documented development value
ALLOW_VARIABLE = "SIGHTLINE_ALLOW_DEV_CREDENTIALS"
# The per-service MinIO users' secrets the local platform and compose derive from the root's.
DEV_S3_SECRET_KEYS = frozenset(
    {DEV_S3_SECRET_KEY, *(user.dev_secret_key(DEV_S3_SECRET_KEY) for user in STORAGE_USERS)}
)
# The Kafka passwords of the local platform's and compose's first-start SCRAM users.
DEV_KAFKA_PASSWORDS = frozenset(dev_password(p) for p in (ADMIN, *(s.principal for s in SERVICES)))


class DevCredentialsError(RuntimeError):
    """A service outside development was given a built-in development credential."""

    def __init__(self, names: Iterable[str]) -> None:
        listed = ", ".join(names)
        super().__init__(
            f"{listed} still hold the built-in development credentials: set real ones (see "
            f"docs/deploy.md), or {ALLOW_VARIABLE}=true on a development machine"
        )


def dev_credentials(
    s3_secret_key: str | None,
    database_url: str | None = None,
    storage_secret_keys: Iterable[str] = (),
    kafka_passwords: Iterable[str] = (),
) -> list[str]:
    """The settings among these that hold a built-in development credential (`s3_secret_key`
    None: the service uses no object storage; `storage_secret_keys`: the per-service users'
    secrets the provisioning creates; `kafka_passwords`: the service's own Kafka login and, for
    the provisioning, the SCRAM users' it creates)."""
    found = []
    if s3_secret_key in DEV_S3_SECRET_KEYS:
        found.append("SIGHTLINE_S3_SECRET_KEY")
    if database_url and urlsplit(database_url).password == DEV_DATABASE_PASSWORD:
        found.append("SIGHTLINE_DATABASE_URL")
    if DEV_S3_SECRET_KEYS & set(storage_secret_keys):
        found.append("SIGHTLINE_S3_SECRET_KEY_<USER>")
    if DEV_KAFKA_PASSWORDS & set(kafka_passwords):
        found.append("SIGHTLINE_KAFKA_PASSWORD")
    return found


def refuse_dev_credentials(
    allowed: bool,
    s3_secret_key: str | None,
    database_url: str | None = None,
    storage_secret_keys: Iterable[str] = (),
    kafka_passwords: Iterable[str] = (),
) -> None:
    """Raise DevCredentialsError when a development credential is in use and not allowed."""
    found = dev_credentials(s3_secret_key, database_url, storage_secret_keys, kafka_passwords)
    if found and not allowed:
        raise DevCredentialsError(found)


def required_secret(value: SecretStr, variable: str, *, dev_value: str, allowed: bool) -> bytes:
    """A signing key a service cannot run without: `value`, or `dev_value` when development
    credentials are `allowed`; otherwise the service refuses to start (exit 2, with `variable`
    named in the log)."""
    secret = value.get_secret_value()
    if secret:
        return secret.encode()
    if allowed:
        return dev_value.encode()
    structlog.get_logger(__name__).error("service.refused", reason=f"{variable} is not set")
    raise SystemExit(2)
