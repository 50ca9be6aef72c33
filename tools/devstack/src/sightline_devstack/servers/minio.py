"""MinIO, the S3-compatible object store holding segments, playlists and logo images.

Besides the buckets, provisioning creates each service's own MinIO user and policy
(`sightline_common.storage_access`), its secret key derived from the root's
(`StorageUser.dev_secret_key`), so `make run` runs every service on its own login.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

import urllib3
from minio import Minio
from minio.error import MinioException

from sightline_common.errors import StorageUnavailableError
from sightline_common.storage_access import STORAGE_USERS, Bucket, bucket_names
from sightline_common.storage_users import admin_client, ensure_storage_users
from sightline_devstack.errors import ServerStartError
from sightline_devstack.install.minio_binary import ensure_minio, minio_binary
from sightline_devstack.servers.base import Launch, Server
from sightline_devstack.servers.nginx import http_ok


class MinioServer(Server):
    """A single-drive MinIO with the project's buckets."""

    name = "minio"
    stop_timeout_s = 20.0

    @property
    def data_dir(self) -> Path:
        """The one drive MinIO stores objects on."""
        return self.dir / "data"

    def wanted_ports(self) -> dict[str, int]:
        return {"api": self.settings.minio_port, "console": self.settings.minio_console_port}

    def install(self) -> None:
        ensure_minio(self.settings.cache_dir, self.say)

    def prepare(self, chosen_ports: dict[str, int]) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "certs").mkdir(exist_ok=True)

    def launch(self, chosen_ports: dict[str, int]) -> Launch:
        s = self.settings
        return Launch(
            argv=[
                str(minio_binary(s.cache_dir)),
                "server",
                str(self.data_dir),
                "--address",
                f"{s.host}:{chosen_ports['api']}",
                "--console-address",
                f"{s.host}:{chosen_ports['console']}",
                # Keeps MinIO from creating ~/.minio/certs outside the state folder.
                "--certs-dir",
                str(self.dir / "certs"),
            ],
            env={
                "PATH": "/usr/bin:/bin",
                "HOME": str(self.dir),
                "MINIO_ROOT_USER": s.s3_access_key,
                "MINIO_ROOT_PASSWORD": s.s3_secret_key,
                "MINIO_UPDATE": "off",
                "MINIO_BROWSER_REDIRECT": "off",
                # The background scanner (data usage, lifecycle, heal checks) walks every bucket
                # each minute by default; nothing here reads what it computes (no quotas, no
                # lifecycle rules, drive space comes from the admin info). Slowest: a cycle per
                # 30 min. Throwaway MinIO, 40 buckets of 50 objects, idle 180 s (load 4-7):
                # 2.19 CPU-s by default, 0.10 with this.
                "MINIO_SCANNER_SPEED": "slowest",
            },
            cwd=self.dir,
        )

    def client(self, chosen_ports: dict[str, int]) -> Minio:
        """An S3 client as the platform's root user, failing fast instead of retrying."""
        s = self.settings
        return Minio(
            f"{s.host}:{chosen_ports['api']}",
            access_key=s.s3_access_key,
            secret_key=s.s3_secret_key,
            secure=False,
            http_client=urllib3.PoolManager(
                timeout=urllib3.Timeout(connect=2, read=5), retries=urllib3.Retry(0)
            ),
        )

    def is_ready(self, chosen_ports: dict[str, int]) -> bool:
        url = f"http://{self.settings.host}:{chosen_ports['api']}/minio/health/live"
        if not http_ok(url):
            return False
        try:
            self.client(chosen_ports).list_buckets()
        except (MinioException, OSError, urllib3.exceptions.HTTPError):
            return False
        return True

    def provision(self, chosen_ports: dict[str, int]) -> None:
        client = self.client(chosen_ports)
        for bucket in self.settings.buckets:
            if not client.bucket_exists(bucket):
                client.make_bucket(bucket)
                self.say(f"minio: created bucket {bucket}")
        s = self.settings
        secrets = {user.principal: user.dev_secret_key(s.s3_secret_key) for user in STORAGE_USERS}
        buckets = bucket_names(s.segments_bucket, s.logos_bucket)
        # Setting a user's secret costs an Argon2 key derivation on each side (MinIO's admin API
        # encrypts the request): the six users cost ~1 CPU-s (0.57 here, 0.45 MinIO's) on every
        # `ensure_up`, which each pytest worker and each `up` calls on the running platform, and
        # after each restart. MinIO keeps its users on its drive, so this drive has them as the
        # spec says when the stamp says so (a wiped drive is formatted with another id).
        deployment = self._deployment_id()
        stamp = None if deployment is None else users_stamp(deployment, secrets, buckets)
        if stamp is not None and self._read_users_stamp() == stamp:
            return
        admin = admin_client(
            f"{s.host}:{chosen_ports['api']}", s.s3_access_key, s.s3_secret_key, False
        )
        try:
            ensure_storage_users(admin, STORAGE_USERS, secrets, buckets)
        except StorageUnavailableError as exc:
            raise ServerStartError(f"minio: {exc}", self.log_path) from exc
        if stamp is not None:
            self.users_stamp_file.write_text(stamp)

    @property
    def users_stamp_file(self) -> Path:
        """`users_stamp` of the last provisioning of the storage users."""
        return self.dir / "users.stamp"

    def _deployment_id(self) -> str | None:
        """The id MinIO gave its drive when it formatted it (None if it cannot be read)."""
        try:
            return str(json.loads((self.data_dir / ".minio.sys" / "format.json").read_text())["id"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _read_users_stamp(self) -> str | None:
        try:
            return self.users_stamp_file.read_text()
        except FileNotFoundError:
            return None

    def is_healthy(self, chosen_ports: dict[str, int]) -> bool:
        if not self.is_ready(chosen_ports):
            return False
        names = {b.name for b in self.client(chosen_ports).list_buckets()}
        return set(self.settings.buckets) <= names


def users_stamp(deployment: str, secrets: Mapping[str, str], buckets: Mapping[Bucket, str]) -> str:
    """A digest of the MinIO drive's id and of every storage user's access key, policy and
    secret key (hashed, never stored)."""
    users = [
        [user.access_key(), user.policy_name(), user.policy(buckets), secrets[user.principal]]
        for user in STORAGE_USERS
        if user.principal in secrets
    ]
    spec = json.dumps([deployment, users], sort_keys=True)
    return hashlib.sha256(spec.encode()).hexdigest()
