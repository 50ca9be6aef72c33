"""Which segments of a stream were removed (expired under retention, erased, evicted), kept as a
small object next to the segments: `streams/{id}/removed.json`.

results-api's storage worker is the only writer (under its advisory lock); ingest reads it each
time it rewrites a live stream's playlist, so a playlist never lists a removed segment again,
and playback reads it to filter what it serves. Stored beside the objects (not in Postgres)
because ingest talks to object storage but not to the database, and because deleting the
stream's prefix deletes it with everything else.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sightline_common.errors import MissingObjectError
from sightline_common.hls import StoredSegment, render_playlist
from sightline_common.media_layout import sequence_of
from sightline_common.storage import ObjectStore

MARKER_NAME = "removed.json"


def removed_key(stream_id: str) -> str:
    """The marker's object key."""
    return f"streams/{stream_id}/{MARKER_NAME}"


@dataclass(frozen=True)
class RemovedSegments:
    """Sorted, disjoint, inclusive ranges of removed sequence numbers."""

    ranges: tuple[tuple[int, int], ...] = ()

    def __contains__(self, sequence: object) -> bool:
        if not isinstance(sequence, int) or not self.ranges:
            return False
        index = bisect.bisect_right(self.ranges, (sequence, float("inf"))) - 1
        return index >= 0 and self.ranges[index][0] <= sequence <= self.ranges[index][1]

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def with_ranges(self, more: Iterable[tuple[int, int]]) -> RemovedSegments:
        """These ranges and `more`, merged (touching ranges join)."""
        merged: list[tuple[int, int]] = []
        for low, high in sorted([*self.ranges, *more]):
            if merged and low <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], high))
            else:
                merged.append((low, high))
        return RemovedSegments(tuple(merged))

    def with_sequences(self, sequences: Iterable[int]) -> RemovedSegments:
        """These ranges plus single sequence numbers."""
        return self.with_ranges((seq, seq) for seq in sequences)

    def to_json(self) -> bytes:
        """The stored form."""
        return json.dumps({"ranges": [list(r) for r in self.ranges]}).encode()

    @classmethod
    def from_json(cls, data: bytes) -> RemovedSegments:
        """Parse the stored form; raises ValueError when it is not one."""
        try:
            ranges = json.loads(data)["ranges"]
            return cls().with_ranges((int(low), int(high)) for low, high in ranges)
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a removed-segments marker: {exc}") from exc


def load_removed(store: ObjectStore, bucket: str, stream_id: str) -> RemovedSegments:
    """The stream's marker (empty when nothing was removed). Raises StorageUnavailableError,
    and ValueError for a marker that is not one (never guessed around: a reader that ignored
    it would list removed video again)."""
    try:
        return RemovedSegments.from_json(store.get_bytes(bucket, removed_key(stream_id)))
    except MissingObjectError:
        return RemovedSegments()


def save_removed(store: ObjectStore, bucket: str, stream_id: str, removed: RemovedSegments) -> None:
    """Store the stream's marker (written before the objects it names are deleted)."""
    store.put_bytes(bucket, removed_key(stream_id), removed.to_json(), "application/json")


def render_kept(segments: Sequence[StoredSegment], removed: RemovedSegments, *, ended: bool) -> str:
    """The stored playlist of `segments` without the removed ones.

    A cut inside the list becomes a discontinuity (a player resets its timeline there); a cut at
    the head moves the media sequence on, as a live sliding window does.
    """
    kept: list[StoredSegment] = []
    cut = False
    first: int | None = None
    for segment in segments:
        sequence = sequence_of(segment.uri)
        if sequence is not None and sequence in removed:
            cut = True
            continue
        if first is None:
            first = sequence
        kept.append(StoredSegment(segment.uri, segment.duration, segment.discontinuity or cut))
        cut = False
    return render_playlist(kept, ended=ended, first_sequence=first or 0)
