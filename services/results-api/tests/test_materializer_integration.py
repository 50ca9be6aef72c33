"""The materializer against real Kafka and Postgres: idempotent, batched, crash-safe."""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from sightline_common.envelope import wrap
from sightline_common.errors import TransientError
from sightline_common.kafka import EventProducer
from sightline_common.messages import BrandShare, Detection, Envelope, ExposureUpdate
from sightline_common.topics import Topic
from sightline_results_api.materializer import build_consumer
from sightline_results_api.rows import LABEL_MAX_BYTES, RowBatch, detection_rows
from sightline_results_api.settings import ResultsApiSettings
from sightline_results_api.sink import BatchSink
from sightline_testkit.kafka import read_messages, wait_caught_up
from sightline_testkit.plugin import Isolated

pytestmark = pytest.mark.integration

TABLE_DUMP = (
    "SELECT event_id, item_index, stream_id, run_id, media_ts, frame_span, kind, label, "
    "confidence, box_x, box_y, box_w, box_h, area_share, segment_sequence "
    "FROM detections ORDER BY event_id, item_index"
)


def _produce(isolated: Isolated, envelopes: list[Envelope]) -> None:
    producer = EventProducer(isolated.bootstrap, "test-producer")
    topic = isolated.topics.name(Topic.DETECTIONS)
    for envelope in envelopes:
        producer.publish(topic, envelope)
    producer.flush()


def _run_materializer(
    isolated: Isolated,
    api_settings: ResultsApiSettings,
    engine: Engine,
    group: str,
    topic: Topic = Topic.DETECTIONS,
) -> None:
    """Materialize in-process until the group committed everything on `topic`."""
    settings = api_settings.model_copy(update={"materializer_group": group})
    producer = EventProducer(settings.kafka_bootstrap, "test-materializer")
    loop = build_consumer(settings, BatchSink(engine), producer)
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    try:
        wait_caught_up(
            isolated.bootstrap, isolated.topics.group(group), isolated.topics.name(topic), 60
        )
    finally:
        loop.stop()
        thread.join(timeout=30)


def test_replaying_the_same_detections_twice_yields_identical_tables(
    isolated: Isolated,
    api_settings: ResultsApiSettings,
    engine: Engine,
    detection_factory: Callable[..., Envelope],
) -> None:
    envelopes = [detection_factory("s1", seq) for seq in range(50)]
    _produce(isolated, envelopes)
    expected = 50 * 2 * 2  # segments x frames x labels

    _run_materializer(isolated, api_settings, engine, "first-pass")
    with engine.connect() as conn:
        first = conn.execute(text(TABLE_DUMP)).all()

    _produce(isolated, envelopes)  # the same facts again, as a producer retry would
    _run_materializer(isolated, api_settings, engine, "second-pass")
    with engine.connect() as conn:
        second = conn.execute(text(TABLE_DUMP)).all()

    assert len(first) == expected
    assert first == second


def _update(stream_id: str, detections: int, acme: float) -> Envelope:
    update = ExposureUpdate(
        stream_id=stream_id,
        run_id="live",
        window_start=10.0,
        window_end=20.0,
        detections=detections,
        brands=[
            BrandShare(brand="acme", screen_time=acme, share_of_voice=1.0, prominence=0.1, frames=2)
        ],
    )
    return wrap(update, key=stream_id, producer="exposure-test")


def test_exposure_windows_keep_the_latest_update_whatever_the_order(
    isolated: Isolated, api_settings: ResultsApiSettings, engine: Engine, client: TestClient
) -> None:
    stream_id = client.post("/api/streams", json={"name": "x", "source": {"kind": "test"}}).json()[
        "id"
    ]
    first, second, third = (_update(stream_id, n, float(n)) for n in (1, 2, 3))
    producer = EventProducer(isolated.bootstrap, "test-producer")
    for envelope in (first, third, second, third):  # out of order, and a duplicate
        producer.publish(isolated.topics.name(Topic.EXPOSURE), envelope)
    producer.flush()

    _run_materializer(isolated, api_settings, engine, "exposure-pass", Topic.EXPOSURE)

    [window] = client.get(f"/api/streams/{stream_id}/exposure/windows").json()
    assert window["detections"] == 3
    assert (window["start"], window["end"]) == (10.0, 20.0)
    assert window["brands"][0]["screen_time"] == 3.0
    assert client.get(f"/api/streams/{stream_id}/exposure/windows", params={"to": 5}).json() == []


