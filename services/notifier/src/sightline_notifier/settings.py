"""The notifier's configuration: one settings object, read from `SIGHTLINE_*` in the entry point."""

from __future__ import annotations

from pydantic import Field

from sightline_common.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    """Where the WebSocket listens and how much it keeps per stream and per client."""

    service_name: str = "notifier"
    http_port: int = 8001
    ws_path: str = "/ws"

    stream_buffer: int = Field(default=1000, ge=1, description="events kept per stream for resume")
    max_streams: int = Field(
        default=100,
        ge=1,
        description="streams with a resume buffer (memory: max_streams * stream_buffer frames)",
    )
    client_queue: int = Field(default=1000, ge=1, description="frames queued per client")
    warm_start: int = Field(
        default=1000,
        ge=0,
        description="messages per partition read back at start to fill resume buffers",
    )
    include_segments: bool = Field(default=False, description="also push `segment.ready`")

    ping_interval: float = 20.0
    ping_timeout: float = 20.0
    idle_timeout: float = Field(
        default=300.0, gt=0, description="close a connection without subscriptions after this"
    )
    close_timeout: float = 3.0
