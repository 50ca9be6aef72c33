"""The local platform as a whole: bring it up, take it down, say how it is.

This is the API other code imports: a pytest session fixture calls `ensure_up()` once and gets
a `PlatformEnv`; if a developer's `make up` already started everything, that is reused. All of
it runs under one file lock in the state folder, so concurrent callers take turns.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from sightline_devstack.envfile import PlatformEnv
from sightline_devstack.install.apt import ensure_packages
from sightline_devstack.locking import exclusive
from sightline_devstack.procs import PidRecord, group_cpu_seconds
from sightline_devstack.servers import SERVER_NAMES, SERVER_TYPES, Server, ServerStatus
from sightline_devstack.servers.base import Say
from sightline_devstack.settings import DevstackSettings


def _servers(
    settings: DevstackSettings, say: Say, only: Collection[str] | None = None
) -> list[Server]:
    unknown = set(only or ()) - set(SERVER_NAMES)
    if unknown:
        raise ValueError(f"unknown servers {sorted(unknown)}; known: {SERVER_NAMES}")
    return [t(settings, say) for t in SERVER_TYPES if only is None or t.name in only]


def platform_env(settings: DevstackSettings, chosen: dict[str, dict[str, int]]) -> PlatformEnv:
    """The effective settings, given the ports each server actually listens on."""
    s = settings
    host = s.host
    kafka = chosen.get("kafka", {"broker": s.kafka_port})
    pg = chosen.get("postgres", {"sql": s.postgres_port})
    minio = chosen.get("minio", {"api": s.minio_port, "console": s.minio_console_port})
    nginx = chosen.get("nginx", {"rtmp": s.rtmp_port, "http": s.nginx_http_port})
    return PlatformEnv(
        state_dir=s.state_dir,
        kafka_bootstrap=f"{host}:{kafka['broker']}",
        topic_prefix=s.topic_prefix,
        postgres_host=host,
        postgres_port=pg["sql"],
        postgres_user=s.db_user,
        postgres_password=s.db_password,
        postgres_db=s.db_name,
        s3_endpoint=f"{host}:{minio['api']}",
        s3_access_key=s.s3_access_key,
        s3_secret_key=s.s3_secret_key,
        segments_bucket=s.segments_bucket,
        logos_bucket=s.logos_bucket,
        minio_console_url=f"http://{host}:{minio['console']}",
        rtmp_url=f"rtmp://{host}:{nginx['rtmp']}/live",
        nginx_http_url=f"http://{host}:{nginx['http']}",
        hls_dir=s.hls_dir,
        rtmp_callback_url=s.rtmp_callback_url or "",
    )


def ensure_up(
    settings: DevstackSettings | None = None,
    *,
    only: Collection[str] | None = None,
    say: Say = print,
    install_packages: bool = True,
) -> PlatformEnv:
    """Install what is missing, start what is not running, provision, and return the settings.

    Idempotent and cheap when everything is already up. `only` restricts to some servers (for
    throwaway instances in tests). Raises a `PlatformError` subclass naming the log to read.
    """
    settings = settings or DevstackSettings.from_env()
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    with exclusive(settings.lock_file, say, "the devstack lock"):
        if install_packages:
            ensure_packages(say=say)
        servers = _servers(settings, say, only)
        records = [server.begin() for server in servers]
        chosen = {srv.name: srv.finish(rec) for srv, rec in zip(servers, records, strict=True)}
        env = platform_env(settings, chosen)
        env.write(settings.env_file)
    return env


def down(
    settings: DevstackSettings | None = None,
    *,
    only: Collection[str] | None = None,
    say: Say = print,
) -> list[str]:
    """Stop the servers this state folder started, newest-dependency first; returns their names.

    Leaves data in place (the next `up` resumes it) and removes platform.env, since what it
    describes is no longer running.
    """
    settings = settings or DevstackSettings.from_env()
    if not settings.state_dir.exists():
        return []
    stopped: list[str] = []
    with exclusive(settings.lock_file, say, "the devstack lock"):
        for server in reversed(_servers(settings, say, only)):
            if server.stop():
                stopped.append(server.name)
        if only is None:
            settings.env_file.unlink(missing_ok=True)
    return stopped


def status(
    settings: DevstackSettings | None = None, *, only: Collection[str] | None = None
) -> list[ServerStatus]:
    """Each server's process and health, read without taking the lock."""
    settings = settings or DevstackSettings.from_env()
    return [server.status() for server in _servers(settings, lambda _: None, only)]


def recorded_pids(settings: DevstackSettings) -> dict[str, int]:
    """name -> pid of every server record in the state folder (alive or not), for tests."""
    out: dict[str, int] = {}
    for server in _servers(settings, lambda _: None):
        rec = PidRecord.read(server.pid_file)
        if rec is not None:
            out[server.name] = rec.pid
    return out


def server_cpu_seconds(
    settings: DevstackSettings | None = None, *, only: Collection[str] | None = None
) -> dict[str, float]:
    """name -> CPU seconds each running server of this state folder has used since it started
    (its process group, reaped children included); servers not running are left out."""
    settings = settings or DevstackSettings.from_env()
    out: dict[str, float] = {}
    for server in _servers(settings, lambda _: None, only):
        rec = PidRecord.read(server.pid_file)
        seconds = group_cpu_seconds(rec) if rec is not None else None
        if seconds is not None:
            out[server.name] = seconds
    return out


def env_file_path(settings: DevstackSettings | None = None) -> Path:
    """Where `up` writes platform.env for these settings."""
    return (settings or DevstackSettings.from_env()).env_file
