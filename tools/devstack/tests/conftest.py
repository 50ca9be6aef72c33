"""Fixtures: the shared platform (reused, never stopped) and throwaway instances (always).

Tests that take something down only ever do it to a throwaway instance with its own state
folder and ports, because other engineers' test sessions use the shared platform meanwhile.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sightline_devstack import ports
from sightline_devstack.envfile import PlatformEnv
from sightline_devstack.platform import down, ensure_up
from sightline_devstack.settings import DevstackSettings


@pytest.fixture(scope="session")
def shared_platform() -> PlatformEnv:
    """The developer's platform (.state/ in the repo), brought up if needed, left running."""
    return ensure_up()


def throwaway_settings(state_dir: Path) -> DevstackSettings:
    """Settings for a second platform beside the shared one: own folder, fresh ports,
    no publish callbacks (no ingest service answers for it)."""
    base = DevstackSettings.from_env()
    fresh = [ports.ephemeral_port() for _ in range(7)]
    return dataclasses.replace(
        base,
        state_dir=state_dir,
        kafka_port=fresh[0],
        kafka_controller_port=fresh[1],
        postgres_port=fresh[2],
        minio_port=fresh[3],
        minio_console_port=fresh[4],
        rtmp_port=fresh[5],
        nginx_http_port=fresh[6],
        rtmp_callback_url=None,
        health_timeout_s=90,
    )


@pytest.fixture
def throwaway() -> Iterator[DevstackSettings]:
    """A throwaway platform's settings; whatever the test started is stopped afterwards.

    Its folder is not under pytest's tmp_path: that is private (0700) to root, and PostgreSQL
    runs as the `postgres` user, which must be able to reach its data folder.
    """
    folder = Path(tempfile.mkdtemp(prefix="sightline-devstack-"))
    folder.chmod(0o755)
    settings = throwaway_settings(folder / "state")
    try:
        yield settings
    finally:
        down(settings, say=lambda _: None)
        shutil.rmtree(folder, ignore_errors=True)
