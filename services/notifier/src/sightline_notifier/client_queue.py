"""A bounded outbox per client: a slow reader loses its oldest frames, never slows others.

Producers (the hub) never wait: `offer` always returns at once. When the outbox is full the
oldest frame is discarded and counted; the client's sender then sends one `dropped` notice with
the count, in the place of the frames it lost, before the next frame.
"""

from __future__ import annotations

import asyncio
from collections import deque

from sightline_notifier.frames import dropped_frame


class ClientQueue:
    """Frames waiting to be sent to one client (single consumer: its sender task)."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._frames: deque[bytes] = deque()
        self._dropped = 0
        self._nonempty = asyncio.Event()

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def idle(self) -> bool:
        """Nothing waiting: no frame and no `dropped` notice."""
        return not self._frames and not self._dropped

    def offer(self, frame: bytes) -> bool:
        """Queue `frame`; returns False when that discarded the oldest queued frame."""
        kept_all = True
        if len(self._frames) >= self._capacity:
            self._frames.popleft()
            self._dropped += 1
            kept_all = False
        self._frames.append(frame)
        self._nonempty.set()
        return kept_all

    async def next_frame(self) -> bytes:
        """The next frame to send: a pending `dropped` notice first, else the oldest frame."""
        while not self._frames and not self._dropped:
            self._nonempty.clear()
            await self._nonempty.wait()
        if self._dropped:
            count, self._dropped = self._dropped, 0
            return dropped_frame(count)
        return self._frames.popleft()
