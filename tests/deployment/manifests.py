"""What the deployment tests read: the services in the workspace, their settings, the compose
file as written, and each kustomize overlay rendered and validated offline."""

from __future__ import annotations

import functools
import importlib
import subprocess
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml
from kubernetes_validate.utils import SchemaNotFoundError

from sightline_common.settings import ServiceSettings

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
K8S = REPO / "k8s"
OVERLAYS = ("dev", "prod")
HADOLINT_CONFIG = REPO / "deploy" / "hadolint.yaml"

# The oldest Kubernetes minor the manifests promise to work on (docs/deploy.md says the same).
KUBERNETES_VERSION = "1.30.0"
# Custom resources: validated by tests/deployment/test_custom_resources.py, not by the core
# OpenAPI schemas (which do not know them). Anything else without a schema is an error.
CUSTOM_GROUPS = ("kafka.strimzi.io/", "keda.sh/")
WORKLOAD_KINDS = ("Deployment", "StatefulSet")


@dataclass(frozen=True)
class Service:
    """One workspace service: folder name, Python module, and its settings class (if written)."""

    name: str
    module: str

    @property
    def folder(self) -> Path:
        return REPO / "services" / self.name

    @property
    def dockerfile(self) -> Path:
        return self.folder / "Dockerfile"

    def settings_class(self) -> type[ServiceSettings] | None:
        """The one `ServiceSettings` subclass in `<module>.settings`, or None before it exists."""
        try:
            module = importlib.import_module(f"{self.module}.settings")
        except ModuleNotFoundError:
            return None
        found = [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, ServiceSettings)
            and value.__module__ == module.__name__
        ]
        assert len(found) == 1, f"{module.__name__} should define one settings class: {found}"
        return found[0]


def services() -> list[Service]:
    """Every package under services/, from its pyproject (so a new service is found at once)."""
    found = []
    for pyproject in sorted(REPO.glob("services/*/pyproject.toml")):
        project = tomllib.loads(pyproject.read_text())["project"]
        name = project["name"].removeprefix("sightline-")
        found.append(Service(name=name, module="sightline_" + name.replace("-", "_")))
    return found


def detectors() -> list[Service]:
    """The detector services; each image also runs as a `replay` worker (`replay_worker`)."""
    return [service for service in services() if service.name.startswith("detector-")]


def replay_worker(detector: Service) -> str:
    """The compose service / Kubernetes workload that runs a detector's reanalysis runs."""
    return f"{detector.name}-replay"


def env_names(settings: type[ServiceSettings]) -> set[str]:
    """Every environment variable a settings class reads (prefix + field name, upper case)."""
    prefix = settings.model_config.get("env_prefix", "")
    names = set()
    for field_name, field in settings.model_fields.items():
        alias = field.validation_alias if isinstance(field.validation_alias, str) else None
        names.add((alias or f"{prefix}{field_name}").upper())
    return names


def compose() -> dict[str, Any]:
    """docker-compose.yml as written (YAML merge keys resolved, nothing interpolated)."""
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return loaded


@functools.cache
def render(kubectl: str, path: Path) -> tuple[dict[str, Any], ...]:
    """`kustomize(kubectl, path)`, once per session for the repository's own trees."""
    return kustomize(kubectl, path)


def kustomize(kubectl: str, path: Path) -> tuple[dict[str, Any], ...]:
    """`kubectl kustomize path` as a tuple of objects; raises CalledProcessError on failure."""
    result = subprocess.run(
        [kubectl, "kustomize", str(path)], capture_output=True, text=True, check=True, timeout=120
    )
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def validate(obj: dict[str, Any]) -> None:
    """Validate one core object against the Kubernetes OpenAPI schema, strictly (an unknown
    field is an error). Raises `kubernetes_validate.ValidationError` or `SchemaNotFoundError`."""
    kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def is_custom(obj: dict[str, Any]) -> bool:
    return str(obj.get("apiVersion", "")).startswith(CUSTOM_GROUPS)


def validate_all(objects: tuple[dict[str, Any], ...]) -> list[str]:
    """Every problem found in a rendered overlay, as `Kind/name: message` lines."""
    problems = []
    for obj in objects:
        if is_custom(obj):
            continue
        where = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
        try:
            validate(obj)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(part) for part in exc.path)
            problems.append(f"{where}: {path}: {exc.message}")
        except SchemaNotFoundError as exc:
            problems.append(f"{where}: {exc.message}")
    return problems


def of_kind(objects: tuple[dict[str, Any], ...], kind: str) -> dict[str, dict[str, Any]]:
    """Objects of one kind by name."""
    return {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == kind}


def workloads(objects: tuple[dict[str, Any], ...]) -> dict[str, dict[str, Any]]:
    """Deployments and StatefulSets by name."""
    found: dict[str, dict[str, Any]] = {}
    for kind in WORKLOAD_KINDS:
        found.update(of_kind(objects, kind))
    return found


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    return list(workload["spec"]["template"]["spec"]["containers"])


def container_env(
    container: dict[str, Any], objects: tuple[dict[str, Any], ...]
) -> Iterator[tuple[str, str | None]]:
    """(name, value) of every variable a container gets: ConfigMap values through `envFrom`,
    then `env` entries (value None when it comes from a Secret or the downward API)."""
    configmaps = of_kind(objects, "ConfigMap")
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef")
        if ref:
            yield from configmaps[ref["name"]].get("data", {}).items()
    for entry in container.get("env", []):
        yield entry["name"], entry.get("value")
