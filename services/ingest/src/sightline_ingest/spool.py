"""The local spool: segment bytes kept on disk from pickup until they are stored in MinIO.

nginx-rtmp deletes segments after ~20 s, so pickup copies each one here at once; uploads
then proceed at storage's pace (and survive a MinIO outage or an ingest restart).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# New publishes are refused from this share of the quota on, so segments of the publishes
# already running still have room while storage catches up.
REFUSE_AT = 0.9


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

    def size_bytes(self) -> int:
        """Bytes the spooled files take now."""
        total = 0
        with os.scandir(self._folder) as entries:
            for entry in entries:
                try:
                    total += entry.stat().st_size
                except FileNotFoundError:  # uploaded and removed while counting
                    continue
        return total

    def free_bytes(self) -> int:
        """Free space on the spool's volume."""
        return shutil.disk_usage(self._folder).free

    def prune(self, keep: Iterable[str]) -> int:
        """Delete files no segment needs (left by a crash before sequencing); returns count."""
        wanted = set(keep)
        removed = 0
        for entry in self._folder.iterdir():
            if entry.name not in wanted:
                entry.unlink(missing_ok=True)
                removed += 1
        return removed


@dataclass(frozen=True)
class SpoolQuota:
    """The spool's bound: `full()` says why new publishes must wait, or None."""

    spool: Spool
    max_bytes: int

    def fill(self) -> float:
        """Spooled bytes over the quota."""
        return self.spool.size_bytes() / self.max_bytes

    def full(self) -> str | None:
        """Why no new publish may start (the spool at `REFUSE_AT` of its quota, or the volume
        with less free space than the rest of the quota), else None."""
        used = self.spool.size_bytes()
        if used >= REFUSE_AT * self.max_bytes:
            return (
                f"ingest spool {used / self.max_bytes:.0%} full ({used} of {self.max_bytes}"
                " bytes): storage is behind, new publishes refused until it catches up"
            )
        free = self.spool.free_bytes()
        if free < (1 - REFUSE_AT) * self.max_bytes:
            return f"ingest spool volume has {free} bytes free: new publishes refused"
        return None
