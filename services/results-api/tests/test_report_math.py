"""Exposure report math: each quality factor moves the index the right way, short exposures
are not counted, and value = rate card x quality-weighted seconds. (Merging sightings into
exposures happens in Postgres: `test_report_api_integration.py`.)"""

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
from sightline_results_api.report.compare import compare_runs
from sightline_results_api.report.exposures import Measured, counted
from sightline_results_api.report.value import Rate, price

RULES = CountingRules(gap_s=1.0, min_duration_s=1.0)


def measured(
    start: float = 0.0, end: float = 2.0, brand: str = "acme", **fields: object
) -> Measured:
    base = Measured(
        stream_id="s1",
        brand=brand,
        start=start,
        end=end,
        sightings=4,
        mean_area=0.02,
        mean_confidence=0.7,
        mean_centre_distance=0.2,
        edge_share=0.0,
        mean_solus=1.0,
        best_event_id="e",
        best_item_index=0,
        best_media_ts=start,
        best_box=(0.4, 0.4, 0.2, 0.1),
    )
    return dataclasses.replace(base, **fields)  # type: ignore[arg-type]


def _index(m: Measured) -> float:
    return quality.index(quality.factors(m), quality.QualityWeights())


BASE = measured()


def test_a_larger_logo_scores_higher() -> None:
    assert _index(measured(mean_area=0.04)) > _index(BASE) > _index(measured(mean_area=0.005))


def test_a_sharper_logo_scores_higher() -> None:
    sharp, soft = measured(mean_sharpness=0.85), measured(mean_sharpness=0.45)
    assert _index(sharp) > _index(soft)
    assert quality.factors(sharp).clarity == 1.0
    assert quality.factors(measured(mean_sharpness=0.1)).clarity == 0.0
    # the detector's confidence does not move clarity once sharpness is measured
    assert _index(measured(mean_sharpness=0.6, mean_confidence=0.3)) == _index(
        measured(mean_sharpness=0.6, mean_confidence=0.9)
    )


def test_without_a_sharpness_measure_clarity_is_the_confidence() -> None:
    assert _index(measured(mean_confidence=0.95)) > _index(BASE)
    assert _index(measured(mean_confidence=0.4)) < _index(BASE)


def test_a_central_logo_scores_higher_than_one_near_the_edge() -> None:
    assert _index(measured(mean_centre_distance=0.0)) > _index(BASE)
    assert _index(measured(mean_centre_distance=0.6)) < _index(BASE)


def test_a_logo_cut_by_the_frame_edge_scores_lower() -> None:
    assert _index(measured(edge_share=0.5)) < _index(BASE)
    assert quality.factors(measured(edge_share=1.0)).visibility == 0.0


def test_a_solus_logo_scores_higher_than_a_cluttered_one() -> None:
    assert _index(measured(mean_solus=1 / 3)) < _index(measured(mean_solus=0.5)) < _index(BASE)


def test_a_longer_exposure_scores_higher_up_to_the_cap() -> None:
    one, three, five, sixty = (_index(measured(end=d)) for d in (1.0, 3.0, 5.0, 60.0))
    assert one < three < five == sixty


def test_the_index_is_in_0_1_and_1_for_a_perfect_exposure() -> None:
    perfect = measured(mean_area=0.3, mean_confidence=1.0, mean_centre_distance=0.0, end=10.0)
    assert _index(perfect) == pytest.approx(1.0)
    worst = measured(mean_area=0.0, mean_confidence=0.0, mean_centre_distance=0.8,
                     edge_share=1.0, mean_solus=0.0, end=0.0)  # fmt: skip
    assert _index(worst) == 0.0


def test_weights_choose_what_the_index_is_made_of() -> None:
    f = quality.factors(measured(mean_confidence=0.3))
    only_clarity = quality.QualityWeights(
        size=0, clarity=1, position=0, visibility=0, solus=0, duration=0
    )
    assert quality.index(f, only_clarity) == pytest.approx(0.3)
    assert quality.index(f.as_dict(), only_clarity) == pytest.approx(0.3)  # recomputed
    with pytest.raises(ValueError, match="positive"):
        quality.QualityWeights(size=0, clarity=0, position=0, visibility=0, solus=0, duration=0)


