"""A throwaway nginx-rtmp for one test, so the ingest it starts needs neither the shared nginx
nor port 8010 (which `make run` or another test may hold)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class PrivateNginx:
    """Where to push, where it writes HLS, and the port its publish callbacks go to."""

    rtmp_url: str
    http_url: str
    hls_dir: Path
    callback_port: int
    log_dir: Path  # nginx's error and access logs

    def ingest_env(self, state_dir: Path) -> dict[str, str]:
        """The settings of an ingest that serves this nginx (callbacks, HLS, /stat, pushes)."""
        return {
            "SIGHTLINE_HTTP_PORT": str(self.callback_port),
            "SIGHTLINE_HLS_DIR": str(self.hls_dir),
            "SIGHTLINE_RTMP_URL": self.rtmp_url,
            "SIGHTLINE_NGINX_HTTP_URL": self.http_url,
            "SIGHTLINE_INGEST_STATE_DIR": str(state_dir),
        }


@pytest.fixture
def private_nginx(platform_env: dict[str, str]) -> Iterator[PrivateNginx]:
    """nginx-rtmp on fresh ports with its own HLS folder, stopped and removed afterwards."""
    from sightline_devstack import ports  # noqa: PLC0415 - integration-only dependency
    from sightline_devstack.platform import down, ensure_up  # noqa: PLC0415
    from sightline_devstack.settings import DevstackSettings  # noqa: PLC0415

    folder = Path(tempfile.mkdtemp(prefix="sightline-nginx-"))
    folder.chmod(0o755)  # nginx's workers run unprivileged and must reach the HLS folder
    callback_port = ports.ephemeral_port()
    settings = DevstackSettings.from_env().private_nginx(folder / "state", callback_port)
    env = ensure_up(settings, only=["nginx"], say=lambda _: None, install_packages=False)
    try:
        yield PrivateNginx(
            env.rtmp_url,
            env.nginx_http_url,
            Path(env.hls_dir),
            callback_port,
            settings.state_dir / "nginx" / "logs",
        )
    finally:
        down(settings, only=["nginx"], say=lambda _: None)
        shutil.rmtree(folder, ignore_errors=True)
