"""Where a stream's media lives in object storage: one layout, written by ingest and read by
results-api (playback) and the detectors (replay)."""

from __future__ import annotations

import hashlib


def segment_object_key(stream_id: str, seq: int) -> str:
    """Where a segment is stored: the same key whenever the segment is (re)uploaded."""
    return f"streams/{stream_id}/{seq:08d}.ts"


def playlist_key(stream_id: str) -> str:
    """Where the stream's playlist is stored (it lists every segment, by file name)."""
    return f"streams/{stream_id}/index.m3u8"


def quarantine_key(stream_id: str, fingerprint: str) -> str:
    """Where an unreadable segment's bytes are kept for inspection: under the stream's prefix
    (deleted with the stream), in a folder of their own that no playlist lists."""
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
    return f"streams/{stream_id}/quarantine/q-{digest}.ts"


def segment_file_name(seq: int) -> str:
    """A segment's name in the stored playlist (relative to the playlist)."""
    return f"{seq:08d}.ts"


def sequence_of(file_name: str) -> int | None:
    """The sequence number a stored playlist's segment name stands for (None: not ours)."""
    stem = file_name.removesuffix(".ts")
    return int(stem) if stem != file_name and stem.isdigit() else None
