"""The engine: a segment in, a Detection out, with stream times and a deterministic id."""

from __future__ import annotations

import pytest

from sightline_analysis.engine import AnalysisEngine, detection_event_id
from sightline_common.errors import CorruptMediaError, MissingObjectError
from sightline_common.messages import AnalysisPolicy, ExecutorKind

from .conftest import segment


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
