"""Publishing the state results-api owns to its compacted topics.

`stream-config` (ingest authorizes publishes against it, detectors read policies from it),
`logo-library` (detectors match against it) and `api-tokens` (the notifier authenticates with
it). Each publish is flushed before the database transaction commits, so a failed publish
rolls the change back instead of leaving the database and the topic disagreeing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sightline_common.api_tokens import publish_api_token
from sightline_common.envelope import deterministic_event_id, wrap
from sightline_common.kafka import EventProducer
from sightline_common.messages import (
    AnalysisPolicy,
    LogoEntry,
    ReanalysisAction,
    ReanalysisPurpose,
    ReanalysisRequest,
    Source,
    SourceKind,
    StreamConfig,
)
from sightline_common.topics import Topic, TopicNames
from sightline_results_api.models import ApiToken, Logo, ReanalysisRun, Stream

# How long an API request waits for the broker before answering 503; the API's producer is
# built with a delivery timeout below this, so an unacknowledged message is a failed one.
PUBLISH_TIMEOUT_S = 15.0
API_PRODUCER_OVERRIDES = {"delivery.timeout.ms": 10_000}


@dataclass(frozen=True)
class StatePublisher:
    """Publishes stream configs, logo entries and API tokens; raises DeliveryError on failure."""

    producer: EventProducer
    topics: TopicNames
    producer_id: str

    def stream_config(self, stream: Stream, *, deleted: bool = False) -> None:
        """Publish the stream's current configuration (or its deletion) and wait for the ack."""
        config = StreamConfig(
            stream_id=stream.id,
            name=stream.name,
            key_hash=stream.key_hash,
            source=Source(
                kind=SourceKind(stream.source_kind), uri=stream.source_uri, loop=stream.source_loop
            ),
            policy=AnalysisPolicy.model_validate(stream.policy),
            enabled=stream.enabled,
            deleted=deleted,
        )
        event_id = deterministic_event_id(
            "stream-config", stream.id, stream.updated_at.isoformat(), deleted
        )
        envelope = wrap(config, key=stream.id, producer=self.producer_id, event_id=event_id)
        self.producer.publish(self.topics.name(Topic.STREAM_CONFIG), envelope)
        self.producer.flush(PUBLISH_TIMEOUT_S)

    def stream_tombstone(self, stream_id: str) -> None:
        """Publish a tombstone (null value) for the stream's key on `stream-config` and wait for
        the ack: once the topic is compacted, nothing of the stream (name, key hash) is left."""
        topic = self.topics.name(Topic.STREAM_CONFIG)
        self.producer.publish_raw(topic, stream_id.encode(), None)
        self.producer.flush(PUBLISH_TIMEOUT_S)

    def rule_tombstones(self, rule_ids: list[str]) -> None:
        """Publish a tombstone for each alert rule on `alert-rules` and wait for the acks: the
        alerts service drops the rules, and compaction leaves nothing of them."""
        topic = self.topics.name(Topic.ALERT_RULES)
        for rule_id in rule_ids:
            self.producer.publish_raw(topic, rule_id.encode(), None)
        self.producer.flush(PUBLISH_TIMEOUT_S)

    def logo_entry(self, logo: Logo, *, deleted: bool = False) -> None:
        """Publish a logo library entry (or its removal) and wait for the ack."""
        entry = LogoEntry(
            logo_id=logo.id,
            brand=logo.brand,
            bucket=logo.bucket,
            object_key=logo.object_key,
            sha256=logo.sha256,
            deleted=deleted,
        )
        event_id = deterministic_event_id("logo-entry", logo.id, deleted)
        envelope = wrap(entry, key=logo.id, producer=self.producer_id, event_id=event_id)
        self.producer.publish(self.topics.name(Topic.LOGO_LIBRARY), envelope)
        self.producer.flush(PUBLISH_TIMEOUT_S)

    def reanalysis(
        self,
        run: ReanalysisRun,
        action: ReanalysisAction,
        config: dict[str, Any],
        stored: tuple[datetime, datetime] | None = None,
    ) -> None:
        """Ask the detectors to start (or cancel) a run and wait for the ack.

        `stored` is when the range's first and last segments were stored, so the detectors
        can seek the segments topic by time instead of reading it from the start.
        """
        request = ReanalysisRequest(
            run_id=run.run_id,
            action=action,
            purpose=ReanalysisPurpose.reanalysis,
            stream_id=run.stream_id,
            media_from=run.from_ts,
            media_to=run.to_ts,
            detectors=run.detectors,
            config=config,
            wall_from=stored[0] if stored else None,
            wall_to=stored[1] if stored else None,
        )
        event_id = deterministic_event_id("reanalysis", run.run_id, action.value)
        envelope = wrap(request, key=run.run_id, producer=self.producer_id, event_id=event_id)
        self.producer.publish(self.topics.name(Topic.REANALYSIS), envelope)
        self.producer.flush(PUBLISH_TIMEOUT_S)

    def api_token(self, token: ApiToken) -> None:
        """Publish a token's hash and revocation state and wait for the ack."""
        publish_api_token(
            self.producer,
            self.topics,
            token_id=token.id,
            name=token.name,
            token_hash=token.token_hash,
            revoked=token.revoked_at is not None,
            expires_at=token.expires_at,
            producer_id=self.producer_id,
        )
        self.producer.flush(PUBLISH_TIMEOUT_S)
