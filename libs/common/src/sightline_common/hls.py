"""HLS media playlists: nginx-rtmp's live one (read by ingest) and the one ingest keeps in
object storage for each stream (written by ingest, read by playback and by replay). The stored
playlist lists every segment of the stream: an EVENT playlist while it is live, a VOD one with
`#EXT-X-ENDLIST` once it stopped, `#EXT-X-DISCONTINUITY` where a publisher reconnected.

Only what Sightline's playlists use: `#EXTINF` durations, `#EXT-X-DISCONTINUITY`, and segment
URIs that are plain file names next to the playlist (anything with a path separator or a scheme
is skipped, so a playlist can never point a reader at another stream's objects).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"


@dataclass(frozen=True)
class ListedSegment:
    """One complete segment as a playlist lists it."""

    name: str
    duration: float
    discontinuity: bool = False


class PlaylistError(ValueError):
    """The text is not an HLS media playlist."""


def parse_media_playlist(text: str) -> list[ListedSegment]:
    """The segments listed in an HLS media playlist, in order.

    Only plain relative file names are returned (anything with a path separator or a scheme is
    skipped), because they are opened next to the playlist on disk.
    """
    lines = [line.strip() for line in text.splitlines()]
    if not lines or lines[0] != "#EXTM3U":
        raise PlaylistError("missing #EXTM3U header")
    out: list[ListedSegment] = []
    duration: float | None = None
    discontinuity = False
    for line in lines[1:]:
        if line.startswith("#EXTINF:"):
            duration = _extinf_seconds(line)
        elif line == "#EXT-X-DISCONTINUITY":
            discontinuity = True
        elif line and not line.startswith("#"):
            if duration is not None and _is_plain_name(line):
                out.append(ListedSegment(line, duration, discontinuity))
            duration, discontinuity = None, False
    return out


@dataclass(frozen=True)
class StoredSegment:
    """One segment in the stored playlist (its object name relative to the playlist)."""

    uri: str
    duration: float
    discontinuity: bool = False


def render_playlist(
    segments: Sequence[StoredSegment], *, ended: bool, first_sequence: int = 0
) -> str:
    """The stored playlist text for `segments` (all of the stream, in sequence order).

    `first_sequence` > 0: the head was removed (retention), so a live playlist is a sliding
    window, not an append-only EVENT one.
    """
    target = max((math.ceil(s.duration) for s in segments), default=1)
    kind = "VOD" if ended else ("EVENT" if first_sequence == 0 else None)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        *([f"#EXT-X-PLAYLIST-TYPE:{kind}"] if kind else []),
        f"#EXT-X-TARGETDURATION:{max(target, 1)}",
        f"#EXT-X-MEDIA-SEQUENCE:{first_sequence}",
    ]
    for index, segment in enumerate(segments):
        if segment.discontinuity and index > 0:
            lines.append("#EXT-X-DISCONTINUITY")
        lines.append(f"#EXTINF:{segment.duration:.3f},")
        lines.append(segment.uri)
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def _extinf_seconds(line: str) -> float | None:
    """The listed duration; zero is one: nginx-rtmp lists a fragment it closed right after
    opening it (the publisher died just after a fragment boundary) as `#EXTINF:0.000`, and that
    file still holds a frame of video that must not be lost."""
    value = line.removeprefix("#EXTINF:").split(",", 1)[0].strip()
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 and math.isfinite(seconds) else None


def _is_plain_name(name: str) -> bool:
    return "/" not in name and "\\" not in name and ":" not in name and name not in {".", ".."}
