"""The logo pipeline's own parts: wordmark text matching, the tracker, per-stream state."""

from __future__ import annotations

import numpy as np
import pytest

from sightline_analysis.analyzers.base import AnalyzerContext
from sightline_analysis.analyzers.plugins.logo import LogoAnalyzer, LogoConfig
from sightline_analysis.frames import Frame, Image
from sightline_analysis.logo.matcher import LogoMatcher
from sightline_analysis.logo.pipeline import LogoPipeline, PipelineConfig
from sightline_analysis.logo.tracker import LogoTracker, TrackerConfig, Verified
from sightline_analysis.logo.wordmark import (
    WordmarkConfig,
    brand_in,
    brand_texts,
    contradicts,
    fold,
)

TEXTS = brand_texts(["aurora", "kestrel", "Quill", "volta", "ab"], min_chars=3)


def test_a_brand_is_read_only_from_its_exact_text() -> None:
    assert brand_in("AURORA", TEXTS) == "aurora"
    assert brand_in("Quill", TEXTS) == "Quill"
    assert brand_in("KESTREL NEWS", TEXTS) == "kestrel"
    assert brand_in("V0LTA", TEXTS) == "volta"  # 0 read for O
    # Look-alikes share most letters; none may be reported as the target.
    assert brand_in("AURORE", TEXTS) is None
    assert brand_in("PETREL", TEXTS) is None
    assert brand_in("VOLTEX", TEXTS) is None
    assert brand_in("Quil", TEXTS) is None


def test_short_or_ambiguous_brand_texts_are_not_looked_for() -> None:
    assert "AB" not in TEXTS
    assert brand_texts(["Volta", "VOLTA!"], min_chars=3) == {}
    assert fold("a-b c|1") == "ABCII"


def _scene(offset: tuple[int, int], patch: Image | None) -> Image:
    """A 640x360 grey frame of smooth gradient with `patch` pasted at `offset`."""
    frame = np.tile(np.linspace(60, 120, 640, dtype=np.float32), (360, 1)).astype(np.uint8)
    if patch is not None:
        x, y = offset
        frame[y : y + patch.shape[0], x : x + patch.shape[1]] = patch
    return frame


PATCH = np.random.default_rng(7).integers(0, 255, (40, 80)).astype(np.uint8)


def test_a_verified_sighting_is_followed_while_it_correlates() -> None:
    tracker = LogoTracker(TrackerConfig(max_coast=3))
    seen = Verified("volta", "v1", (100.0, 100.0, 80.0, 40.0), 0.9, "image")
    first = tracker.step(_scene((100, 100), PATCH), [seen])
    assert [t.coasted for t in first] == [0]
    moved = tracker.step(_scene((112, 106), PATCH), [])
    assert len(moved) == 1
    x, y, _w, _h = moved[0].sighting.box
    assert abs(x - 112) <= 2
    assert abs(y - 106) <= 2
    assert moved[0].sighting.source == "track"
    assert moved[0].sighting.confidence < 0.9


def test_a_track_ends_when_its_logo_leaves_or_after_max_coast() -> None:
    tracker = LogoTracker(TrackerConfig(max_coast=2))
    seen = Verified("volta", "v1", (100.0, 100.0, 80.0, 40.0), 0.9, "image")
    tracker.step(_scene((100, 100), PATCH), [seen])
    assert tracker.step(_scene((0, 0), None), []) == []  # gone: nothing correlates
    tracker.step(_scene((100, 100), PATCH), [seen])
    assert len(tracker.step(_scene((100, 100), PATCH), [])) == 1
    assert len(tracker.step(_scene((100, 100), PATCH), [])) == 1
    assert tracker.step(_scene((100, 100), PATCH), []) == []  # not re-verified in time


def test_a_verified_sighting_refreshes_its_track_instead_of_doubling_it() -> None:
    tracker = LogoTracker()
    seen = Verified("volta", "v1", (100.0, 100.0, 80.0, 40.0), 0.9, "image")
    tracker.step(_scene((100, 100), PATCH), [seen])
    again = Verified("volta", "v1", (104.0, 100.0, 80.0, 40.0), 0.8, "image")
    out = tracker.step(_scene((104, 100), PATCH), [again])
    assert [(t.sighting, t.coasted) for t in out] == [(again, 0)]
    assert len(tracker) == 1


