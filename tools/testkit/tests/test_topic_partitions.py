"""An isolated test's topics have one partition each unless it asks for the production counts:
the cap saves the shared broker most of its metadata work per test, and a test of partitions
must still get them."""

from __future__ import annotations

import pytest
from confluent_kafka.admin import AdminClient

from sightline_common.kafka.security import admin_config
from sightline_testkit.plugin import Isolated

pytestmark = pytest.mark.integration


def partition_counts(isolated: Isolated) -> dict[str, int]:
    """Each of the test's topics (and DLQs) with its partition count on the broker."""
    names = set(isolated.topics.all_names())
    listed = AdminClient(admin_config(isolated.bootstrap)).list_topics(timeout=10).topics
    return {name: len(listed[name].partitions) for name in names}


def test_an_unmarked_test_gets_one_partition_per_topic(isolated: Isolated) -> None:
    assert set(partition_counts(isolated).values()) == {1}


@pytest.mark.topic_partitions(None)
def test_a_test_marked_none_gets_the_production_counts(isolated: Isolated) -> None:
    wanted = {name: int(spec["partitions"]) for name, spec in isolated.topics.all_names().items()}
    assert partition_counts(isolated) == wanted
    assert max(wanted.values()) > 1  # the opt-out is not vacuous


@pytest.mark.topic_partitions(2)
def test_a_test_marked_n_gets_at_most_n(isolated: Isolated) -> None:
    wanted = {
        name: min(int(spec["partitions"]), 2) for name, spec in isolated.topics.all_names().items()
    }
    assert partition_counts(isolated) == wanted
