"""One connected WebSocket client: its outbox, its own sender task, and its operations.

Each client has its own sender, so a client that stops reading only fills its own outbox and
never delays the hub or any other client. While a client keeps up (nothing queued, little unsent
in its socket buffer) a frame is written at once, synchronously, which spares a task switch per
frame per client on the fan-out's hot path. Behind that, the sender writes the outbox in chunks,
yielding to the loop between them, and waits for the socket to drain whenever its buffer is full:
only a wait longer than the stall timeout makes the client slow (see `ClientQueue`).
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from sightline_notifier import metrics
from sightline_notifier.client_queue import ClientQueue, OutboxLimits
from sightline_notifier.frames import (
    ProtocolError,
    ServerFrame,
    Subscribe,
    error_frame,
    parse_operation,
)
from sightline_notifier.hub import Hub

log = structlog.get_logger(__name__)

IDLE_CLOSE_CODE = 1000
# Below this many unsent bytes in the socket's buffer a frame is written directly; above it,
# frames wait in the outbox for the sender, which honours the socket's backpressure. It is
# websockets' own high-water mark: above it the connection pauses writing until it drains.
DIRECT_WRITE_LIMIT = 32 * 1024
# Frames the sender writes in a row before it lets the loop (the hub, other senders) run.
SEND_CHUNK = 64


class Session:
    """Serves one connection until it closes; implements the hub's `Subscriber`."""

    def __init__(
        self,
        ws: ServerConnection,
        hub: Hub,
        *,
        outbox: OutboxLimits,
        idle_timeout: float,
        resume_from: str | None,
        token_hash: str,
    ) -> None:
        self._ws = ws
        self._hub = hub
        self._queue = ClientQueue(
            stalled_capacity=outbox.stalled_frames, max_bytes=outbox.max_bytes
        )
        self._stall_timeout = outbox.stall_timeout
        self._idle_timeout = idle_timeout
        self._resume_from = resume_from
        self._idle_timer: asyncio.TimerHandle | None = None
        self._closing: asyncio.Task[None] | None = None
        self.token_hash = token_hash
        self._log = log.bind(client=str(ws.id))

    def deliver(self, frame: ServerFrame) -> None:
        """Write or queue a frame; never blocks (a slow client's outbox drops its oldest)."""
        if self._queue.idle and self._ws.transport.get_write_buffer_size() < DIRECT_WRITE_LIMIT:
            # Nothing older is waiting, so writing now keeps the order.
            self._write(frame.wire)
            return
        discarded = self._queue.offer(frame.wire)
        if discarded:
            metrics.FRAMES_DROPPED.inc(discarded)

    async def run(self) -> None:
        """Read operations until the client leaves; the sender runs beside it."""
        metrics.CLIENTS.inc()
        sender = asyncio.create_task(self._send_forever())
        self._rearm_idle_timer()
        self._log.info("client.connected")
        try:
            async for text in self._ws:
                self._handle(text)
        except ConnectionClosed:
            pass
        finally:
            self._hub.drop(self)
            if self._idle_timer is not None:
                self._idle_timer.cancel()
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await sender
            metrics.CLIENTS.dec()
            self._log.info("client.disconnected", code=self._ws.close_code)

    def _handle(self, text: str | bytes) -> None:
        try:
            operation = parse_operation(text)
        except ProtocolError as exc:
            self.deliver(error_frame(str(exc)))
            return
        if isinstance(operation, Subscribe):
            # The `last_event_id` query parameter resumes the first subscription only.
            resume_from = operation.last_event_id or self._resume_from
            self._resume_from = None
            self._hub.subscribe(self, operation.streams, resume_from)
        else:
            self._hub.unsubscribe(self, operation.streams)
        self._rearm_idle_timer()

    async def _send_forever(self) -> None:
        written = 0
        while True:
            self._write(await self._queue.next_frame())
            written += 1
            if self._ws.transport.get_write_buffer_size() >= DIRECT_WRITE_LIMIT:
                await self._drain()
                written = 0
            elif written >= SEND_CHUNK:
                await asyncio.sleep(0)
                written = 0

    def _write(self, wire: bytes) -> None:
        """Write one encoded frame, as websockets would, unless the connection is closing.

        The frame was encoded once for every client (`ServerFrame`); going through the
        connection's `send` would encode it again per client. Whole frames only, on the event
        loop, so they never interleave with websockets' own control frames.
        """
        if self._ws.protocol.state is State.OPEN:
            self._ws.transport.write(wire)
            metrics.FRAMES_SENT.inc()

    async def _drain(self) -> None:
        """Wait until the socket takes more; a wait past the stall timeout makes the client slow."""
        try:
            async with asyncio.timeout(self._stall_timeout):
                await self._ws.drain()
        except TimeoutError:
            discarded = self._queue.stalled()
            metrics.FRAMES_DROPPED.inc(discarded)
            metrics.STALLS.inc()
            self._log.info("client.stalled", discarded=discarded, timeout=self._stall_timeout)
            await self._ws.drain()
        self._queue.drained()

    def _rearm_idle_timer(self) -> None:
        """A connection that subscribes to nothing for `idle_timeout` is closed."""
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        if not self._hub.has_subscriptions(self):
            loop = asyncio.get_running_loop()
            self._idle_timer = loop.call_later(self._idle_timeout, self._close_idle)

    def close(self, code: int, reason: str) -> None:
        """Start closing the connection (the close handshake runs in the background)."""
        self._log.info("client.closing", code=code, reason=reason)
        self._closing = asyncio.create_task(self._ws.close(code, reason))

    def _close_idle(self) -> None:
        self.close(IDLE_CLOSE_CODE, "idle")
