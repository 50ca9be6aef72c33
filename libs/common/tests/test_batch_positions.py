"""Which offsets may be committed after a partly handled batch (pure logic, no broker)."""

from __future__ import annotations

from dataclasses import dataclass

from sightline_common.kafka.consumer import _Batch


@dataclass
class FakeMessage:
    """Stands in for a confluent_kafka Message: only its position matters here."""

    t: str
    p: int
    o: int

    def topic(self) -> str:
        return self.t

    def partition(self) -> int:
        return self.p

    def offset(self) -> int:
        return self.o


def batch(*positions: tuple[str, int, int]) -> _Batch:
    return _Batch(messages=[FakeMessage(*pos) for pos in positions])  # type: ignore[misc]


def test_commit_stops_at_the_first_unfinished_message_of_each_partition() -> None:
    b = batch(("a", 0, 10), ("a", 0, 11), ("a", 1, 5), ("a", 0, 12), ("a", 1, 6))
    b.done.update({0, 2, 3})  # a[0]@11 is not done, so a[0]@12 must not be committed past it
    assert b.commit_positions() == {("a", 0): 11, ("a", 1): 6}
    assert b.first_unfinished() == {("a", 0): 11, ("a", 1): 6}


def test_all_done_commits_after_the_last_message() -> None:
    b = batch(("a", 0, 10), ("a", 0, 11))
    b.done.update({0, 1})
    assert b.commit_positions() == {("a", 0): 12}
    assert b.first_unfinished() == {}


def test_nothing_done_commits_nothing() -> None:
    assert batch(("a", 0, 3)).commit_positions() == {}
