"""The install steps of every service image, run here: `uv sync --frozen --no-dev --no-editable
--package sightline-<name>`, third-party packages first, then the workspace's own (exactly the
Dockerfiles' commands), into a fresh virtualenv whose entry modules must then import. This
proves each image gets every runtime dependency from the lock — nothing the service only finds
because the developer venv holds the whole workspace — and no dev or test tooling."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .manifests import REPO, Service, services

# Modules each image runs besides `python -m <service module>` (compose/k8s commands).
EXTRA_ENTRY_MODULES = {
    "results-api": ["sightline_common.provision", "sightline_results_api.cli"],
    "detector-logo": ["sightline_analysis.cloud_standin.__main__"],
}
DEV_ONLY = ("pytest", "ruff", "mypy", "sightline_devstack", "sightline_testkit", "hadolint")


def uv() -> str:
    cache = Path(os.environ.get("SIGHTLINE_CACHE_DIR", Path.home() / ".cache" / "sightline"))
    # The workspace's own uv (scripts/bootstrap.sh) first: a `uv` on PATH may be another version.
    found = next(iter(sorted(cache.glob("uv-*/bin/uv"))), None) or shutil.which("uv")
    assert found, "uv missing: run `make setup`"
    return str(found)


@pytest.mark.parametrize("service", services(), ids=lambda s: s.name)
def test_image_install_step_gives_a_runnable_service(service: Service, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
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
    # Without a cache to link to, the second step copies (two small packages).
    steps: list[tuple[list[str], dict[str, str]]] = [
        (["--no-install-workspace"], {}),
        (["--no-cache"], {"UV_LINK_MODE": "copy"}),
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
