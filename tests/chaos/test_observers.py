"""The observers' logic without servers: nginx's folder read from a temporary directory, and a
killed service's way back computed from health samples."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .collect import HealthMonitor
from .hls_watch import HlsWatcher, listed_names

PLAYLIST = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.000,\n0.ts\n#EXTINF:2.000,\n1.ts\n"


def test_listed_names_are_the_playlists_segment_lines() -> None:
    assert listed_names(PLAYLIST) == ["0.ts", "1.ts"]


def test_the_watcher_records_each_listed_file_once_and_a_reused_name_again(tmp_path: Path) -> None:
    (tmp_path / "0.ts").write_bytes(b"first")
    (tmp_path / "1.ts").write_bytes(b"second")
    (tmp_path / "chaos-corrupt-1.ts").write_bytes(b"injected")
    (tmp_path / "index.m3u8").write_text(PLAYLIST + "#EXTINF:2.000,\nchaos-corrupt-1.ts\n")
    watcher = HlsWatcher(tmp_path)
    watcher.scan()
    watcher.scan()
    assert [(s.name, s.sha256) for s in watcher.segments] == [
        ("0.ts", hashlib.sha256(b"first").hexdigest()),
        ("1.ts", hashlib.sha256(b"second").hexdigest()),
    ]
    (tmp_path / "0.ts").write_bytes(b"after a reconnect")  # nginx numbering from 0 again
    os.utime(tmp_path / "0.ts", (1e9, 1e9))
    watcher.scan()
    assert [s.name for s in watcher.segments] == ["0.ts", "1.ts", "0.ts"]


def test_a_killed_service_is_back_when_ready_after_having_been_down() -> None:
    health = HealthMonitor({"ingest": "http://127.0.0.1:1/readyz"})
    health.samples["ingest"] = [
        (9.0, True),
        (10.5, True),
        (11.0, False),
        (12.0, False),
        (14.0, True),
    ]
    assert health.back_after("ingest", 10.0) == 4.0
    assert health.back_after("ingest", 13.0) is None  # never seen down after: no way back timed
