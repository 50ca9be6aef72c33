"""API tokens as events: how results-api announces the tokens it issues and revokes.

results-api owns the tokens (it stores their hashes in its database); other services that must
authenticate the same clients (the notifier's WebSocket) may not read that database, so
results-api also publishes each token's hash to the compacted `api-tokens` topic, keyed by
token id, and those services follow the topic. Only the SHA-256 of a token ever leaves
results-api: tokens are long random strings, so a fast hash is enough to make the published
value useless to a reader of the topic.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sightline_common.envelope import deterministic_event_id, wrap
from sightline_common.kafka.producer import EventProducer
from sightline_common.messages import ApiToken
from sightline_common.topics import Topic, TopicNames


def hash_token(token: str) -> str:
    """The SHA-256 hex of `token`, as stored by results-api and published on `api-tokens`."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, token_hash: str) -> bool:
    """Whether `token` hashes to `token_hash`, compared in constant time."""
    return hmac.compare_digest(hash_token(token), token_hash)


def publish_api_token(
    producer: EventProducer,
    topics: TopicNames,
    *,
    token_id: str,
    name: str,
    token_hash: str,
    revoked: bool = False,
    expires_at: datetime | None = None,
    producer_id: str,
) -> None:
    """Queue the current state of one token on `api-tokens` (call `producer.flush()` after).

    Call it when a token is created (`revoked=False`) and when it is revoked (`revoked=True`);
    republishing the same state yields the same event id, so a retry is harmless. `expires_at`
    (timezone-aware) is when followers stop accepting the token; None: until revoked.
    """
    record = ApiToken(
        token_id=token_id,
        name=name,
        token_hash=token_hash,
        revoked=revoked,
        expires_at=expires_at,
    )
    envelope = wrap(
        record,
        key=token_id,
        producer=producer_id,
        event_id=deterministic_event_id("api-token", token_id, token_hash, revoked),
    )
    producer.publish(topics.name(Topic.API_TOKENS), envelope)
