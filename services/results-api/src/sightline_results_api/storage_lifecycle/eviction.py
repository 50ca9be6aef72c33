"""A full store is handled before it fails: from `SIGHTLINE_STORAGE_EVICT_FRACTION` on, the
oldest unpinned video of any stream that is older than `SIGHTLINE_VIDEO_MIN_RETENTION_S` is
deleted, oldest first, until the store is back under the warning fill.

Nothing younger than the minimum retention and nothing pinned is ever evicted. When that is
not enough, the store fills up: uploads fail, ingest keeps segments in its spool (nothing
acknowledged is lost) and from 90 % of the spool refuses new publishers with the reason; the
warning in `/api/storage` and `/metrics` says so all along.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import text

from sightline_results_api.models import utcnow
from sightline_results_api.storage_lifecycle.pins import UNPINNED
from sightline_results_api.storage_lifecycle.segments import SegmentRemover
from sightline_results_api.storage_lifecycle.usage import StorageMeter

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Evictor:
    """Frees space when the store is past the eviction fill."""

    remover: SegmentRemover
    meter: StorageMeter
    evict_fraction: float
    warn_fraction: float
    min_retention_s: float

    def evict(self, now: datetime | None = None) -> int:
        """One pass; returns the bytes evicted (0 when the store is not full enough)."""
        usage = self.meter.store_usage(fresh=True)
        if usage.fill < self.evict_fraction:
            return 0
        target = usage.used_bytes - int(self.warn_fraction * usage.total_bytes)
        cutoff = (now or utcnow()) - timedelta(seconds=self.min_retention_s)
        evicted = 0
        while evicted < target:
            chosen = self._oldest(cutoff, target - evicted)
            if not chosen:
                break
            for stream_id, sequences in chosen.items():
                _count, size = self.remover.remove(
                    stream_id, "sequence = ANY(:seqs)", {"seqs": sequences}
                )
                evicted += size
        after = self.meter.store_usage(fresh=True)
        if evicted:
            log.warning(
                "storage.evicted", bytes=evicted, fill_before=usage.fill, fill_after=after.fill
            )
        if after.fill >= self.evict_fraction:
            log.error(
                "storage.full",
                fill=after.fill,
                reason="nothing more may be evicted (pinned or younger than the minimum"
                " retention); uploads will fail and ingest will spool, then refuse publishers",
            )
        return evicted

    def _oldest(self, cutoff: datetime, wanted: int) -> dict[str, list[int]]:
        """The oldest evictable segments adding up to `wanted` bytes, by stream."""
        engine = self.remover.eraser.engine
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT segments.stream_id, sequence, size_bytes FROM segments"  # noqa: S608
                    " JOIN streams ON streams.id = segments.stream_id"
                    f" WHERE NOT streams.deleting AND wall_clock < :cutoff AND {UNPINNED}"
                    " ORDER BY wall_clock, sequence LIMIT :n"
                ),
                {"cutoff": cutoff, "n": self.remover.eraser.batch},
            ).all()
        chosen: dict[str, list[int]] = defaultdict(list)
        total = 0
        for stream_id, sequence, size in rows:
            if total >= wanted:
                break
            chosen[stream_id].append(sequence)
            total += size
        return dict(chosen)
