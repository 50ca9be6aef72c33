"""`/api/storage`: bytes per stream, the object store's used and free space, the warning."""

from __future__ import annotations

from fastapi import APIRouter

from sightline_results_api.api.deps import ContextDep, MeterDep
from sightline_results_api.api.schemas import (
    Retention,
    StorageReport,
    StoreSpace,
    StreamStorage,
)
from sightline_results_api.settings import ResultsApiSettings
from sightline_results_api.storage_lifecycle.usage import StreamUsage

router = APIRouter(prefix="/storage", tags=["storage"])


def _stream(usage: StreamUsage, settings: ResultsApiSettings) -> StreamStorage:
    video, results = usage.video_retention_s, usage.results_retention_s
    return StreamStorage(
        stream_id=usage.stream_id,
        name=usage.name,
        bytes=usage.bytes,
        segments=usage.segments,
        oldest=usage.oldest,
        newest=usage.newest,
        retention=Retention(video_s=video, results_s=results),
        effective_retention=Retention(
            video_s=settings.video_retention_s if video is None else video,
            results_s=settings.results_retention_s if results is None else results,
        ),
        video_kept_from=usage.video_kept_from,
        pins=usage.pins,
    )


@router.get("")
def storage_report(meter: MeterDep, context: ContextDep) -> StorageReport:
    """Stored video per stream (largest first) and the store's space; `warning` is set from
    `warn_fraction` on and says what happens as the store fills (503 when it does not answer).
    """
    settings = context.settings
    usage = meter.store_usage()
    return StorageReport(
        store=StoreSpace(
            used_bytes=usage.used_bytes,
            total_bytes=usage.total_bytes,
            free_bytes=usage.free_bytes,
            fill=usage.fill,
            source=usage.source,
        ),
        warn_fraction=settings.storage_warn_fraction,
        evict_fraction=settings.storage_evict_fraction,
        video_min_retention_s=settings.video_min_retention_s,
        warning=meter.warning(usage),
        streams=[_stream(s, settings) for s in meter.streams()],
    )
