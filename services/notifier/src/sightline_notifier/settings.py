"""The notifier's configuration: one settings object, read from `SIGHTLINE_*` in the entry point."""

from __future__ import annotations

from pydantic import Field

from sightline_common.settings import ServiceSettings
from sightline_notifier.client_queue import OutboxLimits


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
    client_queue: int = Field(
        default=1000, ge=1, description="newest frames kept for a slow client (older: dropped)"
    )
    client_stall_timeout: float = Field(
        default=2.0,
        gt=0,
        description="seconds a client's socket may go without draining before it counts as slow",
    )
    client_max_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1,
        description="bytes that may wait for a client before it counts as slow (frames are shared"
        " between clients: this bounds references, the frames themselves are stored once)",
    )
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

    def outbox(self) -> OutboxLimits:
        """The per-client outbox limits these settings give."""
        return OutboxLimits(
            stall_timeout=self.client_stall_timeout,
            max_bytes=self.client_max_bytes,
            stalled_frames=self.client_queue,
        )
