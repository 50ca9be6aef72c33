"""Rewriting a stream's HLS playlist so a browser fetches segments through this API.

The playlist ingest stores next to the segments names them relative to its own folder; the
API serves each one at `segments/{name}` relative to the playlist URL, so same-origin rules
and the API's auth apply and no storage endpoint is exposed to the browser.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from sightline_common.hls import StoredSegment, parse_media_playlist
from sightline_common.media_layout import sequence_of
from sightline_common.removed_segments import RemovedSegments, render_kept

SEGMENT_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}\.ts$")


def segment_name(uri: str) -> str | None:
    """The segment's file name in a playlist URI line, or None if it is not a plain .ts name."""
    name = uri.split("?", 1)[0].rsplit("/", 1)[-1]
    return name if SEGMENT_NAME.match(name) else None


def rewrite_playlist(text: str, access_token: str | None = None) -> str:
    """The playlist with every segment URI pointing at `segments/{name}`.

    When the client authenticated with an `access_token` query parameter (a player cannot set
    headers), the same parameter is carried onto each segment URI.
    """
    suffix = f"?access_token={quote(access_token, safe='')}" if access_token else ""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        name = segment_name(stripped) if stripped and not stripped.startswith("#") else None
        lines.append(line if name is None else f"segments/{name}{suffix}")
    return "\n".join(lines) + "\n"


def without_segments(text: str, removed: RemovedSegments) -> tuple[str, int]:
    """The stored playlist without the `removed` segments, and how many were dropped (0:
    `text` is returned as it is). See `render_kept` for how cuts are marked.

    Raises `PlaylistError` when `text` is not a media playlist.
    """
    listed = parse_media_playlist(text)
    dropped = sum(1 for entry in listed if sequence_of(entry.name) in removed)
    if not dropped:
        return text, 0
    segments = [StoredSegment(e.name, e.duration, e.discontinuity) for e in listed]
    return render_kept(segments, removed, ended="#EXT-X-ENDLIST" in text), dropped
