"""The local spool: segment bytes kept on disk from pickup until they are stored in MinIO.

nginx-rtmp deletes segments after ~20 s, so pickup copies each one here at once; uploads
then proceed at storage's pace (and survive a MinIO outage or an ingest restart).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path


class Spool:
    """Files named by segment fingerprint under one folder, written atomically."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def name_for(fingerprint: str) -> str:
        """The spool file name of a segment (stable across restarts)."""
        return hashlib.sha256(fingerprint.encode()).hexdigest()[:32] + ".ts"

    def path(self, name: str) -> Path:
        """Where a spooled file lives."""
        return self._folder / name

    def write(self, name: str, data: bytes) -> Path:
        """Store `data` durably under `name` (write, fsync, rename)."""
        final = self.path(name)
        partial = final.with_suffix(".part")
        with partial.open("wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(final)
        return final

    def read(self, name: str) -> bytes:
        """The bytes of a spooled file (`FileNotFoundError` if gone)."""
        return self.path(name).read_bytes()

    def remove(self, name: str) -> None:
        """Drop a file once it is stored for good."""
        self.path(name).unlink(missing_ok=True)

    def prune(self, keep: Iterable[str]) -> int:
        """Delete files no segment needs (left by a crash before sequencing); returns count."""
        wanted = set(keep)
        removed = 0
        for entry in self._folder.iterdir():
            if entry.name not in wanted:
                entry.unlink(missing_ok=True)
                removed += 1
        return removed
