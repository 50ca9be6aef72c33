"""The live shedding policy: stale segments are skipped into backfill ranges, fresh ones are
analysed, a stream is degraded while it sheds and returns to full rate by itself."""

from __future__ import annotations

from datetime import UTC, datetime

from sightline_analysis.shedding import LiveShedder
from sightline_common.messages import AnalysisMode, SegmentReady

T0 = 1_800_000_000.0  # epoch seconds: when the first segment was stored


def seg(sequence: int, stored_at: float, stream_id: str = "cam-1") -> SegmentReady:
    return SegmentReady(
        stream_id=stream_id,
        sequence=sequence,
        bucket="seg",
        object_key=f"{stream_id}/{sequence}.ts",
        playlist_key=f"{stream_id}/index.m3u8",
        media_start=sequence * 2.0,
        duration=2.0,
        wall_clock=datetime.fromtimestamp(stored_at, UTC),
        size_bytes=1,
        sha256="0" * 64,
    )


def test_fresh_segments_are_analysed_at_full_rate() -> None:
    shedder = LiveShedder(max_lag_s=4)
    for n in range(5):
        verdict = shedder.take(seg(n, T0 + 2 * n), now=T0 + 2 * n + 1.5)
        assert verdict.analyse
        assert verdict.mode is AnalysisMode.full
        assert verdict.lag_s == 1.5
        assert verdict.shed_before == 0
        assert verdict.backfill is None
    assert not shedder.degraded("cam-1")
    assert shedder.shed_ratio(T0 + 10) == 0


def test_stale_segments_are_skipped_into_one_range_handed_over_at_every_skip() -> None:
    shedder = LiveShedder(max_lag_s=4)
    assert shedder.take(seg(0, T0), now=T0 + 1).analyse
    # The detector fell behind: segments 1..3 are older than the bound when it gets to them.
    handed = []
    for n in (1, 2, 3):
        verdict = shedder.take(seg(n, T0 + 2 * n), now=T0 + 2 * n + 5)
        assert not verdict.analyse
        assert verdict.backfill is not None
        handed.append(verdict.backfill)
    assert [(r.first_sequence, r.last_sequence, r.segments) for r in handed] == [
        (1, 1, 1),
        (1, 2, 2),
        (1, 3, 3),
    ]
    assert {r.run_id("logo") for r in handed} == {"backfill-logo-cam-1-1"}
    # Media range: from the first skipped segment's start to inside the last one, so the next
    # (live-analysed) segment at 8.0 is never part of it.
    assert (handed[-1].media_from, handed[-1].media_to) == (2.0, 7.0)
    assert handed[-1].wall_from == datetime.fromtimestamp(T0 + 2, UTC)
    assert shedder.degraded("cam-1")
    verdict = shedder.take(seg(4, T0 + 8), now=T0 + 9)
    assert verdict.analyse
    assert verdict.mode is AnalysisMode.degraded
    assert verdict.shed_before == 3
    assert verdict.backfill is None
    # The next skip starts another run.
    later = shedder.take(seg(5, T0 + 10), now=T0 + 20).backfill
    assert later is not None
    assert later.run_id("logo") == "backfill-logo-cam-1-5"


def test_a_degraded_stream_returns_to_full_rate_once_its_lag_is_under_half_the_bound() -> None:
    shedder = LiveShedder(max_lag_s=4)
    shedder.take(seg(0, T0), now=T0 + 6)  # skipped
    assert shedder.take(seg(1, T0 + 2), now=T0 + 5.5).mode is AnalysisMode.degraded
    assert shedder.take(seg(2, T0 + 4), now=T0 + 7).mode is AnalysisMode.degraded  # lag 3 > 2
    assert shedder.take(seg(3, T0 + 6), now=T0 + 7).mode is AnalysisMode.full  # lag 1
    assert not shedder.degraded("cam-1")


