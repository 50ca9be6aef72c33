"""A free thread takes the stream served least recently, whichever partition holds it."""

from __future__ import annotations

from dataclasses import dataclass

from sightline_common.kafka.turns import Turns


@dataclass(frozen=True)
class Msg:
    """A consumed message as the turns see it."""

    part: int
    stream: str | None

    def key(self) -> bytes | None:
        return None if self.stream is None else self.stream.encode()

    def topic(self) -> str:
        return "segments"

    def partition(self) -> int:
        return self.part


def take_turns(turns: Turns, queues: dict[int, list[Msg]], count: int) -> list[str | None]:
    """One free thread, `count` times: the partition chosen among the queues' heads."""
    taken: list[str | None] = []
    for _ in range(count):
        heads = {("segments", part): queue[0] for part, queue in queues.items() if queue}
        (part, *_) = turns.order(heads)
        msg = queues[part[1]].pop(0)
        turns.took(msg)
        taken.append(msg.stream)
    return taken


def test_streams_sharing_a_partition_get_as_many_turns_as_a_stream_alone() -> None:
    shared = [Msg(0, s) for _ in range(10) for s in ("a", "b", "c")]
    queues = {0: shared, 1: [Msg(1, "d")] * 10, 2: [Msg(2, "e")] * 10}
    taken = take_turns(Turns(), queues, 25)
    counts = {s: taken.count(s) for s in "abcde"}
    assert counts == dict.fromkeys("abcde", 5), taken  # per partition: a/b/c 3 in all, d/e 8+


def test_unkeyed_messages_take_turns_by_partition() -> None:
    queues = {0: [Msg(0, None)] * 6, 1: [Msg(1, None)] * 6}
    turns = Turns()
    order = []
    for _ in range(6):
        heads = {("segments", p): q[0] for p, q in queues.items()}
        (first, *_) = turns.order(heads)
        turns.took(queues[first[1]].pop(0))
        order.append(first[1])
    assert order in ([0, 1] * 3, [1, 0] * 3)


def test_past_its_memory_the_least_recent_keys_are_forgotten_first() -> None:
    turns = Turns(remembered=4)
    for stream in "abcde":
        turns.took(Msg(0, stream))
    heads = {("segments", 0): Msg(0, "e"), ("segments", 1): Msg(1, "a")}
    # "a" was forgotten (counts as never taken): it comes before "e", taken last.
    assert turns.order(heads) == [("segments", 1), ("segments", 0)]
    kept = {("segments", 0): Msg(0, "e"), ("segments", 1): Msg(1, "d")}
    assert turns.order(kept) == [("segments", 1), ("segments", 0)]
