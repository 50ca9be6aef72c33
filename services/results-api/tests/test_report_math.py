"""Exposure report math: appearances merge across sampled frames, short ones are not counted,
each quality factor moves the index the right way, and value = rate card x weighted seconds."""

from __future__ import annotations

import dataclasses

import pytest

from sightline_results_api.report import quality
from sightline_results_api.report.assemble import (
    CountingRules,
    MixedCurrencyError,
    brand_summaries,
    currency,
    exposures,
    window_summaries,
)
from sightline_results_api.report.exposures import Sighting, counted, merge, with_clutter
from sightline_results_api.report.value import Rate, price

RULES = CountingRules(gap_s=1.0, min_duration_s=1.0)


def sighting(
    ts: float,
    brand: str = "acme",
    *,
    span: float = 0.5,
    confidence: float = 0.8,
    box: tuple[float, float, float, float] = (0.4, 0.4, 0.2, 0.2),
    stream: str = "s1",
) -> Sighting:
    x, y, w, h = box
    return Sighting(stream, brand, ts, span, confidence, x, y, w, h, 0, f"e{ts}", 0)


def run(times: list[float], **kw: object) -> list[Sighting]:
    return [sighting(t, **kw) for t in times]  # type: ignore[arg-type]


def test_consecutive_sampled_frames_are_one_exposure():
    [one] = merge(run([0.0, 0.5, 1.0, 1.5, 2.0]), gap_s=1.0)
    assert (one.start, one.end, one.duration) == (0.0, 2.5, 2.5)
    assert len(one.sightings) == 5


def test_a_missed_frame_within_the_gap_tolerance_does_not_split_the_exposure():
    [one] = merge(run([0.0, 0.5, 1.5, 2.0]), gap_s=1.0)  # 1.0 missed: a 0.5-s hole
    assert one.duration == pytest.approx(2.5)


def test_a_hole_longer_than_the_tolerance_starts_a_new_exposure():
    first, second = merge(run([0.0, 0.5, 4.0, 4.5]), gap_s=1.0)
    assert (first.start, first.end) == (0.0, 1.0)
    assert (second.start, second.end) == (4.0, 5.0)


def test_brands_and_streams_are_merged_separately():
    found = merge(
        run([0.0, 0.5]) + run([0.0, 0.5], brand="globex") + run([0.0], stream="s2"), gap_s=1.0
    )
    assert sorted((a.stream_id, a.brand, len(a.sightings)) for a in found) == [
        ("s1", "acme", 2),
        ("s1", "globex", 2),
        ("s2", "acme", 1),
    ]


def test_two_detections_of_a_brand_in_one_frame_count_once():
    [one] = merge([sighting(0.0), sighting(0.0, box=(0.1, 0.1, 0.3, 0.3))], gap_s=1.0)
    assert len(one.sightings) == 1
    assert one.sightings[0].box_w == 0.3


def test_an_exposure_shorter_than_the_minimum_is_not_counted():
    short, long = merge(run([0.0]) + run([5.0, 5.5]), gap_s=1.0)
    assert short.duration == 0.5
    assert not counted(short, 1.0)
    assert counted(long, 1.0)  # exactly 1.0 s counts
    items = exposures(run([0.0]) + run([5.0, 5.5]), RULES, {})
    [acme] = brand_summaries(items)
    assert (acme.exposures, acme.seconds, acme.short, acme.short_seconds) == (1, 1.0, 1, 0.5)


def test_clutter_counts_the_other_brands_in_the_same_frame():
    found = with_clutter(run([0.0, 0.5]) + run([0.0], brand="globex") + run([0.0], brand="x"))
    by = {(s.brand, s.media_ts): s.others for s in found}
    assert by == {("acme", 0.0): 2, ("acme", 0.5): 0, ("globex", 0.0): 2, ("x", 0.0): 2}


def _index(sightings: list[Sighting], duration: float = 2.0) -> float:
    return quality.index(quality.factors(sightings, duration), quality.QualityWeights())


BASE = run([0.0, 0.5, 1.0, 1.5])


def _changed(**fields: object) -> list[Sighting]:
    return [dataclasses.replace(s, **fields) for s in BASE]  # type: ignore[arg-type]


def test_a_larger_logo_scores_higher():
    assert _index(_changed(box_x=0.3, box_y=0.3, box_w=0.4, box_h=0.4)) > _index(BASE)
    assert _index(_changed(box_x=0.45, box_y=0.45, box_w=0.1, box_h=0.1)) < _index(BASE)


