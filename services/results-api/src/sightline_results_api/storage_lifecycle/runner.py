"""Running a deletion job to the end, resumably.

Each step is idempotent and the job's `step` is saved after it, so a job interrupted anywhere
(a SIGKILL, a storage outage) is simply run again from its saved step by the next worker pass.
A whole-stream deletion goes: objects → rows → tombstone → objects again (a segment ingest
was still uploading) → the stream row and the job's `done` in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import or_, text
from sqlmodel import Session, col, select

from sightline_results_api.alerts.tables import AlertRuleRow
from sightline_results_api.events import StatePublisher
from sightline_results_api.models import DeletionJob, Stream, utcnow
from sightline_results_api.storage_lifecycle.erase import (
    STREAM_TABLES,
    Eraser,
    segment_keys_in,
    stream_prefix,
)
from sightline_results_api.storage_lifecycle.jobs import DONE, STREAM

log = structlog.get_logger(__name__)

# alert_rules whose set of streams (pacing over several streams, migration 0017) names it.
_SET_MEMBER = "stream_ids @> jsonb_build_array(CAST(:stream_id AS text))"


def _everything(_key: str) -> bool:
    return True


@dataclass(frozen=True)
class DeletionRunner:
    """Runs deletion jobs with an `Eraser`; publishes tombstones with the state publisher."""

    eraser: Eraser
    publisher: StatePublisher

    def run(self, job_id: str) -> None:
        """Run the job from its saved step to `done` (a no-op for a finished job)."""
        with Session(self.eraser.engine) as session:
            job = session.get(DeletionJob, job_id)
            if job is None or job.status == DONE:
                return
            steps = self._stream_steps(job) if job.kind == STREAM else self._range_steps(job)
            names = [name for name, _ in steps]
            start = names.index(job.step) + 1 if job.step in names else 0
            for name, step in steps[start:]:
                step()
                self._save(job_id, step=name)
        log.info("deletion.done", job_id=job_id, stream_id=job.stream_id, kind=job.kind)

    def _stream_steps(self, job: DeletionJob) -> list[tuple[str, Callable[[], object]]]:
        stream_id, prefix, progress = (
            job.stream_id,
            stream_prefix(job.stream_id),
            self._progress(job.id),
        )
        by_stream = {"stream_id": stream_id}

        def rows() -> None:
            for table in STREAM_TABLES:
                self.eraser.delete_rows(table, "stream_id = :stream_id", by_stream, progress)
            self.eraser.delete_rows(
                "reanalysis_failures",
                "run_id IN (SELECT run_id FROM reanalysis_runs WHERE stream_id = :stream_id)",
                by_stream,
                progress,
            )
            self.eraser.delete_rows(
                "reanalysis_runs", "stream_id = :stream_id", by_stream, progress
            )
            # A pacing rule over a set of streams goes with any member: it waits for all.
            self.eraser.delete_rows("alert_rules", _SET_MEMBER, by_stream, progress)

        def rules() -> None:
            # Tombstoned before their rows go: a crash in between repeats the (idempotent)
            # tombstones, never leaves the alerts service evaluating a rule nothing lists.
            with Session(self.eraser.engine) as session:
                member = col(AlertRuleRow.stream_ids).contains([stream_id])
                query = select(AlertRuleRow.id).where(
                    or_(col(AlertRuleRow.stream_id) == stream_id, member)
                )
                self.publisher.rule_tombstones(list(session.exec(query)))

        return [
            ("objects", lambda: self.eraser.delete_objects(prefix, _everything, progress)),
            ("rules", rules),
            ("rows", rows),
            ("tombstone", lambda: self.publisher.stream_tombstone(stream_id)),
            ("stragglers", lambda: self.eraser.delete_objects(prefix, _everything, progress)),
            ("done", lambda: self._finish_stream(job)),
        ]

    def _range_steps(self, job: DeletionJob) -> list[tuple[str, Callable[[], object]]]:
        assert job.seq_from is not None
        assert job.seq_to is not None
        seq_from, seq_to = job.seq_from, job.seq_to
        progress = self._progress(job.id)
        by_seq = {"stream_id": job.stream_id, "seq_from": seq_from, "seq_to": seq_to}
        by_media = {
            "stream_id": job.stream_id,
            "media_from": job.media_from,
            "media_to": job.media_to,
        }

        def rows() -> None:
            in_seq = "stream_id = :stream_id AND {} BETWEEN :seq_from AND :seq_to"
            for table, column in (
                ("detections", "segment_sequence"),
                ("analysed_segments", "segment_sequence"),
                ("segments", "sequence"),
            ):
                self.eraser.delete_rows(table, in_seq.format(column), by_seq, progress)
            # A window overlapping the range aggregates results from it: it goes as a whole.
            self.eraser.delete_rows(
                "exposure_windows",
                "stream_id = :stream_id AND window_start < :media_to AND window_end > :media_from",
                by_media,
                progress,
            )

        def playlist() -> None:
            removed = self.eraser.mark_removed(job.stream_id, [(seq_from, seq_to)])
            self.eraser.trim_playlist(job.stream_id, removed)

        wanted = segment_keys_in(job.stream_id, seq_from, seq_to)
        return [
            ("playlist", playlist),
            (
                "objects",
                lambda: self.eraser.delete_objects(stream_prefix(job.stream_id), wanted, progress),
            ),
            ("rows", rows),
            ("done", lambda: self._save(job.id, step="done", status=DONE)),
        ]

    def _finish_stream(self, job: DeletionJob) -> None:
        with Session(self.eraser.engine) as session:
            stream = session.get(Stream, job.stream_id)
            if stream is not None:
                session.delete(stream)
            stored = session.get(DeletionJob, job.id)
            assert stored is not None
            stored.status, stored.step = DONE, "done"
            stored.updated_at = stored.finished_at = utcnow()
            stored.error = None
            session.add(stored)
            session.commit()

    def _save(self, job_id: str, *, step: str, status: str | None = None) -> None:
        now = utcnow()
        with self.eraser.engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE deletion_jobs SET step = :step, status = COALESCE(:status, status),"
                    " error = NULL, updated_at = :now,"
                    " finished_at = CASE WHEN :status = 'done' THEN :now ELSE finished_at END"
                    " WHERE id = :id"
                ),
                {"id": job_id, "step": step, "status": status, "now": now},
            )

    def _progress(self, job_id: str) -> Callable[[int, int], None]:
        def count(objects: int, rows: int) -> None:
            with self.eraser.engine.begin() as conn:
                conn.execute(
                    text(
                        "UPDATE deletion_jobs SET objects_deleted = objects_deleted + :objects,"
                        " rows_deleted = rows_deleted + :rows, updated_at = :now WHERE id = :id"
                    ),
                    {"id": job_id, "objects": objects, "rows": rows, "now": utcnow()},
                )

        return count

    def record_failure(self, job_id: str, reason: str) -> None:
        """Note why the job stopped; it stays pending and is retried on the next pass."""
        with self.eraser.engine.begin() as conn:
            conn.execute(
                text("UPDATE deletion_jobs SET error = :reason, updated_at = :now WHERE id = :id"),
                {"id": job_id, "reason": reason[:2000], "now": utcnow()},
            )
