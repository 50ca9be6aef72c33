"""What the local platform is asked to be: ports, folders, credentials, read once from the env.

One frozen object, built in the entry point (`DevstackSettings.from_env()`) and passed down, so a
test can build a second one with other ports and another state folder and run a throwaway
instance beside the shared platform.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sightline_devstack import ports

ENV_PREFIX = "SIGHTLINE_"


def find_repo_root(start: Path | None = None) -> Path:
    """The workspace root: the nearest folder above `start` whose pyproject declares the uv
    workspace. Falls back to the current directory when run from outside a clone."""
    here = (start or Path(__file__)).resolve()
    for folder in (here, *here.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "[tool.uv.workspace]" in pyproject.read_text():
            return folder
    return Path.cwd().resolve()


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "sightline"


@dataclass(frozen=True)
class DevstackSettings:
    """Everything that can differ between two local platforms on one machine."""

    repo_root: Path = field(default_factory=find_repo_root)
    state_dir: Path = field(default_factory=lambda: find_repo_root() / ".state")
    cache_dir: Path = field(default_factory=_default_cache_dir)
    host: str = "127.0.0.1"

    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    kafka_heap: str = "768m"
    # Non-empty: the broker takes SCRAM logins only, `admin` (this password) is its super user,
    # and each service principal gets the ACLs of `sightline_common.kafka.acl_spec`.
    kafka_admin_password: str = ""
    # With a password: the client listener is SASL_SSL, its certificate signed by a CA made in
    # the state folder (`servers.kafka_tls`), as production's TLS listener.
    kafka_tls: bool = False
    topic_prefix: str = ""

    postgres_port: int = 5432
    db_user: str = "sightline"
    db_password: str = "sightline"  # noqa: S105 - a local dev credential, documented as such
    db_name: str = "sightline"

    minio_port: int = 9000
    minio_console_port: int = 9001
    s3_access_key: str = "sightline"
    s3_secret_key: str = "sightline-secret"  # noqa: S105 - a local dev credential
    segments_bucket: str = "sightline-segments"
    logos_bucket: str = "sightline-logos"

    rtmp_port: int = 1935
    nginx_http_port: int = 8080
    # Base URL of ingest's nginx-rtmp callbacks; None renders no on_publish hooks at all.
    rtmp_callback_url: str | None = "http://127.0.0.1:8010/rtmp"
    rtmp_publish_allow: tuple[str, ...] = ("127.0.0.1",)
    rtmp_play_allow: tuple[str, ...] = ()

    health_timeout_s: float = 120.0

    @property
    def buckets(self) -> tuple[str, ...]:
        """Every bucket `up` creates."""
        return (self.segments_bucket, self.logos_bucket)

    @property
    def platform_dir(self) -> Path:
        """Committed templates and dependency lists (`platform/` in the repo)."""
        return self.repo_root / "platform"

    @property
    def env_file(self) -> Path:
        """Where `up` writes the effective settings for services and tests to source."""
        return self.state_dir / "platform.env"

    @property
    def lock_file(self) -> Path:
        """Serialises `up`/`down` between a developer's shell and a test session."""
        return self.state_dir / "devstack.lock"

    @property
    def hls_dir(self) -> Path:
        """Where nginx-rtmp writes one folder of .m3u8/.ts per stream key."""
        return self.state_dir / "hls"

    def private_nginx(self, state_dir: Path, callback_port: int) -> DevstackSettings:
        """These settings for a throwaway nginx-rtmp beside the shared one: its own state (and
        HLS) under `state_dir`, fresh ports, publish callbacks to an ingest on `callback_port`.
        Start it with `ensure_up(..., only=["nginx"])`, stop it with `down(..., only=["nginx"])`."""
        return dataclasses.replace(
            self,
            state_dir=state_dir,
            rtmp_port=ports.ephemeral_port(),
            nginx_http_port=ports.ephemeral_port(),
            rtmp_callback_url=f"http://{self.host}:{callback_port}/rtmp",
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DevstackSettings:
        """Defaults from DESIGN.md, each overridable by a `SIGHTLINE_*` variable."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            return env.get(ENV_PREFIX + name)

        def port(name: str, default: int) -> int:
            raw = get(name)
            return int(raw) if raw else default

        def listing(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
            raw = get(name)
            if raw is None:
                return default
            return tuple(part.strip() for part in raw.split(",") if part.strip())

        base = cls()
        callback = get("RTMP_CALLBACK_URL")
        return cls(
            repo_root=base.repo_root,
            state_dir=Path(get("STATE_DIR") or base.state_dir).resolve(),
            cache_dir=Path(get("CACHE_DIR") or base.cache_dir).expanduser().resolve(),
            kafka_port=port("KAFKA_PORT", base.kafka_port),
            kafka_controller_port=port("KAFKA_CONTROLLER_PORT", base.kafka_controller_port),
            kafka_heap=get("KAFKA_HEAP") or base.kafka_heap,
            topic_prefix=get("TOPIC_PREFIX") or base.topic_prefix,
            postgres_port=port("POSTGRES_PORT", base.postgres_port),
            minio_port=port("MINIO_PORT", base.minio_port),
            minio_console_port=port("MINIO_CONSOLE_PORT", base.minio_console_port),
            s3_access_key=get("S3_ACCESS_KEY") or base.s3_access_key,
            s3_secret_key=get("S3_SECRET_KEY") or base.s3_secret_key,
            segments_bucket=get("SEGMENTS_BUCKET") or base.segments_bucket,
            logos_bucket=get("LOGOS_BUCKET") or base.logos_bucket,
            rtmp_port=port("RTMP_PORT", base.rtmp_port),
            nginx_http_port=port("NGINX_HTTP_PORT", base.nginx_http_port),
            # An empty value switches the publish callbacks off (a bare nginx-rtmp).
            rtmp_callback_url=(base.rtmp_callback_url if callback is None else callback or None),
            rtmp_publish_allow=listing("RTMP_PUBLISH_ALLOW", base.rtmp_publish_allow),
            rtmp_play_allow=listing("RTMP_PLAY_ALLOW", base.rtmp_play_allow),
            health_timeout_s=float(get("HEALTH_TIMEOUT") or base.health_timeout_s),
        )
