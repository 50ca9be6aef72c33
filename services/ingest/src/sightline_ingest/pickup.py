"""Segment pickup: complete segments from nginx-rtmp's folders into the spool, sequenced.

Each pass reads the playlist of every publish being scanned; a listed file not seen before is
read, checked, probed, spooled and given the stream's next sequence number in one state
transaction. Unreadable files become dead letters, their bytes kept in quarantine storage (the
uploader stores them, then sends the dead letter naming where); a probe that times out is
a busy host, so the folder is read again on the next pass instead. A live stream without a
new segment for `stall_seconds` is reported stalled; a closed publish is scanned for
`close_grace` more so its last segment (written as the publisher hangs up) is not missed.
nginx lists a fragment it closed right after opening it (the publisher died just after a
fragment boundary) with a zero duration: it is taken like any other, with the duration the probe
reads from it (a frame's worth; never zero, which no segment may have).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import structlog

from sightline_common.errors import CorruptMediaError
from sightline_common.hls import ListedSegment, PlaylistError, parse_media_playlist
from sightline_common.media_layout import quarantine_key
from sightline_common.messages import StreamStatus
from sightline_common.topics import TopicNames
from sightline_ingest import metrics
from sightline_ingest.events import dead_segment_event, lifecycle_event
from sightline_ingest.folders import HlsFolders
from sightline_ingest.media import MediaInfo, ProbeTimeoutError, check_transport_stream
from sightline_ingest.spool import Spool
from sightline_ingest.state import (
    CLOSING,
    OPEN,
    NewSegment,
    OutboxEvent,
    QuarantinedFile,
    Session,
    StateStore,
)

log = structlog.get_logger(__name__)

Prober = Callable[[Path], MediaInfo]
Publishers = Callable[[], set[str] | None]  # key hashes nginx is receiving now; None: unknown
PLAYLIST_NAME = "index.m3u8"
MIN_DURATION_S = 0.001  # a zero-listed fragment the probe cannot time either


@dataclass(frozen=True)
class PickupTimings:
    """How long a silent stream may be before it is stalled; how long a closed one is read."""

    stall_seconds: float
    close_grace: float


class SegmentPickup:
    """One pass over every publish being scanned (`scan_once`), driven by a loop thread."""

    def __init__(
        self,
        *,
        state: StateStore,
        folders: HlsFolders,
        spool: Spool,
        prober: Prober,
        topics: TopicNames,
        producer_id: str,
        timings: PickupTimings,
        publishers: Publishers = lambda: None,
        threads: int = 4,
        quarantine_bucket: str = "",
    ) -> None:
        self._state = state
        self._folders = folders
        self._spool = spool
        self._probe = prober
        self._topics = topics
        self._producer_id = producer_id
        self._timings = timings
        self._publishers = publishers
        self._quarantine_bucket = quarantine_bucket
        self._reconciled = False
        self._missing_logged: set[str] = set()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="pickup")

    def scan_once(self, now: float | None = None) -> int:
        """Pick up what is new in every scanned folder; returns how many segments were taken."""
        now = time.time() if now is None else now
        if not self._reconciled:
            self._close_unpublished(self._state.active_sessions(), now)
            self._reconciled = True
        sessions = self._state.active_sessions()
        # Folders are independent streams: probe them in parallel, so segments that several
        # publishers complete at the same moment do not queue behind each other's probe.
        jobs = [
            (group, folder)
            for dir_hash, group in _by_folder(sessions).items()
            if (folder := self._folders.find(dir_hash)) is not None
        ]
        taken = sum(self._pool.map(lambda job: self._scan_folder(job[0], job[1], now), jobs))
        for session in sessions:
            closed_at = session.closed_at if session.closed_at is not None else now
            if session.state == CLOSING and now >= closed_at + self._timings.close_grace:
                self._state.mark_closed(session.stream_id, session.session_no)
                log.info(
                    "pickup.publish_closed", stream_id=session.stream_id, session=session.session_no
                )
            elif session.state == OPEN:
                self._check_stall(session, now)
        return taken

    def _scan_folder(self, group: list[Session], folder: Path, now: float) -> int:
        """Take the folder's new segments; each belongs to the publish open when it was made.

        A reconnect with the same key writes into the same folder: the old publish's last
        segment (closed as it hung up) predates the new publish, the new one's come after.
        """
        try:
            listed = parse_media_playlist((folder / PLAYLIST_NAME).read_text())
        except (FileNotFoundError, PlaylistError):
            return 0
        known = self._state.known_fingerprints(group[0].stream_id)
        dir_hash = group[0].dir_hash
        taken = 0
        for entry in listed:
            path = folder / entry.name
            try:
                stat = path.stat()
            except FileNotFoundError:
                self._log_missing(group[0], entry)
                continue
            fingerprint = f"{dir_hash[:16]}/{entry.name}/{stat.st_size}/{stat.st_mtime_ns}"
            if fingerprint in known:
                continue
            owner = max(
                (s for s in group if s.opened_at <= stat.st_mtime),
                key=lambda s: s.session_no,
                default=group[0],
            )
            try:
                if self._take(owner, entry, path, fingerprint, now):
                    taken += 1
            except ProbeTimeoutError as exc:
                # Not corrupt, just slow: this file and those after it (order is kept) are
                # read again on the next pass; nginx keeps them for ~60 s.
                metrics.PROBE_TIMEOUTS.inc()
                log.warning(
                    "pickup.probe_timed_out",
                    stream_id=owner.stream_id,
                    file=entry.name,
                    reason=str(exc),
                )
                break
        return taken

    def _close_unpublished(self, sessions: list[Session], now: float) -> None:
        """Close open publishes nginx no longer has (their publish_done came while we were
        down). Only publishes older than a few seconds are judged, so a publish accepted a
        moment ago but not yet on nginx's stat page is left alone."""
        candidates = [s for s in sessions if s.state == OPEN and now - s.opened_at > 5.0]
        if not candidates:
            return
        publishing = self._publishers()
        if publishing is None:
            return
        for session in candidates:
            if session.dir_hash not in publishing:
                self._state.close_session(session.dir_hash, session.client_id, now)
                log.warning(
                    "pickup.publish_done_missed",
                    stream_id=session.stream_id,
                    session=session.session_no,
                )

    def _take(
        self, session: Session, entry: ListedSegment, path: Path, fingerprint: str, now: float
    ) -> bool:
        """Spool and sequence one segment; returns False if it was dead-lettered or vanished."""
        try:
            data = path.read_bytes()
            wall_clock = path.stat().st_mtime
        except FileNotFoundError:
            self._log_missing(session, entry)
            return False
        spool_name = Spool.name_for(fingerprint)
        try:
            check_transport_stream(data)
            info = self._probe(self._spool.write(spool_name, data))
        except ProbeTimeoutError:
            self._spool.remove(spool_name)
            raise
        except CorruptMediaError as exc:
            kept = bool(data) and self._spool.path(spool_name).exists()
            if not kept:
                self._spool.remove(spool_name)
            self._dead_letter(
                session, entry, fingerprint, len(data), exc, spool_name if kept else None
            )
            return False
        duration = entry.duration or info.duration or MIN_DURATION_S
        stream = self._state.stream(session.stream_id)
        events: list[OutboxEvent] = []
        if stream is not None and stream.stalled:
            events.append(self._lifecycle(session, StreamStatus.resumed, stream.stall_count))
        file_no = _file_number(entry.name)
        lost_seconds = 0.0
        missing = stream.missing_before(session.dir_hash, file_no) if stream else 0
        if stream is not None and missing and stream.last_file_mtime is not None:
            # Each file's mtime is when it was closed: the gap is the time between them.
            lost_seconds = max(wall_clock - duration - stream.last_file_mtime, 0.001)
            metrics.SEGMENTS_LOST.inc(missing)
            log.warning(
                "pickup.segments_lost",
                stream_id=session.stream_id,
                count=missing,
                seconds=round(lost_seconds, 3),
                before=entry.name,
            )
        record = self._state.assign(
            session,
            NewSegment(
                fingerprint=fingerprint,
                spool_name=spool_name,
                duration=duration,
                wall_clock=wall_clock,
                size_bytes=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                width=info.width,
                height=info.height,
                codec=info.codec,
                dir_hash=session.dir_hash,
                file_no=file_no,
                lost_seconds=lost_seconds,
            ),
            now,
            events,
        )
        metrics.SEGMENTS_SPOOLED.inc()
        log.info(
            "pickup.segment_spooled",
            stream_id=record.stream_id,
            sequence=record.seq,
            file=entry.name,
            duration=record.duration,
            discontinuity=record.discontinuity,
            listed_to_spooled_s=round(time.time() - wall_clock, 3),
        )
        return True

    def _dead_letter(  # noqa: PLR0917 - one call site, all of it describes the one file
        self,
        session: Session,
        entry: ListedSegment,
        fingerprint: str,
        size: int,
        exc: CorruptMediaError,
        spool_name: str | None,
    ) -> None:
        """Dead-letter an unreadable file; with `spool_name` (its bytes spooled) the uploader
        keeps the bytes in quarantine storage first, then sends the dead letter naming them."""
        key = quarantine_key(session.stream_id, fingerprint)
        kept_at = (self._quarantine_bucket, key) if spool_name else None
        event = dead_segment_event(
            self._topics,
            self._producer_id,
            stream_id=session.stream_id,
            fingerprint=fingerprint,
            file_name=entry.name,
            size_bytes=size,
            reason=exc.reason,
            error_type=type(exc).__name__,
            kept_at=kept_at,
        )
        if spool_name is None:
            self._state.record_dead(session.stream_id, fingerprint, exc.reason, [event])
        else:
            quarantined = QuarantinedFile(session.stream_id, fingerprint, spool_name, key, event)
            self._state.record_dead(
                session.stream_id, fingerprint, exc.reason, quarantine=quarantined
            )
        metrics.SEGMENTS_DEAD.inc()
        log.warning(
            "pickup.segment_dead_lettered",
            stream_id=session.stream_id,
            file=entry.name,
            reason=exc.reason,
            quarantine_key=key if spool_name else None,
        )

    def _check_stall(self, session: Session, now: float) -> None:
        stream = self._state.stream(session.stream_id)
        if stream is None or stream.stalled:
            return
        if now - stream.last_activity < self._timings.stall_seconds:
            return
        publishing = self._publishers()
        if publishing is not None and session.dir_hash not in publishing:
            self._close_unpublished([session], now)
            return
        event = self._lifecycle(session, StreamStatus.stalled, stream.stall_count + 1)
        self._state.set_stalled(session.stream_id, [event])
        log.warning(
            "pickup.stream_stalled",
            stream_id=session.stream_id,
            silent_s=round(now - stream.last_activity, 1),
        )

    def _lifecycle(self, session: Session, status: StreamStatus, count: int) -> OutboxEvent:
        stream = self._state.stream(session.stream_id)
        return lifecycle_event(
            self._topics,
            self._producer_id,
            stream_id=session.stream_id,
            status=status,
            source_kind=stream.source_kind if stream else "rtmp",
            id_parts=self._state.id_parts(count),
            reason=f"no new segment for {self._timings.stall_seconds:g}s"
            if status == StreamStatus.stalled
            else None,
        )

    def _log_missing(self, session: Session, entry: ListedSegment) -> None:
        marker = f"{session.dir_hash}/{entry.name}"
        if marker not in self._missing_logged:
            if len(self._missing_logged) > 10_000:
                self._missing_logged.clear()
            self._missing_logged.add(marker)
            log.warning("pickup.segment_missed", stream_id=session.stream_id, file=entry.name)


def _by_folder(sessions: list[Session]) -> dict[str, list[Session]]:
    """Scanned publishes grouped by folder, oldest publish first."""
    groups: dict[str, list[Session]] = {}
    for session in sessions:
        groups.setdefault(session.dir_hash, []).append(session)
    return groups


def _file_number(name: str) -> int | None:
    """nginx-rtmp's fragment number from `N.ts` (None for other names)."""
    stem = name.removesuffix(".ts")
    return int(stem) if stem.isdigit() else None
