"""The decision behind nginx-rtmp's `on_publish` / `on_publish_done` callbacks.

A publish is accepted only for the configured application and a key that belongs to an
enabled stream (an operator's key from `stream-config`, or a key ingest minted for its own
source adapter). Accepting opens a publish session and records the `started` event in the
same state transaction. While the spool is near its quota, an authorized publish is refused
(507) and its stream gets one `failed` event saying why. Keys are never logged: log lines
carry the stream id or nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import structlog

from sightline_common.messages import StreamConfig, StreamStatus
from sightline_common.topics import TopicNames
from sightline_ingest import metrics
from sightline_ingest.events import lifecycle_event
from sightline_ingest.folders import HlsFolders
from sightline_ingest.keys import SourceKeys, hash_key, is_safe_key
from sightline_ingest.registry import Refusal, StreamRegistry
from sightline_ingest.state import StateStore

log = structlog.get_logger(__name__)

Clock = Callable[[], float]
SpoolFull = Callable[[], str | None]  # why new publishes must wait, or None


@dataclass(frozen=True)
class Decision:
    """The HTTP status for nginx (2xx lets the publish go on) and why."""

    status: int
    reason: str
    stream_id: str | None = None


class PublishGate:
    """Authorizes publishes and opens/closes publish sessions."""

    def __init__(
        self,
        *,
        registry: StreamRegistry,
        source_keys: SourceKeys,
        folders: HlsFolders,
        state: StateStore,
        topics: TopicNames,
        producer_id: str,
        rtmp_app: str,
        clock: Clock = time.time,
        spool_full: SpoolFull = lambda: None,
    ) -> None:
        self._registry = registry
        self._source_keys = source_keys
        self._folders = folders
        self._state = state
        self._topics = topics
        self._producer_id = producer_id
        self._app = rtmp_app
        self._clock = clock
        self._spool_full = spool_full
        self._refused_full: set[str] = set()  # streams told `failed` since the spool filled

    def on_publish(self, form: Mapping[str, str]) -> Decision:
        """Accept (200) or refuse (403) a publish described by nginx-rtmp's form fields."""
        addr = form.get("addr", "")
        key = form.get("name", "")
        if form.get("app", "") != self._app:
            return self._refuse(Refusal(f"application {form.get('app', '')!r} not accepted"), addr)
        if not is_safe_key(key):
            return self._refuse(Refusal("malformed stream key"), addr)
        found = self._authorize(key)
        if isinstance(found, Refusal):
            return self._refuse(found, addr)
        full = self._spool_full()
        if full is not None:
            return self._refuse_spool_full(found, full, addr)
        self._refused_full.discard(found.stream_id)
        dir_hash = self._folders.remember(key)
        now = self._clock()
        previous = self._state.stream(found.stream_id)
        reconnect = previous is not None and previous.sessions > 0
        session_no = (previous.sessions if previous else 0) + 1
        started = lifecycle_event(
            self._topics,
            self._producer_id,
            stream_id=found.stream_id,
            status=StreamStatus.started,
            source_kind=found.source.kind.value,
            id_parts=self._state.id_parts(session_no),
            discontinuity=reconnect,
        )
        self._state.open_session(
            found.stream_id,
            source_kind=found.source.kind.value,
            dir_hash=dir_hash,
            client_id=form.get("clientid", ""),
            now=now,
            events=[started],
        )
        metrics.PUBLISHES.labels("accepted").inc()
        log.info(
            "rtmp.publish_accepted",
            stream_id=found.stream_id,
            addr=addr,
            session=session_no,
            reconnect=reconnect,
        )
        return Decision(200, "accepted", found.stream_id)

    def on_publish_done(self, form: Mapping[str, str]) -> Decision:
        """The publisher hung up: its session is scanned a little longer, then closed."""
        key = form.get("name", "")
        if form.get("app", "") != self._app or not is_safe_key(key):
            return Decision(200, "ignored")
        session = self._state.close_session(hash_key(key), form.get("clientid", ""), self._clock())
        if session is None:
            return Decision(200, "no open publish")
        log.info("rtmp.publish_done", stream_id=session.stream_id, session=session.session_no)
        return Decision(200, "closing", session.stream_id)

    def _authorize(self, key: str) -> StreamConfig | Refusal:
        stream_id = self._source_keys.stream_of(key)
        if stream_id is None:
            return self._registry.authorize(key)
        config = self._registry.get(stream_id)
        if config is None or not config.enabled:
            return Refusal("source stream no longer enabled", stream_id)
        return config

    def _refuse_spool_full(self, config: StreamConfig, reason: str, addr: str) -> Decision:
        """Refuse with 507 (nginx drops the publish) and tell the stream once on `streams`."""
        if config.stream_id not in self._refused_full:
            previous = self._state.stream(config.stream_id)
            attempt = (previous.sessions if previous else 0) + 1
            failed = lifecycle_event(
                self._topics,
                self._producer_id,
                stream_id=config.stream_id,
                status=StreamStatus.failed,
                source_kind=config.source.kind.value,
                id_parts=self._state.id_parts("spool-full", attempt, int(self._clock())),
                reason=reason,
            )
            self._state.record_events([failed])
            self._refused_full.add(config.stream_id)
        metrics.PUBLISHES.labels("refused").inc()
        log.error("rtmp.publish_refused", reason=reason, stream_id=config.stream_id, addr=addr)
        return Decision(507, reason, config.stream_id)

    def _refuse(self, refusal: Refusal, addr: str) -> Decision:
        metrics.PUBLISHES.labels("refused").inc()
        log.warning(
            "rtmp.publish_refused", reason=refusal.reason, stream_id=refusal.stream_id, addr=addr
        )
        return Decision(403, refusal.reason, refusal.stream_id)
