"""Run progress and run diffs (pure)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sightline_results_api.reanalysis import measure
from sightline_results_api.run_diff import diff_runs


def test_a_run_moves_from_requested_through_running_to_done() -> None:
    assert measure("requested", 10, 0, 20.0, 5.0).status == "requested"
    running = measure("requested", 10, 4, 20.0, 2.0)
    assert running.status == "running"
    assert running.progress == pytest.approx(0.4)
    assert running.rate == pytest.approx(4.0)  # 8 media seconds in 2 s
    assert running.eta_s == pytest.approx(3.0)  # 12 media seconds left at 4x
    done = measure("requested", 10, 10, 20.0, 4.0)
    assert (done.status, done.progress, done.eta_s) == ("done", 1.0, 0.0)


def test_a_cancelled_run_stays_cancelled_and_an_empty_range_is_done() -> None:
    assert measure("cancelled", 10, 3, 20.0, 1.0).status == "cancelled"
    assert measure("requested", 0, 0, 20.0, 1.0).status == "done"


@dataclass(frozen=True)
class Row:
    segment_sequence: int
    media_ts: float
    kind: str
    label: str
    confidence: float
    box_x: float | None = 0.1
    box_y: float | None = 0.1
    box_w: float | None = 0.2
    box_h: float | None = 0.2


def test_diff_finds_added_removed_and_changed_detections() -> None:
    live = [
        Row(0, 0.0, "logo", "acme", 0.9),
        Row(0, 0.0, "logo", "globex", 0.8),
        Row(1, 2.0, "logo", "acme", 0.7),
    ]
    rerun = [
        Row(0, 0.0, "logo", "acme", 0.9),  # same
        Row(0, 0.0, "logo", "globex", 0.6),  # confidence moved
        Row(1, 2.0, "logo", "initech", 0.7),  # new brand found
    ]
    diff = diff_runs(rerun, live)
    assert [r.label for r in diff.added] == ["initech"]
    assert [r.label for r in diff.removed] == ["acme"]
    assert [(a.confidence, b.confidence) for a, b in diff.changed] == [(0.8, 0.6)]


def test_several_of_one_label_in_a_frame_are_matched_in_order() -> None:
    live = [Row(0, 0.0, "logo", "acme", 0.9), Row(0, 0.0, "logo", "acme", 0.5)]
    rerun = [Row(0, 0.0, "logo", "acme", 0.9), Row(0, 0.0, "logo", "acme", 0.5, box_x=0.6)]
    diff = diff_runs(rerun, live)
    assert diff.added == []
    assert diff.removed == []
    assert len(diff.changed) == 1
