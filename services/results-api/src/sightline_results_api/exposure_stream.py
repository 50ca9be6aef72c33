"""The brand-exposure stream processor (faust-streaming): `detections` → `exposure`.

A faust agent folds each Detection's logo frames into per-window state held in a faust Table
(changelog-backed: the state survives restarts by replaying its changelog topic) keyed by
`stream/run/window`, and publishes the window's new `exposure.update` to the `exposure` topic.
The agent and the table take their partition count from the `detections` topic as the broker
has it, not from the count provision would create: faust given another count than the source
topic's consumes and folds nothing, without an error.
Windows are tumbling windows of media time (stream seconds), not of arrival time, so a replay
or a late segment lands in the window it belongs to. Each window remembers the analyses it
folded (detector and segment), which makes redelivery and a second live analysis harmless.
"""

from __future__ import annotations

import ssl
import time

import faust
import structlog
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic
from faust.types import StreamT

from sightline_common.envelope import decode, deterministic_event_id, encode, wrap
from sightline_common.errors import PermanentError
from sightline_common.kafka.security import KafkaSecurity, admin_config
from sightline_common.messages import Detection
from sightline_common.topics import Topic
from sightline_results_api.exposure_state import (
    analysis_key,
    by_window,
    fold,
    logo_frames,
    window_update,
)
from sightline_results_api.settings import ResultsApiSettings

log = structlog.get_logger(__name__)

TABLE = "exposure-windows"


class TopicLayoutError(RuntimeError):
    """The processor's topics are missing or partitioned apart, so it would fold nothing."""


def source_partitions(admin: AdminClient, name: str, timeout: float = 60.0) -> int:
    """The partition count of the processor's source topic on the broker, once it is there
    (provisioning may still be creating it when the processor starts)."""
    deadline = time.monotonic() + timeout
    while True:
        metadata = admin.list_topics(name, timeout=10).topics[name]
        if metadata.error is None and metadata.partitions:
            return len(metadata.partitions)
        if time.monotonic() > deadline:
            raise TopicLayoutError(f"source topic {name} is not on the broker ({metadata.error})")
        time.sleep(0.5)


def broker_credentials(security: KafkaSecurity) -> faust.SASLCredentials | None:
    """faust's (aiokafka's) form of the process's Kafka identity; None connects in plain text."""
    if not security.authenticated:
        return None
    context = None
    if security.security_protocol == "SASL_SSL":  # faust picks SASL_SSL when given a context
        context = ssl.create_default_context(cafile=security.ca_file or None)
    return faust.SASLCredentials(
        username=security.username,
        password=security.password.get_secret_value(),
        mechanism=security.sasl_mechanism,
        ssl_context=context,
    )


def build_app(settings: ResultsApiSettings, partitions: int) -> faust.App:
    """The faust application: one agent over `detections` (`partitions` of them), one table
    co-partitioned with it, output to `exposure`."""
    topics = settings.topics
    app_id = topics.group(settings.exposure_app_id)  # faust's consumer group, prefixed like all
    settings.exposure_data_dir.mkdir(parents=True, exist_ok=True)  # faust makes only the last level
    app = faust.App(
        app_id,
        datadir=settings.exposure_data_dir / app_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        broker_credentials=broker_credentials(KafkaSecurity()),
        store="memory://",
        web_enabled=False,
        topic_replication_factor=1,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        table_cleanup_interval=60.0,
    )
    detections = app.topic(
        topics.name(Topic.DETECTIONS),
        key_serializer="raw",
        value_serializer="raw",
        partitions=partitions,
    )
    exposure = app.topic(topics.name(Topic.EXPOSURE), key_serializer="raw", value_serializer="raw")
    # Co-partitioned with `detections` (both keyed by stream id), as faust requires.
    windows = app.Table(
        TABLE,
        default=None,
        partitions=partitions,
        key_type=str,
    )
    window_s = settings.exposure_window_s
    producer_id = settings.producer_id

    @app.agent(detections)
    async def fold_detections(stream: StreamT[bytes]) -> None:
        async for raw in stream:
            try:
                message = decode(raw, Detection)
            except PermanentError as exc:
                log.warning("exposure.skipped_invalid", reason=exc.reason)
                continue
            detection = message.payload
            for index, frames in by_window(logo_frames(detection), window_s).items():
                key = f"{detection.stream_id}/{detection.run_id}/{index}"
                state = fold(windows.get(key), analysis_key(detection), frames)
                if state is None:
                    continue  # already folded: a redelivery or a replay
                windows[key] = state
                update = window_update(
                    detection.stream_id, detection.run_id, index, window_s, state
                )
                envelope = wrap(
                    update,
                    key=detection.stream_id,
                    producer=producer_id,
                    event_id=deterministic_event_id(
                        "exposure", detection.stream_id, detection.run_id, index, update.detections
                    ),
                )
                await exposure.send(key=detection.stream_id.encode(), value=encode(envelope))

    return app


def run_worker(settings: ResultsApiSettings) -> None:
    """Run the processor until SIGTERM/SIGINT (faust's worker owns the event loop)."""
    admin = AdminClient(admin_config(settings.kafka_bootstrap))
    source = settings.topics.name(Topic.DETECTIONS)
    partitions = source_partitions(admin, source)
    log.info("exposure.source", topic=source, partitions=partitions)
    app = build_app(settings, partitions)
    ensure_changelog(admin, app.tables[TABLE].changelog_topic.get_topic_name(), partitions)
    worker = faust.Worker(app, loglevel=settings.log_level.lower(), quiet=True)
    worker.execute_from_commandline()


def ensure_changelog(admin: AdminClient, name: str, partitions: int, timeout: float = 60.0) -> None:
    """Create the table's changelog topic, co-partitioned with its source, and wait until the
    broker lists it.

    faust creates it itself, but may read the cluster's metadata before a topic it just created
    shows there; it then sees no partitions, and its agent crashes on a partition mismatch at
    every restart, for good (seen under load). A changelog left with another count (its source
    topic was made again with other partitions) is refused: its state belongs to other
    partitions, and faust would restore it wrongly.
    """
    topic = NewTopic(name, partitions, 1, config={"cleanup.policy": "compact"})
    existed = False
    try:
        admin.create_topics([topic], operation_timeout=30)[name].result()
    except KafkaException as exc:
        if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise
        existed = True
    deadline = time.monotonic() + timeout
    while (
        listed := len(admin.list_topics(name, timeout=10).topics[name].partitions)
    ) != partitions:
        if existed and listed:
            raise TopicLayoutError(
                f"changelog topic {name} has {listed} partitions and its source {partitions}: "
                "delete the changelog (the windows' state) or make the source topic again "
                f"with {listed}"
            )
        if time.monotonic() > deadline:
            raise TimeoutError(f"changelog topic {name} not listed with {partitions} partitions")
        time.sleep(0.5)
