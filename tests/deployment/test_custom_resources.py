"""The Strimzi and KEDA custom resources carry what their operators require. The core OpenAPI
schemas do not know them, so each kind is checked against the required part of its CRD schema
(Strimzi >= 0.46 `kafka.strimzi.io/v1beta2`, KEDA 2.x `keda.sh/v1alpha1`) and against the rules
the operators enforce at reconcile time (node roles, cluster labels, partitions vs replicas)."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest

from sightline_common.topics import Topic, TopicNames

from .manifests import K8S, OVERLAYS, detectors, of_kind, render, replay_worker, workloads

STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
CLUSTER_LABEL = {
    "type": "object",
    "required": ["labels"],
    "properties": {
        "labels": {
            "type": "object",
            "required": ["strimzi.io/cluster"],
            "properties": {"strimzi.io/cluster": {"type": "string", "minLength": 1}},
        }
    },
}
STORAGE_VOLUME = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {"enum": ["ephemeral", "persistent-claim"]},
        "id": {"type": "integer", "minimum": 0},
        "size": {"type": "string"},
        "deleteClaim": {"type": "boolean"},
        "kraftMetadata": {"enum": ["shared"]},
    },
}
SCHEMAS: dict[str, dict[str, Any]] = {
    "Kafka": {
        "type": "object",
        "required": ["spec"],
        "properties": {
            "spec": {
                "type": "object",
                "required": ["kafka"],
                "properties": {
                    "kafka": {
                        "type": "object",
                        "required": ["listeners"],
                        "properties": {
                            "version": {"type": "string"},
                            "metadataVersion": {"type": "string"},
                            "listeners": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "required": ["name", "port", "type", "tls"],
                                    "properties": {
                                        "name": {"type": "string", "pattern": "^[a-z0-9]{1,11}$"},
                                        "port": {"type": "integer", "minimum": 9092},
                                        "type": {
                                            "enum": [
                                                "internal",
                                                "route",
                                                "loadbalancer",
                                                "nodeport",
                                                "ingress",
                                                "cluster-ip",
                                            ]
                                        },
                                        "tls": {"type": "boolean"},
                                    },
                                },
                            },
                            "config": {"type": "object"},
                        },
                    },
                    "entityOperator": {
                        "type": "object",
                        "required": ["topicOperator"],
                        "properties": {"topicOperator": {"type": "object"}},
                    },
                },
            }
        },
    },
    "KafkaNodePool": {
        "type": "object",
        "required": ["metadata", "spec"],
        "properties": {
            "metadata": CLUSTER_LABEL,
            "spec": {
                "type": "object",
                "required": ["replicas", "roles", "storage"],
                "properties": {
                    "replicas": {"type": "integer", "minimum": 1},
                    "roles": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"enum": ["controller", "broker"]},
                    },
                    "storage": {
                        "type": "object",
                        "required": ["type"],
                        "properties": {
                            "type": {"enum": ["ephemeral", "persistent-claim", "jbod"]},
                            "volumes": {"type": "array", "items": STORAGE_VOLUME},
                        },
                    },
                },
            },
        },
    },
    "KafkaTopic": {
        "type": "object",
        "required": ["metadata", "spec"],
        "properties": {
            "metadata": CLUSTER_LABEL,
            "spec": {
                "type": "object",
                "required": ["partitions", "replicas"],
                "properties": {
                    "topicName": {"type": "string"},
                    "partitions": {"type": "integer", "minimum": 1},
                    "replicas": {"type": "integer", "minimum": 1, "maximum": 32767},
                    "config": {"type": "object"},
                },
            },
        },
    },
    "ScaledObject": {
        "type": "object",
        "required": ["spec"],
        "properties": {
            "spec": {
                "type": "object",
                "required": ["scaleTargetRef", "triggers"],
                "properties": {
                    "scaleTargetRef": {
                        "type": "object",
                        "required": ["name"],
                        "properties": {"name": {"type": "string"}},
                    },
                    "minReplicaCount": {"type": "integer", "minimum": 0},
                    "maxReplicaCount": {"type": "integer", "minimum": 1},
                    "triggers": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["type", "metadata"],
                            "properties": {
                                "type": {"const": "kafka"},
                                # The kafka scaler reads strings only.
                                "metadata": {
                                    **STRING_MAP,
                                    "required": [
                                        "bootstrapServers",
                                        "consumerGroup",
                                        "topic",
                                        "lagThreshold",
                                    ],
                                },
                            },
                        },
                    },
                },
            }
        },
    },
}


def check(objects: tuple[dict[str, Any], ...]) -> list[str]:
    """Every problem an operator would reject or trip over, as readable lines."""
    problems = []
    for obj in objects:
        schema = SCHEMAS.get(obj["kind"])
        if schema and str(obj["apiVersion"]).startswith(("kafka.strimzi.io/v1beta2", "keda.sh/")):
            validator = jsonschema.Draft202012Validator(schema)
            for error in validator.iter_errors(obj):
                where = ".".join(str(part) for part in error.path)
                problems.append(
                    f"{obj['kind']}/{obj['metadata']['name']}: {where}: {error.message}"
                )
    clusters = of_kind(objects, "Kafka")
    pools = of_kind(objects, "KafkaNodePool").values()
    brokers = sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"])
    roles = {role for pool in pools for role in pool["spec"]["roles"]}
    if clusters and roles != {"controller", "broker"}:
        problems.append("KRaft needs node pools with both controller and broker roles")
    for obj in list(pools) + list(of_kind(objects, "KafkaTopic").values()):
        cluster = obj["metadata"].get("labels", {}).get("strimzi.io/cluster")
        if cluster not in clusters:
            problems.append(f"{obj['kind']}/{obj['metadata']['name']}: no Kafka named {cluster}")
    for topic in of_kind(objects, "KafkaTopic").values():
        if topic["spec"].get("replicas", 0) > brokers:
            problems.append(f"KafkaTopic/{topic['metadata']['name']}: more replicas than brokers")
    return problems


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest, kubectl: str) -> tuple[dict[str, Any], ...]:
    return render(kubectl, K8S / "overlays" / request.param)


def test_strimzi_and_keda_resources_carry_what_the_operators_require(
    overlay: tuple[dict[str, Any], ...],
) -> None:
    assert check(overlay) == []


def test_a_broken_custom_resource_is_caught(overlay: tuple[dict[str, Any], ...]) -> None:
    broken = copy.deepcopy(overlay)
    for obj in broken:
        if obj["kind"] == "KafkaNodePool":
            obj["spec"]["roles"] = ["broker"]
            del obj["spec"]["storage"]
        if obj["kind"] == "ScaledObject":
            obj["spec"]["triggers"][0]["metadata"]["lagThreshold"] = 5
            del obj["spec"]["triggers"][0]["metadata"]["consumerGroup"]
        if obj["kind"] == "KafkaTopic":
            obj["metadata"]["labels"]["strimzi.io/cluster"] = "elsewhere"
    problems = "\n".join(check(broken))
    for expected in (
        "'storage' is a required property",
        "controller and broker roles",
        "'consumerGroup' is a required property",
        "5 is not of type 'string'",
        "no Kafka named elsewhere",
    ):
        assert expected in problems


def test_every_topic_in_code_is_a_kafka_topic_with_its_shape(
    overlay: tuple[dict[str, Any], ...],
) -> None:
    topics = {t["spec"]["topicName"]: t["spec"] for t in of_kind(overlay, "KafkaTopic").values()}
    expected = TopicNames().all_names()
    assert set(topics) == set(expected)
    for name, spec in expected.items():
        assert topics[name]["partitions"] == spec["partitions"], name
        for key in ("cleanup.policy", "retention.ms"):
            assert topics[name]["config"][key] == spec[key], (name, key)


def test_each_detector_scales_on_its_lag_within_the_partitions(
    overlay: tuple[dict[str, Any], ...],
) -> None:
    scaled = of_kind(overlay, "ScaledObject")
    deployments = workloads(overlay)
    topics = {t["spec"]["topicName"]: t["spec"] for t in of_kind(overlay, "KafkaTopic").values()}
    name, kafka = next(iter(of_kind(overlay, "Kafka").items()))
    (listener,) = kafka["spec"]["kafka"]["listeners"]
    bootstrap = f"{name}-kafka-bootstrap:{listener['port']}"
    for detector in detectors():
        spec = scaled[detector.name]["spec"]
        assert spec["scaleTargetRef"]["name"] in deployments
        trigger = spec["triggers"][0]["metadata"]
        assert trigger["bootstrapServers"] == bootstrap
        assert trigger["topic"] in topics
        # Replicas beyond the partition count would sit idle.
        assert spec["maxReplicaCount"] <= topics[trigger["topic"]]["partitions"]


def test_replay_workers_scale_from_zero_on_their_lag_within_the_partitions(
    overlay: tuple[dict[str, Any], ...],
) -> None:
    scaled = of_kind(overlay, "ScaledObject")
    deployments = workloads(overlay)
    topics = {t["spec"]["topicName"]: t["spec"] for t in of_kind(overlay, "KafkaTopic").values()}
    reanalysis = TopicNames().name(Topic.REANALYSIS)
    for detector in detectors():
        spec = scaled[replay_worker(detector)]["spec"]
        assert spec["scaleTargetRef"]["name"] in deployments
        # Runs are rare: no pod while none is pending (a run keeps its request's lag at 1).
        assert spec["minReplicaCount"] == 0
        trigger = spec["triggers"][0]["metadata"]
        assert trigger["topic"] == reanalysis
        # The worker's own auto.offset.reset: a group that never committed counts every request.
        assert trigger["offsetResetPolicy"] == "earliest"
        assert spec["maxReplicaCount"] <= topics[reanalysis]["partitions"]


def test_groups_scaled_to_zero_keep_their_offsets_while_requests_are_kept(
    overlay: tuple[dict[str, Any], ...],
) -> None:
    """A group without members loses its committed offsets after offsets.retention.minutes
    (Kafka's default: 7 days); the next worker of a scaled-to-zero group would then read every
    request its topic still keeps again."""
    kafka = next(iter(of_kind(overlay, "Kafka").values()))
    minutes = int(kafka["spec"]["kafka"]["config"].get("offsets.retention.minutes", 7 * 24 * 60))
    topics = {t["spec"]["topicName"]: t["spec"] for t in of_kind(overlay, "KafkaTopic").values()}
    for name, scaled in of_kind(overlay, "ScaledObject").items():
        if scaled["spec"].get("minReplicaCount", 1) == 0:
            topic = scaled["spec"]["triggers"][0]["metadata"]["topic"]
            retention_ms = int(topics[topic]["config"]["retention.ms"])
            assert 0 <= retention_ms < minutes * 60_000, name


def test_prod_topics_survive_a_broker_loss(kubectl: str) -> None:
    rendered = render(kubectl, K8S / "overlays" / "prod")
    pools = of_kind(rendered, "KafkaNodePool").values()
    assert sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"]) >= 3
    for topic in of_kind(rendered, "KafkaTopic").values():
        assert topic["spec"]["replicas"] == 3
        assert topic["spec"]["config"]["min.insync.replicas"] == "2"
