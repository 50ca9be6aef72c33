"""Entry point: `python -m sightline_ingest` (wiring only)."""

from __future__ import annotations

import functools
import threading

from sightline_common.kafka import EventProducer
from sightline_common.kafka.follower import CompactedTopicFollower
from sightline_common.logging import configure_logging
from sightline_common.messages import StreamConfig
from sightline_common.ops import BackgroundServer
from sightline_common.storage import ObjectStore
from sightline_common.topics import Topic
from sightline_ingest import metrics
from sightline_ingest.folders import HlsFolders
from sightline_ingest.gate import PublishGate
from sightline_ingest.http import build_app
from sightline_ingest.keys import SourceKeys
from sightline_ingest.media import probe
from sightline_ingest.outbox import OutboxRelay
from sightline_ingest.pickup import PickupTimings, SegmentPickup
from sightline_ingest.publishers import NginxPublishers
from sightline_ingest.registry import StreamRegistry
from sightline_ingest.service import IngestService
from sightline_ingest.settings import IngestSettings
from sightline_ingest.spool import Spool, SpoolQuota
from sightline_ingest.state import StateStore
from sightline_ingest.supervisor import SourceSupervisor, source_reporter
from sightline_ingest.uploader import SegmentUploader
from sightline_ingest.watch import PlaylistWatcher
from sightline_ingest.workers import RepeatingWorker


def build(settings: IngestSettings) -> IngestService:
    """Every adapter and worker of the service, connected."""
    stopping = threading.Event()
    state_dir = settings.ingest_state_dir
    state = StateStore(state_dir / "state.sqlite3")
    spool = Spool(state_dir / "spool")
    spool.prune(state.spooled_names())
    quota = SpoolQuota(spool, settings.spool_max_bytes)
    metrics.SPOOL_BYTES.set_function(spool.size_bytes)
    metrics.SPOOL_LIMIT_BYTES.set(settings.spool_max_bytes)
    metrics.SPOOL_FILL.set_function(quota.fill)
    registry = StreamRegistry()
    source_keys = SourceKeys()
    folders = HlsFolders(settings.hls_dir)
    topics = settings.topics
    producer_id = settings.producer_id
    store = ObjectStore.from_settings(settings)
    pickup = SegmentPickup(
        state=state,
        folders=folders,
        spool=spool,
        prober=functools.partial(probe, timeout=settings.probe_timeout_seconds),
        topics=topics,
        producer_id=producer_id,
        timings=PickupTimings(settings.stall_seconds, settings.close_grace_seconds),
        publishers=NginxPublishers(
            f"{settings.nginx_http_url.rstrip('/')}/stat" if settings.nginx_http_url else None,
            settings.rtmp_app,
        ),
        threads=settings.pickup_threads,
        quarantine_bucket=settings.segments_bucket,
    )
    uploader = SegmentUploader(
        state=state,
        spool=spool,
        store=store,
        new_producer=lambda: EventProducer(settings.kafka_bootstrap, f"{producer_id}-segments"),
        bucket=settings.segments_bucket,
        topics=topics,
        producer_id=producer_id,
        stopping=stopping,
        deleted=registry.is_deleted,
        threads=settings.upload_threads,
    )
    relay = OutboxRelay(
        state, EventProducer(settings.kafka_bootstrap, f"{producer_id}-outbox"), stopping
    )
    upload_worker = RepeatingWorker("upload", uploader.upload_once,
                                    interval=settings.poll_interval / 2, stopping=stopping,
                                    max_backoff=settings.max_backoff)  # fmt: skip
    # Pickup backs off little: nginx deletes segments ~20 s after listing them. It runs when
    # nginx rewrites a playlist (the watcher) and polls as a safety net; a segment it spools
    # wakes the uploader at once.
    pickup_worker = RepeatingWorker(
        "pickup",
        pickup.scan_once,
        interval=settings.poll_interval,
        stopping=stopping,
        max_backoff=min(settings.max_backoff, 2.0),
        then=upload_worker,
    )
    workers = [
        pickup_worker,
        upload_worker,
        RepeatingWorker("outbox", relay.relay_once, interval=settings.poll_interval / 2,
                        stopping=stopping, max_backoff=settings.max_backoff),
    ]  # fmt: skip
    feed = CompactedTopicFollower(
        settings.kafka_bootstrap,
        topics.name(Topic.STREAM_CONFIG),
        StreamConfig,
        registry.apply_record,
        f"{producer_id}-registry",
    )
    gate = PublishGate(
        registry=registry,
        source_keys=source_keys,
        folders=folders,
        state=state,
        topics=topics,
        producer_id=producer_id,
        rtmp_app=settings.rtmp_app,
        spool_full=quota.full,
    )
    supervisor = (
        SourceSupervisor(
            registry,
            source_keys,
            ffmpeg=settings.ffmpeg,
            rtmp_url=settings.rtmp_url,
            log_dir=state_dir / "sources",
            policy=settings.source_policy(),
            max_backoff=60.0,
            report=source_reporter(state, topics, producer_id),
        )
        if settings.run_sources
        else None
    )

    def ready() -> bool:
        # Not upload/outbox health: while MinIO or Kafka are down segments spool and events
        # wait, and publishes must still be accepted.
        return feed.caught_up.is_set() and pickup_worker.healthy

    server = BackgroundServer(build_app(gate, ready), settings.http_host, settings.http_port)
    return IngestService(
        feed=feed,
        server=server,
        workers=workers,
        supervisor=supervisor,
        stopping=stopping,
        watcher=PlaylistWatcher(settings.hls_dir, pickup_worker.nudge, stopping),
    )


def main() -> None:
    """Run ingest until SIGTERM."""
    settings = IngestSettings()
    configure_logging(settings.service_name, settings.log_level)
    settings.refuse_dev_credentials()
    build(settings).run()


if __name__ == "__main__":
    main()
