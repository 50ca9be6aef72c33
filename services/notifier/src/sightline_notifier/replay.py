"""Bounded per-stream history of recent events, so a reconnecting client can resume.

Every event gets a sequence number in arrival order on this replica. A client resuming after
event E receives, for each stream it subscribes to, the buffered events that arrived after E.
When E is no longer known, or a stream already discarded events that arrived after E, the
client is told which streams it must resynchronise instead of silently missing events.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from sightline_notifier.frames import ALL_STREAMS, Event


@dataclass(frozen=True)
class Replay:
    """What a resume yields: events to send in order, and streams with a gap."""

    events: list[Event]
    gaps: frozenset[str] = frozenset()


@dataclass
class _StreamHistory:
    entries: deque[tuple[int, Event]] = field(default_factory=deque)
    evicted_up_to: int = -1  # sequence number of the newest event discarded from this stream


class ReplayBuffer:
    """The last `per_stream` events of each of at most `max_streams` streams."""

    def __init__(self, per_stream: int, max_streams: int) -> None:
        self._per_stream = per_stream
        self._max_streams = max_streams
        self._streams: OrderedDict[str, _StreamHistory] = OrderedDict()
        self._seq_of: dict[str, int] = {}
        self._next_seq = 0
        self._forgotten_up_to = -1  # newest sequence number of a stream dropped as a whole

    def __len__(self) -> int:
        return len(self._seq_of)

    def append(self, event: Event) -> None:
        """Record `event` as the newest of its stream, discarding the oldest beyond bounds."""
        history = self._streams.get(event.stream_id)
        if history is None:
            history = self._streams[event.stream_id] = _StreamHistory()
            if len(self._streams) > self._max_streams:
                self._forget_least_recent_stream()
        else:
            self._streams.move_to_end(event.stream_id)
        seq = self._next_seq
        self._next_seq += 1
        history.entries.append((seq, event))
        self._seq_of[event.event_id] = seq
        if len(history.entries) > self._per_stream:
            old_seq, old = history.entries.popleft()
            history.evicted_up_to = old_seq
            self._seq_of.pop(old.event_id, None)

    def since(self, event_id: str, streams: Iterable[str]) -> Replay:
        """Buffered events of `streams` (or `*`) that arrived after `event_id`, in order."""
        wanted = set(streams)
        names = list(self._streams) if ALL_STREAMS in wanted else sorted(wanted)
        after = self._seq_of.get(event_id)
        if after is None:
            return Replay(events=[], gaps=frozenset(wanted))
        gaps: set[str] = set()
        runs: list[list[tuple[int, Event]]] = []
        for name in names:
            history = self._streams.get(name)
            if history is None:
                if self._forgotten_up_to > after:
                    gaps.add(name)
                continue
            if history.evicted_up_to > after:
                gaps.add(name)
            runs.append([entry for entry in history.entries if entry[0] > after])
        if ALL_STREAMS in wanted and self._forgotten_up_to > after:
            gaps.add(ALL_STREAMS)
        merged = heapq.merge(*runs, key=lambda entry: entry[0])
        return Replay(events=[event for _seq, event in merged], gaps=frozenset(gaps))

    def _forget_least_recent_stream(self) -> None:
        _name, history = self._streams.popitem(last=False)
        for seq, event in history.entries:
            self._seq_of.pop(event.event_id, None)
            self._forgotten_up_to = max(self._forgotten_up_to, seq)
        self._forgotten_up_to = max(self._forgotten_up_to, history.evicted_up_to)
