"""Ingest's durable state in one SQLite file: sequences, publish sessions, segments, outbox.

Everything that must survive a SIGKILL lives here, and every change that also emits an event
writes that event to the outbox in the same transaction, so state and events never disagree:
a segment's sequence number is fixed before its upload, a restart redoes the upload and the
publish with the same object key and event id, and nginx renumbering its files after a
reconnect cannot collide (files are told apart by folder, name, size and mtime, not number).
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Bumped whenever _SCHEMA changes; a state file of another version is refused with a clear
# error instead of failing later on a missing column (version 1 is migrated in place).
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS streams (
    stream_id TEXT PRIMARY KEY,
    source_kind TEXT NOT NULL,
    next_seq INTEGER NOT NULL DEFAULT 0,
    media_clock REAL NOT NULL DEFAULT 0,
    sessions INTEGER NOT NULL DEFAULT 0,
    live INTEGER NOT NULL DEFAULT 0,
    gap_pending INTEGER NOT NULL DEFAULT 0,
    stalled INTEGER NOT NULL DEFAULT 0,
    stall_count INTEGER NOT NULL DEFAULT 0,
    last_activity REAL NOT NULL DEFAULT 0,
    last_dir TEXT,
    last_file_no INTEGER,
    last_file_mtime REAL,
    -- 0 until the uploader compared the stream with what storage already holds (see
    -- `adopt_stored`); nothing of the stream is uploaded before that.
    origin_checked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sessions (
    stream_id TEXT NOT NULL,
    session_no INTEGER NOT NULL,
    dir_hash TEXT NOT NULL,
    client_id TEXT NOT NULL,
    state TEXT NOT NULL,
    opened_at REAL NOT NULL,
    closed_at REAL,
    segments INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (stream_id, session_no)
);
CREATE TABLE IF NOT EXISTS segments (
    stream_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    spool_name TEXT NOT NULL,
    duration REAL NOT NULL,
    media_start REAL NOT NULL,
    wall_clock REAL NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    width INTEGER,
    height INTEGER,
    codec TEXT,
    discontinuity INTEGER NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (stream_id, seq),
    UNIQUE (stream_id, fingerprint)
);
CREATE TABLE IF NOT EXISTS dead_segments (
    stream_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (stream_id, fingerprint)
);
CREATE TABLE IF NOT EXISTS quarantine (
    stream_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    spool_name TEXT NOT NULL,
    object_key TEXT NOT NULL,
    topic TEXT NOT NULL,
    event BLOB NOT NULL,
    PRIMARY KEY (stream_id, fingerprint)
);
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL
);
"""

OPEN, CLOSING, CLOSED = "open", "closing", "closed"
# LOST: its spool file vanished before upload; it is dead-lettered and skipped.
SPOOLED, PUBLISHED, LOST = "spooled", "published", "lost"


@dataclass(frozen=True)
class OutboxEvent:
    """An encoded event waiting to be delivered (row id 0 until stored)."""

    topic: str
    key: str
    value: bytes
    row_id: int = 0


@dataclass(frozen=True)
class Session:
    """One publish of a stream (an RTMP connection or one run of a source adapter)."""

    stream_id: str
    session_no: int
    dir_hash: str
    client_id: str
    state: str
    opened_at: float
    closed_at: float | None
    segments: int


@dataclass(frozen=True)
class StreamState:
    """Per-stream counters: the next sequence and the stream clock."""

    stream_id: str
    source_kind: str
    next_seq: int
    media_clock: float
    sessions: int
    live: bool
    gap_pending: bool
    stalled: bool
    stall_count: int
    last_activity: float
    last_dir: str | None
    last_file_no: int | None
    last_file_mtime: float | None
    origin_checked: bool = True

    def missing_before(self, dir_hash: str, file_no: int | None) -> int:
        """How many of nginx's numbered files in this folder were never taken before
        `file_no` (they expired while ingest was down); 0 after a renumbering."""
        if file_no is None or self.last_file_no is None or self.last_dir != dir_hash:
            return 0
        return max(file_no - self.last_file_no - 1, 0)


@dataclass(frozen=True)
class NewSegment:
    """What pickup learned about a complete segment, before it has a sequence number."""

    fingerprint: str
    spool_name: str
    duration: float
    wall_clock: float
    size_bytes: int
    sha256: str
    width: int | None
    height: int | None
    codec: str | None
    dir_hash: str = ""
    file_no: int | None = None
    lost_seconds: float = 0.0  # stream time of segments lost just before this one


@dataclass(frozen=True)
class StoredEntry:
    """A segment storage already lists for a stream this state file does not know."""

    seq: int
    duration: float
    discontinuity: bool


