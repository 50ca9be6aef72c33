"""The latest analysis policy of each stream, as followed from the `stream-config` topic."""

from __future__ import annotations

import threading

from sightline_common.kafka.follower import CompactedTopicFollower
from sightline_common.messages import AnalysisPolicy, StreamConfig
from sightline_common.settings import ServiceSettings
from sightline_common.topics import Topic


class StreamPolicies:
    """Stream id → policy; a stream without configuration gets the default (local, 2 fps)."""

    def __init__(self, default: AnalysisPolicy | None = None) -> None:
        self._default = default or AnalysisPolicy.model_validate({})
        self._policies: dict[str, AnalysisPolicy] = {}
        self._lock = threading.Lock()

    def apply(self, key: str, config: StreamConfig | None) -> None:
        """Take a stream-config record (None or `deleted`: the stream reverts to the default)."""
        with self._lock:
            if config is None or config.deleted:
                self._policies.pop(key, None)
            else:
                self._policies[config.stream_id] = config.policy

    def policy_for(self, stream_id: str) -> AnalysisPolicy:
        """The stream's current policy."""
        with self._lock:
            return self._policies.get(stream_id, self._default)


def followed_policies(settings: ServiceSettings) -> tuple[StreamPolicies, CompactedTopicFollower]:
    """Stream policies and the (not yet started) follower of `stream-config` that fills them."""
    policies = StreamPolicies()
    follower = CompactedTopicFollower(
        settings.kafka_bootstrap,
        settings.topics.name(Topic.STREAM_CONFIG),
        StreamConfig,
        policies.apply,
        settings.producer_id,
    )
    return policies, follower
