"""A publisher SIGKILLed just after nginx-rtmp closed a fragment loses nothing (#16), on a real
nginx-rtmp, Kafka and MinIO.

Found by `make chaos --repeat`: when the encoder dies a few milliseconds after a fragment
boundary, nginx closes the fragment it had just opened (one frame and a little audio) and lists
it as `#EXTINF:0.000`. Ingest read a zero duration as no duration and never took the file, so
the stream's last fragment was lost (`pickup.segments_lost` at the reconnect).
"""

from __future__ import annotations

import hashlib
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sightline_common.topics import Topic

from .conftest import IngestRig
from .test_resilience_integration import wait_until_stopped
from .test_rtmp_integration import messages_for

pytestmark = pytest.mark.integration

ATTEMPTS = 3


@dataclass
class Listing:
    """Every file the folder's playlist listed (by name, size and mtime), with its EXTINF."""

    folder: Path
    files: dict[tuple[str, int, int], tuple[str, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def scan(self) -> None:
        try:
            lines = (self.folder / "index.m3u8").read_text().splitlines()
        except OSError:
            return
        extinf = ""
        for line in (raw.strip() for raw in lines):
            if line.startswith("#EXTINF:"):
                extinf = line
            elif line and not line.startswith("#"):
                self._record(line, extinf)

    def _record(self, name: str, extinf: str) -> None:
        try:
            stat = (self.folder / name).stat()
            key = (name, stat.st_size, stat.st_mtime_ns)
            with self.lock:
                if key in self.files:  # the first reading of a file version is the one kept
                    return
            data = (self.folder / name).read_bytes()
        except OSError:
            return
        if len(data) == stat.st_size:
            with self.lock:
                self.files.setdefault(key, (hashlib.sha256(data).hexdigest(), extinf))

    def names(self) -> set[str]:
        with self.lock:
            return {name for name, _, _ in self.files}


def encoder(url: str) -> list[str]:
    """A 360p15 live push with 1-s GOPs (nginx cuts a fragment at the first keyframe past 2 s)."""
    return [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
        "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=15",
        "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo",
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
        "-g", "15", "-keyint_min", "15", "-sc_threshold", "0",
        "-c:a", "aac", "-b:a", "64k", "-f", "flv", url,
    ]  # fmt: skip


def kill_at_a_fragment_boundary(url: str, listing: Listing, after: int) -> None:
    """Push until nginx has listed `after` more fragments, then SIGKILL the encoder at once."""
    before = len(listing.names())
    pusher = subprocess.Popen(encoder(url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while len(listing.names()) < before + after:
            assert time.monotonic() < deadline, "nginx listed no fragment"
            assert pusher.poll() is None, "the encoder stopped by itself"
            # A millisecond between looks, not a busy loop (a core's worth of CPU for the whole
            # push): the kill still lands well inside the new fragment's first frame (67 ms).
            time.sleep(0.001)
            listing.scan()
    finally:
        pusher.send_signal(signal.SIGKILL)
        pusher.wait(10)


def test_the_last_fragment_of_a_sigkilled_publisher_is_picked_up(rig: IngestRig) -> None:
    stream_id, key = rig.add_stream("rtmp")
    rig.start()
    folder = rig.nginx.hls_dir / key
    listing = Listing(folder)
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.01):
            listing.scan()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        for attempt in range(ATTEMPTS):
            kill_at_a_fragment_boundary(f"{rig.nginx.rtmp_url}/{key}", listing, 2 + attempt)
            time.sleep(1.0)  # nginx lists what the dying publish left; then it reconnects
        wait_until_stopped(rig, stream_id, starts=ATTEMPTS)
    finally:
        stop.set()
        watcher.join(5)
    listing.scan()

    with listing.lock:
        written = dict(listing.files)
    zero = [name for (name, _, _), (_, extinf) in written.items() if extinf == "#EXTINF:0.000,"]
    assert zero, f"no fragment was listed with a zero duration: {sorted(written)}"
    segments = {m.payload.sequence: m.payload for m in messages_for(rig, Topic.SEGMENTS, stream_id)}
    published = {segment.sha256 for segment in segments.values()}
    lost = sorted(name for (name, _, _), (sha, _) in written.items() if sha not in published)
    assert lost == [], f"listed by nginx but not published (zero-duration ones: {zero})"
    # Each push starts the same test pattern, so files may repeat: count them, not contents.
    assert sorted(segments) == list(range(len(written)))
    assert all(segment.duration > 0 for segment in segments.values())
