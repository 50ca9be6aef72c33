"""A range's segments from the stream's stored playlist, for when the topic no longer has them.

The `segments` topic keeps 30 days; the segments themselves and the playlist ingest keeps in
object storage (every segment of the stream, in order) stay as long as the bucket keeps them.
Media time is the sum of the listed durations before a segment, as ingest counts it while
nothing is lost; after a gap ingest would have counted the lost seconds too, so there a stored
reference's stream time can be early by the length of the gap.
"""

from __future__ import annotations

from dataclasses import dataclass

from sightline_analysis.engine import SegmentSource
from sightline_analysis.replay.segment_range import RangeSpec
from sightline_common.errors import MissingObjectError
from sightline_common.hls import PlaylistError, parse_media_playlist
from sightline_common.media_layout import playlist_key, segment_object_key, sequence_of


@dataclass(frozen=True)
class StoredSegmentRef:
    """A segment as the stored playlist lists it (SegmentToAnalyse)."""

    stream_id: str
    sequence: int
    bucket: str
    object_key: str
    media_start: float
    duration: float


def stored_range(source: SegmentSource, bucket: str, spec: RangeSpec) -> list[StoredSegmentRef]:
    """The range's segments per the stored playlist (empty when there is no playlist)."""
    try:
        text = source.get_bytes(bucket, playlist_key(spec.stream_id)).decode("utf-8", "replace")
        listed = parse_media_playlist(text)
    except (MissingObjectError, PlaylistError):
        return []
    refs: list[StoredSegmentRef] = []
    media = 0.0
    for entry in listed:
        start, media = media, media + entry.duration
        sequence = sequence_of(entry.name)
        if sequence is not None and spec.contains(start):
            key = segment_object_key(spec.stream_id, sequence)
            refs.append(
                StoredSegmentRef(spec.stream_id, sequence, bucket, key, start, entry.duration)
            )
    return refs
