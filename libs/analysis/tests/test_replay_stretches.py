"""Which segments a replay analyses under which state, and in which order (`Stretches`)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import UTC, datetime

import pytest

from sightline_analysis.replay.segment_range import RangeItem
from sightline_analysis.replay.stretches import Stretches
from sightline_common.errors import CorruptMediaError
from sightline_common.messages import SegmentReady


class Recorder:
    """Analyses by recording (state key, sequence) in the order each key saw them; the
    sequences in `corrupt` cannot be analysed."""

    def __init__(self, corrupt: frozenset[int] = frozenset()) -> None:
        self.seen: dict[str, list[int]] = defaultdict(list)
        self.forgotten: list[str] = []
        self.corrupt = corrupt
        self.running: set[str] = set()
        self.overlapped = False
        self._lock = threading.Lock()

    def analyse(self, item: RangeItem, key: str) -> int:
        sequence = item.segment.sequence
        with self._lock:
            self.overlapped |= key in self.running
            self.running.add(key)
        try:
            time.sleep(0.002)  # long enough for the other workers' analyses to run meanwhile
            if sequence in self.corrupt:
                raise CorruptMediaError(f"segment {sequence} is not video")
            with self._lock:
                self.seen[key].append(sequence)
            return sequence
        finally:
            with self._lock:
                self.running.discard(key)

    def forget(self, key: str) -> None:
        self.forgotten.append(key)


def item(sequence: int) -> RangeItem:
    ready = SegmentReady(
        stream_id="cam-1",
        sequence=sequence,
        bucket="seg",
        object_key=f"{sequence}.ts",
        playlist_key="cam-1/index.m3u8",
        media_start=2.0 * sequence,
        duration=2.0,
        wall_clock=datetime.now(UTC),
        size_bytes=1,
        sha256="0" * 64,
    )
    return RangeItem(ready, None)


def run(recorder: Recorder, sequences: list[int], workers: int, segments: int) -> list[int]:
    stretches = Stretches("cam-1", workers, segments, recorder.analyse, recorder.forget)
    futures = [stretches.submit(item(s)) for s in sequences]
    answered = [future.result() for future in futures if future.exception() is None]
    stretches.close(cancel=False)
    return answered


def test_each_stretch_is_analysed_in_order_after_the_end_of_the_one_before() -> None:
    recorder = Recorder()
    answered = run(recorder, list(range(3, 11)), workers=2, segments=4)
    assert answered == list(range(3, 11))
    # Sequences 3..10 in stretches of 4: the run starts in stretch 0 (cold), stretch 1 first
    # analyses 2 of stretch 0's segments again, stretch 2 those of stretch 1.
    assert recorder.seen == {
        "cam-1/stretch-0": [3],
        "cam-1/stretch-1": [3, 4, 5, 6, 7],
        "cam-1/stretch-2": [6, 7, 8, 9, 10],
    }
    assert not recorder.overlapped
    assert sorted(recorder.forgotten) == [f"cam-1/stretch-{k}" for k in range(3)]


def test_a_stretch_after_a_gap_starts_cold() -> None:
    recorder = Recorder()
    run(recorder, [0, 1, 2, 9, 10, 11, 12], workers=2, segments=3)
    assert recorder.seen == {
        "cam-1/stretch-0": [0, 1, 2],
        "cam-1/stretch-3": [9, 10, 11],
        "cam-1/stretch-4": [10, 11, 12],
    }


def test_without_stretches_the_run_goes_in_order_under_one_state() -> None:
    recorder = Recorder()
    run(recorder, list(range(7)), workers=3, segments=0)
    assert recorder.seen == {"cam-1/stretch-0": list(range(7))}


def test_a_segment_that_cannot_be_analysed_fails_alone_and_a_warm_up_goes_past_it() -> None:
    recorder = Recorder(corrupt=frozenset({3}))
    answered = run(recorder, list(range(6)), workers=2, segments=4)
    assert answered == [0, 1, 2, 4, 5]
    assert recorder.seen["cam-1/stretch-1"] == [2, 4, 5]


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_every_worker_count_gives_the_same_analyses(workers: int) -> None:
    recorder = Recorder()
    run(recorder, list(range(20)), workers=workers, segments=5)
    assert recorder.seen == {
        "cam-1/stretch-0": [0, 1, 2, 3, 4],
        "cam-1/stretch-1": [3, 4, 5, 6, 7, 8, 9],
        "cam-1/stretch-2": [8, 9, 10, 11, 12, 13, 14],
        "cam-1/stretch-3": [13, 14, 15, 16, 17, 18, 19],
    }
    assert not recorder.overlapped