def test_a_database_outage_is_transient_never_a_dead_letter(
    api_settings: ResultsApiSettings, detection_factory: Callable[..., Envelope]
) -> None:
    unreachable = api_settings.model_copy(
        update={"database_url": "postgresql+psycopg://sightline:sightline@127.0.0.1:9/sightline"}
    )
    engine = create_engine(unreachable.database_url, connect_args={"connect_timeout": 2})
    envelope = detection_factory("s1", 0)
    batch = RowBatch(
        detections=detection_rows(
            str(envelope.event_id),
            envelope.occurred_at,
            Detection.model_validate(envelope.payload),
        )
    )
    with pytest.raises(TransientError):
        BatchSink(engine).write(batch)


def test_a_row_the_database_refuses_is_dead_lettered_and_the_rest_are_written(
    isolated: Isolated,
    api_settings: ResultsApiSettings,
    engine: Engine,
    detection_factory: Callable[..., Envelope],
) -> None:
    good = [detection_factory("s1", seq) for seq in range(3)]
    poison = detection_factory("s1", 99, labels=("bad\x00label",))
    _produce(isolated, [good[0], poison, *good[1:]])

    _run_materializer(isolated, api_settings, engine, "poison-pass")

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT DISTINCT event_id FROM detections")).scalars().all()
    assert set(rows) == {str(e.event_id) for e in good}
    dlq = isolated.topics.dlq(isolated.topics.name(Topic.DETECTIONS))
    [dead] = read_messages(isolated.bootstrap, dlq)
    assert dead.payload.event_id == str(poison.event_id)
    assert "database rejected" in dead.payload.reason


def test_a_label_too_long_for_its_index_is_stored_cut_not_retried_forever(
    isolated: Isolated,
    api_settings: ResultsApiSettings,
    engine: Engine,
    detection_factory: Callable[..., Envelope],
) -> None:
    """An OCR label of a page of text once overflowed `ix_detections_kind_label` (a btree
    entry is at most ~2.7 kB): ProgramLimitExceeded read as an outage, retried forever."""
    page = base64.b64encode(os.urandom(6000)).decode()  # incompressible, ~8 kB
    envelope = detection_factory("s1", 0, labels=(page,))
    _produce(isolated, [envelope])

    _run_materializer(isolated, api_settings, engine, "long-label")

    with engine.connect() as conn:
        labels = conn.execute(text("SELECT label FROM detections")).scalars().all()
    assert labels
    assert all(page.startswith(label) for label in labels)
    assert all(len(label.encode()) <= LABEL_MAX_BYTES for label in labels)
    assert (
        read_messages(
            isolated.bootstrap, isolated.topics.dlq(isolated.topics.name(Topic.DETECTIONS))
        )
        == []
    )


def test_a_segment_analysed_live_twice_keeps_the_first_analysis_and_reruns_keep_theirs(
    isolated: Isolated,
    api_settings: ResultsApiSettings,
    engine: Engine,
    detection_factory: Callable[..., Envelope],
) -> None:
    """A rolling deploy changes a detector's config hash, hence its live event ids: a segment
    analysed live again (a backfill by the restarted detector, a redelivery) arrives under a
    second id. It must count once per detector; a reanalysis run of it is its own analysis."""
    first = detection_factory("s1", 0, config_hash="old")
    _produce(isolated, [first])
    _run_materializer(isolated, api_settings, engine, "live-once-1")

    after_deploy = detection_factory("s1", 0, config_hash="new", labels=("acme", "globex", "x"))
    rerun = detection_factory("s1", 0, config_hash="new", run_id="rerun-1")
    # In one batch or two (the poll decides), the earlier message of segment 1 is kept.
    earlier, later = (detection_factory("s1", 1, config_hash=h) for h in ("new", "old"))
    _produce(isolated, [after_deploy, rerun, earlier, later])
    _run_materializer(isolated, api_settings, engine, "live-once-2")

    with engine.connect() as conn:
        analysed = conn.execute(
            text("SELECT run_id, segment_sequence, event_id FROM analysed_segments")
        ).all()
        detections = conn.execute(
            text("SELECT event_id, count(*) FROM detections GROUP BY event_id")
        ).all()
    assert sorted(analysed) == [
        ("live", 0, str(first.event_id)),
        ("live", 1, str(earlier.event_id)),
        ("rerun-1", 0, str(rerun.event_id)),
    ]
    # Each kept analysis has all its items (2 frames x 2 labels), the dropped ones none.
    assert dict(detections) == {
        str(first.event_id): 4,
        str(earlier.event_id): 4,
        str(rerun.event_id): 4,
    }
    assert (
        read_messages(
            isolated.bootstrap, isolated.topics.dlq(isolated.topics.name(Topic.DETECTIONS))
        )
        == []
    )