def test_an_exposure_shorter_than_the_minimum_is_not_counted() -> None:
    assert not counted(measured(end=0.5), 1.0)
    assert counted(measured(end=0.9999999), 1.0)  # float sums of spans land a hair under
    items = exposures([measured(end=0.5), measured(5.0, 6.0)], RULES, {"s1": Rate("EUR", 30.0)})
    [acme] = brand_summaries(items)
    assert (acme.exposures, acme.seconds, acme.short, acme.short_seconds) == (1, 1.0, 1, 0.5)
    assert acme.value.full == pytest.approx(1.0)  # the short one is worth nothing


def test_value_is_the_rate_card_times_quality_weighted_seconds() -> None:
    rate = Rate("EUR", cost_per_30s=3000.0, audience=200_000, cpm=20.0)
    value = price(15.0, 0.5, rate)
    assert value.full == pytest.approx(1500.0)
    assert value.quality == pytest.approx(750.0)
    assert value.audience == pytest.approx(200 * 20.0 * 7.5 / 30)
    assert price(15.0, 0.5, None).full is None


def test_brand_value_sums_its_exposures_and_share_of_voice_splits_seconds() -> None:
    rates = {"s1": Rate("EUR", 300.0)}
    items = exposures(
        [measured(0.0, 1.0), measured(3.0, 4.0), measured(0.0, 1.0, brand="globex")], RULES, rates
    )
    acme, globex = brand_summaries(items)
    assert (acme.brand, acme.exposures, acme.seconds, globex.seconds) == ("acme", 2, 2.0, 1.0)
    assert acme.share_of_voice == pytest.approx(2 / 3, abs=1e-4)
    assert acme.value.full == pytest.approx(2.0 * 10)
    assert acme.value.quality == pytest.approx(acme.quality_seconds * 10, abs=0.01)
    assert acme.mean_quality == pytest.approx(acme.quality_seconds / acme.seconds, abs=1e-3)


def test_windows_count_an_exposure_where_it_starts() -> None:
    items = exposures([measured(0.0, 1.5), measured(12.0, 13.0)], RULES, {})
    first, second = window_summaries(items, 0.0, 20.0, 10.0, limit=100)
    assert [b.seconds for b in first.brands] == [1.5]
    assert [b.seconds for b in second.brands] == [1.0]
    with pytest.raises(ValueError, match="window too small"):
        window_summaries(items, 0.0, 20.0, 0.1, limit=100)


def test_streams_priced_in_different_currencies_cannot_share_a_report() -> None:
    rates = {"a": Rate("EUR", 1.0), "b": Rate("USD", 1.0)}
    assert currency(rates, ["a", "c"]) == "EUR"
    assert currency(rates, ["c"]) is None
    with pytest.raises(MixedCurrencyError):
        currency(rates, ["a", "b"])


def test_runs_compare_by_brand_and_match_appearances_that_overlap() -> None:
    new = exposures([measured(0, 4), measured(10, 12), measured(20, 23, brand="globex")], RULES, {})
    old = exposures(
        [measured(1, 3), measured(30, 32), measured(40, 40.5, brand="globex")], RULES, {}
    )
    globex, acme = compare_runs(new, "live", old, []).brands  # the largest change first
    assert (acme.brand, acme.seconds, acme.baseline_seconds, acme.delta_seconds) == (
        "acme", 6.0, 4.0, 2.0,
    )  # fmt: skip
    # 0-4 s is the baseline's 1-3 s appearance; 10-12 s is new; 30-32 s was lost
    assert (acme.only_here, acme.only_baseline) == (1, 1)
    # the baseline's 0.5-s globex sighting was never counted, so the appearance is new
    assert (globex.exposures, globex.baseline_exposures, globex.only_here) == (1, 0, 1)
