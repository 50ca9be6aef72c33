"""Network policies: every pod is behind a default deny, every Deployment and StatefulSet has
the allowances it needs and no more; each port is reachable only by the services that use it.

The rendered policies are evaluated here as Kubernetes would (selectors, namespaces, named
ports), for a matrix of who may reach what.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from .manifests import K8S, OVERLAYS, of_kind, render, workloads

Labels = dict[str, str]
SIGHTLINE_NS: Labels = {"kubernetes.io/metadata.name": "sightline"}


@dataclass(frozen=True)
class Peer:
    """Where a connection comes from: a pod (its labels) in a namespace (its labels)."""

    namespace: Labels
    pod: Labels = field(default_factory=dict)
    external: bool = False  # from outside the cluster


def pod(name: str) -> Peer:
    return Peer(
        SIGHTLINE_NS, {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "sightline"}
    )


INGRESS_CONTROLLER = Peer({"kubernetes.io/metadata.name": "ingress-nginx"})
SCRAPER = Peer(
    {"kubernetes.io/metadata.name": "monitoring", "sightline.io/metrics-scraper": "true"}
)
OTHER_NAMESPACE = Peer({"kubernetes.io/metadata.name": "someone-else"})
INTERNET = Peer({}, external=True)


def selects(selector: dict[str, Any] | None, labels: Labels) -> bool:
    """Whether a label selector matches `labels` (an empty selector matches everything)."""
    selector = selector or {}
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for rule in selector.get("matchExpressions") or []:
        value, op = labels.get(rule["key"]), rule["operator"]
        if op == "In" and value not in rule["values"]:
            return False
        if op == "NotIn" and value in rule["values"]:
            return False
        if op == "Exists" and value is None:
            return False
        if op == "DoesNotExist" and value is not None:
            return False
    return True


def peer_matches(peer_rule: dict[str, Any], source: Peer) -> bool:
    if "ipBlock" in peer_rule:
        return source.external
    if source.external:
        return False
    pods, namespaces = peer_rule.get("podSelector"), peer_rule.get("namespaceSelector")
    in_namespace = (
        selects(namespaces, source.namespace)
        if namespaces is not None
        else source.namespace == SIGHTLINE_NS
    )
    return in_namespace and (pods is None or selects(pods, source.pod))


class Cluster:
    """The rendered objects of an overlay: pods, their named ports, and the policies."""

    def __init__(self, objects: tuple[dict[str, Any], ...]) -> None:
        self.policies = list(of_kind(objects, "NetworkPolicy").values())
        self.pods: dict[str, dict[str, Any]] = {
            name: w["spec"]["template"] for name, w in workloads(objects).items()
        }

    def labels(self, workload: str) -> Labels:
        return dict(self.pods[workload]["metadata"]["labels"])

    def port(self, workload: str, name: str) -> int:
        for container in self.pods[workload]["spec"]["containers"]:
            for port in container.get("ports", []):
                if port.get("name") == name:
                    return int(port["containerPort"])
        raise KeyError(f"{workload} has no port named {name}")

    def selecting(self, workload: str) -> list[dict[str, Any]]:
        return [
            p
            for p in self.policies
            if "Ingress" in p["spec"].get("policyTypes", ["Ingress"])
            and selects(p["spec"]["podSelector"], self.labels(workload))
        ]

    def allows(self, source: Peer, workload: str, port_name: str) -> bool:
        number = self.port(workload, port_name)
        policies = self.selecting(workload)
        if not policies:
            return True
        for policy in policies:
            for rule in policy["spec"].get("ingress") or []:
                ports = rule.get("ports")
                if ports and not any(p.get("port") in (port_name, number) for p in ports):
                    continue
                peers = rule.get("from")
                if not peers or any(peer_matches(peer, source) for peer in peers):
                    return True
        return False


@pytest.fixture(params=OVERLAYS)
def cluster(request: pytest.FixtureRequest, kubectl: str) -> Cluster:
    return Cluster(render(kubectl, K8S / "overlays" / request.param))


def test_every_workload_is_behind_a_default_deny_and_has_its_own_allowances(
    cluster: Cluster,
) -> None:
    deny = [p for p in cluster.policies if p["spec"]["podSelector"] == {}]
    assert deny
    assert all(not p["spec"].get("ingress") for p in deny)
    for workload in cluster.pods:
        own = [p for p in cluster.selecting(workload) if p["spec"]["podSelector"] != {}]
        assert own, f"{workload} has no network policy of its own"


@pytest.mark.parametrize(
    ("source", "workload", "port", "allowed"),
    [
        (INGRESS_CONTROLLER, "dashboard", "http", True),
        (INGRESS_CONTROLLER, "results-api", "http", True),
        (INGRESS_CONTROLLER, "notifier", "http", True),
        (INGRESS_CONTROLLER, "detector-logo", "http", False),
        (INGRESS_CONTROLLER, "postgres", "postgres", False),
        (INTERNET, "ingest", "rtmp", True),
        (INTERNET, "ingest", "http", False),  # ingest's nginx callbacks stay in the pod
        (INTERNET, "ingest", "rtmp-http", False),  # /stat lists stream keys
        (INTERNET, "results-api", "http", False),
        (pod("results-api"), "postgres", "postgres", True),
        (pod("notifier"), "postgres", "postgres", False),
        (pod("detector-logo"), "postgres", "postgres", False),
        (pod("detector-logo"), "minio", "s3", True),
        (pod("ingest"), "minio", "s3", True),
        (pod("sightline-provision"), "minio", "s3", True),
        (pod("notifier"), "minio", "s3", False),
        (pod("dashboard"), "minio", "s3", False),
        (pod("detector-logo"), "minio", "console", False),
        (SCRAPER, "notifier", "http", True),
        (SCRAPER, "alerts", "http", True),
        (INGRESS_CONTROLLER, "alerts", "http", False),
        (SCRAPER, "detector-visual-replay", "http", True),
        (SCRAPER, "detector-logo-trainer", "http", True),
        (INGRESS_CONTROLLER, "detector-logo-trainer", "http", False),
        (pod("detector-logo-trainer"), "minio", "s3", True),
        (pod("detector-logo-trainer"), "postgres", "postgres", False),
        (OTHER_NAMESPACE, "notifier", "http", False),
        (pod("dashboard"), "detector-logo", "http", False),
    ],
)
def test_each_port_is_reachable_only_by_those_that_use_it(
    cluster: Cluster, source: Peer, workload: str, port: str, allowed: bool
) -> None:
    assert cluster.allows(source, workload, port) is allowed


def test_lan_executors_and_the_cloud_stand_in_answer_only_the_detectors(kubectl: str) -> None:
    dev = Cluster(render(kubectl, K8S / "overlays" / "dev"))
    for target in ("detector-logo-executor", "detector-visual-executor", "cloud-standin"):
        assert dev.allows(pod("detector-logo"), target, "http")
        assert not dev.allows(pod("ingest"), target, "http")
        assert not dev.allows(INGRESS_CONTROLLER, target, "http")


def test_kafka_admits_sightline_pods_and_keda_only(kubectl: str) -> None:
    for overlay in OVERLAYS:
        kafka = of_kind(render(kubectl, K8S / "overlays" / overlay), "Kafka")["sightline"]
        (listener,) = kafka["spec"]["kafka"]["listeners"]
        peers = listener["networkPolicyPeers"]
        sightline = Peer(SIGHTLINE_NS, {"app.kubernetes.io/part-of": "sightline"})
        keda = Peer({"kubernetes.io/metadata.name": "keda"})
        assert any(peer_matches(p, sightline) for p in peers)
        assert any(peer_matches(p, keda) for p in peers)
        assert not any(peer_matches(p, OTHER_NAMESPACE) for p in peers)
        assert not any(peer_matches(p, Peer(SIGHTLINE_NS, {"app": "intruder"})) for p in peers)
