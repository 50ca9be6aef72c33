"""The engine: a segment in, a Detection out, with stream times and a deterministic id."""

from __future__ import annotations

import pytest

from sightline_analysis.analyzers import AnalyzerSet
from sightline_analysis.engine import AnalysisEngine, DetectorIdentity, detection_event_id
from sightline_analysis.executors import ExecutorRouter, build_executor
from sightline_common.errors import CorruptMediaError, MissingObjectError
from sightline_common.messages import AnalysisPolicy, ExecutorKind

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
