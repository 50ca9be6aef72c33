"""Records every segment nginx-rtmp writes for one stream key, before nginx deletes it again.

nginx keeps a segment for 60 s only, so the harness reads the playlist a few times a second and
hashes each newly listed file (listed means nginx closed it). A file is told apart by name, size
and mtime: after a reconnect nginx may reuse a name for another segment.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from .evidence import WrittenSegment

INJECTED_PREFIX = "chaos-"  # files the harness itself puts into the folder (corrupt segments)


def listed_names(playlist: str) -> list[str]:
    """The segment file names a media playlist lists."""
    return [
        line.strip() for line in playlist.splitlines() if line.strip() and not line.startswith("#")
    ]


class HlsWatcher:
    """A daemon thread polling `<folder>/index.m3u8`; `segments` is what it saw, in order."""

    def __init__(self, folder: Path, interval: float = 0.25) -> None:
        self._folder = folder
        self._interval = interval
        self._seen: set[tuple[str, int, int]] = set()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="hls-watch", daemon=True)
        self.segments: list[WrittenSegment] = []

    def start(self) -> None:
        """Start polling."""
        self._thread.start()

    def stop(self) -> list[WrittenSegment]:
        """Take a last look, stop, and return what was written."""
        self._stop.set()
        self._thread.join(10)
        self.scan()
        return list(self.segments)

    def scan(self) -> None:
        """Record the playlist's files not seen before (from any thread)."""
        with self._lock:
            self._scan()

    def _scan(self) -> None:
        try:
            names = listed_names((self._folder / "index.m3u8").read_text())
        except OSError:
            return
        for name in names:
            if name.startswith(INJECTED_PREFIX) or "/" in name:
                continue
            path = self._folder / name
            try:
                stat = path.stat()
                data = path.read_bytes()
            except OSError:
                continue
            if len(data) != stat.st_size:  # rewritten between stat and read: next pass
                continue
            fingerprint = (name, stat.st_size, stat.st_mtime_ns)
            if fingerprint in self._seen:
                continue
            self._seen.add(fingerprint)
            self.segments.append(
                WrittenSegment(
                    name=name,
                    size=stat.st_size,
                    mtime=stat.st_mtime,
                    sha256=hashlib.sha256(data).hexdigest(),
                    md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
                )
            )

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.scan()
