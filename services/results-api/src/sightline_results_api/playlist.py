"""Rewriting a stream's HLS playlist so a browser fetches segments through this API.

The playlist ingest stores next to the segments names them relative to its own folder; the
API serves each one at `segments/{name}` relative to the playlist URL, so the API's CORS policy
and auth (a bearer token, or a signed URL) apply and no storage endpoint is exposed to the
browser.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable

from sightline_common.hls import PlaylistError, StoredSegment, parse_media_playlist
from sightline_common.media_layout import playlist_key, sequence_of
from sightline_common.removed_segments import RemovedSegments, load_removed, render_kept
from sightline_common.storage import ObjectStore

SEGMENT_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}\.ts$")


def segment_name(uri: str) -> str | None:
    """The segment's file name in a playlist URI line, or None if it is not a plain .ts name."""
    name = uri.split("?", 1)[0].rsplit("/", 1)[-1]
    return name if SEGMENT_NAME.match(name) else None


def rewrite_playlist(text: str, query: Callable[[str], str] | None = None) -> str:
    """The playlist with every segment URI pointing at `segments/{name}`.

    `query(name)`, when given, is appended to each segment URI (`?` + it): a signed playlist
    signs each segment it lists (see `playback_urls`).
    """
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        name = segment_name(stripped) if stripped and not stripped.startswith("#") else None
        if name is None:
            lines.append(line)
        else:
            lines.append(f"segments/{name}?{query(name)}" if query else f"segments/{name}")
    return "\n".join(lines) + "\n"


def stored_playlist(store: ObjectStore, bucket: str, stream_id: str) -> str:
    """The stream's stored playlist without expired or erased segments (a playlist that is not
    a media playlist is returned as stored)."""
    text = store.get_bytes(bucket, playlist_key(stream_id)).decode("utf-8", "replace")
    removed = load_removed(store, bucket, stream_id)
    if removed:
        with contextlib.suppress(PlaylistError):
            text, _ = without_segments(text, removed)
    return text


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
