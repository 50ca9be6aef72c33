"""Creates each service's MinIO user with its policy (`storage_access`), as MinIO's root user.

Idempotent: a policy is rewritten, a user's secret is set again and its policy mapping replaced,
so running it at every start (the devstack, compose's init, the Kubernetes Job) converges on the
spec, including a rotated secret or a narrowed grant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import urllib3
from minio import MinioAdmin
from minio.credentials.providers import StaticProvider
from minio.error import MinioAdminException

from sightline_common.errors import StorageUnavailableError
from sightline_common.storage_access import Bucket, StorageUser


def admin_client(endpoint: str, access_key: str, secret_key: str, secure: bool) -> MinioAdmin:
    """A MinIO admin client as the root user, failing fast so the caller can retry."""
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=3.0, read=30.0),
        retries=urllib3.Retry(total=2, backoff_factor=0.2),
    )
    return MinioAdmin(
        endpoint=endpoint,
        credentials=StaticProvider(access_key, secret_key),
        secure=secure,
        http_client=http,
    )


def ensure_storage_users(
    admin: MinioAdmin,
    users: Iterable[StorageUser],
    secret_keys: Mapping[str, str],
    buckets: Mapping[Bucket, str],
    prefix: str = "",
) -> list[str]:
    """Create or update the user of every principal in `secret_keys` (principal -> secret key);
    returns their access keys. Users without a secret here are left as they are."""
    done = []
    for user in users:
        secret = secret_keys.get(user.principal)
        if secret is None:
            continue
        access_key, policy = user.access_key(prefix), user.policy_name(prefix)
        try:
            admin.policy_add(policy, policy=user.policy(buckets))
            admin.user_add(access_key, secret)
            admin.policy_set(policy, user=access_key)
        except (MinioAdminException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageUnavailableError(f"storage user {access_key}: {exc}") from exc
        done.append(access_key)
    return done


def remove_storage_users(admin: MinioAdmin, users: Iterable[StorageUser], prefix: str) -> None:
    """Delete the users and policies made with `prefix` (a test's own)."""
    for user in users:
        try:
            admin.user_remove(user.access_key(prefix))
            admin.policy_remove(user.policy_name(prefix))
        except (MinioAdminException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageUnavailableError(f"remove storage user: {exc}") from exc