@dataclass(frozen=True)
class QuarantinedFile:
    """An unreadable segment whose bytes wait in the spool for their quarantine upload; its
    dead letter (which names `object_key`) is sent once they are stored."""

    stream_id: str
    fingerprint: str
    spool_name: str
    object_key: str
    event: OutboxEvent


@dataclass(frozen=True)
class SegmentRecord:
    """A segment with its sequence number, spooled or published."""

    stream_id: str
    seq: int
    fingerprint: str
    spool_name: str
    duration: float
    media_start: float
    wall_clock: float
    size_bytes: int
    sha256: str
    width: int | None
    height: int | None
    codec: str | None
    discontinuity: bool
    status: str


class StateVersionError(RuntimeError):
    """The state file was written by an incompatible version of ingest."""


class StateStore:
    """The SQLite state file; safe to share between threads (one connection, one lock)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        if self._check_version(path) == 1:
            self._migrate_from_1()
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        # The epoch tells this state file's event ids from those of a state file that was lost
        # or moved aside (its publish and stall counters restart at 1). A file migrated from
        # version 1 keeps the empty epoch, so its ids stay what they were.
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('epoch', ?)", (secrets.token_hex(4),))
        self.epoch: str = self._db.execute(
            "SELECT value FROM meta WHERE name = 'epoch'"
        ).fetchone()[0]
        self._lock = threading.RLock()

    def _migrate_from_1(self) -> None:
        self._db.executescript(
            "BEGIN;"
            " ALTER TABLE streams ADD COLUMN origin_checked INTEGER NOT NULL DEFAULT 1;"
            " CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
            " INSERT INTO meta VALUES ('epoch', '');"
            " PRAGMA user_version=2;"
            " COMMIT;"
        )

    def id_parts(self, *parts: object) -> tuple[object, ...]:
        """`parts` of a deterministic event id, scoped to this state file's epoch."""
        return (self.epoch, *parts) if self.epoch else parts

    def _check_version(self, path: Path) -> int:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        tables = self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if tables and version == 1:
            return version
        if tables and version != SCHEMA_VERSION:
            self._db.close()
            raise StateVersionError(
                f"ingest state {path} has schema version {version}, this ingest needs"
                f" {SCHEMA_VERSION}; move the file aside (segments already uploaded stay in"
                " object storage) and restart"
            )
        return version

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _add_events(self, db: sqlite3.Connection, events: Sequence[OutboxEvent]) -> None:
        db.executemany(
            "INSERT INTO outbox (topic, key, value) VALUES (?, ?, ?)",
            [(e.topic, e.key, e.value) for e in events],
        )

    # --- streams and sessions -------------------------------------------------------------

    def stream(self, stream_id: str) -> StreamState | None:
        """A stream's counters, if it ever published."""
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM streams WHERE stream_id = ?", (stream_id,)
            ).fetchone()
        return _stream(row) if row else None

    def open_session(
        self,
        stream_id: str,
        *,
        source_kind: str,
        dir_hash: str,
        client_id: str,
        now: float,
        events: Sequence[OutboxEvent] = (),
    ) -> Session:
        """Start a publish; any publish of the stream still open is superseded (closing)."""
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO streams (stream_id, source_kind) VALUES (?, ?)",
                (stream_id, source_kind),
            )
            db.execute(
                "UPDATE sessions SET state = ?, closed_at = ? WHERE stream_id = ? AND state = ?",
                (CLOSING, now, stream_id, OPEN),
            )
            row = db.execute(
                "UPDATE streams SET sessions = sessions + 1, live = 1, source_kind = ?,"
                " stalled = 0, last_activity = ? WHERE stream_id = ? RETURNING sessions",
                (source_kind, now, stream_id),
            ).fetchone()
            session_no = int(row["sessions"])
            db.execute(
                "INSERT INTO sessions (stream_id, session_no, dir_hash, client_id, state,"
                " opened_at) VALUES (?, ?, ?, ?, ?, ?)",
                (stream_id, session_no, dir_hash, client_id, OPEN, now),
            )
            self._add_events(db, events)
        return Session(stream_id, session_no, dir_hash, client_id, OPEN, now, None, 0)

    def close_session(self, dir_hash: str, client_id: str, now: float) -> Session | None:
        """End the open publish from this folder and client, if there is one."""
        with self._tx() as db:
            row = db.execute(
                "UPDATE sessions SET state = ?, closed_at = ? WHERE dir_hash = ?"
                " AND client_id = ? AND state = ? RETURNING *",
                (CLOSING, now, dir_hash, client_id, OPEN),
            ).fetchone()
        return _session(row) if row else None

    def active_sessions(self) -> list[Session]:
        """Publishes whose folders are still scanned (open, or closing within the grace)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM sessions WHERE state IN (?, ?) ORDER BY stream_id, session_no",
                (OPEN, CLOSING),
            ).fetchall()
        return [_session(r) for r in rows]

    def mark_closed(self, stream_id: str, session_no: int) -> None:
        """A closing publish has been scanned for the last time."""
        with self._tx() as db:
            db.execute(
                "UPDATE sessions SET state = ? WHERE stream_id = ? AND session_no = ?",
                (CLOSED, stream_id, session_no),
            )

    def set_stalled(self, stream_id: str, events: Sequence[OutboxEvent] = ()) -> None:
        """Record that a live stream stopped producing segments."""
        with self._tx() as db:
            db.execute(
                "UPDATE streams SET stalled = 1, stall_count = stall_count + 1 WHERE stream_id = ?",
                (stream_id,),
            )
            self._add_events(db, events)

    def streams_to_finish(self) -> list[StreamState]:
        """Live streams with no publish left and every segment published: ready to end."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM streams s WHERE live = 1"
                " AND NOT EXISTS (SELECT 1 FROM sessions x WHERE x.stream_id = s.stream_id"
                "   AND x.state IN (?, ?))"
                " AND NOT EXISTS (SELECT 1 FROM segments g WHERE g.stream_id = s.stream_id"
                "   AND g.status = ?)",
                (OPEN, CLOSING, SPOOLED),
            ).fetchall()
        return [_stream(r) for r in rows]

    def mark_finished(self, stream_id: str, events: Sequence[OutboxEvent] = ()) -> None:
        """The stream's VOD playlist is stored; it is no longer live."""
        with self._tx() as db:
            db.execute("UPDATE streams SET live = 0 WHERE stream_id = ?", (stream_id,))
            self._add_events(db, events)

    # --- segments --------------------------------------------------------------------------

    def known_fingerprints(self, stream_id: str) -> set[str]:
        """Every file of the stream already taken (sequenced or dead-lettered)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT fingerprint FROM segments WHERE stream_id = ?"
                " UNION SELECT fingerprint FROM dead_segments WHERE stream_id = ?",
                (stream_id, stream_id),
            ).fetchall()
        return {r["fingerprint"] for r in rows}

    def assign(
        self,
        session: Session,
        segment: NewSegment,
        now: float,
        events: Sequence[OutboxEvent] = (),
    ) -> SegmentRecord:
        """Give a new segment the stream's next sequence number and stream time.

        A segment is a discontinuity when it is the first of a publish after earlier ones, or
        when a segment before it was lost (dead-lettered, or expired unseen). nginx's own
        discontinuity tags are not used: it tags the first segment of every publish.
        Resets `stalled`.
        """
        with self._tx() as db:
            srow = db.execute(
                "SELECT * FROM streams WHERE stream_id = ?", (session.stream_id,)
            ).fetchone()
            first_of_session = (
                db.execute(
                    "SELECT segments FROM sessions WHERE stream_id = ? AND session_no = ?",
                    (session.stream_id, session.session_no),
                ).fetchone()["segments"]
                == 0
            )
            state = _stream(srow)
            lost = segment.lost_seconds > 0
            discontinuity = state.gap_pending or lost or (first_of_session and state.next_seq > 0)
            record = SegmentRecord(
                stream_id=session.stream_id,
                seq=state.next_seq,
                fingerprint=segment.fingerprint,
                spool_name=segment.spool_name,
                duration=segment.duration,
                media_start=state.media_clock + segment.lost_seconds,
                wall_clock=segment.wall_clock,
                size_bytes=segment.size_bytes,
                sha256=segment.sha256,
                width=segment.width,
                height=segment.height,
                codec=segment.codec,
                discontinuity=discontinuity,
                status=SPOOLED,
            )
            db.execute(
                "INSERT INTO segments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.stream_id,
                    record.seq,
                    record.fingerprint,
                    record.spool_name,
                    record.duration,
                    record.media_start,
                    record.wall_clock,
                    record.size_bytes,
                    record.sha256,
                    record.width,
                    record.height,
                    record.codec,
                    int(record.discontinuity),
                    record.status,
                ),
            )
            db.execute(
                "UPDATE streams SET next_seq = next_seq + 1, media_clock = ?, gap_pending = 0,"
                " stalled = 0, last_activity = ?, last_dir = ?, last_file_no = ?,"
                " last_file_mtime = ? WHERE stream_id = ?",
                (
                    record.media_start + segment.duration, now, segment.dir_hash,
                    segment.file_no, segment.wall_clock, session.stream_id,
                ),
            )  # fmt: skip
            db.execute(
                "UPDATE sessions SET segments = segments + 1 WHERE stream_id = ?"
                " AND session_no = ?",
                (session.stream_id, session.session_no),
            )
            self._add_events(db, events)
        return record

    def record_dead(
        self,
        stream_id: str,
        fingerprint: str,
        reason: str,
        events: Sequence[OutboxEvent] = (),
        quarantine: QuarantinedFile | None = None,
    ) -> None:
        """A file that cannot be used: never retried; the next segment marks the gap (its
        stream time then skips the lost file, found by nginx's numbering). With `quarantine`
        its bytes wait in the spool for the uploader, which then sends its dead letter."""
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO dead_segments VALUES (?, ?, ?)",
                (stream_id, fingerprint, reason),
            )
            db.execute("UPDATE streams SET gap_pending = 1 WHERE stream_id = ?", (stream_id,))
            if quarantine is not None:
                q = quarantine
                db.execute(
                    "INSERT OR IGNORE INTO quarantine VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        q.stream_id,
                        q.fingerprint,
                        q.spool_name,
                        q.object_key,
                        q.event.topic,
                        q.event.value,
                    ),
                )
            self._add_events(db, events)

    def pending_quarantine(self) -> list[QuarantinedFile]:
        """Unreadable segments whose bytes are not in quarantine storage yet."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM quarantine").fetchall()
        return [
            QuarantinedFile(
                r["stream_id"], r["fingerprint"], r["spool_name"], r["object_key"],
                OutboxEvent(r["topic"], r["stream_id"], bytes(r["event"])),
            )
            for r in rows
        ]  # fmt: skip

    def quarantine_stored(self, file: QuarantinedFile) -> None:
        """The bytes are in quarantine storage: send the dead letter that says where."""
        with self._tx() as db:
            db.execute(
                "DELETE FROM quarantine WHERE stream_id = ? AND fingerprint = ?",
                (file.stream_id, file.fingerprint),
            )
            self._add_events(db, [file.event])

    def mark_lost(self, stream_id: str, seq: int, events: Sequence[OutboxEvent] = ()) -> None:
        """A spooled segment whose file vanished: skipped for good (dead-lettered through
        `events`); the segment after it is marked as a discontinuity."""
        with self._tx() as db:
            db.execute(
                "UPDATE segments SET status = ? WHERE stream_id = ? AND seq = ?",
                (LOST, stream_id, seq),
            )
            marked = db.execute(
                "UPDATE segments SET discontinuity = 1 WHERE stream_id = ? AND seq ="
                " (SELECT MIN(seq) FROM segments WHERE stream_id = ? AND seq > ? AND status = ?)"
                " RETURNING seq",
                (stream_id, stream_id, seq, SPOOLED),
            ).fetchall()
            if not marked:
                db.execute("UPDATE streams SET gap_pending = 1 WHERE stream_id = ?", (stream_id,))
            self._add_events(db, events)

    def adopt_stored(self, stream_id: str, stored: Sequence[StoredEntry], highest: int) -> None:
        """Continue after what storage already holds for a stream this state file never knew
        (the file was lost or moved aside): storage's segments up to `highest` become this
        stream's published past (its playlist keeps listing them), and the segments spooled
        since are renumbered after them (nothing of them was uploaded or announced yet), so no
        object key or event id is reused. The first renumbered segment is a discontinuity."""
        offset = highest + 1
        media = sum(e.duration for e in stored if e.seq < offset)
        with self._tx() as db:
            checked = db.execute(
                "SELECT origin_checked FROM streams WHERE stream_id = ?", (stream_id,)
            ).fetchone()
            if checked is None or checked[0]:
                return
            # Two steps, so no intermediate value collides with a row not yet moved.
            db.execute(
                "UPDATE segments SET seq = -(seq + ?) - 1, media_start = media_start + ?"
                " WHERE stream_id = ?",
                (offset, media, stream_id),
            )
            db.execute("UPDATE segments SET seq = -seq - 1 WHERE stream_id = ?", (stream_id,))
            db.execute(
                "UPDATE segments SET discontinuity = 1 WHERE stream_id = ? AND seq ="
                " (SELECT MIN(seq) FROM segments WHERE stream_id = ?)",
                (stream_id, stream_id),
            )
            start = 0.0
            for entry in sorted(stored, key=lambda e: e.seq):
                if entry.seq >= offset:
                    continue
                db.execute(
                    "INSERT INTO segments VALUES (?, ?, ?, '', ?, ?, 0, 0, '', NULL, NULL, NULL,"
                    " ?, ?)",
                    (
                        stream_id, entry.seq, f"stored/{entry.seq}", entry.duration, start,
                        int(entry.discontinuity), PUBLISHED,
                    ),
                )  # fmt: skip
                start += entry.duration
            db.execute(
                "UPDATE streams SET next_seq = next_seq + ?, media_clock = media_clock + ?,"
                " gap_pending = CASE WHEN next_seq = 0 THEN 1 ELSE gap_pending END,"
                " origin_checked = 1 WHERE stream_id = ?",
                (offset, media, stream_id),
            )

    def mark_origin_checked(self, stream_id: str) -> None:
        """Storage holds nothing of the stream: its sequences start here."""
        with self._tx() as db:
            db.execute("UPDATE streams SET origin_checked = 1 WHERE stream_id = ?", (stream_id,))

    def record_events(self, events: Sequence[OutboxEvent]) -> None:
        """Queue events that go with no state change (a refused publish, a failing source)."""
        with self._tx() as db:
            self._add_events(db, events)

    def next_to_upload(self) -> list[SegmentRecord]:
        """Per stream, the lowest spooled segment (uploads keep sequence order per stream)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM segments WHERE status = ? AND seq IN"
                " (SELECT MIN(seq) FROM segments g WHERE g.status = ?"
                "  AND g.stream_id = segments.stream_id) ORDER BY wall_clock",
                (SPOOLED, SPOOLED),
            ).fetchall()
        return [_segment(r) for r in rows]

    def published(self, stream_id: str) -> list[SegmentRecord]:
        """The stream's published segments in sequence order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM segments WHERE stream_id = ? AND status = ? ORDER BY seq",
                (stream_id, PUBLISHED),
            ).fetchall()
        return [_segment(r) for r in rows]

    def spooled_names(self) -> set[str]:
        """Spool files still needed."""
        with self._lock:
            rows = self._db.execute(
                "SELECT spool_name FROM segments WHERE status = ?"
                " UNION SELECT spool_name FROM quarantine",
                (SPOOLED,),
            ).fetchall()
        return {r["spool_name"] for r in rows}

    def mark_published(self, stream_id: str, seq: int) -> None:
        """The segment is stored and its SegmentReady acknowledged by the broker."""
        with self._tx() as db:
            db.execute(
                "UPDATE segments SET status = ? WHERE stream_id = ? AND seq = ?",
                (PUBLISHED, stream_id, seq),
            )

    # --- outbox ----------------------------------------------------------------------------

    def outbox(self, limit: int = 100) -> list[OutboxEvent]:
        """The oldest undelivered events, in the order they were recorded."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM outbox ORDER BY id LIMIT ?", (limit,)).fetchall()
        return [OutboxEvent(r["topic"], r["key"], bytes(r["value"]), r["id"]) for r in rows]

    def delivered(self, events: Sequence[OutboxEvent]) -> None:
        """Forget events the broker acknowledged."""
        with self._tx() as db:
            db.executemany("DELETE FROM outbox WHERE id = ?", [(e.row_id,) for e in events])


def _session(row: sqlite3.Row) -> Session:
    return Session(
        stream_id=row["stream_id"],
        session_no=row["session_no"],
        dir_hash=row["dir_hash"],
        client_id=row["client_id"],
        state=row["state"],
        opened_at=row["opened_at"],
        closed_at=row["closed_at"],
        segments=row["segments"],
    )


def _stream(row: sqlite3.Row) -> StreamState:
    return StreamState(
        stream_id=row["stream_id"],
        source_kind=row["source_kind"],
        next_seq=row["next_seq"],
        media_clock=row["media_clock"],
        sessions=row["sessions"],
        live=bool(row["live"]),
        gap_pending=bool(row["gap_pending"]),
        stalled=bool(row["stalled"]),
        stall_count=row["stall_count"],
        last_activity=row["last_activity"],
        last_dir=row["last_dir"],
        last_file_no=row["last_file_no"],
        last_file_mtime=row["last_file_mtime"],
        origin_checked=bool(row["origin_checked"]),
    )


def _segment(row: sqlite3.Row) -> SegmentRecord:
    return SegmentRecord(
        stream_id=row["stream_id"],
        seq=row["seq"],
        fingerprint=row["fingerprint"],
        spool_name=row["spool_name"],
        duration=row["duration"],
        media_start=row["media_start"],
        wall_clock=row["wall_clock"],
        size_bytes=row["size_bytes"],
        sha256=row["sha256"],
        width=row["width"],
        height=row["height"],
        codec=row["codec"],
        discontinuity=bool(row["discontinuity"]),
        status=row["status"],
    )
