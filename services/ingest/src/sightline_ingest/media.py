"""Checking that a segment file is a readable MPEG-TS, and what video it holds."""

from __future__ import annotations

import json
import math
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sightline_common.errors import CorruptMediaError, TransientError

TS_PACKET = 188
TS_SYNC = 0x47


class ProbeTimeoutError(TransientError):
    """ffprobe did not answer in time: a busy host, not a bad segment; try again later."""


@dataclass(frozen=True)
class MediaInfo:
    """The first video stream's geometry and codec (None when there is no video), and the
    file's duration as ffprobe reads it (None when it cannot tell)."""

    width: int | None
    height: int | None
    codec: str | None
    duration: float | None = None


def check_transport_stream(data: bytes) -> None:
    """Raise `CorruptMediaError` unless `data` is whole 188-byte TS packets with sync bytes.

    A truncated segment almost always ends mid-packet, which this catches without decoding.
    """
    if not data:
        raise CorruptMediaError("zero bytes")
    if len(data) % TS_PACKET:
        raise CorruptMediaError(f"truncated: {len(data)} bytes is not whole TS packets")
    if any(data[i] != TS_SYNC for i in range(0, len(data), TS_PACKET)):
        raise CorruptMediaError("not an MPEG-TS: sync byte missing")


def probe(path: Path, ffprobe: str = "ffprobe", timeout: float = 15.0) -> MediaInfo:
    """Read the segment with ffprobe; `CorruptMediaError` if ffprobe cannot read it,
    `ProbeTimeoutError` if it did not finish within `timeout` (under load, not corruption)."""
    try:
        result = subprocess.run(
            [
                ffprobe,
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-show_entries",
                "stream=codec_name,width,height:format=duration",
                "-of",
                "json",
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ProbeTimeoutError(f"ffprobe timed out after {timeout}s") from exc
    if result.returncode != 0:
        raise CorruptMediaError(f"ffprobe failed: {result.stderr.strip()[:500]}")
    try:
        found = json.loads(result.stdout)
    except ValueError as exc:
        raise CorruptMediaError("ffprobe output unreadable") from exc
    streams = found.get("streams") or []
    duration = _seconds((found.get("format") or {}).get("duration"))
    if not streams:
        return MediaInfo(None, None, None, duration)
    video = streams[0]
    return MediaInfo(video.get("width"), video.get("height"), video.get("codec_name"), duration)


def _seconds(value: object) -> float | None:
    """ffprobe's duration (a string, or "N/A") as positive seconds, else None."""
    try:
        seconds = float(str(value))
    except ValueError:
        return None
    return seconds if 0 < seconds < math.inf else None
