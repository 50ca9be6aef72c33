"""Entry point: `python -m sightline_notifier` (or `sightline-notifier`). Wiring only."""

from __future__ import annotations

import asyncio
import logging
import signal

from pydantic import BaseModel

from sightline_common.logging import configure_logging
from sightline_common.messages import (
    Alert,
    Detection,
    ExposureUpdate,
    SegmentReady,
    StreamLifecycle,
)
from sightline_common.topics import Topic
from sightline_notifier.feed import EventSource, FeedBatch, KafkaFeed
from sightline_notifier.frames import FRAME_TYPE_OF_TOPIC
from sightline_notifier.hub import Hub
from sightline_notifier.replay import ReplayBuffer
from sightline_notifier.server import Notifier
from sightline_notifier.settings import NotifierSettings
from sightline_notifier.tokens import TokenRegistry


def event_sources(settings: NotifierSettings) -> dict[str, EventSource]:
    """The topics pushed to clients, with the payload model each must carry."""
    models: dict[Topic, type[BaseModel]] = {
        Topic.DETECTIONS: Detection,
        Topic.STREAMS: StreamLifecycle,
        Topic.EXPOSURE: ExposureUpdate,
        Topic.SEGMENTS: SegmentReady,
        Topic.ALERTS: Alert,
    }
    if not settings.include_segments:
        del models[Topic.SEGMENTS]
    return {
        settings.topics.name(topic): EventSource(FRAME_TYPE_OF_TOPIC[topic], model)
        for topic, model in models.items()
    }


async def run(settings: NotifierSettings) -> bool:
    """Serve until SIGTERM/SIGINT, then close clients (1001) and stop the feed.

    Returns False when it stopped because the Kafka feed failed.
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    feed_failed = asyncio.Event()

    def fail() -> None:
        feed_failed.set()
        stop.set()

    def report_failure() -> None:
        loop.call_soon_threadsafe(fail)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    hub = Hub(ReplayBuffer(settings.stream_buffer, settings.max_streams))
    notifier = Notifier(settings, hub, TokenRegistry(), lambda: feed.alive)

    batches: asyncio.Queue[FeedBatch] = asyncio.Queue()

    def handoff(batch: FeedBatch) -> None:
        loop.call_soon_threadsafe(batches.put_nowait, batch)

    feed = KafkaFeed(
        bootstrap=settings.kafka_bootstrap,
        client_id=settings.producer_id,
        event_topics=event_sources(settings),
        tokens_topic=settings.topics.name(Topic.API_TOKENS),
        warm_start=settings.warm_start,
        handoff=handoff,
        on_failure=report_failure,
    )
    feed.start()
    try:
        await notifier.serve_until(stop, batches)
    finally:
        feed.stop()
    return not feed_failed.is_set()


def main() -> None:
    """Build settings and logging, then run the notifier until told to stop."""
    settings = NotifierSettings()
    configure_logging(settings.service_name, settings.log_level)
    settings.refuse_dev_credentials(storage=False)  # it never touches the object store
    # websockets logs every connection and HTTP response at INFO; the sessions log their own.
    logging.getLogger("websockets").setLevel(logging.WARNING)
    if not asyncio.run(run(settings)):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
