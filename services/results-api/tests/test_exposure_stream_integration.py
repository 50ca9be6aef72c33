"""The faust exposure processor as a real process: detections in, exposure.update out."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from sightline_common.kafka import EventProducer
from sightline_common.messages import Envelope, ExposureUpdate
from sightline_common.topics import Topic
from sightline_devstack.ports import ephemeral_port
from sightline_testkit.kafka import read_messages
from sightline_testkit.plugin import Isolated

pytestmark = pytest.mark.integration


def _latest_per_window(isolated: Isolated) -> dict[tuple[str, float], ExposureUpdate]:
    latest: dict[tuple[str, float], ExposureUpdate] = {}
    for message in read_messages(isolated.bootstrap, isolated.topics.name(Topic.EXPOSURE)):
        update = message.payload
        assert isinstance(update, ExposureUpdate)
        key = (update.run_id, update.window_start)
        if key not in latest or update.detections >= latest[key].detections:
            latest[key] = update
    return latest


def _wait_for(
    isolated: Isolated,
    condition: Callable[[dict[tuple[str, float], ExposureUpdate]], bool],
    timeout: float = 90.0,
) -> dict[tuple[str, float], ExposureUpdate]:
    deadline = time.monotonic() + timeout
    latest: dict[tuple[str, float], ExposureUpdate] = {}
    while time.monotonic() < deadline:
        latest = _latest_per_window(isolated)
        if condition(latest):
            return latest
        time.sleep(0.5)
    raise TimeoutError(f"exposure updates not as expected: {latest}")


@pytest.fixture
def drop_changelog(isolated: Isolated, on_teardown: Callable[[Callable[[], None]], None]) -> None:
    # faust creates its changelog topic itself; remove it with the test's other topics.
    def drop() -> None:
        admin = AdminClient({"bootstrap.servers": isolated.bootstrap})
        names = [
            t for t in admin.list_topics(timeout=10).topics if t.startswith(isolated.topics.prefix)
        ]
        if names:
            for future in admin.delete_topics(names, operation_timeout=30).values():
                future.exception()

    on_teardown(drop)


def test_exposure_updates_per_media_time_window_and_replays_change_nothing(
    isolated: Isolated, detection_factory: Callable[..., Envelope], drop_changelog: None
) -> None:
    # 10 segments of 2 s (2 frames each) with acme and globex, then 5 with acme alone:
    # windows of 10 s = 5 segments each.
    envelopes = [detection_factory("s1", seq) for seq in range(10)] + [
        detection_factory("s1", seq, labels=("acme",)) for seq in range(10, 15)
    ]
    producer = EventProducer(isolated.bootstrap, "test-producer")
    for envelope in envelopes:
        producer.publish(isolated.topics.name(Topic.DETECTIONS), envelope)
    producer.flush()

    port = ephemeral_port()
    child = isolated.spawn(
        "sightline_results_api",
        "exposure",
        SIGHTLINE_HTTP_PORT=str(port),
        SIGHTLINE_EXPOSURE_WINDOW_S="10",
        SIGHTLINE_EXPOSURE_DATA_DIR=str(isolated.tmp / "exposure"),
    )
    child.wait_http_ok(f"http://127.0.0.1:{port}/readyz")

    def complete(latest: dict[tuple[str, float], ExposureUpdate]) -> bool:
        return len(latest) == 3 and all(u.detections == 5 for u in latest.values())

    latest = _wait_for(isolated, complete)
    first = {b.brand: b for b in latest[("live", 0.0)].brands}
    assert first["acme"].screen_time == pytest.approx(10.0)
    assert first["globex"].screen_time == pytest.approx(10.0)
    assert first["acme"].share_of_voice == pytest.approx(0.5)
    assert first["globex"].prominence == pytest.approx(0.04)
    last = latest[("live", 20.0)]
    assert [(b.brand, b.share_of_voice) for b in last.brands] == [("acme", 1.0)]
    assert last.window_end == 30.0

    # The same detections again (a producer retry, a replay): no window changes.
    count_before = len(read_messages(isolated.bootstrap, isolated.topics.name(Topic.EXPOSURE)))
    for envelope in envelopes[:5]:
        producer.publish(isolated.topics.name(Topic.DETECTIONS), envelope)
    producer.publish(isolated.topics.name(Topic.DETECTIONS), detection_factory("s1", 15))
    producer.flush()
    latest = _wait_for(isolated, lambda latest: len(latest) == 4)
    assert latest[("live", 0.0)].detections == 5
    after = read_messages(isolated.bootstrap, isolated.topics.name(Topic.EXPOSURE))
    assert len(after) == count_before + 1  # only the new segment's window was republished
    assert child.stop() == 0
    # faust's folder is where the settings put it, not in the working directory.
    assert (isolated.tmp / "exposure" / f"{isolated.topics.prefix}results-api-exposure").is_dir()


def test_a_changelog_partitioned_apart_from_its_source_stops_the_processor_with_the_reason(
    isolated: Isolated, drop_changelog: None
) -> None:
    # faust (and aiohttp) imported here, not at every worker's collection.
    from sightline_results_api.exposure_stream import TABLE  # noqa: PLC0415

    # Left from topics made with another count: its state belongs to other partitions.
    changelog = f"{isolated.topics.prefix}results-api-exposure-{TABLE}-changelog"
    admin = AdminClient({"bootstrap.servers": isolated.bootstrap})
    admin.create_topics([NewTopic(changelog, 2, 1)], operation_timeout=30)[changelog].result()

    port = ephemeral_port()
    child = isolated.spawn(
        "sightline_results_api",
        "exposure",
        SIGHTLINE_HTTP_PORT=str(port),
        SIGHTLINE_EXPOSURE_DATA_DIR=str(isolated.tmp / "exposure"),
    )
    assert child.wait(timeout=60) == 2
    assert "exposure.topic_layout" in child.tail()
    assert "has 2 partitions and its source 1" in child.tail()
