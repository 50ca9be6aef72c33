"""No drift between code and deployment: every service, every `SIGHTLINE_*` variable a settings
class reads, every port and every topic in code appears in docker-compose.yml and in k8s/, with
values the service's own settings class accepts."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
from typing import Any

import pytest

from sightline_common.topics import Topic, TopicNames

from .manifests import (
    K8S,
    OVERLAYS,
    REPO,
    Service,
    compose,
    container_env,
    detectors,
    env_names,
    of_kind,
    render,
    replay_worker,
    services,
    workloads,
)
from .manifests import containers as containers_of

# Set per process, never by configuration: compose leaves it to the container's hostname, and
# Kubernetes sets it from the pod name (checked below).
PER_PROCESS = {"SIGHTLINE_INSTANCE_ID"}
INTERPOLATION = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


def compose_env(service: str) -> dict[str, str | None]:
    """A compose service's environment with `${VAR:-default}` resolved to its default."""
    raw: dict[str, Any] = compose()["services"][service].get("environment", {})
    return {
        key: None if value is None else INTERPOLATION.sub(lambda m: m.group(2) or "", str(value))
        for key, value in raw.items()
    }


def k8s_env(kubectl: str, overlay: str, workload: str) -> dict[str, str | None]:
    rendered = render(kubectl, K8S / "overlays" / overlay)
    container = next(
        c for c in containers_of(workloads(rendered)[workload]) if c["name"] == workload
    )
    return dict(container_env(container, rendered))