def test_a_long_range_is_handed_over_in_bounded_runs() -> None:
    shedder = LiveShedder(max_lag_s=4, max_range_segments=3)
    runs: dict[str, tuple[int, int]] = {}
    for n in range(7):
        handed = shedder.take(seg(n, T0), now=T0 + 100).backfill
        assert handed is not None
        runs[handed.run_id("logo")] = (handed.first_sequence, handed.last_sequence)
    assert sorted(runs.values()) == [(0, 2), (3, 5), (6, 6)]


def test_streams_shed_independently_and_forget_drops_only_the_named_ones() -> None:
    shedder = LiveShedder(max_lag_s=4)
    shedder.take(seg(0, T0, "a"), now=T0 + 10)
    assert shedder.take(seg(0, T0 + 9, "b"), now=T0 + 10).mode is AnalysisMode.full
    shedder.take(seg(0, T0, "c"), now=T0 + 10)
    shedder.forget(["a"])
    assert not shedder.degraded("a")
    assert shedder.degraded("c")


def test_a_zero_bound_never_sheds() -> None:
    shedder = LiveShedder(max_lag_s=0)
    verdict = shedder.take(seg(0, T0), now=T0 + 3600)
    assert verdict.analyse
    assert verdict.mode is AnalysisMode.full


def test_the_shed_ratio_covers_the_last_window() -> None:
    shedder = LiveShedder(max_lag_s=4, window_s=60)
    shedder.take(seg(0, T0), now=T0 + 10)  # shed
    shedder.take(seg(1, T0 + 9), now=T0 + 10)  # analysed
    shedder.take(seg(2, T0 + 9), now=T0 + 11)  # analysed
    shedder.take(seg(3, T0 + 9), now=T0 + 11)  # analysed
    assert shedder.shed_ratio(T0 + 12) == 0.25
    assert shedder.shed_ratio(T0 + 70.5) == 0.0  # the skip at T0+10 left the window


def test_a_stale_segment_with_nothing_newer_waiting_is_analysed_not_shed() -> None:
    shedder = LiveShedder(max_lag_s=4)
    assert shedder.take(seg(0, T0), now=T0 + 1).analyse
    # Segment 1 is 9 s old, but it is the stream's latest (its publisher stopped): analysing it
    # is the freshest result there will be, so it is not handed to a backfill.
    verdict = shedder.take(seg(1, T0 + 2), now=T0 + 11, newer_waiting=False)
    assert verdict.analyse
    assert verdict.backfill is None
    assert verdict.lag_s == 9
    # With segment 2 already published behind it, the same age is shed.
    shed = shedder.take(seg(1, T0 + 2), now=T0 + 11, newer_waiting=True)
    assert not shed.analyse
    assert shed.backfill is not None


def test_a_degraded_stream_yields_a_fresh_segment_to_a_stream_that_waited_longer() -> None:
    """A partition's segments are taken in order: under overload its first fresh segment took
    every turn. A degraded stream's fresh segment is skipped when another stream of the
    partition waited longer (the handler says so), never a fully analysed stream's, never a
    stream's latest."""
    shedder = LiveShedder(max_lag_s=4)
    fresh = seg(1, T0)
    assert not shedder.sheds(fresh, T0 + 1, another_waited_longer=True)  # not degraded
    assert not shedder.take(seg(0, T0 - 10), T0 + 1).analyse  # stale: the stream degrades
    assert shedder.sheds(fresh, T0 + 1, another_waited_longer=True)
    assert not shedder.sheds(fresh, T0 + 1, newer_waiting=False, another_waited_longer=True)
    assert not shedder.sheds(fresh, T0 + 1, another_waited_longer=False)
    verdict = shedder.take(fresh, T0 + 1, another_waited_longer=True)
    assert (verdict.analyse, verdict.shed_before, verdict.mode) == (
        False,
        2,
        AnalysisMode.degraded,
    )
    assert verdict.backfill is not None
    assert (verdict.backfill.first_sequence, verdict.backfill.last_sequence) == (0, 1)
