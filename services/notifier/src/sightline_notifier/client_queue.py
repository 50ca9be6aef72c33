"""The outbox of one client: complete while the client keeps reading, trimmed once it is slow.

A burst is not slowness: a client that keeps reading gets every frame of a burst of any size,
in order. A client is *slow* only when its socket has not drained for the stall timeout (its
sender says so through `stalled`) or when the bytes waiting for it pass `max_bytes`. A slow
client keeps only its newest `stalled_capacity` frames: the older ones are discarded and
counted, and its sender sends one `dropped` notice with the count, in the place of the frames it
lost, before the next frame. It stops being slow when its socket drains again (`drained`).

Producers (the hub) never wait: `offer` always returns at once. It holds WebSocket frames as
encoded once for every client, so a queued frame costs one reference per client, not a copy.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from sightline_notifier.frames import dropped_frame


@dataclass(frozen=True)
class OutboxLimits:
    """When a client counts as slow, and what a slow client keeps."""

    stall_timeout: float  # seconds its socket may go without draining
    max_bytes: int  # bytes that may wait for it
    stalled_frames: int  # newest frames a slow client keeps


class ClientQueue:
    """Frames waiting to be sent to one client (single consumer: its sender task)."""

    def __init__(self, *, stalled_capacity: int, max_bytes: int) -> None:
        self._stalled_capacity = stalled_capacity
        self._max_bytes = max_bytes
        self._frames: deque[bytes] = deque()
        self._bytes = 0
        self._dropped = 0
        self._slow = False
        self._nonempty = asyncio.Event()

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def idle(self) -> bool:
        """Nothing waiting: no frame and no `dropped` notice."""
        return not self._frames and not self._dropped

    @property
    def slow(self) -> bool:
        """Whether the client is behind in time or bytes (and so keeps only its newest frames)."""
        return self._slow

    @property
    def queued_bytes(self) -> int:
        """Bytes of the frames waiting (the `dropped` notice not counted)."""
        return self._bytes

    def offer(self, frame: bytes) -> int:
        """Queue `frame`; returns how many older frames that discarded (0 unless slow)."""
        self._frames.append(frame)
        self._bytes += len(frame)
        self._nonempty.set()
        if self._bytes > self._max_bytes:
            self._slow = True
        return self._trim() if self._slow else 0

    def stalled(self) -> int:
        """The socket has not drained for the stall timeout: trim; returns the frames discarded."""
        self._slow = True
        return self._trim()

    def drained(self) -> None:
        """The socket drained: the client reads again, so a burst no longer counts against it."""
        self._slow = False

    async def next_frame(self) -> bytes:
        """The next frame to send: a pending `dropped` notice first, else the oldest frame."""
        while not self._frames and not self._dropped:
            self._nonempty.clear()
            await self._nonempty.wait()
        return self.take()

    def take(self) -> bytes:
        """The next frame to send now; raises IndexError when nothing waits."""
        if self._dropped:
            count, self._dropped = self._dropped, 0
            return dropped_frame(count).wire
        frame = self._frames.popleft()
        self._bytes -= len(frame)
        return frame

    def _trim(self) -> int:
        discarded = 0
        while len(self._frames) > self._stalled_capacity:
            self._bytes -= len(self._frames.popleft())
            discarded += 1
        self._dropped += discarded
        return discarded