def settings_accept(
    service: Service, env: dict[str, str | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Build the service's settings from exactly `env` (pass-through and secret values as
    placeholders); a pydantic ValidationError fails the test with the field named."""
    settings = service.settings_class()
    assert settings is not None
    for key in [k for k in os.environ if k.startswith("SIGHTLINE_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        if value is not None:
            monkeypatch.setenv(key, value)
    settings()


def written_services() -> list[Service]:
    return [s for s in services() if s.settings_class() is not None]


def test_every_service_is_deployed_by_compose_and_kubernetes(kubectl: str) -> None:
    names = {service.name for service in services()}
    assert names <= set(compose()["services"])
    for overlay in OVERLAYS:
        assert names <= set(workloads(render(kubectl, K8S / "overlays" / overlay)))


@pytest.mark.parametrize("service", written_services(), ids=lambda s: s.name)
def test_every_setting_is_in_compose(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = service.settings_class()
    assert settings is not None
    env = compose_env(service.name)
    missing = env_names(settings) - PER_PROCESS - set(env)
    assert not missing, f"add to {service.name} in docker-compose.yml: {sorted(missing)}"
    settings_accept(service, env, monkeypatch)


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", written_services(), ids=lambda s: s.name)
def test_every_setting_is_in_kubernetes(
    kubectl: str, overlay: str, service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = service.settings_class()
    assert settings is not None
    env = k8s_env(kubectl, overlay, service.name)
    missing = env_names(settings) - set(env)
    assert not missing, f"add to k8s/base/config/{service.name}.env: {sorted(missing)}"
    settings_accept(service, env, monkeypatch)


@pytest.mark.parametrize("service", written_services(), ids=lambda s: s.name)
def test_ports_agree_between_code_compose_and_kubernetes(kubectl: str, service: Service) -> None:
    settings = service.settings_class()
    assert settings is not None
    port = settings.model_fields["http_port"].default
    assert compose_env(service.name)["SIGHTLINE_HTTP_PORT"] == str(port)
    workload = workloads(render(kubectl, K8S / "overlays" / "prod"))[service.name]
    container = next(c for c in containers_of(workload) if c["name"] == service.name)
    assert container["ports"][0]["containerPort"] == port
    assert k8s_env(kubectl, "prod", service.name)["SIGHTLINE_HTTP_PORT"] == str(port)


def test_kafka_topics_manifest_is_rendered_from_the_topic_specs() -> None:
    spec = importlib.util.spec_from_file_location(
        "render_kafka_topics", REPO / "deploy" / "render_kafka_topics.py"
    )
    assert spec
    assert spec.loader
    renderer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(renderer)
    committed = (K8S / "base" / "platform" / "kafka-topics.yaml").read_text()
    assert committed == renderer.render(), (
        "regenerate: .venv/bin/python deploy/render_kafka_topics.py "
        "> k8s/base/platform/kafka-topics.yaml"
    )


def test_compose_creates_topics_from_the_specs_before_services_start() -> None:
    specs = compose()["services"]
    assert specs["provision"]["command"][:3] == ["python", "-m", "sightline_common.provision"]
    for service in services():
        condition = specs[service.name]["depends_on"]["provision"]["condition"]
        assert condition == "service_completed_successfully"


def detector_group_id(service: Service) -> str:
    """The consumer group a detector's entry point declares (`DetectorSpec(group_id=...)`)."""
    source = (service.folder / "src" / service.module / "__main__.py").read_text()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "DetectorSpec":
            for keyword in node.keywords:
                if keyword.arg == "group_id" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
    raise AssertionError(f"no DetectorSpec(group_id=...) in {service.module}.__main__")


@pytest.mark.parametrize("service", detectors(), ids=lambda s: s.name)
def test_keda_watches_the_lag_of_the_group_the_detector_consumes_as(
    kubectl: str, service: Service
) -> None:
    rendered = render(kubectl, K8S / "overlays" / "prod")
    trigger = of_kind(rendered, "ScaledObject")[service.name]["spec"]["triggers"][0]["metadata"]
    assert trigger["consumerGroup"] == detector_group_id(service)
    assert trigger["topic"] == TopicNames().name(Topic.SEGMENTS)


REPLAY_SERVICE = REPO / "libs" / "analysis" / "src" / "sightline_analysis" / "replay" / "service.py"


def replay_group_id(service: Service) -> str:
    """The group a detector's replay worker consumes `reanalysis` as: the f-string given to
    `ReplayCoordinator(group_id=...)` in sightline_analysis.replay.service, with the detector's
    own group (`DetectorSpec(group_id=...)`) for `spec.group_id`."""
    for node in ast.walk(ast.parse(REPLAY_SERVICE.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "ReplayCoordinator":
            value = next(k.value for k in node.keywords if k.arg == "group_id")
            if isinstance(value, ast.Call) and ast.unparse(value.func) == "settings.topics.group":
                value = value.args[0]  # the deployment's prefix: empty in compose and k8s
            parts = value.values if isinstance(value, ast.JoinedStr) else [value]
            return "".join(group_part(part, service) for part in parts)
    raise AssertionError(f"no ReplayCoordinator(group_id=...) in {REPLAY_SERVICE}")


def group_part(node: ast.expr, service: Service) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.FormattedValue) and ast.unparse(node.value) == "spec.group_id":
        return detector_group_id(service)
    raise AssertionError(f"cannot read the replay group from {ast.unparse(node)}")


@pytest.mark.parametrize("service", detectors(), ids=lambda s: s.name)
def test_keda_watches_the_lag_of_the_group_the_replay_worker_consumes_as(
    kubectl: str, service: Service
) -> None:
    rendered = render(kubectl, K8S / "overlays" / "prod")
    worker = replay_worker(service)
    spec = of_kind(rendered, "ScaledObject")[worker]["spec"]
    assert spec["scaleTargetRef"]["name"] == worker
    trigger = spec["triggers"][0]["metadata"]
    assert trigger["consumerGroup"] == replay_group_id(service)
    assert trigger["topic"] == TopicNames().name(Topic.REANALYSIS)


# Long-running modes of a service's image that run as their own workload (name -> image owner,
# command after `python -m`).
EXTRA_PROCESSES = {
    "exposure": ("results-api", ["sightline_results_api", "exposure"]),
    "detector-logo-replay": (
        "detector-logo",
        ["sightline_detector_logo", "replay", "--port", "8022"],
    ),
    "detector-visual-replay": (
        "detector-visual",
        ["sightline_detector_visual", "replay", "--port", "8032"],
    ),
    "detector-logo-trainer": ("detector-logo", ["sightline_detector_logo", "train-proposals"]),
}
# A reanalysis run analyses on the replay worker's local executor only
# (sightline_analysis.replay.run), so the workers are given no LAN hosts and no cloud API key.
REPLAY_UNUSED = {"SIGHTLINE_LAN_HOSTS", "SIGHTLINE_CLOUD_API_KEY", "SIGHTLINE_LAN_SECRET"}


@pytest.mark.parametrize("process", sorted(EXTRA_PROCESSES))
def test_extra_processes_run_in_compose_and_kubernetes(
    kubectl: str, process: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner, command = EXTRA_PROCESSES[process]
    service = next(s for s in services() if s.name == owner)
    spec = compose()["services"][process]
    assert spec["image"].startswith(f"sightline/{owner}:")
    assert spec["command"] == ["python", "-m", *command]
    settings_accept(service, compose_env(process), monkeypatch)
    for overlay in OVERLAYS:
        workload = workloads(render(kubectl, K8S / "overlays" / overlay))[process]
        container = containers_of(workload)[0]
        assert container["args"] == ["python", "-m", *command]
        assert f"/{owner}:" in container["image"]
        settings_accept(service, k8s_env(kubectl, overlay, process), monkeypatch)


@pytest.mark.parametrize("service", detectors(), ids=lambda s: s.name)
def test_replay_workers_get_every_setting_and_serve_where_they_are_probed(
    kubectl: str, service: Service
) -> None:
    """The worker reads its detector's settings class; it serves /healthz on `--port`, which
    must be the image HEALTHCHECK's SIGHTLINE_HTTP_PORT (compose) and the probed containerPort
    (Kubernetes)."""
    settings = service.settings_class()
    assert settings is not None
    worker = replay_worker(service)
    wanted = env_names(settings) - REPLAY_UNUSED
    command = compose()["services"][worker]["command"]
    assert command[-2] == "--port"
    port = command[-1]
    env = compose_env(worker)
    missing = wanted - PER_PROCESS - set(env)
    assert not missing, f"add to {worker} in docker-compose.yml: {sorted(missing)}"
    assert env["SIGHTLINE_HTTP_PORT"] == port
    for overlay in OVERLAYS:
        env = k8s_env(kubectl, overlay, worker)
        missing = wanted - set(env)
        assert not missing, f"add to k8s/base/config/{service.name}.env: {sorted(missing)}"
        workload = workloads(render(kubectl, K8S / "overlays" / overlay))[worker]
        container = next(c for c in containers_of(workload) if c["name"] == worker)
        assert container["args"][-2:] == ["--port", port]
        assert str(container["ports"][0]["containerPort"]) == port
        assert env["SIGHTLINE_HTTP_PORT"] == port
