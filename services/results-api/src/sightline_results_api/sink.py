"""The batch sink: one transaction per consumed batch, COPY into a staging table, then
`INSERT ... SELECT ... ON CONFLICT DO NOTHING` into the real tables.

COPY moves a whole batch to the server in one round trip; the conflict clause on the event id
(plus item index) makes a redelivered or replayed message change nothing. A segment is analysed
live once per detector: a second live analysis (another config hash, so another event id) is
dropped with its detections, the first one materialized kept. Errors are sorted for
the consumer loop: the data's fault is permanent (dead letter), anything else the database says
is transient (retry; offsets are not committed).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

import psycopg
import sqlalchemy.exc
from psycopg.types.json import Jsonb
from sqlalchemy import Engine

from sightline_common.errors import PermanentError, TransientError
from sightline_results_api.rows import (
    ANALYSED_COLUMNS,
    DETECTION_COLUMNS,
    EXPOSURE_COLUMNS,
    FAILURE_COLUMNS,
    LIFECYCLE_COLUMNS,
    SEGMENT_COLUMNS,
    Row,
    RowBatch,
)

# A stream with an accepted whole-stream deletion job (`storage_lifecycle.jobs`) gets no rows.
_NOT_DELETED = "stream_id NOT IN (SELECT stream_id FROM deletion_jobs WHERE kind = 'stream')"


@dataclass(frozen=True)
class SinkTable:
    """A target table, its columns and the key that deduplicates it."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    json_columns: tuple[str, ...] = ()
    # For state tables (latest value per key): replace a row when this column grows. None: the
    # table is an append-only log where the first write of a key wins.
    newer_by: str | None = None
    # Rows of a stream whose deletion was accepted are dropped: a detection still in flight or
    # a replayed topic must not bring a deleted stream back.
    keyed_by_stream: bool = True
    # Another unique index besides the key may refuse a row (analysed_segments: one live
    # analysis per stream, segment and detector); the row is dropped like a replay, and within
    # a batch the earliest by this column is kept. None: only the key deduplicates.
    first_by: str | None = None
    # Rows are stored only for event ids this table holds once it is written (it is written
    # first, in the same transaction): a detection's items follow the analysis that was kept,
    # never a dropped second live analysis of the same segment.
    kept_in: str | None = None

    def merge_sql(self, stage: str) -> str:
        """INSERT ... SELECT from the staging table, idempotent either way."""
        columns = ", ".join(self.columns)
        key = ", ".join(self.key)
        conditions = [_NOT_DELETED] if self.keyed_by_stream else []
        if self.kept_in is not None:
            conditions.append(f"event_id IN (SELECT event_id FROM {self.kept_in})")  # noqa: S608
        alive = f"WHERE {' AND '.join(conditions)} " if conditions else ""
        if self.newer_by is None:
            if self.first_by is not None:
                return (
                    f"INSERT INTO {self.name} ({columns}) SELECT {columns} FROM {stage} "  # noqa: S608
                    f"{alive}ORDER BY {self.first_by} ON CONFLICT DO NOTHING"
                )
            return (
                f"INSERT INTO {self.name} ({columns}) SELECT {columns} FROM {stage} "  # noqa: S608
                f"{alive}ON CONFLICT ({key}) DO NOTHING"
            )
        # One row per key from the batch (the newest), else ON CONFLICT would touch a row twice.
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in self.columns if c not in self.key)
        return (
            f"INSERT INTO {self.name} ({columns}) "  # noqa: S608
            f"SELECT DISTINCT ON ({key}) {columns} FROM {stage} {alive}"
            f"ORDER BY {key}, {self.newer_by} DESC "
            f"ON CONFLICT ({key}) DO UPDATE SET {updates} "
            f"WHERE {self.name}.{self.newer_by} < EXCLUDED.{self.newer_by}"
        )

    def adapt(self, rows: Sequence[Row]) -> list[Row]:
        """Rows with JSON columns wrapped for psycopg (dicts have no default adapter)."""
        if not self.json_columns:
            return list(rows)
        positions = [self.columns.index(name) for name in self.json_columns]
        adapted = []
        for row in rows:
            values = list(row)
            for position in positions:
                values[position] = Jsonb(values[position])
            adapted.append(tuple(values))
        return adapted


