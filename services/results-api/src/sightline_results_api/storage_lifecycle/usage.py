"""What storage holds and how full it is: bytes per stream, and the object store's used and free
space, with a warning from a configurable fill on (the API's `/api/storage`, `/metrics`).

The store's size is the MinIO drives' (admin API), or `SIGHTLINE_STORAGE_CAPACITY_BYTES` when
set: then the segments bucket is the store (a quota for a shared MinIO, an S3 bucket without
a size, a test's small store) and its used bytes are its objects' sizes.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import datetime

import structlog
import urllib3
from minio import MinioAdmin
from minio.credentials.providers import StaticProvider
from minio.error import MinioAdminException, MinioException, S3Error
from prometheus_client import Gauge
from sqlalchemy import Engine, text

from sightline_common.errors import StorageUnavailableError
from sightline_common.storage import ObjectStore, admin_refusal, refusal
from sightline_results_api.settings import ResultsApiSettings

log = structlog.get_logger(__name__)

STORE_USED = Gauge("sightline_storage_used_bytes", "Object store bytes used")
STORE_TOTAL = Gauge("sightline_storage_total_bytes", "Object store size in bytes")
STORE_FREE = Gauge("sightline_storage_free_bytes", "Object store bytes free")
STORE_FILL = Gauge("sightline_storage_fill_ratio", "Object store used / size")
STORE_WARNING = Gauge(
    "sightline_storage_warning", "1 while the store is filled past SIGHTLINE_STORAGE_WARN_FRACTION"
)
STREAM_BYTES = Gauge(
    "sightline_stream_stored_bytes", "Video bytes stored per stream", ["stream_id"]
)

# A measurement is reused this long by API requests (listing a bucket is not free).
MAX_AGE_S = 10.0


@dataclass(frozen=True)
class StoreUsage:
    """The object store's space, and where the figures come from."""

    used_bytes: int
    total_bytes: int
    free_bytes: int
    source: str  # "capacity setting" | "object store drives"
    measured_at: float

    @property
    def fill(self) -> float:
        """Used over size (1.0 for a store of unknown size that has no free space)."""
        return self.used_bytes / self.total_bytes if self.total_bytes else 1.0


@dataclass(frozen=True)
class StreamUsage:
    """One stream's stored video."""

    stream_id: str
    name: str
    bytes: int
    segments: int
    oldest: datetime | None
    newest: datetime | None
    video_retention_s: float | None
    results_retention_s: float | None
    video_kept_from: float | None
    pins: int


class StorageMeter:
    """Measures storage (thread-safe; shared by the API and the storage worker)."""

    def __init__(self, settings: ResultsApiSettings, store: ObjectStore, engine: Engine) -> None:
        self._settings = settings
        self._store = store
        self._engine = engine
        self._lock = threading.Lock()
        self._last: StoreUsage | None = None

    def store_usage(self, *, fresh: bool = False) -> StoreUsage:
        """The store's space, measured now or at most `MAX_AGE_S` ago. Raises
        StorageUnavailableError when the store does not answer, StorageAccessDeniedError when
        it refuses results-api's login the listing or the drive info."""
        with self._lock:
            last = self._last
            if fresh or last is None or time.monotonic() - last.measured_at > MAX_AGE_S:
                last = self._last = self._measure()
                self._export(last)
            return last

    def warning(self, usage: StoreUsage) -> str | None:
        """Why an operator should act, or None."""
        warn = self._settings.storage_warn_fraction
        if usage.fill < warn:
            return None
        return (
            f"object store {usage.fill:.0%} full ({usage.used_bytes} of {usage.total_bytes}"
            f" bytes, warning from {warn:.0%}): from {self._settings.storage_evict_fraction:.0%}"
            " the oldest unpinned video older than SIGHTLINE_VIDEO_MIN_RETENTION_S is deleted;"
            " if none is, uploads fail, ingest spools and then refuses new publishers"
        )

    def streams(self) -> list[StreamUsage]:
        """Stored video per stream (from the `segments` rows), largest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT s.id, s.name, COALESCE(sum(g.size_bytes), 0), count(g.sequence),"
                    " min(g.wall_clock), max(g.wall_clock), s.video_retention_s,"
                    " s.results_retention_s, s.video_kept_from,"
                    " (SELECT count(*) FROM pins p WHERE p.stream_id = s.id)"
                    " FROM streams s LEFT JOIN segments g ON g.stream_id = s.id"
                    " WHERE NOT s.deleting GROUP BY s.id ORDER BY 3 DESC, s.id"
                )
            ).all()
        streams = [StreamUsage(*row) for row in rows]
        STREAM_BYTES.clear()
        for stream in streams:
            STREAM_BYTES.labels(stream.stream_id).set(stream.bytes)
        return streams

    def _measure(self) -> StoreUsage:
        capacity = self._settings.storage_capacity_bytes
        if capacity:
            used = self._bucket_bytes()
            return StoreUsage(
                used, capacity, max(capacity - used, 0), "capacity setting", time.monotonic()
            )
        total, used, free = self._drives()
        return StoreUsage(used, total, free, "object store drives", time.monotonic())

    def _bucket_bytes(self) -> int:
        bucket = self._settings.segments_bucket
        try:
            if not self._store.client.bucket_exists(bucket):
                return 0
            return sum(
                obj.size or 0 for obj in self._store.client.list_objects(bucket, recursive=True)
            )
        except S3Error as exc:
            raise refusal(exc.code, f"list {bucket}", self._store.user) from exc
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageUnavailableError(f"listing {bucket}: {exc}") from exc

    def _drives(self) -> tuple[int, int, int]:
        settings = self._settings
        admin = MinioAdmin(
            endpoint=settings.s3_endpoint,
            credentials=StaticProvider(
                settings.s3_access_key, settings.s3_secret_key.get_secret_value()
            ),
            secure=settings.s3_secure,
        )
        try:
            info = json.loads(admin.info())
        except MinioAdminException as exc:
            raise admin_refusal(exc, "object store drive info", settings.s3_access_key) from exc
        except (
            MinioException,
            urllib3.exceptions.HTTPError,
            OSError,
            ValueError,
        ) as exc:
            raise StorageUnavailableError(f"object store drive info: {exc}") from exc
        drives = [d for server in info.get("servers", []) for d in server.get("drives", [])]
        return (
            sum(int(d.get("totalspace", 0)) for d in drives),
            sum(int(d.get("usedspace", 0)) for d in drives),
            sum(int(d.get("availspace", 0)) for d in drives),
        )

    def _export(self, usage: StoreUsage) -> None:
        STORE_USED.set(usage.used_bytes)
        STORE_TOTAL.set(usage.total_bytes)
        STORE_FREE.set(usage.free_bytes)
        STORE_FILL.set(usage.fill)
        warning = self.warning(usage)
        STORE_WARNING.set(1 if warning else 0)
        if warning:
            log.warning("storage.filling", reason=warning, fill=round(usage.fill, 4))
