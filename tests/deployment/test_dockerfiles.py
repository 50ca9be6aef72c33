"""Every image is linted by hadolint and built the way the house requires: multi-stage from the
workspace lock, non-root, tini as PID 1, a HEALTHCHECK, the service's own port and module."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from .manifests import HADOLINT_CONFIG, REPO, Service, services

FFMPEG_SERVICES = {"ingest", "detector-logo", "detector-visual"}
OTHER_DOCKERFILES = [
    REPO / "frontend" / "Dockerfile",
    REPO / "deploy" / "nginx-rtmp" / "Dockerfile",
]
ALL_DOCKERFILES = [service.dockerfile for service in services()] + OTHER_DOCKERFILES


def lint(hadolint: str, dockerfile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [hadolint, "--config", str(HADOLINT_CONFIG), "--no-color", str(dockerfile)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    pairs = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def problems(dockerfile: Path, service: Service) -> list[str]:
    """How a service Dockerfile departs from the house rules (empty when it does not)."""
    found = []
    steps = instructions(dockerfile)
    args = dict(steps)
    froms = [rest for keyword, rest in steps if keyword == "FROM"]
    runs = " ".join(rest for keyword, rest in steps if keyword == "RUN")
    if not any("python:3.11-slim" in rest for keyword, rest in steps if keyword == "ARG"):
        found.append("base image is not python:3.11-slim")
    if len(froms) < 3 or not any(" AS runtime" in f for f in froms):
        found.append("not a multi-stage build with a runtime stage")
    package = f"--package sightline-{service.name}"
    third_party = f"uv sync --frozen --no-dev --no-editable --no-install-workspace {package}"
    own = f"uv sync --frozen --no-dev --no-editable --no-cache {package}"
    if third_party not in runs or own not in runs:
        found.append("dependencies not installed from the workspace lock for this package")
    user = [rest for keyword, rest in steps if keyword == "USER"]
    if not user or user[-1].split(":")[0] in {"root", "0"} or not user[-1][0].isdigit():
        found.append("does not end as a numeric non-root USER")
    if "HEALTHCHECK" not in args or "healthcheck.py" not in args["HEALTHCHECK"]:
        found.append("no HEALTHCHECK on /healthz")
    if args.get("ENTRYPOINT") != '["tini", "--"]' or "tini" not in runs:
        found.append("tini is not PID 1")
    if args.get("CMD") != f'["python", "-m", "{service.module}"]':
        found.append(f"CMD does not run python -m {service.module}")
    settings = service.settings_class()
    if settings is not None:
        port = settings.model_fields["http_port"].default
        if args.get("EXPOSE") != str(port) or f"SIGHTLINE_HTTP_PORT={port}" not in args["ENV"]:
            found.append(f"does not expose and configure the service's port {port}")
    if (service.name in FFMPEG_SERVICES) != ("ffmpeg" in runs):
        found.append("ffmpeg belongs in ingest and the detectors only")
    return found


def test_every_service_has_a_dockerfile() -> None:
    missing = [service.name for service in services() if not service.dockerfile.is_file()]
    assert not missing


@pytest.mark.parametrize("dockerfile", ALL_DOCKERFILES, ids=lambda p: str(p.relative_to(REPO)))
def test_hadolint_passes(hadolint: str, dockerfile: Path) -> None:
    result = lint(hadolint, dockerfile)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("service", services(), ids=lambda s: s.name)
def test_service_image_follows_the_house_rules(service: Service) -> None:
    assert problems(service.dockerfile, service) == []


def test_a_careless_dockerfile_fails_lint_and_the_rules(hadolint: str, tmp_path: Path) -> None:
    broken = tmp_path / "Dockerfile"
    broken.write_text(
        "FROM python:latest\n"
        "RUN apt-get update && apt-get install -y ffmpeg\n"
        "RUN cd /src && pip install .\n"
        "USER root\n"
        'CMD ["python", "-m", "sightline_ingest"]\n'
    )
    result = lint(hadolint, broken)
    assert result.returncode != 0
    for rule in ("DL3007", "DL3009", "DL3003", "DL3002"):
        assert rule in result.stdout
    found = problems(broken, Service(name="ingest", module="sightline_ingest"))
    assert "tini is not PID 1" in found
    assert "does not end as a numeric non-root USER" in found
    assert "no HEALTHCHECK on /healthz" in found


def test_dashboard_image_serves_the_build_behind_unprivileged_nginx() -> None:
    steps = instructions(REPO / "frontend" / "Dockerfile")
    args = dict(steps)
    assert "nginx-unprivileged" in " ".join(rest for keyword, rest in steps if keyword == "ARG")
    assert "npm ci" in " ".join(rest for keyword, rest in steps if keyword == "RUN")
    assert "COPY" in args
    assert "HEALTHCHECK" in args
    assert any("frontend/nginx.conf" in rest for keyword, rest in steps if keyword == "COPY")


def test_build_context_excludes_local_state() -> None:
    ignored = (REPO / ".dockerignore").read_text().split()
    for path in (".venv", ".state", "frontend/node_modules", ".git"):
        assert path in ignored


def copy_sources(dockerfile: Path) -> list[str]:
    """Build-context paths the Dockerfile COPYs (not those from another stage)."""
    sources = []
    for keyword, rest in instructions(dockerfile):
        if keyword == "COPY" and not rest.startswith("--from"):
            sources += [part for part in rest.split()[:-1] if not part.startswith("--")]
    return sources


@pytest.mark.parametrize("dockerfile", ALL_DOCKERFILES, ids=lambda p: str(p.relative_to(REPO)))
def test_everything_copied_is_in_the_build_context(dockerfile: Path) -> None:
    # nginx-rtmp builds from its own folder; every other image from the repository root.
    context = dockerfile.parent if dockerfile.parent.parent.name == "deploy" else REPO
    ignored = set((REPO / ".dockerignore").read_text().split())
    for source in copy_sources(dockerfile):
        assert (context / source).exists(), source
        if context == REPO:
            assert source.rstrip("/") not in ignored, f"{source} is excluded by .dockerignore"


def test_entrypoint_script_parses() -> None:
    script = REPO / "deploy" / "nginx-rtmp" / "entrypoint.sh"
    result = subprocess.run(
        ["sh", "-n", str(script)], capture_output=True, text=True, check=False, timeout=30
    )
    assert result.returncode == 0, result.stderr
