"""Operator CLI until results-api owns stream registration.

    python -m sightline_ingest.cli streams add --name "Main stage" --kind rtmp
    python -m sightline_ingest.cli streams add --name Demo --kind test
    python -m sightline_ingest.cli streams add --name Clip --kind file --uri /path/clip.mp4 --loop
    python -m sightline_ingest.cli streams disable STREAM_ID

`add` publishes a StreamConfig to the compacted `stream-config` topic and prints the stream id
and key once: only the key's SHA-256 is stored anywhere.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Sequence

from sightline_common.envelope import wrap
from sightline_common.kafka import EventProducer
from sightline_common.kafka.follower import CompactedTopicFollower
from sightline_common.messages import AnalysisPolicy, Source, SourceKind, StreamConfig
from sightline_common.topics import Topic
from sightline_ingest.keys import hash_key, new_key
from sightline_ingest.registry import StreamRegistry
from sightline_ingest.settings import IngestSettings


def _publish(settings: IngestSettings, config: StreamConfig) -> None:
    producer = EventProducer(settings.kafka_bootstrap, f"{settings.producer_id}-cli")
    envelope = wrap(config, key=config.stream_id, producer=f"{settings.producer_id}-cli")
    producer.publish(settings.topics.name(Topic.STREAM_CONFIG), envelope)
    producer.flush()


def _add(settings: IngestSettings, args: argparse.Namespace) -> int:
    key = new_key()
    config = StreamConfig(
        stream_id=uuid.uuid4().hex,
        name=args.name,
        key_hash=hash_key(key),
        source=Source(kind=SourceKind(args.kind), uri=args.uri, loop=args.loop),
        policy=AnalysisPolicy.model_validate({"executors": ["local"]}),
        enabled=not args.disabled,
    )
    _publish(settings, config)
    print(f"stream_id: {config.stream_id}")
    print(f"stream_key: {key}")
    print(f"server: {settings.rtmp_url}")
    print("The key is shown only now; store it in OBS (Settings > Stream > Stream Key).")
    return 0


def _set_enabled(settings: IngestSettings, stream_id: str, enabled: bool) -> int:
    registry = StreamRegistry()
    feed = CompactedTopicFollower(
        settings.kafka_bootstrap,
        settings.topics.name(Topic.STREAM_CONFIG),
        StreamConfig,
        registry.apply_record,
        f"{settings.producer_id}-cli",
    )
    feed.start()
    try:
        if not feed.caught_up.wait(30):
            print("stream-config topic not readable", file=sys.stderr)
            return 2
    finally:
        feed.stop()
    config = registry.get(stream_id)
    if config is None:
        print(f"unknown stream {stream_id}", file=sys.stderr)
        return 1
    _publish(settings, config.model_copy(update={"enabled": enabled}))
    print(f"{stream_id}: {'enabled' if enabled else 'disabled'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (`streams add|enable|disable`)."""
    parser = argparse.ArgumentParser(prog="python -m sightline_ingest.cli")
    groups = parser.add_subparsers(dest="group", required=True)
    streams = groups.add_parser("streams", help="register and switch streams")
    actions = streams.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="register a stream; prints its id and key once")
    add.add_argument("--name", required=True)
    add.add_argument("--kind", required=True, choices=[k.value for k in SourceKind])
    add.add_argument("--uri", default=None, help="file path or URL (file), device (webcam)")
    add.add_argument("--loop", action="store_true", help="replay a file source forever")
    add.add_argument("--disabled", action="store_true", help="register it switched off")
    for action in ("enable", "disable"):
        sub = actions.add_parser(action, help=f"{action} a stream")
        sub.add_argument("stream_id")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, publish, print."""
    args = build_parser().parse_args(argv)
    settings = IngestSettings()
    if args.action == "add":
        return _add(settings, args)
    return _set_enabled(settings, args.stream_id, args.action == "enable")


if __name__ == "__main__":
    sys.exit(main())
