"""The engine: a segment in, a Detection out, with stream times and a deterministic id."""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from sightline_analysis.analyzers import AnalyzerSet
from sightline_analysis.engine import AnalysisEngine, DetectorIdentity, detection_event_id
from sightline_analysis.executors import ExecutorRouter, build_executor
from sightline_analysis.frames import Frame
from sightline_common.errors import CorruptMediaError, MissingObjectError
from sightline_common.messages import AnalysisPolicy, Detection, ExecutorKind, ResultItem

from .conftest import FoundLate, Memory, segment


def test_a_segment_becomes_one_detection_in_stream_time(engine: AnalysisEngine) -> None:
    detection = engine.analyse(segment("logo.ts"), AnalysisPolicy.model_validate({}), "live", "e1")
    assert detection.executor.kind is ExecutorKind.local
    assert detection.segment.segment_event_id == "e1"
    assert len(detection.frames) == 4
    assert detection.frames[0].media_ts == 14.0
    assert all(14.0 <= f.media_ts < 16.0 for f in detection.frames)
    for frame in detection.frames:
        (logo,) = frame.results
        assert logo.label == "acme"
        assert logo.box is not None
        assert 0.3 < logo.box.x + logo.box.w / 2 < 0.7
        assert logo.area_share is not None
        assert logo.area_share > 0
    assert detection.timings.total_ms >= detection.timings.analyze_ms > 0


def test_a_segment_cut_off_the_grid_is_sampled_on_the_streams_grid(logo_segment: bytes) -> None:
    # A segment starting 14.2 s into its stream (cut at a scene-cut keyframe) takes the
    # stream's 0.5-s slots 14.5 ... 16.0, not its own 14.2 ... 15.7 (see `sample_slots`).
    detection = _late_engine(logo_segment).analyse(
        segment("logo.ts", media_start=14.2), AnalysisPolicy.model_validate({})
    )
    media_ts = [f.media_ts for f in detection.frames]
    assert [math.floor(ts / 0.5) for ts in media_ts] == [29, 30, 31, 32]
    assert all(ts % 0.5 < 0.2 for ts in media_ts)


def test_reprocessing_gives_the_same_event_id(engine: AnalysisEngine) -> None:
    first = detection_event_id(engine.detector, "live", "cam-1", 7)
    assert first == detection_event_id(engine.detector, "live", "cam-1", 7)
    assert first != detection_event_id(engine.detector, "live", "cam-1", 8)
    assert first != detection_event_id(engine.detector, "run-2", "cam-1", 7)


def test_a_missing_or_corrupt_segment_is_a_permanent_error(engine: AnalysisEngine) -> None:
    policy = AnalysisPolicy.model_validate({})
    with pytest.raises(MissingObjectError):
        engine.analyse(segment("gone.ts"), policy)
    with pytest.raises(CorruptMediaError):
        engine.analyse(segment("bad.ts"), policy)


def _late_engine(logo_segment: bytes) -> AnalysisEngine:
    analyzers = AnalyzerSet([FoundLate()])
    router = ExecutorRouter(
        "logo", {ExecutorKind.local: build_executor({"type": "local"}, analyzers)}
    )
    store = Memory({("seg", "logo.ts"): logo_segment})
    return AnalysisEngine(DetectorIdentity("logo", "0.1.0", "h"), router, store)


def test_late_results_go_on_the_previous_segments_frames_when_it_was_analysed_just_before(
    logo_segment: bytes,
) -> None:
    engine = _late_engine(logo_segment)
    policy = AnalysisPolicy.model_validate({})
    first = engine.analyse(segment("logo.ts", sequence=7, media_start=14.0), policy)
    assert first.earlier_frames == []
    second = engine.analyse(segment("logo.ts", sequence=8, media_start=16.0), policy)
    last_two = [f.media_ts for f in first.frames[-2:]]
    assert [f.media_ts for f in second.earlier_frames] == last_two
    assert [[(r.label, r.confidence) for r in f.results] for f in second.earlier_frames] == [
        [("acme", 0.7)], [("acme", 0.6)]]  # fmt: skip
    assert len(second.frames) == len(first.frames)
    skipped = engine.analyse(segment("logo.ts", sequence=10, media_start=20.0), policy)
    assert skipped.earlier_frames == []  # segment 9 was not analysed here
    other_run = engine.analyse(segment("logo.ts", sequence=11, media_start=22.0), policy, "run-2")
    assert other_run.earlier_frames == []  # 10 was the live run's
    again = engine.analyse(segment("logo.ts", sequence=11, media_start=22.0), policy, "run-2")
    assert again.earlier_frames == []  # a retry: the analyzer's previous call was 11 itself


class _Held(FoundLate):
    """`FoundLate` whose second call (`second` set) returns only once a third has started
    beside it, and the third only once the second's analysis is done (`done`)."""

    def __init__(self) -> None:
        super().__init__()
        self.second, self.third, self.done = threading.Event(), threading.Event(), threading.Event()

    def analyze(self, stream_id: str, frames: Sequence[Frame]) -> list[list[ResultItem]]:
        out = super().analyze(stream_id, frames)
        if self.calls[stream_id] == 2:
            self.second.set()
            assert self.third.wait(30)
        elif self.calls[stream_id] == 3:
            self.third.set()
            assert self.done.wait(30)
        return out


def test_late_results_are_dropped_when_analyses_of_the_stream_ran_side_by_side(
    logo_segment: bytes,
) -> None:
    held = _Held()
    analyzers = AnalyzerSet([held])
    router = ExecutorRouter(
        "logo", {ExecutorKind.local: build_executor({"type": "local"}, analyzers)}
    )
    store = Memory({("seg", "logo.ts"): logo_segment})
    engine = AnalysisEngine(DetectorIdentity("logo", "0.1.0", "h"), router, store)
    policy = AnalysisPolicy.model_validate({})

    def analyse(sequence: int) -> Detection:
        return engine.analyse(segment("logo.ts", sequence, 2.0 * sequence), policy)

    analyse(7)
    with ThreadPoolExecutor(2) as pool:
        eighth = pool.submit(analyse, 8)
        assert held.second.wait(30)
        ninth = pool.submit(analyse, 9)
        assert eighth.result(60).earlier_frames == []  # 9 ran beside it
        held.done.set()
        # 9 follows 8, which was recorded before 9 ended: only running beside it rules it out
        assert ninth.result(60).earlier_frames == []
    assert analyse(10).earlier_frames == []  # 9 was not analysed alone
    assert len(analyse(11).earlier_frames) == 2
