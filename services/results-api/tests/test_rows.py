"""Detection messages become one row per result item, numbered in message order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sightline_common.messages import Detection, Envelope, FrameResult
from sightline_results_api.rows import DETECTION_COLUMNS, detection_rows


def test_one_row_per_item_with_its_index_and_frame_span(
    detection_factory: Callable[..., Envelope],
) -> None:
    envelope = detection_factory("s1", 3, labels=("acme", "globex"), frames=4, duration=2.0)
    detection = Detection.model_validate(envelope.payload)
    rows = detection_rows(str(envelope.event_id), datetime.now(UTC), detection)

    assert len(rows) == 8
    as_dicts = [dict(zip(DETECTION_COLUMNS, row, strict=True)) for row in rows]
    assert [r["item_index"] for r in as_dicts] == list(range(8))
    assert {r["frame_span"] for r in as_dicts} == {0.5}
    assert as_dicts[0]["media_ts"] == 6.0
    assert as_dicts[1]["label"] == "globex"
    assert as_dicts[0]["executor_kind"] == "local"
    assert as_dicts[0]["segment_sequence"] == 3


def test_earlier_frames_are_rows_of_the_previous_segment_after_the_segments_own(
    detection_factory: Callable[..., Envelope],
) -> None:
    envelope = detection_factory("s1", 3, labels=("acme",), frames=4, duration=2.0)
    detection = Detection.model_validate(envelope.payload)
    late = FrameResult(media_ts=5.5, results=[detection.frames[0].results[0]])
    detection = detection.model_copy(update={"earlier_frames": [late]})
    rows = detection_rows(str(envelope.event_id), datetime.now(UTC), detection)
    as_dicts = [dict(zip(DETECTION_COLUMNS, row, strict=True)) for row in rows]
    assert [(r["item_index"], r["segment_sequence"], r["media_ts"]) for r in as_dicts] == [
        (0, 3, 6.0), (1, 3, 6.5), (2, 3, 7.0), (3, 3, 7.5), (4, 2, 5.5)]  # fmt: skip
    assert {r["frame_span"] for r in as_dicts} == {0.5}
