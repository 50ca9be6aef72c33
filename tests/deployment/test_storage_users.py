"""MinIO on Kubernetes: every workload that uses the object store logs in as its own user from
`storage_access`, the ones that never touch it get no login, and only MinIO and the
provisioning Job hold MinIO's root login (the Job creates the users with their secret keys)."""

from __future__ import annotations

from typing import Any

import pytest

from sightline_common.storage_access import STORAGE_USERS, WITHOUT_STORAGE, WORKLOAD_USERS
from sightline_common.storage_access import storage_user as user_of

from .manifests import K8S, OVERLAYS, compose, containers, of_kind, render, workloads

SECRETS = "sightline-secrets"
ROOT_KEYS = {"SIGHTLINE_S3_ACCESS_KEY", "SIGHTLINE_S3_SECRET_KEY"}
ROOT_HOLDERS = {"minio", "sightline-provision"}


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest, kubectl: str) -> tuple[dict[str, Any], ...]:
    return render(kubectl, K8S / "overlays" / request.param)


def secret(name: str, base: str) -> bool:
    """Whether `name` is the Secret `base` (the dev overlay's generator adds a hash suffix)."""
    return name == base or name.rsplit("-", 1)[0] == base


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in container.get("env", [])}


def pods(overlay: tuple[dict[str, Any], ...]) -> dict[str, dict[str, Any]]:
    """Every workload and Job, by name."""
    return {**workloads(overlay), **of_kind(overlay, "Job")}


def test_every_storage_user_of_a_workload_logs_in_as_its_own_user(
    overlay: tuple[dict[str, Any], ...],
) -> None:
    found = workloads(overlay)
    for workload, principal in WORKLOAD_USERS.items():
        if workload not in found:
            continue  # an optional component (LAN executors) or the dev-only stand-in
        user = user_of(principal)
        container = containers(found[workload])[0]
        env = env_of(container)
        assert env["SIGHTLINE_S3_ACCESS_KEY"].get("value") == user.access_key(), workload
        ref = env["SIGHTLINE_S3_SECRET_KEY"]["valueFrom"]["secretKeyRef"]
        assert secret(ref["name"], SECRETS), workload
        assert ref["key"] == user.secret_variable, workload
    for workload in WITHOUT_STORAGE:
        env = env_of(containers(found[workload])[0])
        for name in ("SIGHTLINE_S3_ACCESS_KEY", "SIGHTLINE_S3_SECRET_KEY"):
            assert env.get(name, {"name": name, "value": ""}) == {"name": name, "value": ""}


def test_only_minio_and_the_provisioning_job_hold_minios_root_login(
    overlay: tuple[dict[str, Any], ...],
) -> None:
    holders = set()
    for name, pod in pods(overlay).items():
        for container in containers(pod):
            for item in container.get("env", []):
                ref = item.get("valueFrom", {}).get("secretKeyRef", {})
                if secret(ref.get("name", ""), SECRETS) and ref.get("key") in ROOT_KEYS:
                    holders.add(name)
    assert holders == ROOT_HOLDERS


def test_the_provisioning_job_creates_every_user_from_its_secret(
    overlay: tuple[dict[str, Any], ...],
) -> None:
    job = of_kind(overlay, "Job")["sightline-provision"]
    container = containers(job)[0]
    env = env_of(container)
    for user in STORAGE_USERS:
        ref = env[user.secret_variable]["valueFrom"]["secretKeyRef"]
        assert secret(ref["name"], SECRETS)
        assert ref["key"] == user.secret_variable
    assert "--skip-buckets" not in container["command"]


def test_the_dev_overlay_generates_a_secret_key_for_every_user(kubectl: str) -> None:
    secrets = of_kind(render(kubectl, K8S / "overlays" / "dev"), "Secret")
    generated = next(s for name, s in secrets.items() if secret(name, SECRETS))
    assert {user.secret_variable for user in STORAGE_USERS} <= set(generated["data"])


def test_compose_gives_each_service_its_own_user_and_the_root_login_to_provision_only() -> None:
    services = compose()["services"]
    root_holders = {
        name
        for name, service in services.items()
        if "${MINIO_ROOT_PASSWORD"
        in str(service.get("environment", {}).get("SIGHTLINE_S3_SECRET_KEY"))
        or "MINIO_ROOT_PASSWORD" in service.get("environment", {})
    }
    assert root_holders == {"minio", "provision"}
    for workload, principal in WORKLOAD_USERS.items():
        env = services[workload]["environment"]
        user = user_of(principal)
        assert env["SIGHTLINE_S3_ACCESS_KEY"] == user.access_key(), workload
        assert env["SIGHTLINE_S3_SECRET_KEY"].startswith(f"${{{user.secret_variable}:-"), workload
    for workload in WITHOUT_STORAGE:
        env = services[workload]["environment"]
        assert env["SIGHTLINE_S3_ACCESS_KEY"] == env["SIGHTLINE_S3_SECRET_KEY"] == "", workload
    provision = services["provision"]["environment"]
    assert {user.secret_variable for user in STORAGE_USERS} <= set(provision)
