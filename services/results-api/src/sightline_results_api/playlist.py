"""Rewriting a stream's HLS playlist so a browser fetches segments through this API.

The playlist ingest stores next to the segments names them relative to its own folder; the
API serves each one at `segments/{name}` relative to the playlist URL, so same-origin rules
and the API's auth apply and no storage endpoint is exposed to the browser.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

from sightline_common.hls import StoredSegment, parse_media_playlist, render_playlist
from sightline_common.media_layout import sequence_of

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


def without_segments(text: str, removed: Callable[[int], bool]) -> tuple[str, int]:
    """The stored playlist without the segments `removed` accepts (by sequence number), and
    how many were dropped (0: `text` is returned as it is).

    A cut inside the list becomes a discontinuity, so a player resets its timeline there; the
    VOD end mark is kept. Raises `PlaylistError` when `text` is not a media playlist.
    """
    listed = parse_media_playlist(text)
    kept: list[StoredSegment] = []
    cut = False
    for entry in listed:
        sequence = sequence_of(entry.name)
        if sequence is not None and removed(sequence):
            cut = True
            continue
        kept.append(StoredSegment(entry.name, entry.duration, entry.discontinuity or cut))
        cut = False
    dropped = len(listed) - len(kept)
    if not dropped:
        return text, 0
    return render_playlist(kept, ended="#EXT-X-ENDLIST" in text), dropped
