"""The install steps of every service image, run here: `uv sync --frozen --no-dev --no-editable
--package sightline-<name>`, third-party packages first, then the workspace's own (exactly the
Dockerfiles' commands), into a virtualenv whose entry modules must then import. This proves each
image gets every runtime dependency from the lock — nothing the service only finds because the
developer venv holds the whole workspace — and no dev or test tooling.

Each service's virtualenv is kept between runs in the cache folder (outside the clone, as make
test's other caches) and synced again each time: `uv sync` is exact, so it removes whatever the
lock does not give the package, and the workspace's own packages are reinstalled afresh, so the
venv holds what a fresh one would. What a kept one saves is the bytecode of the third-party
packages: compiling them was most of the probe's CPU (results-api's probe, nproc 2: 5.7 CPU-s
in a fresh venv, 2.4 in a kept one)."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from .manifests import REPO, Service, services

# Modules each image runs besides `python -m <service module>` (compose/k8s commands).
EXTRA_ENTRY_MODULES = {
    "results-api": ["sightline_common.provision", "sightline_results_api.cli"],
    "detector-logo": ["sightline_analysis.cloud_standin.__main__"],
}
DEV_ONLY = ("pytest", "ruff", "mypy", "sightline_devstack", "sightline_testkit", "hadolint")


def cache_dir() -> Path:
    """The workspace's cache folder (scripts/bootstrap.sh), outside any clone."""
    return Path(os.environ.get("SIGHTLINE_CACHE_DIR", Path.home() / ".cache" / "sightline"))


def uv() -> str:
    # The workspace's own uv (scripts/bootstrap.sh) first: a `uv` on PATH may be another version.
    found = next(iter(sorted(cache_dir().glob("uv-*/bin/uv"))), None) or shutil.which("uv")
    assert found, "uv missing: run `make setup`"
    return str(found)


def workspace_packages() -> list[str]:
    """The name of every workspace member (the root pyproject's `libs/*`, `tools/*`,
    `services/*`)."""
    names = []
    for pyproject in sorted(REPO.glob("*/*/pyproject.toml")):
        if pyproject.parent.parent.name in ("libs", "tools", "services"):
            names.append(str(tomllib.loads(pyproject.read_text())["project"]["name"]))
    return names


@pytest.fixture
def kept_venv(service: Service) -> Iterator[Path]:
    """The service's kept virtualenv, locked for this test: two runs (xdist workers of two
    clones) never sync one at once."""
    folder = cache_dir() / "image-venvs"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{service.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield folder / service.name


@pytest.mark.parametrize("service", services(), ids=lambda s: s.name)
def test_image_install_step_gives_a_runnable_service(
    service: Service, kept_venv: Path, tmp_path: Path
) -> None:
    venv = kept_venv
    env = {
        **os.environ,
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "UV_PYTHON_DOWNLOADS": "never",
        # Links instead of copies: same packages as the image, a fraction of the disk and time.
        "UV_LINK_MODE": "symlink",
        "UV_COMPILE_BYTECODE": "0",
    }
    env.setdefault("UV_CACHE_DIR", str(Path.home() / ".cache" / "sightline" / "uv-cache"))
    # The Dockerfiles' two steps: third-party packages (cached), then the workspace's own
    # packages built afresh.
    base = [uv(), "sync", "--frozen", "--no-dev", "--no-editable", "--quiet"]
    base += ["--package", f"sightline-{service.name}", "--python", sys.executable]
    # Without a cache to link to, the second step copies (two small packages). It reinstalls
    # them even where a kept venv has them at the same version: uv would keep a copy of older
    # sources (a no-op in a fresh venv, as in the image).
    reinstall = [arg for name in workspace_packages() for arg in ("--reinstall-package", name)]
    steps: list[tuple[list[str], dict[str, str]]] = [
        (["--no-install-workspace"], {}),
        (["--no-cache", *reinstall], {"UV_LINK_MODE": "copy"}),
    ]
    for flags, overrides in steps:
        result = subprocess.run(
            base + flags,
            cwd=REPO,
            env={**env, **overrides},
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        assert result.returncode == 0, result.stderr

    modules = [f"{service.module}.__main__", *EXTRA_ENTRY_MODULES.get(service.name, [])]
    probe = (
        "import importlib, importlib.util, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"leaked = [m for m in {DEV_ONLY!r} if importlib.util.find_spec(m)]\n"
        "sys.exit(f'dev-only packages installed: {leaked}' if leaked else 0)\n"
    )
    # -I: isolated from this checkout (no cwd on sys.path), as in the image.
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-I", "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
