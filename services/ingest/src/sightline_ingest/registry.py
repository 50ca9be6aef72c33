"""The in-memory view of the compacted `stream-config` topic, and publish authorization.

Ingest never asks another service whether a key may publish: it keeps the latest StreamConfig
per stream from the topic and decides locally.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from sightline_common.messages import StreamConfig
from sightline_ingest.keys import key_matches

ConfigListener = Callable[[list[StreamConfig]], None]


@dataclass(frozen=True)
class Refusal:
    """Why a publish was refused (never containing the key)."""

    reason: str
    stream_id: str | None = None


class StreamRegistry:
    """Latest configuration per stream id; thread-safe (the feed writes, HTTP reads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._configs: dict[str, StreamConfig] = {}
        # Streams deleted since this process started reading the topic: their segments still
        # spooled are dropped, never uploaded (see the uploader).
        self._deleted: set[str] = set()
        self._listeners: list[ConfigListener] = []

    def apply(self, config: StreamConfig) -> None:
        """Take a new configuration for its stream (deleted ones are forgotten)."""
        with self._lock:
            if config.deleted:
                self._configs.pop(config.stream_id, None)
                self._deleted.add(config.stream_id)
            else:
                self._configs[config.stream_id] = config
                self._deleted.discard(config.stream_id)
        self._notify()

    def apply_record(self, key: str, config: StreamConfig | None) -> None:
        """Take one record of the compacted topic: a configuration, or a tombstone (None)."""
        if config is None:
            self.remove(key)
        else:
            self.apply(config)

    def remove(self, stream_id: str) -> None:
        """Forget a stream (a tombstone on the compacted topic)."""
        with self._lock:
            self._configs.pop(stream_id, None)
            self._deleted.add(stream_id)
        self._notify()

    def is_deleted(self, stream_id: str) -> bool:
        """Whether the stream was deleted (its config said so, or its key was tombstoned)."""
        with self._lock:
            return stream_id in self._deleted

    def get(self, stream_id: str) -> StreamConfig | None:
        """The current configuration of a stream, if known."""
        with self._lock:
            return self._configs.get(stream_id)

    def all(self) -> list[StreamConfig]:
        """Every known (not deleted) stream."""
        with self._lock:
            return list(self._configs.values())

    def subscribe(self, listener: ConfigListener) -> None:
        """Call `listener` with every configuration after each change."""
        self._listeners.append(listener)

    def authorize(self, key: str) -> StreamConfig | Refusal:
        """The stream `key` belongs to if it may publish now, else why not.

        Every known hash is compared (no early exit), so timing does not tell how many streams
        exist before the matching one.
        """
        match: StreamConfig | None = None
        for config in self.all():
            if key_matches(key, config.key_hash) and match is None:
                match = config
        if match is None:
            return Refusal("unknown stream key")
        if not match.enabled:
            return Refusal("stream disabled", match.stream_id)
        return match

    def _notify(self) -> None:
        configs = self.all()
        for listener in self._listeners:
            listener(configs)
