"""docker-compose.yml is valid for docker-compose and wires the system together the safe way:
health checks, start order on health, named volumes, the published ports, the optional profiles."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import yaml

from .manifests import COMPOSE_FILE, REPO, compose, detectors, replay_worker, services

PLATFORM = {"kafka", "postgres", "minio", "nginx-rtmp"}


def config(docker_compose: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [docker_compose, "--project-directory", str(REPO), "-f", str(path), "config", "-q"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_docker_compose_accepts_the_file(docker_compose: str) -> None:
    result = config(docker_compose, COMPOSE_FILE)
    assert result.returncode == 0, result.stderr


def test_docker_compose_rejects_a_broken_file(docker_compose: str, tmp_path: Path) -> None:
    broken = compose()
    broken["services"]["ingest"]["depends_on"] = {"no-such-service": {"condition": "healthy"}}
    broken["services"]["notifier"]["healthcheck"] = {"test": 42, "intervall": "5s"}
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(broken))
    result = config(docker_compose, path)
    assert result.returncode != 0
    assert "no-such-service" in result.stderr or "healthcheck" in result.stderr


def test_every_service_and_the_platform_run_in_compose() -> None:
    defined = set(compose()["services"])
    wanted = {service.name for service in services()} | PLATFORM | {"dashboard", "provision"}
    assert wanted <= defined


def test_every_long_running_container_is_health_checked() -> None:
    """Checked in compose itself, or by the HEALTHCHECK of one of our images."""
    images_with_healthcheck = {"dashboard", "nginx-rtmp"} | {s.name for s in services()}
    for name, spec in compose()["services"].items():
        if name == "provision":
            continue
        image = spec["image"].split(":")[0].removeprefix("sightline/")
        has_check = "test" in spec.get("healthcheck", {}) or image in images_with_healthcheck
        assert has_check, f"{name} has no health check"


def test_services_start_only_once_what_they_need_is_healthy() -> None:
    specs = compose()["services"]
    for name, spec in specs.items():
        for dependency, condition in spec.get("depends_on", {}).items():
            assert dependency in specs, f"{name} depends on unknown {dependency}"
            wanted = (
                "service_completed_successfully" if dependency == "provision" else "service_healthy"
            )
            assert condition == {"condition": wanted}, f"{name} -> {dependency}"
    for service in services():
        assert "provision" in specs[service.name]["depends_on"]


def test_state_lives_in_named_volumes() -> None:
    spec = compose()
    named = set(spec["volumes"])
    for name in ("kafka", "postgres", "minio"):
        # A read-only file from the repository (kafka's entrypoint) is configuration, not state.
        mounts = [m for m in spec["services"][name]["volumes"] if not m.endswith(":ro")]
        assert mounts
        assert all(mount.split(":")[0] in named for mount in mounts)
    assert "hls:/var/lib/sightline/hls" in spec["services"]["ingest"]["volumes"]
    assert "hls:/var/lib/sightline/hls" in spec["services"]["nginx-rtmp"]["volumes"]


def test_rtmp_and_dashboard_ports_are_published() -> None:
    specs = compose()["services"]
    assert specs["nginx-rtmp"]["ports"] == ["${SIGHTLINE_RTMP_PORT:-1935}:1935"]
    assert specs["dashboard"]["ports"] == ["${SIGHTLINE_DASHBOARD_PORT:-4200}:8080"]


def test_sightline_containers_run_read_only_without_privileges() -> None:
    specs = compose()["services"]
    for name in [service.name for service in services()] + ["dashboard", "nginx-rtmp"]:
        spec = specs[name]
        assert spec["read_only"] is True, name
        assert spec["tmpfs"] == ["/tmp"], name
        assert spec["cap_drop"] == ["ALL"], name


def test_lan_and_cloud_profiles_run_the_optional_executors() -> None:
    specs = compose()["services"]
    by_profile = {p: n for n, s in specs.items() for p in s.get("profiles", [])}
    lan = {n: s["command"] for n, s in specs.items() if "lan" in s.get("profiles", [])}
    for detector, port in (("logo", "8020"), ("visual", "8030")):
        command = lan[f"detector-{detector}-executor"]
        assert command[2:] == [f"sightline_detector_{detector}", "executor", "--port", port]
        env = specs[f"detector-{detector}-executor"]["environment"]
        # The image's HEALTHCHECK probes SIGHTLINE_HTTP_PORT: the executor must listen there.
        assert env["SIGHTLINE_HTTP_PORT"] == port
    assert specs[by_profile["cloud"]]["command"][2] == "sightline_analysis.cloud_standin"


def test_replay_workers_yield_the_cpu_to_the_live_detectors() -> None:
    """Each container has its own cgroup, so the worker's `nice` ranks it only against its own
    processes; its CPU weight (cpu_shares, default 1024) is what ranks it against live."""
    specs = compose()["services"]
    for detector in detectors():
        live = specs[detector.name].get("cpu_shares", 1024)
        worker = specs[replay_worker(detector)]
        assert worker["cpu_shares"] < live
        assert worker["image"] == specs[detector.name]["image"]
        assert worker["read_only"] is True
        assert worker["depends_on"] == {
            "provision": {"condition": "service_completed_successfully"}
        }


def test_kafka_runs_kraft_with_a_valid_cluster_id() -> None:
    env = compose()["services"]["kafka"]["environment"]
    cluster_id = env["CLUSTER_ID"]
    # Kafka formats storage only with a base64url-encoded 16-byte UUID.
    assert len(cluster_id) == 22
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16
    assert (
        base64.urlsafe_b64encode(base64.urlsafe_b64decode(cluster_id + "==")).decode()[:22]
        == cluster_id
    )
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
