"""Fixtures for the cross-service security checks: a real results-api process and its tokens.

Every check here talks to services as separate processes over their real ports, started with
the test's `isolated` environment (own topics, buckets and database schema).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import httpx
import pytest
from minio import MinioAdmin

from sightline_common.storage import ObjectStore
from sightline_common.storage_access import (
    STORAGE_USERS,
    WORKLOAD_USERS,
    Bucket,
    StorageUser,
    bucket_names,
    storage_user,
)
from sightline_common.storage_users import admin_client, ensure_storage_users, remove_storage_users
from sightline_devstack.ports import ephemeral_port
from sightline_testkit.plugin import Isolated
from sightline_testkit.processes import ChildProcess


@dataclass
class ResultsApi:
    """A running results-api process, an operator CLI on its database, and a live token."""

    isolated: Isolated
    process: ChildProcess
    base_url: str
    token: str

    def client(self, token: str | None = None) -> httpx.Client:
        """An HTTP client on the API, authenticated with `token` (default: the live one)."""
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)

    def cli(self, *args: str) -> str:
        """Run the operator CLI (as operators do) and return what it printed on stdout."""
        return run_cli(self.isolated, *args)


def run_cli(isolated: Isolated, *args: str) -> str:
    """`sightline ...` as operators run it; fails on a non-zero exit, returns its stdout."""
    done = isolated.run("sightline_results_api.cli", *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def start_results_api(isolated: Isolated, mode: str = "api", **env: str) -> ResultsApi:
    """Start results-api in `mode` on a free port, wait for /readyz, and issue a token."""
    port = ephemeral_port()
    process = isolated.spawn("sightline_results_api", mode, SIGHTLINE_HTTP_PORT=str(port), **env)
    base_url = f"http://127.0.0.1:{port}"
    process.wait_http_ok(f"{base_url}/readyz", timeout=90)
    token = run_cli(isolated, "token", "create", "--name", "security").strip().splitlines()[-1]
    return ResultsApi(isolated, process, base_url, token)


@pytest.fixture(scope="module")
def results_api(isolated_module: Isolated) -> ResultsApi:
    """results-api (API only) as a process on the module's platform slice, started once for
    the module's tests (each start costs ~9 CPU-s with its token; a module using it carries
    one `xdist_group`, so its tests share one)."""
    return start_results_api(isolated_module)


@dataclass
class StorageLogins:
    """The test's own MinIO user per service (`storage_access`), on its isolated buckets, each
    made as the provisioning makes it when the test first asks for its login (`access_key`,
    `env_of`, `store`): setting a user's secret costs an Argon2 key derivation here and another
    in MinIO (~0.17 CPU-s a user), and most tests log in as one or two of the six."""

    prefix: str
    secret_keys: dict[str, str]
    admin: MinioAdmin
    buckets: Mapping[Bucket, str]
    made: list[StorageUser] = field(default_factory=list)

    def env(self, workload: str) -> dict[str, str]:
        """`SIGHTLINE_S3_*` for `workload`: its user's login, or none for a storage-less one."""
        principal = WORKLOAD_USERS.get(workload)
        if principal is None:
            return {"SIGHTLINE_S3_ACCESS_KEY": "", "SIGHTLINE_S3_SECRET_KEY": ""}
        return self.env_of(principal)

    def access_key(self, principal: str) -> str:
        """The access key of `principal`'s user, which is made first if it is not yet."""
        user = storage_user(principal)
        if user not in self.made:
            ensure_storage_users(self.admin, [user], self.secret_keys, self.buckets, self.prefix)
            self.made.append(user)
        return user.access_key(self.prefix)

    def env_of(self, principal: str) -> dict[str, str]:
        """`SIGHTLINE_S3_*` of the user `principal`."""
        return {
            "SIGHTLINE_S3_ACCESS_KEY": self.access_key(principal),
            "SIGHTLINE_S3_SECRET_KEY": self.secret_keys[principal],
        }

    def store(self, isolated: Isolated, principal: str) -> ObjectStore:
        """An object store client logged in as `principal`'s user."""
        return ObjectStore.from_settings(isolated.settings(**self.env_of(principal)))


def root_admin(isolated: Isolated) -> MinioAdmin:
    settings = isolated.settings()
    return admin_client(
        settings.s3_endpoint,
        settings.s3_access_key,
        settings.s3_secret_key.get_secret_value(),
        settings.s3_secure,
    )


@pytest.fixture
def storage_logins(isolated: Isolated) -> Iterator[StorageLogins]:
    """A user per service of the spec, made for the test's buckets as the provisioning makes
    them (unique names and secrets) when the test first logs in as it; removed afterwards."""
    env = isolated.env
    logins = StorageLogins(
        prefix=f"{env['SIGHTLINE_SEGMENTS_BUCKET']}-",
        secret_keys={user.principal: secrets.token_urlsafe(24) for user in STORAGE_USERS},
        admin=root_admin(isolated),
        buckets=bucket_names(env["SIGHTLINE_SEGMENTS_BUCKET"], env["SIGHTLINE_LOGOS_BUCKET"]),
    )
    try:
        yield logins
    finally:
        remove_storage_users(logins.admin, logins.made, logins.prefix)