def test_a_clearer_logo_scores_higher():
    assert _index(_changed(confidence=0.95)) > _index(BASE)
    assert _index(_changed(confidence=0.4)) < _index(BASE)


def test_a_central_logo_scores_higher_than_one_near_the_edge():
    assert _index(_changed(box_x=0.7, box_y=0.1)) < _index(BASE)


def test_a_logo_cut_by_the_frame_edge_scores_lower():
    inside = _changed(box_x=0.79, box_y=0.4)
    cut = _changed(box_x=0.8, box_y=0.4)  # right edge at 1.0
    assert quality.factors(cut, 2.0).visibility == 0.0
    assert quality.factors(inside, 2.0).visibility == 1.0
    assert _index(cut) < _index(inside)


def test_a_solus_logo_scores_higher_than_a_cluttered_one():
    assert _index(_changed(others=2)) < _index(_changed(others=1)) < _index(BASE)


def test_a_longer_exposure_scores_higher_up_to_the_cap():
    assert _index(BASE, 1.0) < _index(BASE, 3.0) < _index(BASE, 5.0) == _index(BASE, 60.0)


def test_the_index_is_in_0_1_and_1_for_a_perfect_exposure():
    perfect = _changed(box_x=0.25, box_y=0.25, box_w=0.5, box_h=0.5, confidence=1.0)
    assert _index(perfect, 10.0) == pytest.approx(1.0)
    worst = _changed(box_x=0.0, box_y=0.0, box_w=0.0, box_h=0.0, confidence=0.0, others=9)
    assert 0.0 <= _index(worst, 0.0) < 0.1


def test_weights_choose_what_the_index_is_made_of():
    f = quality.factors(_changed(confidence=0.3), 5.0)
    only_clarity = quality.QualityWeights(
        size=0, clarity=1, position=0, visibility=0, solus=0, duration=0
    )
    assert quality.index(f, only_clarity) == pytest.approx(0.3)
    assert quality.index(f.as_dict(), only_clarity) == pytest.approx(0.3)  # recomputed
    with pytest.raises(ValueError, match="positive"):
        quality.QualityWeights(size=0, clarity=0, position=0, visibility=0, solus=0, duration=0)


def test_value_is_the_rate_card_times_quality_weighted_seconds():
    rate = Rate("EUR", cost_per_30s=3000.0, audience=200_000, cpm=20.0)
    value = price(15.0, 0.5, rate)
    assert value.full == pytest.approx(1500.0)
    assert value.quality == pytest.approx(750.0)
    assert value.audience == pytest.approx(200 * 20.0 * 7.5 / 30)
    assert price(15.0, 0.5, None).full is None


def test_brand_value_sums_its_exposures_and_share_of_voice_splits_seconds():
    rates = {"s1": Rate("EUR", 300.0)}
    items = exposures(run([0.0, 0.5, 1.0, 1.5]) + run([0.0, 0.5], brand="globex"), RULES, rates)
    acme, globex = brand_summaries(items)
    assert (acme.brand, acme.seconds, globex.seconds) == ("acme", 2.0, 1.0)
    assert acme.share_of_voice == pytest.approx(2 / 3, abs=1e-4)
    assert acme.value.full == pytest.approx(2.0 * 10)
    assert acme.value.quality == pytest.approx(acme.quality_seconds * 10, abs=0.01)
    assert acme.mean_quality == pytest.approx(acme.quality_seconds / acme.seconds, abs=1e-3)


def test_windows_count_an_exposure_where_it_starts():
    items = exposures(run([0.0, 0.5, 1.0]) + run([12.0, 12.5]), RULES, {})
    first, second = window_summaries(items, 0.0, 20.0, 10.0, limit=100)
    assert [b.seconds for b in first.brands] == [1.5]
    assert [b.seconds for b in second.brands] == [1.0]
    with pytest.raises(ValueError, match="window too small"):
        window_summaries(items, 0.0, 20.0, 0.1, limit=100)


def test_streams_priced_in_different_currencies_cannot_share_a_report():
    rates = {"a": Rate("EUR", 1.0), "b": Rate("USD", 1.0)}
    assert currency(rates, ["a", "c"]) == "EUR"
    assert currency(rates, ["c"]) is None
    with pytest.raises(MixedCurrencyError):
        currency(rates, ["a", "b"])
