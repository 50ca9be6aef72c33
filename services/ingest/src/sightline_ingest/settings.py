"""Ingest's configuration: one settings object, read from `SIGHTLINE_*` in the entry point."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from sightline_common.settings import ServiceSettings
from sightline_common.source_policy import SourcePolicySettings


class IngestSettings(ServiceSettings, SourcePolicySettings):
    """Where nginx-rtmp writes HLS, where ingest keeps its durable state, and its timings."""

    service_name: str = "ingest"
    http_port: int = 8010

    hls_dir: Path = Field(default=Path(".state/hls"), description="nginx-rtmp's hls_path")
    # Not `state_dir`: SIGHTLINE_STATE_DIR already names the local platform's folder.
    ingest_state_dir: Path = Field(
        default=Path(".state/ingest"), description="sequence state, outbox and segment spool"
    )
    rtmp_app: str = Field(default="live", description="the only RTMP application accepted")
    rtmp_url: str = Field(
        default="rtmp://127.0.0.1:1935/live", description="where source adapters push (with app)"
    )
    stall_seconds: float = Field(default=20.0, gt=0)
    poll_interval: float = Field(default=0.5, gt=0)
    close_grace_seconds: float = Field(
        default=3.0, ge=0, description="keep scanning a stopped publish this long for its tail"
    )
    nginx_http_url: str = Field(
        default="http://127.0.0.1:8080",
        description="nginx-rtmp's HTTP side, whose /stat says who publishes; empty: never ask",
    )
    pickup_threads: int = Field(default=4, ge=1, description="folders read/probed in parallel")
    upload_threads: int = Field(default=4, ge=1, description="streams uploaded in parallel")
    run_sources: bool = Field(default=True, description="run ffmpeg for test/file/webcam streams")
    spool_max_bytes: int = Field(
        default=8 * 1024**3,
        gt=0,
        description="spool quota; new publishes are refused from 90% of it (or when the volume"
        " has less free space than 10% of it)",
    )
    ffmpeg: str = "ffmpeg"
    probe_timeout_seconds: float = Field(
        default=15.0,
        gt=0,
        description="wall time a segment's probe may take before it is retried on a later pass",
    )
    max_backoff: float = Field(default=10.0, gt=0)
