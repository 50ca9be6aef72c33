"""The playlist watcher and worker nudges: a pickup pass runs when nginx renames a playlist into
place, not at the next poll (real inotify on a temporary folder)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sightline_ingest.watch import PlaylistWatcher
from sightline_ingest.workers import RepeatingWorker

WAIT_S = 5.0


def _write_playlist(folder: Path) -> None:
    """As nginx-rtmp does: write a temporary file, rename it over the playlist."""
    temporary = folder / "index.m3u8.bak"
    temporary.write_text("#EXTM3U\n")
    temporary.rename(folder / "index.m3u8")


def _wakes(folder: Path, woke: threading.Event) -> bool:
    """Rewrite the playlist until the watcher wakes (its watches may still be being added on a
    loaded machine); whether it woke within WAIT_S."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        _write_playlist(folder)
        if woke.wait(0.2):
            return True
    return False


def _drained(woke: threading.Event, quiet_s: float = 0.5) -> None:
    """Until no wake-up came for `quiet_s`: the events of earlier rewrites have all been read
    (on a loaded machine the watcher thread can read them later than any fixed pause)."""
    deadline = time.monotonic() + 4 * WAIT_S
    woke.clear()
    while woke.wait(quiet_s):
        assert time.monotonic() < deadline, "the watcher keeps waking with nothing written"
        woke.clear()


def test_a_playlist_rename_in_a_new_or_existing_folder_wakes_pickup(tmp_path: Path) -> None:
    existing = tmp_path / "existing-key"
    existing.mkdir()
    woke = threading.Event()
    stopping = threading.Event()
    watcher = PlaylistWatcher(tmp_path, woke.set, stopping)
    watcher.start()
    try:
        assert _wakes(existing, woke)  # the watches are in place from here on
        _drained(woke)
        (existing / "index0.ts").write_bytes(b"x")  # a fragment alone does not wake it
        assert not woke.wait(0.7)
        created = tmp_path / "new-key"
        created.mkdir()
        assert woke.wait(WAIT_S)  # a new folder: its first playlist may be there already
        woke.clear()
        time.sleep(0.2)
        _write_playlist(created)
        assert woke.wait(WAIT_S)
    finally:
        stopping.set()
        watcher.join(5)
    assert not watcher._thread.is_alive()


def test_a_missing_hls_directory_is_waited_for(tmp_path: Path) -> None:
    root = tmp_path / "hls"
    woke = threading.Event()
    stopping = threading.Event()
    watcher = PlaylistWatcher(root, woke.set, stopping)
    watcher.start()
    try:
        time.sleep(0.6)  # the thread has looked for the directory and not found it
        (root / "key").mkdir(parents=True)
        assert _wakes(root / "key", woke)  # found at its next look
    finally:
        stopping.set()
        watcher.join(5)


def test_a_nudged_worker_runs_at_once_and_wakes_the_one_it_feeds() -> None:
    stopping = threading.Event()
    passes: list[str] = []
    downstream_ran = threading.Event()
    pending = [1]

    def upstream() -> int:
        passes.append("up")
        return pending.pop() if pending else 0

    def downstream() -> int:
        if "up" in passes:
            downstream_ran.set()
        return 0

    feeds = RepeatingWorker("down", downstream, interval=60.0, stopping=stopping)
    worker = RepeatingWorker("up", upstream, interval=60.0, stopping=stopping, then=feeds)
    feeds.start()
    time.sleep(0.2)  # both idle now: without a nudge neither would run again for a minute
    started = time.monotonic()
    worker.start()  # its first pass does work: the downstream worker is nudged
    assert downstream_ran.wait(WAIT_S)
    count = len(passes)
    worker.nudge()
    deadline = time.monotonic() + WAIT_S
    while len(passes) == count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(passes) > count
    assert time.monotonic() - started < WAIT_S
    stopping.set()
    worker.nudge()
    feeds.nudge()
    worker.join(5)
    feeds.join(5)
