"""Removing stored segments of a live or ended stream (retention, a full store), oldest first,
a batch at a time, in the order that keeps playback working: the removed-segments marker first
(ingest's next playlist and the API's stop listing them), then the objects, then the rows, and
the stream's `video_kept_from` (which reanalysis reads); an ended stream's stored playlist is
trimmed at the end. Pinned segments never match (`pins.UNPINNED`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from sqlalchemy import text

from sightline_results_api.storage_lifecycle.erase import Eraser
from sightline_results_api.storage_lifecycle.pins import UNPINNED


def sequence_ranges(sequences: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted sequence numbers as inclusive runs: 1,2,3,7 -> (1,3),(7,7)."""
    ordered = sorted(set(sequences))
    return [
        (run[0][1], run[-1][1])
        for _, group in groupby(enumerate(ordered), key=lambda pair: pair[1] - pair[0])
        if (run := list(group))
    ]


@dataclass(frozen=True)
class SegmentRemover:
    """Deletes a stream's unpinned segments matching a condition on `segments` rows."""

    eraser: Eraser

    def remove(self, stream_id: str, where: str, params: dict[str, Any]) -> tuple[int, int]:
        """Remove the stream's unpinned segments matching `where` (a constant of this package);
        returns (segments, bytes) removed."""
        engine = self.eraser.engine
        # Conditions are constants of this package, never input.
        select_batch = text(
            "SELECT event_id, object_key, bucket, sequence, media_start + duration, size_bytes"  # noqa: S608
            f" FROM segments WHERE stream_id = :stream_id AND ({where}) AND {UNPINNED}"
            " ORDER BY sequence LIMIT :n"
        )
        removed = size = 0
        marker = None
        while True:
            with engine.connect() as conn:
                batch = conn.execute(
                    select_batch, {**params, "stream_id": stream_id, "n": self.eraser.batch}
                ).all()
            if not batch:
                break
            marker = self.eraser.mark_removed(stream_id, sequence_ranges(r[3] for r in batch))
            keys = [row[1] for row in batch if row[2] == self.eraser.bucket]
            self.eraser.store.remove_keys(self.eraser.bucket, keys)
            with engine.begin() as conn:
                conn.execute(
                    text("DELETE FROM segments WHERE event_id = ANY(:ids)"),
                    {"ids": [row[0] for row in batch]},
                )
                conn.execute(
                    text(
                        "UPDATE streams SET video_kept_from ="
                        " GREATEST(COALESCE(video_kept_from, 0), :kept) WHERE id = :s"
                    ),
                    {"s": stream_id, "kept": max(row[4] for row in batch)},
                )
            removed += len(batch)
            size += sum(row[5] for row in batch)
        if marker is not None:
            self.eraser.trim_playlist(stream_id, marker)
        return removed, size
