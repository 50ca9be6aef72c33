"""Brand exposure math: screen time, share of voice, prominence, windows."""

from __future__ import annotations

import pytest

from sightline_results_api.exposure import BrandFrame, summarize, windows


def _frames(
    brand: str, times: list[float], area: float | None = 0.1, span: float = 0.5
) -> list[BrandFrame]:
    return [BrandFrame(brand, t, span, area) for t in times]


def test_screen_time_is_the_time_the_brands_frames_stand_for() -> None:
    [acme] = summarize(_frames("acme", [0.0, 0.5, 1.0, 1.5]))
    assert acme.screen_time == pytest.approx(2.0)
    assert acme.frames == 4
    assert acme.share_of_voice == pytest.approx(1.0)


def test_share_of_voice_divides_screen_time_between_brands() -> None:
    result = summarize(_frames("acme", [0.0, 0.5, 1.0]) + _frames("globex", [0.0]))
    assert [b.brand for b in result] == ["acme", "globex"]
    assert result[0].share_of_voice == pytest.approx(0.75)
    assert result[1].share_of_voice == pytest.approx(0.25)
    assert sum(b.share_of_voice for b in result) == pytest.approx(1.0)


def test_prominence_is_the_time_weighted_mean_area() -> None:
    frames = [
        BrandFrame("acme", 0.0, 1.0, 0.2),
        BrandFrame("acme", 1.0, 3.0, 0.1),
        BrandFrame("acme", 4.0, 1.0, None),
    ]
    [acme] = summarize(frames)
    assert acme.prominence == pytest.approx((0.2 + 0.3 + 0.0) / 5.0)


def test_nothing_on_screen_gives_no_brands() -> None:
    assert summarize([]) == []


def test_windows_split_the_range_and_keep_empty_windows() -> None:
    frames = _frames("acme", [0.0, 1.0, 9.5]) + _frames("globex", [1.5])
    result = windows(frames, 0.0, 10.0, 4.0)
    assert [(w.start, w.end) for w in result] == [(0.0, 4.0), (4.0, 8.0), (8.0, 10.0)]
    first, empty, last = result
    assert {b.brand: b.frames for b in first.brands} == {"acme": 2, "globex": 1}
    assert empty.brands == []
    assert [b.brand for b in last.brands] == ["acme"]


def test_frames_outside_the_range_are_ignored() -> None:
    result = windows(_frames("acme", [5.0, 20.0]), 10.0, 15.0, 5.0)
    assert result[0].brands == []


def test_a_non_positive_window_is_refused() -> None:
    with pytest.raises(ValueError, match="window"):
        windows([], 0.0, 1.0, 0.0)
