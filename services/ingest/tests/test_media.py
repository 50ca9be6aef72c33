"""The segment probe reads a real MPEG-TS in process: its geometry, codec and duration; a file
the demuxer cannot read is corrupt, and a probe that cannot finish in time is a timeout."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sightline_common.errors import CorruptMediaError
from sightline_ingest.media import TS_PACKET, ProbeTimeoutError, check_transport_stream, probe


@pytest.fixture(scope="module")
def segment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 s 320x180 H.264 + AAC MPEG-TS, as nginx-rtmp writes them."""
    path = tmp_path_factory.mktemp("media") / "0.ts"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
         "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "2",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "60",
         "-c:a", "aac", "-f", "mpegts", str(path)],
        check=True,
        timeout=120,
    )  # fmt: skip
    return path


def test_a_segment_reports_its_video_geometry_codec_and_duration(segment: Path) -> None:
    info = probe(segment)
    assert (info.width, info.height, info.codec) == (320, 180, "h264")
    assert info.duration == pytest.approx(2.0, abs=0.1)


def test_whole_ts_packets_no_demuxer_can_read_are_corrupt(tmp_path: Path) -> None:
    garbage = tmp_path / "1.ts"
    garbage.write_bytes((b"\x47" + b"\xff" * (TS_PACKET - 1)) * 2000)
    check_transport_stream(garbage.read_bytes())  # the cheap check cannot tell
    with pytest.raises(CorruptMediaError, match="unreadable"):
        probe(garbage)


def test_a_probe_that_cannot_finish_in_time_is_a_timeout_not_corruption(segment: Path) -> None:
    with pytest.raises(ProbeTimeoutError, match="timed out"):
        probe(segment, timeout=1e-6)