def _bgr(gray: Image) -> Image:
    return np.ascontiguousarray(np.dstack([gray, gray, gray]))


def test_a_cut_ends_every_track() -> None:
    matcher = LogoMatcher()
    config = PipelineConfig(wordmark=WordmarkConfig(enabled=False), reverify=False)
    pipeline = LogoPipeline(matcher, config)
    pipeline.process(Frame(_bgr(_scene((100, 100), PATCH)), 0.0))
    seen = Verified("volta", "v1", (100.0, 100.0, 80.0, 40.0), 0.9, "image")
    pipeline._tracker.step(_scene((100, 100), PATCH), [seen])
    assert len(pipeline._tracker) == 1
    cut = np.zeros((360, 640, 3), np.uint8)
    cut[:, :, 2] = 220  # a red shot after a grey one
    assert pipeline.process(Frame(cut, 0.5)) == []
    assert len(pipeline._tracker) == 0


@pytest.fixture
def analyzer() -> LogoAnalyzer:
    config = LogoConfig(pipeline=PipelineConfig(wordmark=WordmarkConfig(enabled=False)))
    return LogoAnalyzer(config, AnalyzerContext(logo_matcher=LogoMatcher()))


def test_state_is_per_stream_and_dropped_on_forget(analyzer: LogoAnalyzer) -> None:
    frames = [Frame(_bgr(_scene((100, 100), PATCH)), 0.0)]
    assert analyzer.analyze("s1", frames) == [[]]
    first = analyzer.pipeline("s1")
    assert analyzer.pipeline("s2") is not first
    analyzer.forget("s1")
    assert analyzer.pipeline("s1") is not first


def test_the_pipeline_settings_are_in_the_fingerprint(analyzer: LogoAnalyzer) -> None:
    described = analyzer.describe()
    assert described["pipeline"] == analyzer.config.pipeline.model_dump(mode="json")  # type: ignore[attr-defined]
    other = LogoAnalyzer(
        LogoConfig(pipeline=PipelineConfig(wordmark=WordmarkConfig(enabled=False), reverify=False)),
        AnalyzerContext(logo_matcher=LogoMatcher()),
    )
    assert other.fingerprint() != analyzer.fingerprint()


def test_a_thin_serif_wordmark_is_read_as_its_brand() -> None:
    pytest.importorskip("rapidocr_onnxruntime")
    from sightline_analysis.logo.wordmark import WordmarkReader  # noqa: PLC0415 - optional
    from sightline_analysis.logo_eval.brands import library_brands  # noqa: PLC0415

    art = next(b.art for b in library_brands() if b.name == "aurora")
    frame = np.full((720, 1280, 3), 200, np.uint8)
    alpha = art[:, :, 3:].astype(np.float32) / 255.0
    spot = frame[200:440, 400:800].astype(np.float32)
    frame[200:440, 400:800] = (art[:, :, :3] * alpha + spot * (1 - alpha)).astype(np.uint8)
    reads = WordmarkReader().read(Frame(frame, 0.0), ["aurora", "aurore", "kestrel"])
    assert [r.brand for r in reads] == ["aurora"]
    x, y, w, h = reads[0].box
    assert 400 <= x + w / 2 <= 800
    assert 200 <= y + h / 2 <= 440


def test_a_look_alikes_text_read_on_a_sighting_contradicts_it() -> None:
    assert contradicts("AURORE", "aurora", 0.6)
    assert contradicts("VOLTEX", "volta", 0.6)
    assert not contradicts("AURORA", "aurora", 0.6)
    assert not contradicts("KESTREL NEWS", "kestrel", 0.6)
    assert not contradicts("REPLAY", "aurora", 0.6)


def test_a_veto_ends_the_tracks_of_that_brand_there() -> None:
    tracker = LogoTracker()
    seen = Verified("volta", "v1", (100.0, 100.0, 80.0, 40.0), 0.9, "image")
    tracker.step(_scene((100, 100), PATCH), [seen])
    tracker.veto("kestrel", seen.box)
    assert len(tracker) == 1
    tracker.veto("volta", (300.0, 300.0, 10.0, 10.0))
    assert len(tracker) == 1
    tracker.veto("volta", (120.0, 110.0, 20.0, 10.0))
    assert len(tracker) == 0