LIFECYCLE = SinkTable("lifecycle_events", LIFECYCLE_COLUMNS, ("event_id",))
SEGMENTS = SinkTable("segments", SEGMENT_COLUMNS, ("event_id",))
ANALYSED = SinkTable(
    "analysed_segments", ANALYSED_COLUMNS, ("event_id",), first_by="occurred_at, event_id"
)
DETECTIONS = SinkTable(
    "detections",
    DETECTION_COLUMNS,
    ("event_id", "item_index"),
    json_columns=("attributes",),
    kept_in=ANALYSED.name,
)
FAILURES = SinkTable("reanalysis_failures", FAILURE_COLUMNS, ("event_id",), keyed_by_stream=False)
EXPOSURE = SinkTable(
    "exposure_windows",
    EXPOSURE_COLUMNS,
    ("stream_id", "run_id", "window_start"),
    json_columns=("brands",),
    newer_by="detections",
)


@dataclass(frozen=True)
class SinkResult:
    """How many rows each table gained (replays add zero)."""

    lifecycle: int = 0
    segments: int = 0
    detections: int = 0
    exposure: int = 0
    analysed: int = 0
    failures: int = 0


class BatchSink:
    """Writes `RowBatch`es to Postgres idempotently, all tables in one transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def write(self, batch: RowBatch) -> SinkResult:
        """Insert the batch's new rows; raises TransientError or PermanentError on failure."""
        if not len(batch):
            return SinkResult()
        with _classified_errors(), self._transaction() as conn:
            return SinkResult(
                lifecycle=_copy_upsert(conn, LIFECYCLE, batch.lifecycle),
                segments=_copy_upsert(conn, SEGMENTS, batch.segments),
                # Analyses before their detections: DETECTIONS keeps only kept analyses' items.
                analysed=_copy_upsert(conn, ANALYSED, batch.analysed),
                detections=_copy_upsert(conn, DETECTIONS, batch.detections),
                exposure=_copy_upsert(conn, EXPOSURE, batch.exposure),
                failures=_copy_upsert(conn, FAILURES, batch.failures),
            )

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
        pooled = self._engine.raw_connection()
        try:
            conn = pooled.driver_connection
            assert isinstance(conn, psycopg.Connection)
            with conn.transaction():
                yield conn
        finally:
            pooled.close()


def _copy_upsert(
    conn: psycopg.Connection[tuple[object, ...]], table: SinkTable, rows: list[Row]
) -> int:
    if not rows:
        return 0
    stage = f"stage_{table.name}"
    columns = ", ".join(table.columns)
    with conn.cursor() as cur:
        # Table and column names are constants of this module, never input.
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "  # noqa: S608
            f"SELECT {columns} FROM {table.name} WITH NO DATA"
        )
        # Binary COPY (about twice the rate of text here) needs each column's type: take them
        # from the staging table itself, so they always match what the server expects.
        types = cur.execute(
            "SELECT atttypid::int FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            (f"pg_temp.{stage}",),
        ).fetchall()
        with cur.copy(f"COPY {stage} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types([cast(int, oid) for (oid,) in types])
            for row in table.adapt(rows):
                copy.write_row(row)
        cur.execute(table.merge_sql(stage))
        return max(cur.rowcount, 0)


@contextmanager
def _classified_errors() -> Iterator[None]:
    try:
        yield
    except (psycopg.DataError, psycopg.IntegrityError, psycopg.errors.ProgramLimitExceeded) as exc:
        # The data itself is refused (bad value, constraint, a value over a size limit such as
        # an index entry): retrying cannot help. ProgramLimitExceeded is an OperationalError,
        # which would otherwise read as an outage.
        raise PermanentError(f"database rejected the data: {exc}") from exc
    except (psycopg.Error, sqlalchemy.exc.SQLAlchemyError, OSError) as exc:
        raise TransientError(f"database unavailable: {exc}") from exc
