"""Stream registration: the logic behind `/api/streams` and `sightline streams`.

A stream's key is generated here, returned once, and kept only as its SHA-256; every change is
published to `stream-config` before the database commits (see `events`).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import structlog
from sqlalchemy import func
from sqlmodel import Session, col, select

from sightline_common.messages import AnalysisPolicy, ExecutorKind, Source, SourceKind
from sightline_common.source_policy import (
    SourceNotAllowedError,
    SourcePolicy,
    SourcePolicySettings,
)
from sightline_results_api.events import StatePublisher
from sightline_results_api.models import LifecycleEvent, Stream, utcnow
from sightline_results_api.stream_analysis import LiveAnalysis, live_analysis

log = structlog.get_logger(__name__)


class StreamNotFoundError(LookupError):
    """No stream has this id."""


class InvalidSourceError(ValueError):
    """The source description cannot work (e.g. a file source without a file)."""


class StreamOnAirError(RuntimeError):
    """The change needs the stream off air (e.g. archiving it)."""


class LiveStatus(StrEnum):
    """What the latest lifecycle event says about a stream."""

    live = "live"
    stalled = "stalled"
    stopped = "stopped"
    idle = "idle"
    failed = "failed"
    retrying = "retrying"


# A source is on air, or about to be again.
ON_AIR = frozenset({LiveStatus.live, LiveStatus.stalled, LiveStatus.retrying})

_STATUS_OF_EVENT = {
    "started": LiveStatus.live,
    "resumed": LiveStatus.live,
    "stalled": LiveStatus.stalled,
    "stopped": LiveStatus.stopped,
    "failed": LiveStatus.failed,
    "retrying": LiveStatus.retrying,
}


@dataclass(frozen=True)
class LiveState:
    """A stream's live status and why (the latest lifecycle event's reason, e.g. ffmpeg's), and
    what its live detections say of their analysis (None: nothing says)."""

    status: LiveStatus
    reason: str | None = None
    analysis: LiveAnalysis | None = None


@dataclass(frozen=True)
class RetentionChange:
    """New per-stream lifetimes in seconds: None follows the global default, 0 keeps for ever."""

    video_s: float | None
    results_s: float | None


@dataclass(frozen=True)
class StreamChanges:
    """Fields a PATCH may change; None leaves a field as it is."""

    name: str | None = None
    source: Source | None = None
    policy: AnalysisPolicy | None = None
    enabled: bool | None = None
    retention: RetentionChange | None = None
    archived: bool | None = None


def hash_key(key: str) -> str:
    """The SHA-256 hex of a stream key, as stored and published."""
    return hashlib.sha256(key.encode()).hexdigest()


def default_policy() -> AnalysisPolicy:
    """The policy of a stream registered without one: local executor, default detectors."""
    return AnalysisPolicy.model_validate({"executors": [ExecutorKind.local]})


def _stored(policy: AnalysisPolicy) -> dict[str, object]:
    # The generated model keeps unvalidated defaults (plain strings for enums), which pydantic
    # warns about when dumping; the JSON it produces is right either way.
    return policy.model_dump(mode="json", warnings=False)


def check_source(source: Source, policy: SourcePolicy) -> None:
    """Reject sources that cannot produce video or that the source policy forbids."""
    if source.kind == SourceKind.file and not source.uri:
        raise InvalidSourceError("a file source needs a uri")
    try:
        policy.check(source)
    except SourceNotAllowedError as exc:
        raise InvalidSourceError(str(exc)) from exc
    if missing := policy.missing_file(source):
        raise InvalidSourceError(missing)


class StreamRegistry:
    """Creates, reads, changes and deletes streams, keeping `stream-config` in step."""

    def __init__(
        self, session: Session, publisher: StatePublisher, policy: SourcePolicy | None = None
    ) -> None:
        self._session = session
        self._publisher = publisher
        # Reading and deleting need no policy; creating or changing a source does.
        self._policy = policy or SourcePolicySettings().source_policy()

    def create(
        self, name: str, source: Source, policy: AnalysisPolicy | None
    ) -> tuple[Stream, str]:
        """Register a stream; returns it and its key (the only time the key is seen)."""
        check_source(source, self._policy)
        key = secrets.token_urlsafe(24)
        now = utcnow()
        stream = Stream(
            id=str(uuid.uuid4()),
            name=name,
            key_hash=hash_key(key),
            source_kind=source.kind.value,
            source_uri=source.uri,
            source_loop=source.loop,
            policy=_stored(policy or default_policy()),
            enabled=True,
            created_at=now,
            updated_at=now,
        )
        self._session.add(stream)
        self._session.flush()
        self._publisher.stream_config(stream)
        self._session.commit()
        log.info("stream.created", stream_id=stream.id, source=stream.source_kind)
        return stream, key

    def list(self, *, include_archived: bool = True, name: str | None = None) -> Sequence[Stream]:
        """Streams oldest first (not those being deleted); without `include_archived`, archived
        ones are left out unless on air (a publisher came back to one); `name`: those whose
        name contains it, any case."""
        query = select(Stream).where(col(Stream.deleting).is_(False))
        if name:
            query = query.where(col(Stream.name).icontains(name, autoescape=True))
        streams = self._session.exec(query.order_by(col(Stream.created_at))).all()
        if include_archived:
            return streams
        archived = [s.id for s in streams if s.archived_at is not None]
        on_air = {i for i, state in self.statuses(archived).items() if state.status in ON_AIR}
        return [s for s in streams if s.archived_at is None or s.id in on_air]

    def get(self, stream_id: str) -> Stream:
        """The stream with this id; raises StreamNotFoundError (also once its deletion is
        accepted)."""
        stream = self._session.get(Stream, stream_id)
        if stream is None or stream.deleting:
            raise StreamNotFoundError(stream_id)
        return stream

    def update(self, stream_id: str, changes: StreamChanges) -> Stream:
        """Apply `changes` and publish the new configuration."""
        stream = self.get(stream_id)
        if changes.source is not None:
            check_source(changes.source, self._policy)
            stream.source_kind = changes.source.kind.value
            stream.source_uri = changes.source.uri
            stream.source_loop = changes.source.loop
        if changes.name is not None:
            stream.name = changes.name
        if changes.policy is not None:
            stream.policy = _stored(changes.policy)
        if changes.enabled is not None:
            stream.enabled = changes.enabled
        if changes.retention is not None:
            stream.video_retention_s = changes.retention.video_s
            stream.results_retention_s = changes.retention.results_s
        if changes.archived is not None:
            self._archive(stream, changes.archived)
        self._save_and_publish(stream)
        log.info("stream.updated", stream_id=stream.id, enabled=stream.enabled)
        return stream

    def _archive(self, stream: Stream, archived: bool) -> None:
        """Archive or restore; a stream on air cannot be archived (it would vanish from the
        lists while an operator may be watching it)."""
        if not archived:
            stream.archived_at = None
            return
        state = self.statuses([stream.id])[stream.id]
        if state.status in ON_AIR:
            raise StreamOnAirError(f"the stream is {state.status.value}: stop its source first")
        stream.archived_at = stream.archived_at or utcnow()

    def rotate_key(self, stream_id: str) -> tuple[Stream, str]:
        """Give the stream a new key and publish it: ingest refuses the old one from its next
        publish on (a running publish is not cut). Returns the stream and the new key."""
        stream = self.get(stream_id)
        key = secrets.token_urlsafe(24)
        stream.key_hash = hash_key(key)
        self._save_and_publish(stream)
        log.info("stream.key_rotated", stream_id=stream.id)
        return stream, key

    def _save_and_publish(self, stream: Stream) -> None:
        """Write the changed row and its `stream-config` record; commit only once both hold."""
        stream.updated_at = utcnow()
        self._session.add(stream)
        self._session.flush()
        self._publisher.stream_config(stream)
        self._session.commit()
        self._session.refresh(stream)

    def statuses(self, stream_ids: Sequence[str]) -> dict[str, LiveState]:
        """Each stream's live status and its reason from its latest lifecycle event (idle
        when none)."""
        if not stream_ids:
            return {}
        latest = (
            select(LifecycleEvent.stream_id, func.max(LifecycleEvent.occurred_at).label("at"))
            .where(col(LifecycleEvent.stream_id).in_(stream_ids))
            .group_by(col(LifecycleEvent.stream_id))
            .subquery()
        )
        rows = self._session.exec(
            select(LifecycleEvent.stream_id, LifecycleEvent.status, LifecycleEvent.reason).join(
                latest,
                (col(LifecycleEvent.stream_id) == latest.c.stream_id)
                & (col(LifecycleEvent.occurred_at) == latest.c.at),
            )
        ).all()
        found = {
            stream_id: LiveState(_STATUS_OF_EVENT.get(status, LiveStatus.idle), reason)
            for stream_id, status, reason in rows
        }
        idle = LiveState(LiveStatus.idle)
        analysis = live_analysis(self._session, stream_ids)
        return {
            stream_id: replace(found.get(stream_id, idle), analysis=analysis.get(stream_id))
            for stream_id in stream_ids
        }
