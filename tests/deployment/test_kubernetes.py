"""Every kustomize overlay renders, every rendered core object passes the Kubernetes OpenAPI
schema (strict: unknown fields fail), and the workloads are run the way production needs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .manifests import (
    K8S,
    OVERLAYS,
    containers,
    detectors,
    kustomize,
    of_kind,
    render,
    replay_worker,
    services,
    validate_all,
    workloads,
)

PYTHON_SERVICES = [service.name for service in services()]
# Secrets an operator creates in production (docs/deploy.md), so they are never rendered there.
EXTERNAL_SECRETS = {"sightline-secrets", "sightline-cloud", "sightline-lan", "sightline-tls"}


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest, kubectl: str) -> tuple[dict[str, Any], ...]:
    return render(kubectl, K8S / "overlays" / request.param)


def test_base_and_overlays_render(kubectl: str) -> None:
    for path in [K8S / "base"] + [K8S / "overlays" / name for name in OVERLAYS]:
        assert render(kubectl, path), path


def test_rendered_objects_pass_the_kubernetes_schemas(overlay: tuple[dict[str, Any], ...]) -> None:
    assert validate_all(overlay) == []


def test_a_broken_manifest_fails_rendering_or_validation(kubectl: str, tmp_path: Path) -> None:
    """Copies k8s/ and breaks it three ways; each must be caught by the same checks as above."""
    tree = tmp_path / "k8s"
    shutil.copytree(K8S, tree)
    deployment = tree / "base" / "services" / "notifier" / "deployment.yaml"
    original = deployment.read_text()

    # A typo in a field name: schema-valid YAML, but not a Kubernetes field.
    deployment.write_text(original.replace("readinessProbe:", "readinesProbe:"))
    problems = validate_all(kustomize(kubectl, tree / "overlays" / "dev"))
    assert any("readinesProbe" in problem for problem in problems), problems

    # A wrong type: a port must be a number or a named port.
    deployment.write_text(original.replace("containerPort: 8001", "containerPort: [8001]"))
    problems = validate_all(kustomize(kubectl, tree / "overlays" / "prod"))
    assert any("containerPort" in problem for problem in problems), problems

    # A resource the kustomization lists but that does not exist.
    deployment.unlink()
    with pytest.raises(subprocess.CalledProcessError):
        kustomize(kubectl, tree / "overlays" / "dev")


def test_every_service_runs_with_probes_limits_and_a_locked_down_container(
    overlay: tuple[dict[str, Any], ...],
) -> None:
    found = workloads(overlay)
    for name in PYTHON_SERVICES:
        workload = found[name]
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["serviceAccountName"] == name
        container = next(c for c in containers(workload) if c["name"] == name)
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for name, workload in found.items():
        for container in containers(workload):
            where = f"{name}/{container['name']}"
            assert {"requests", "limits"} <= set(container["resources"]), where
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            assert "livenessProbe" in container, where
            assert "readinessProbe" in container, where


def test_every_service_has_a_service_account_a_service_and_a_disruption_budget(
    overlay: tuple[dict[str, Any], ...],
) -> None:
    accounts = of_kind(overlay, "ServiceAccount")
    kube_services = of_kind(overlay, "Service")
    budgets = of_kind(overlay, "PodDisruptionBudget")
    for name in [*PYTHON_SERVICES, "dashboard"]:
        assert name in accounts, name
        assert name in kube_services, name
        assert name in budgets, name


def cpu_cores(quantity: str) -> float:
    """A Kubernetes CPU quantity (`250m`, `2`) in cores."""
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def test_replay_workers_rank_below_the_live_detectors(overlay: tuple[dict[str, Any], ...]) -> None:
    """Replay cannot slow live analysis: a lower PriorityClass that never preempts (on a full
    cluster live pods are scheduled first and may evict a replay pod), a smaller CPU request
    (its weight under contention on a node), and the same probes and supporting objects as
    every service; KEDA owns the replica count."""
    found = workloads(overlay)
    classes = of_kind(overlay, "PriorityClass")
    for detector in detectors():
        worker = replay_worker(detector)
        pod = found[worker]["spec"]["template"]["spec"]
        live_pod = found[detector.name]["spec"]["template"]["spec"]
        replay_class = classes[pod["priorityClassName"]]
        live_priority = (
            classes[live_pod["priorityClassName"]]["value"]
            if "priorityClassName" in live_pod
            else 0
        )
        assert replay_class["value"] < live_priority, worker
        assert replay_class["preemptionPolicy"] == "Never", worker
        assert replay_class.get("globalDefault", False) is False, worker
        container = next(c for c in containers(found[worker]) if c["name"] == worker)
        live = next(c for c in containers(found[detector.name]) if c["name"] == detector.name)
        requested = cpu_cores(container["resources"]["requests"]["cpu"])
        assert requested < cpu_cores(live["resources"]["requests"]["cpu"]), worker
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["serviceAccountName"] in of_kind(overlay, "ServiceAccount")
        assert worker in of_kind(overlay, "Service")
        assert worker in of_kind(overlay, "PodDisruptionBudget")
        assert "replicas" not in found[worker]["spec"], worker


def test_apis_scale_on_cpu(overlay: tuple[dict[str, Any], ...]) -> None:
    autoscalers = of_kind(overlay, "HorizontalPodAutoscaler")
    for name in ("results-api", "notifier"):
        target = autoscalers[name]["spec"]
        assert target["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        assert target["metrics"][0]["resource"]["name"] == "cpu"


def test_ingress_routes_dashboard_api_and_websocket(overlay: tuple[dict[str, Any], ...]) -> None:
    ingress = of_kind(overlay, "Ingress")["sightline"]
    paths = {
        path["path"]: path["backend"]["service"]["name"]
        for path in ingress["spec"]["rules"][0]["http"]["paths"]
    }
    assert paths == {"/": "dashboard", "/api": "results-api", "/ws": "notifier"}


def test_rtmp_is_published_by_a_load_balancer(overlay: tuple[dict[str, Any], ...]) -> None:
    rtmp = of_kind(overlay, "Service")["rtmp"]["spec"]
    assert rtmp["type"] == "LoadBalancer"
    assert rtmp["ports"][0]["port"] == 1935
    assert rtmp["selector"] == {"app.kubernetes.io/name": "ingest"}


def test_every_reference_to_config_and_secrets_resolves(
    overlay: tuple[dict[str, Any], ...],
) -> None:
    configmaps = set(of_kind(overlay, "ConfigMap"))
    secrets = set(of_kind(overlay, "Secret")) | EXTERNAL_SECRETS
    secrets |= set(of_kind(overlay, "KafkaUser"))  # Strimzi writes each user's password Secret
    secrets |= {f"{name}-cluster-ca-cert" for name in of_kind(overlay, "Kafka")}  # and its CA
    pods = [w["spec"]["template"]["spec"] for w in workloads(overlay).values()]
    pods += [job["spec"]["template"]["spec"] for job in of_kind(overlay, "Job").values()]
    for pod in pods:
        for volume in pod.get("volumes", []):
            if "secret" in volume:
                assert volume["secret"]["secretName"] in secrets, volume
        for container in pod["containers"]:
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in configmaps
            for entry in container.get("env", []):
                ref = entry.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] in secrets, ref


def test_dev_credentials_are_generated_only_in_dev(kubectl: str) -> None:
    dev = of_kind(render(kubectl, K8S / "overlays" / "dev"), "Secret")
    prod = of_kind(render(kubectl, K8S / "overlays" / "prod"), "Secret")
    assert any(name.startswith("sightline-secrets") for name in dev)
    assert prod == {}


def test_lan_executors_run_on_labelled_nodes(kubectl: str) -> None:
    rendered = render(kubectl, K8S / "overlays" / "dev")
    found = workloads(rendered)
    for detector in ("detector-logo", "detector-visual"):
        pod = found[f"{detector}-executor"]["spec"]["template"]["spec"]
        assert pod["nodeSelector"] == {"sightline.io/executor": "lan"}
        executor = containers(found[f"{detector}-executor"])[0]
        port = str(executor["ports"][0]["containerPort"])
        assert executor["args"][2:] == [
            detector.replace("-", "_").replace("detector", "sightline_detector"),
            "executor",
            "--port",
            port,
        ]
        config = next(
            cm
            for name, cm in of_kind(rendered, "ConfigMap").items()
            if name.startswith(f"{detector}-config")
        )
        assert config["data"]["SIGHTLINE_LAN_HOSTS"].startswith(f"{detector}-executor:")


def test_manifests_in_the_repository_are_sources_not_renders() -> None:
    """No committed `kubectl kustomize` output: every YAML under k8s/ is listed by a
    kustomization (or is one), so nothing stale can sit beside the sources."""
    listed: set[Path] = set()
    for kustomization in K8S.rglob("kustomization.yaml"):
        spec = yaml.safe_load(kustomization.read_text())
        listed.add(kustomization)
        for key in ("resources", "components"):
            listed.update((kustomization.parent / entry).resolve() for entry in spec.get(key, []))
        for patch in spec.get("patches", []):
            if "path" in patch:
                listed.add((kustomization.parent / patch["path"]).resolve())
    stray = [p for p in K8S.rglob("*.yaml") if p.resolve() not in listed and p not in listed]
    assert stray == []


def test_services_are_pointed_at_the_platform_the_overlay_runs(
    overlay: tuple[dict[str, Any], ...],
) -> None:
    shared = next(
        cm["data"]
        for name, cm in of_kind(overlay, "ConfigMap").items()
        if name.startswith("sightline-shared")
    )
    kafka_name, kafka = next(iter(of_kind(overlay, "Kafka").items()))
    (listener,) = kafka["spec"]["kafka"]["listeners"]
    assert shared["SIGHTLINE_KAFKA_BOOTSTRAP"] == f"{kafka_name}-kafka-bootstrap:{listener['port']}"
    host, port = shared["SIGHTLINE_S3_ENDPOINT"].split(":")
    assert int(port) in {p["port"] for p in of_kind(overlay, "Service")[host]["spec"]["ports"]}
    assert shared["SIGHTLINE_TOPIC_PREFIX"] == ""
