"""The deployment init creates every topic as TOPIC_SPECS shapes it, and buckets, idempotently."""

from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource, TopicMetadata

from sightline_common.provision import ensure_buckets, ensure_topics, new_topics
from sightline_common.storage import ObjectStore
from sightline_common.topics import TOPIC_SPECS, TopicNames
from sightline_testkit.kafka import delete_topics
from sightline_testkit.plugin import Isolated


def test_every_topic_and_its_dead_letter_topic_is_planned() -> None:
    planned = {topic.topic: topic for topic in new_topics(TopicNames("p."), replication_factor=3)}
    assert len(planned) == 2 * len(TOPIC_SPECS)
    for spec in TOPIC_SPECS:
        live = planned[f"p.{spec.topic.value}"]
        assert live.num_partitions == spec.partitions
        assert live.replication_factor == 3
        assert live.config == spec.config()
        assert f"p.{spec.topic.value}.dlq" in planned


def test_a_throwaway_set_may_cap_its_partitions_and_keeps_the_rest_of_its_shape() -> None:
    capped = {t.topic: t for t in new_topics(TopicNames("p."), 1, max_partitions=2)}
    for spec in TOPIC_SPECS:
        live = capped[f"p.{spec.topic.value}"]
        assert live.num_partitions == min(spec.partitions, 2)
        assert live.config == spec.config()
    assert any(spec.partitions > 2 for spec in TOPIC_SPECS)  # the cap is not vacuous


def visible_topics(admin: AdminClient, wanted: set[str]) -> dict[str, TopicMetadata]:
    """Topic metadata once every wanted topic has reached the broker's metadata cache."""
    deadline = time.monotonic() + 30
    while True:
        topics = admin.list_topics(timeout=10).topics
        if wanted <= set(topics) or time.monotonic() > deadline:
            return topics
        time.sleep(0.2)


@pytest.mark.integration
def test_topics_are_created_once_with_their_partitions_and_retention(isolated: Isolated) -> None:
    names = TopicNames(prefix=f"prov-{uuid.uuid4().hex[:8]}.")
    try:
        created = ensure_topics(isolated.bootstrap, names)
        assert sorted(created) == sorted(names.all_names())
        assert ensure_topics(isolated.bootstrap, names) == []

        admin = AdminClient({"bootstrap.servers": isolated.bootstrap})
        metadata = visible_topics(admin, set(names.all_names()))
        for name, spec in names.all_names().items():
            assert len(metadata[name].partitions) == spec["partitions"]
        segments = names.all_names()[f"{names.prefix}segments"]
        resource = ConfigResource(ConfigResource.Type.TOPIC, f"{names.prefix}segments")
        config = admin.describe_configs([resource])[resource].result()
        assert config["retention.ms"].value == segments["retention.ms"]
        assert config["cleanup.policy"].value == segments["cleanup.policy"]
    finally:
        delete_topics(isolated.bootstrap, list(names.all_names()))


@pytest.mark.integration
def test_buckets_are_created_once(isolated: Isolated) -> None:
    store = ObjectStore.from_settings(isolated.settings())
    bucket = f"prov-{uuid.uuid4().hex[:12]}"
    try:
        ensure_buckets(store, [bucket])
        ensure_buckets(store, [bucket])
        assert store.client.bucket_exists(bucket)
    finally:
        store.client.remove_bucket(bucket)
