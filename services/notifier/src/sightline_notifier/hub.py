"""Fan-out: who is subscribed to which stream, and handing each event to every one of them.

Runs on the event loop only (events arrive through `call_soon_threadsafe`), so subscribing,
replaying and publishing never interleave: a resuming client receives the replayed events and
then every live event, with no gap and no duplicate between the two.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from sightline_notifier import metrics
from sightline_notifier.frames import (
    ALL_STREAMS,
    Event,
    ServerFrame,
    resync_frame,
    subscribed_frame,
    unsubscribed_frame,
)
from sightline_notifier.replay import ReplayBuffer

UNKNOWN_EVENT = "last_event_id is older than this notifier's buffer or unknown to it"


class Subscriber(Protocol):
    """A connected client; `deliver` must return at once (it queues, never sends)."""

    def deliver(self, frame: ServerFrame) -> None:
        """Queue one frame for the client."""


class Hub:
    """Subscriptions per stream (and to every stream), and the replay buffer."""

    def __init__(self, buffer: ReplayBuffer) -> None:
        self._buffer = buffer
        self._by_stream: dict[str, set[Subscriber]] = {}
        self._everything: set[Subscriber] = set()

    def publish(self, event: Event) -> None:
        """Record `event` for resume and queue it for every subscriber of its stream."""
        self._buffer.append(event)
        recipients = self._by_stream.get(event.stream_id, ())
        for subscriber in self._everything:
            subscriber.deliver(event.frame)
        for subscriber in recipients:
            if subscriber not in self._everything:
                subscriber.deliver(event.frame)

    def subscribe(
        self, subscriber: Subscriber, streams: frozenset[str], last_event_id: str | None
    ) -> None:
        """Acknowledge, replay what the subscriber missed after `last_event_id`, then go live.

        Streams whose missed events are no longer all buffered get a `resync` frame first.
        """
        subscriber.deliver(subscribed_frame(streams))
        if last_event_id is not None:
            replay = self._buffer.since(last_event_id, streams)
            if replay.gaps:
                metrics.RESYNCS.inc()
                subscriber.deliver(resync_frame(replay.gaps, UNKNOWN_EVENT))
            for event in replay.events:
                # A stream the subscriber already receives live was not missed.
                if not self._is_subscribed(subscriber, event.stream_id):
                    subscriber.deliver(event.frame)
        for stream in streams:
            if stream == ALL_STREAMS:
                self._everything.add(subscriber)
            else:
                self._by_stream.setdefault(stream, set()).add(subscriber)

    def unsubscribe(self, subscriber: Subscriber, streams: Iterable[str]) -> None:
        """Stop delivering `streams` (`*` ends only the subscription to every stream)."""
        names = set(streams)
        for stream in names:
            if stream == ALL_STREAMS:
                self._everything.discard(subscriber)
            else:
                self._remove(subscriber, stream)
        subscriber.deliver(unsubscribed_frame(names))

    def has_subscriptions(self, subscriber: Subscriber) -> bool:
        """Whether `subscriber` receives anything at all."""
        return subscriber in self._everything or any(
            subscriber in subs for subs in self._by_stream.values()
        )

    def drop(self, subscriber: Subscriber) -> None:
        """Forget a disconnected subscriber entirely."""
        self._everything.discard(subscriber)
        for stream in [s for s, subs in self._by_stream.items() if subscriber in subs]:
            self._remove(subscriber, stream)

    def _is_subscribed(self, subscriber: Subscriber, stream: str) -> bool:
        return subscriber in self._everything or subscriber in self._by_stream.get(stream, ())

    def _remove(self, subscriber: Subscriber, stream: str) -> None:
        subs = self._by_stream.get(stream)
        if subs is not None:
            subs.discard(subscriber)
            if not subs:
                del self._by_stream[stream]
