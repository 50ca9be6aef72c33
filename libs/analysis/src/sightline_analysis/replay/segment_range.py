"""Reading back one stream's segments for a media-time range from the `segments` topic.

The range is read by a consumer group of its own (one per run and detector) with manual
assignment: where the group has committed, reading resumes there (a restarted run does not
start over); otherwise it seeks by time (`offsets_for_times` at when the range's first segment
was stored, less a slack) or from the beginning. The end is the high watermark seen at start,
so a live stream that keeps publishing does not keep a run open. Every segment of a stream is
on one partition (keyed by stream id), so once that partition is known the others are dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import structlog
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka import Message as KafkaMessage

from sightline_analysis.engine import SegmentToAnalyse
from sightline_common.envelope import Message, decode
from sightline_common.errors import PermanentError, TransientError
from sightline_common.kafka.config import consumer_config
from sightline_common.messages import SegmentReady

log = structlog.get_logger(__name__)

_TIMEOUT_S = 10.0
_LEADER_RETRY_S = 0.2
_LEADER_MOVING = frozenset(
    {
        KafkaError.NOT_LEADER_FOR_PARTITION,
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.UNKNOWN_TOPIC_OR_PART,
    }
)


@dataclass(frozen=True)
class RangeSpec:
    """Which stream and stretch of media time to read, and roughly when it was stored."""

    stream_id: str
    media_from: float
    media_to: float | None
    wall_from: datetime | None = None
    seek_slack_s: float = 120.0

    def contains(self, media_start: float) -> bool:
        """Whether a segment starting at `media_start` belongs to the range."""
        return media_start >= self.media_from and (
            self.media_to is None or media_start < self.media_to
        )

    def past(self, media_start: float) -> bool:
        """Whether a segment starting at `media_start` lies after the range."""
        return self.media_to is not None and media_start >= self.media_to


@dataclass(frozen=True)
class RangeItem:
    """One segment of the range and where it sits on the topic (-1: not from the topic).

    `record` is the segment's record as read (None when not from the topic): what its dead
    letter carries if the segment cannot be analysed.
    """

    segment: SegmentToAnalyse
    event_id: str | None
    partition: int = -1
    offset: int = -1
    record: KafkaMessage | None = None


class SegmentRange:
    """Iterates the range's segments in stream order; `done(item)` checkpoints one."""

    def __init__(
        self,
        *,
        bootstrap: str,
        topic: str,
        group_id: str,
        client_id: str,
        spec: RangeSpec,
        halted: Callable[[], bool] = lambda: False,
    ) -> None:
        config = consumer_config(bootstrap, group_id, client_id)
        config["enable.auto.offset.store"] = False
        self._consumer = Consumer(config)
        self._topic = topic
        self.spec = spec
        self._halted = halted
        self._ends: dict[int, int] = {}
        self._opened = False
        self.retention_cut = False
        self._positions: dict[int, int] = {}
        # Offsets handed out and not yet done: nothing is committed past the first of them.
        self._outstanding: dict[int, set[int]] = {}
        self._log = log.bind(group=group_id, stream_id=spec.stream_id)

    def open(self) -> SegmentRange:
        """Find where to read each partition; sets `retention_cut`."""
        if not self._opened:
            self._assign()
            self._opened = True
        return self

    def __iter__(self) -> Iterator[RangeItem]:
        try:
            self.open()
            while self._ends and not self._halted():
                msg = self._consumer.poll(1.0)
                if msg is None:
                    continue
                item = self._take(msg)
                if item is not None:
                    yield item
        finally:
            self.commit()

    def done(self, item: RangeItem) -> None:
        """The item's effect is durable: commit past it (and past skipped records before it)."""
        if item.partition < 0:
            return
        self._outstanding.get(item.partition, set()).discard(item.offset)
        self._positions[item.partition] = item.offset + 1
        self.commit()

    def commit(self) -> None:
        """Commit every partition's position reached so far (synchronously), but never past a
        segment handed out and not yet done: records read after it (other streams', or the
        first past the range) must not carry the checkpoint over it while it is in flight."""
        offsets = [
            TopicPartition(self._topic, p, min(self._outstanding.get(p) or {o}))
            for p, o in self._positions.items()
        ]
        if not offsets:
            return
        try:
            self._consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            raise TransientError(f"cannot commit replay position: {exc}") from exc

    def close(self) -> None:
        """Leave the broker."""
        self._consumer.close()

    def _assign(self) -> None:
        try:
            metadata = self._consumer.list_topics(self._topic, timeout=_TIMEOUT_S)
            partitions = sorted(metadata.topics[self._topic].partitions)
            committed = self._consumer.committed(
                [TopicPartition(self._topic, p) for p in partitions], timeout=_TIMEOUT_S
            )
            starts = {tp.partition: tp.offset for tp in committed if tp.offset >= 0}
            for p in partitions:
                low, high = self._watermarks(p)
                start = max(starts.get(p, self._seek(p, low, high)), low)
                # Reading would begin at the oldest record kept while older ones were deleted:
                # part of the range may have been there (retention), so it may be incomplete.
                if not starts and low > 0 and start == low:
                    self.retention_cut = True
                if start < high:
                    self._ends[p] = high
                    self._positions[p] = start
        except KafkaException as exc:
            raise TransientError(f"cannot read the segments topic: {exc}") from exc
        self._consumer.assign(
            [TopicPartition(self._topic, p, o) for p, o in self._positions.items()]
        )
        self._log.info(
            "replay.range_assigned",
            partitions={p: (self._positions[p], e) for p, e in self._ends.items()},
        )

    def _watermarks(self, partition: int) -> tuple[int, int]:
        """`partition`'s low and high watermarks. A topic created moments ago may not have its
        leader yet (NOT_LEADER_FOR_PARTITION, seen under load): that is asked again until
        `_TIMEOUT_S` has passed, rather than failing the whole run for a passing state."""
        deadline = time.monotonic() + _TIMEOUT_S
        while True:
            try:
                low, high = self._consumer.get_watermark_offsets(
                    TopicPartition(self._topic, partition), timeout=_TIMEOUT_S
                )
                return int(low), int(high)
            except KafkaException as exc:
                error = exc.args[0]
                if error.code() not in _LEADER_MOVING or time.monotonic() > deadline:
                    raise
                time.sleep(_LEADER_RETRY_S)

    def _seek(self, partition: int, low: int, high: int) -> int:
        """Where a first read of `partition` starts: by time when known, else the beginning."""
        if self.spec.wall_from is None:
            return low
        at_ms = int((self.spec.wall_from.timestamp() - self.spec.seek_slack_s) * 1000)
        (found,) = self._consumer.offsets_for_times(
            [TopicPartition(self._topic, partition, at_ms)], timeout=_TIMEOUT_S
        )
        return high if found.offset < 0 else found.offset

    def _take(self, msg: KafkaMessage) -> RangeItem | None:
        error = msg.error()
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                return None
            raise TransientError(f"reading the segments topic failed: {error}")
        partition, offset = msg.partition() or 0, msg.offset() or 0
        if partition not in self._ends:
            return None
        self._positions[partition] = offset + 1
        if offset + 1 >= self._ends[partition]:
            self._finish(partition)
        message = self._decode_if_ours(msg)
        if message is None:
            return None
        self._only(partition)
        segment: SegmentReady = message.payload
        if self.spec.past(segment.media_start):
            # Not committed past: a wider request of the same run (a growing backfill) resumes
            # here and may hold this segment.
            self._positions[partition] = offset
            self._finish(partition)
            return None
        if not self.spec.contains(segment.media_start):
            return None
        self._positions[partition] = offset  # committed past only once handled
        self._outstanding.setdefault(partition, set()).add(offset)
        return RangeItem(segment, message.event_id, partition, offset, msg)

    def _decode_if_ours(self, msg: KafkaMessage) -> Message[SegmentReady] | None:
        """The record's SegmentReady when it is of this range's stream (else None)."""
        key = msg.key()
        if key is None or key.decode(errors="replace") != self.spec.stream_id:
            return None
        try:
            return decode(msg.value() or b"", SegmentReady)
        except PermanentError as exc:
            # The live consumer dead-lettered this record already; a replay skips it.
            self._log.warning("replay.segment_skipped", offset=msg.offset(), reason=exc.reason)
            return None

    def _only(self, partition: int) -> None:
        """The stream lives on `partition`: stop reading the others."""
        others = [p for p in self._ends if p != partition]
        for p in others:
            self._finish(p)

    def _finish(self, partition: int) -> None:
        """Stop reading `partition` (once: unassigning it twice is an error)."""
        if self._ends.pop(partition, None) is not None:
            self._consumer.incremental_unassign([TopicPartition(self._topic, partition)])
