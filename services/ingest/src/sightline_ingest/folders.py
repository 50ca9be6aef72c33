"""Finding a publish's HLS folder from the hash of its stream key.

nginx-rtmp names each folder after the stream key (`hls_nested on`); ingest keeps only the
key's hash, so after a restart it finds the folder by hashing folder names.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sightline_ingest.keys import hash_key, is_safe_key


class HlsFolders:
    """Maps key hashes to folders under the HLS directory (cached, thread-safe)."""

    def __init__(self, hls_dir: Path) -> None:
        self._root = hls_dir
        self._known: dict[str, Path] = {}
        self._lock = threading.Lock()

    def remember(self, key: str) -> str:
        """Note the folder of a key just authorized; returns the key's hash."""
        digest = hash_key(key)
        with self._lock:
            self._known[digest] = self._root / key
        return digest

    def find(self, dir_hash: str) -> Path | None:
        """The folder for `dir_hash`, looking on disk when it is not cached."""
        with self._lock:
            if dir_hash in self._known:
                return self._known[dir_hash]
        if not self._root.is_dir():
            return None
        for entry in self._root.iterdir():
            if entry.is_dir() and is_safe_key(entry.name) and hash_key(entry.name) == dir_hash:
                with self._lock:
                    self._known[dir_hash] = entry
                return entry
        return None
