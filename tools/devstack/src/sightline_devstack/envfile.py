"""The platform's effective settings, as services and tests consume them.

`up` writes them to `<state>/platform.env` (shell-sourceable `KEY=value` lines) so anything can
pick up the real ports (Postgres may have moved off 5432) without importing devstack.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PlatformEnv:
    """Where the running local platform can be reached."""

    state_dir: Path
    kafka_bootstrap: str
    topic_prefix: str
    postgres_host: str
    postgres_port: int
    postgres_user: str
    postgres_password: str
    postgres_db: str
    s3_endpoint: str  # host:port, as the minio client takes it
    s3_access_key: str
    s3_secret_key: str
    segments_bucket: str
    logos_bucket: str
    minio_console_url: str
    rtmp_url: str  # rtmp://host:port/live; publish to <rtmp_url>/<stream key>
    nginx_http_url: str
    hls_dir: Path
    rtmp_callback_url: str  # "" when nginx has no publish callbacks

    @property
    def database_url(self) -> str:
        """SQLAlchemy URL for the psycopg 3 driver."""
        return (
            f"postgresql+psycopg://{self.postgres_user}:{self.postgres_password}"
            f"@{self.postgres_host}:{self.postgres_port}/{self.postgres_db}"
        )

    @property
    def postgres_dsn(self) -> str:
        """libpq connection string, for `psycopg.connect` directly."""
        return (
            f"host={self.postgres_host} port={self.postgres_port} user={self.postgres_user}"
            f" password={self.postgres_password} dbname={self.postgres_db}"
        )

    def as_env(self) -> dict[str, str]:
        """The `SIGHTLINE_*` variables services read their settings from."""
        return {
            "SIGHTLINE_STATE_DIR": str(self.state_dir),
            "SIGHTLINE_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "SIGHTLINE_TOPIC_PREFIX": self.topic_prefix,
            "SIGHTLINE_DATABASE_URL": self.database_url,
            "SIGHTLINE_POSTGRES_HOST": self.postgres_host,
            "SIGHTLINE_POSTGRES_PORT": str(self.postgres_port),
            "SIGHTLINE_POSTGRES_USER": self.postgres_user,
            "SIGHTLINE_POSTGRES_PASSWORD": self.postgres_password,
            "SIGHTLINE_POSTGRES_DB": self.postgres_db,
            "SIGHTLINE_S3_ENDPOINT": self.s3_endpoint,
            "SIGHTLINE_S3_ACCESS_KEY": self.s3_access_key,
            "SIGHTLINE_S3_SECRET_KEY": self.s3_secret_key,
            "SIGHTLINE_S3_SECURE": "false",
            "SIGHTLINE_SEGMENTS_BUCKET": self.segments_bucket,
            "SIGHTLINE_LOGOS_BUCKET": self.logos_bucket,
            "SIGHTLINE_MINIO_CONSOLE_URL": self.minio_console_url,
            "SIGHTLINE_RTMP_URL": self.rtmp_url,
            "SIGHTLINE_NGINX_HTTP_URL": self.nginx_http_url,
            "SIGHTLINE_HLS_DIR": str(self.hls_dir),
            "SIGHTLINE_RTMP_CALLBACK_URL": self.rtmp_callback_url,
            # The local platform is development: its well-known credentials are allowed.
            "SIGHTLINE_ALLOW_DEV_CREDENTIALS": "true",
        }

    def write(self, path: Path) -> None:
        """Write `KEY=value` lines (shell-quoted where needed), atomically."""
        lines = ["# Written by `sightline-devstack up`: the running local platform."]
        # Empty values stay bare (`KEY=`): valid shell, and naive KEY=value readers agree.
        lines += [
            f"{key}={shlex.quote(value) if value else ''}" for key, value in self.as_env().items()
        ]
        tmp = path.with_suffix(".tmp")
        tmp.write_text("\n".join(lines) + "\n")
        tmp.replace(path)


def read_env_file(path: Path) -> dict[str, str]:
    """Parse a file written by `PlatformEnv.write` back into a dict."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#") or "=" not in line:
            continue
        key, raw = line.split("=", 1)
        parts = shlex.split(raw)
        values[key.strip()] = parts[0] if parts else ""
    return values
