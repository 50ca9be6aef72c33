"""The deleting itself: objects in batches, rows in batches, the removed-segments marker
written and an ended stream's stored playlist trimmed.

Every operation here is idempotent (deleting what is already gone deletes nothing), which is
what lets a deletion job or a sweep be resumed from any point after a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text

from sightline_common.errors import MissingObjectError
from sightline_common.hls import PLAYLIST_TYPE, PlaylistError
from sightline_common.media_layout import playlist_key, sequence_of
from sightline_common.removed_segments import RemovedSegments, load_removed, save_removed
from sightline_common.storage import ObjectStore
from sightline_results_api.playlist import without_segments

Progress = Callable[[int, int], None]  # (objects deleted, rows deleted) since the last call

# Tables with a stream_id column, children before what they hang off (none has a foreign key,
# the order only keeps a half-done deletion from leaving orphans that nothing lists).
STREAM_TABLES = (
    "detections",
    "analysed_segments",
    "exposure_windows",
    "segments",
    "lifecycle_events",
    "pins",
    "rate_cards",
    "alert_deliveries",
    "alerts",
    "alert_rules",
)


def stream_prefix(stream_id: str) -> str:
    """Where every object of a stream lives (segments, playlist, anything added later)."""
    return f"streams/{stream_id}/"


def _ignore(_objects: int, _rows: int) -> None:
    return None


@dataclass(frozen=True)
class Eraser:
    """Deletes objects and rows in bounded batches, reporting progress after each."""

    engine: Engine
    store: ObjectStore
    bucket: str
    batch: int

    def delete_rows(
        self, table: str, where: str, params: dict[str, Any], progress: Progress = _ignore
    ) -> int:
        """Delete `table`'s rows matching `where`, `batch` rows per transaction."""
        # Table names and conditions are constants of this package, never input.
        statement = text(
            f"DELETE FROM {table} WHERE ctid IN "  # noqa: S608
            f"(SELECT ctid FROM {table} WHERE {where} LIMIT :batch)"
        )
        total = 0
        while True:
            with self.engine.begin() as conn:
                count = conn.execute(statement, {**params, "batch": self.batch}).rowcount
            total += count
            if count:
                progress(0, count)
            if count < self.batch:
                return total

    def delete_objects(
        self, prefix: str, wanted: Callable[[str], bool], progress: Progress = _ignore
    ) -> int:
        """Delete the objects under `prefix` whose key `wanted` accepts, `batch` per request."""
        total = 0
        chunk: list[str] = []
        for key in self._keys(prefix):
            if wanted(key):
                chunk.append(key)
            if len(chunk) >= self.batch:
                total += self._remove(chunk, progress)
                chunk = []
        return total + self._remove(chunk, progress)

    def _keys(self, prefix: str) -> Iterable[str]:
        if not self.store.client.bucket_exists(self.bucket):
            return []
        # Listed to the end before deleting: removing keys while paging through a listing can
        # make S3 listings skip keys.
        return list(self.store.list_keys(self.bucket, prefix))

    def _remove(self, keys: list[str], progress: Progress) -> int:
        if not keys:
            return 0
        count = self.store.remove_keys(self.bucket, keys)
        progress(count, 0)
        return count

    def mark_removed(self, stream_id: str, ranges: list[tuple[int, int]]) -> RemovedSegments:
        """Add sequence ranges to the stream's removed-segments marker (before their objects
        go: ingest and playback stop listing them first). Returns the whole marker."""
        removed = load_removed(self.store, self.bucket, stream_id).with_ranges(ranges)
        save_removed(self.store, self.bucket, stream_id, removed)
        return removed

    def trim_playlist(self, stream_id: str, removed: RemovedSegments) -> int:
        """Rewrite the stored playlist of an ended stream without the `removed` segments.

        A live stream's playlist is left to ingest, which rewrites it at every segment from the
        marker (two writers of one object would lose each other's lines). Returns how many
        entries were dropped (0: the playlist is left untouched).
        """
        key = playlist_key(stream_id)
        if not removed or not self.store.exists(self.bucket, key):
            return 0
        try:
            text_ = self.store.get_bytes(self.bucket, key).decode("utf-8", "replace")
            if "#EXT-X-ENDLIST" not in text_:
                return 0
            trimmed, dropped = without_segments(text_, removed)
        except (MissingObjectError, PlaylistError):
            return 0
        if dropped:
            self.store.put_bytes(self.bucket, key, trimmed.encode(), PLAYLIST_TYPE)
        return dropped


def segment_keys_in(stream_id: str, seq_from: int, seq_to: int) -> Callable[[str], bool]:
    """A key filter: the stream's segment objects with a sequence in [seq_from, seq_to]."""
    prefix = stream_prefix(stream_id)

    def wanted(key: str) -> bool:
        sequence = sequence_of(key.removeprefix(prefix))
        return sequence is not None and seq_from <= sequence <= seq_to

    return wanted
