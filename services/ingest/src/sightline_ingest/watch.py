"""Waking segment pickup the moment nginx-rtmp rewrites a playlist, instead of at the next poll.

nginx-rtmp closes a fragment and then renames its rewritten `index.m3u8` into place (one
rename per segment, in the stream's own folder under the HLS directory). Pickup polled every
`poll_interval` (0.5 s), so a segment waited 0.25 s on average (up to 0.5 s) before it was
even read: a quarter of the live latency budget at one stream. Linux inotify tells us of the
rename as it happens; the poll stays as the safety net (a folder created between two reads,
inotify's watch limit reached, a filesystem that does not report events), so a missed event
costs at most one poll interval, as before.

inotify is not recursive: the HLS directory is watched for new folders, and each stream
folder for its playlist.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path

import structlog
from inotify_simple import INotify, flags

log = structlog.get_logger(__name__)

PLAYLIST_NAME = "index.m3u8"
_ROOT_MASK = flags.CREATE | flags.MOVED_TO | flags.ONLYDIR
_FOLDER_MASK = flags.MOVED_TO | flags.CLOSE_WRITE | flags.ONLYDIR
_READ_TIMEOUT_MS = 500  # how often the thread looks at `stopping` and for a missing root


class PlaylistWatcher:
    """Calls `on_change` (from its own thread) whenever a stream folder's playlist is written.

    `on_change` must be cheap and thread-safe: it only wakes the pickup worker.
    """

    def __init__(
        self, hls_dir: Path, on_change: Callable[[], None], stopping: threading.Event
    ) -> None:
        self._root = hls_dir
        self._on_change = on_change
        self._stopping = stopping
        self._thread = threading.Thread(target=self._run, name="hls-watch", daemon=True)

    def start(self) -> None:
        """Start watching (a missing HLS directory is waited for)."""
        self._thread.start()

    def join(self, timeout: float) -> None:
        """Wait for the thread to end after `stopping` is set."""
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            with INotify() as inotify:
                self._watch(inotify)
        except OSError as exc:  # no inotify here, or its limits reached: polling carries on
            log.warning("hls_watch.unavailable", reason=str(exc))

    def _watch(self, inotify: INotify) -> None:
        root_wd: int | None = None
        folders: dict[int, Path] = {}
        while not self._stopping.is_set():
            if root_wd is None:
                root_wd = self._watch_root(inotify, folders)
                if root_wd is None:
                    self._stopping.wait(_READ_TIMEOUT_MS / 1000)
                    continue
            woke = False
            for event in inotify.read(timeout=_READ_TIMEOUT_MS):
                if event.mask & flags.IGNORED:
                    if event.wd == root_wd:
                        root_wd = None  # the HLS directory itself went away: wait for it again
                    folders.pop(event.wd, None)
                elif event.wd == root_wd and event.mask & flags.ISDIR:
                    self._watch_folder(inotify, folders, self._root / event.name)
                    woke = True  # its first playlist may have been written already
                elif event.name == PLAYLIST_NAME:
                    woke = True
            if woke:
                self._on_change()

    def _watch_root(self, inotify: INotify, folders: dict[int, Path]) -> int | None:
        """Watch the HLS directory and every stream folder already in it (None: not there)."""
        try:
            wd = int(inotify.add_watch(self._root, _ROOT_MASK))
        except (FileNotFoundError, NotADirectoryError):
            return None
        for entry in self._root.iterdir():
            if entry.is_dir():
                self._watch_folder(inotify, folders, entry)
        log.info("hls_watch.started", hls_dir=str(self._root), folders=len(folders))
        return wd

    def _watch_folder(self, inotify: INotify, folders: dict[int, Path], folder: Path) -> None:
        # A folder removed again before we got to it has nothing left to pick up.
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            folders[int(inotify.add_watch(folder, _FOLDER_MASK))] = folder
