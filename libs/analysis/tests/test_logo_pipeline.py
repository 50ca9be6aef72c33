"""The logo pipeline's own parts: wordmark text matching, the tracker, per-stream state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from difflib import SequenceMatcher
from typing import Any

import cv2
import numpy as np
import pytest

from sightline_analysis.analyzers.base import AnalyzerContext
from sightline_analysis.analyzers.plugins.logo import LogoAnalyzer, LogoConfig
from sightline_analysis.frames import Frame, Image
from sightline_analysis.logo.matcher import LogoMatcher
from sightline_analysis.logo.pipeline import LogoPipeline, PipelineConfig
from sightline_analysis.logo.tracker import (
    VOUCHED,
    Box,
    LogoTracker,
    Tracked,
    TrackerConfig,
    Verified,
)
from sightline_analysis.logo.wordmark import (
    WordmarkConfig,
    brand_in,
    brand_texts,
    contradicts,
    fold,
    glyphs_over,
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


def test_a_track_follows_its_logo_while_an_occluder_hides_part_of_it() -> None:
    config = TrackerConfig(max_coast=3)
    tracker = LogoTracker(config)
    seen = Verified("volta", "v1", (100.0, 100.0, 80.0, 40.0), 0.9, "image")
    tracker.step(_scene((100, 100), PATCH), [seen])
    hidden = PATCH.copy()
    hidden[:, 44:] = 30  # a dark bar over the right 45 %
    whole = float(cv2.matchTemplate(hidden, PATCH, cv2.TM_CCOEFF_NORMED).max())
    assert config.hidden_min_whole <= whole < config.min_correlation
    followed = tracker.step(_scene((100, 100), hidden), [])
    assert [t.sighting.source for t in followed] == ["track"]
    assert abs(followed[0].sighting.box[0] - 100) <= 2
    elsewhere = np.random.default_rng(8).integers(0, 255, (40, 80)).astype(np.uint8)
    elsewhere[:, 44:] = 30  # the same bar over another pattern: no half of the logo there
    assert tracker.step(_scene((100, 100), elsewhere), []) == []


def test_a_track_the_blur_check_last_verified_is_not_followed_onto_half_a_logo() -> None:
    tracker = LogoTracker(TrackerConfig(max_coast=3))
    vouched = Verified("volta", "v1", (100.0, 100.0, 80.0, 40.0), 0.9, VOUCHED)
    tracker.step(_scene((100, 100), PATCH), [vouched])
    hidden = PATCH.copy()
    hidden[:, 44:] = 30
    assert tracker.step(_scene((100, 100), hidden), []) == []


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
    assert not contradicts("Ne134507", "nc134507", 0.6)  # e for C: a misread, not a look-alike
    assert contradicts("PETREL", "kestrel", 0.6)
    assert contradicts("AURORE MEDIA", "aurora", 0.6)
    assert not contradicts("Quil", "Quill", 0.6)  # cut short: part of the brand's text


def test_a_read_holding_the_brands_text_with_a_glyph_run_on_at_each_side_is_the_brand() -> None:
    assert not contradicts("AURORAS", "aurora", 0.6)
    assert not contradicts("TAURORAS", "aurora", 0.6)
    assert contradicts("STAURORA", "aurora", 0.6)  # two glyphs more on the logo itself


def test_a_much_longer_or_shorter_word_is_no_near_miss() -> None:
    assert SequenceMatcher(None, "AURORALIS", "AURORA").ratio() >= 0.6  # similar, but 9 vs 6
    assert not contradicts("AURORALIS", "aurora", 0.6)
    assert not contradicts("VOL", "volta", 0.6)


def test_only_the_glyphs_read_over_the_sighting_are_judged() -> None:
    # AURORA (logo box x 300-420) on a background whose "ST" the recogniser ran into the word:
    # the line spans 8 glyphs of 20 px from x = 260.
    line, logo = (260.0, 200.0, 160.0, 30.0), (300.0, 190.0, 120.0, 50.0)
    assert glyphs_over("STAURORA", line, logo) == "AURORA"
    assert not contradicts(glyphs_over("STAURORA", line, logo), "aurora", 0.6)
    assert glyphs_over("STAURORA", line, (280.0, 190.0, 140.0, 50.0)) == "TAURORA"  # a box off
    assert not contradicts("TAURORA", "aurora", 0.6)
    # The look-alike's own text over the sighting still vetoes it, with or without a caption.
    look_alike = (260.0, 190.0, 120.0, 50.0)
    assert glyphs_over("AURORE", (260.0, 200.0, 120.0, 30.0), look_alike) == "AURORE"
    assert contradicts(glyphs_over("AURORE NEWS", (260.0, 200.0, 220.0, 30.0), look_alike),
                       "aurora", 0.6)  # fmt: skip
    # A line beside the sighting, or a row above it, says nothing about it.
    assert glyphs_over("AURORE", (500.0, 200.0, 120.0, 30.0), look_alike) == ""
    assert glyphs_over("AURORE", (260.0, 100.0, 120.0, 30.0), look_alike) == ""


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


def test_a_confirmation_keeps_a_track_verified_past_max_coast() -> None:
    tracker = LogoTracker(TrackerConfig(max_coast=1))
    seen = Verified("volta", "v1", (100.0, 100.0, 80.0, 40.0), 0.9, "image")
    tracker.step(_scene((100, 100), PATCH), [seen])
    read = Verified("volta", "text:volta", (130.0, 110.0, 30.0, 12.0), 0.8, "text")
    for _ in range(3):  # a wordmark read on the logo every frame: never coasting
        out = tracker.step(_scene((100, 100), PATCH), [], [read])
        assert [(t.sighting.brand, t.coasted, t.sighting.source) for t in out] == [
            ("volta", 0, "text")
        ]
        assert out[0].sighting.box == seen.box  # the track's box, not the text line's
    assert len(tracker.step(_scene((100, 100), PATCH), [])) == 1
    assert tracker.step(_scene((100, 100), PATCH), []) == []  # max_coast applies again


def test_a_track_is_carried_only_while_its_confidence_holds() -> None:
    tracker = LogoTracker(TrackerConfig(max_coast=5, confidence_decay=0.8,
                                        min_coast_confidence=0.5))  # fmt: skip
    unsure = Verified("volta", "v1", (100.0, 100.0, 80.0, 40.0), 0.4, "image")
    tracker.step(_scene((100, 100), PATCH), [unsure])
    assert tracker.step(_scene((100, 100), PATCH), []) == []  # too unsure to follow
    sure = Verified("volta", "v1", (100.0, 100.0, 80.0, 40.0), 0.7, "image")
    tracker.step(_scene((100, 100), PATCH), [sure])
    assert len(tracker.step(_scene((100, 100), PATCH), [])) == 1  # carried: 0.7 -> 0.56
    assert len(tracker.step(_scene((100, 100), PATCH), [])) == 1  # carried: 0.56 -> 0.448
    assert tracker.step(_scene((100, 100), PATCH), []) == []  # 0.448 < 0.5: no longer


def test_a_confirmation_where_the_track_is_lost_starts_its_own_track() -> None:
    tracker = LogoTracker()
    seen = Verified("volta", "v1", (100.0, 100.0, 80.0, 40.0), 0.9, "image")
    tracker.step(_scene((100, 100), PATCH), [seen])
    read = Verified("volta", "text:volta", (130.0, 110.0, 30.0, 12.0), 0.8, "text")
    out = tracker.step(_scene((0, 0), None), [], [read])  # nothing correlates any more
    assert [(t.sighting, t.coasted) for t in out] == [(read, 0)]
    other = Verified("kestrel", "text:kestrel", (130.0, 110.0, 30.0, 12.0), 0.8, "text")
    assert [t.sighting for t in tracker.step(_scene((0, 0), None), [], [other])] == [other]


class _CountingEngine:
    """rapidocr's engine surface with one fixed line: recognition reads the line's mean grey
    level, so a changed line reads differently (pure logic: what is recognised, and when)."""

    def __init__(self) -> None:
        self.recognised = 0
        self.shift = 0.0

    def text_det(self, small: Image) -> tuple[list[list[list[float]]], float]:
        x0, x1 = 100.0 + self.shift, 260.0 + self.shift
        return [[[x0, 100.0], [x1, 100.0], [x1, 140.0], [x0, 140.0]]], 0.0

    def sorted_boxes(self, boxes: list[list[list[float]]]) -> list[list[list[float]]]:
        return boxes

    def get_crop_img_list(self, image: Image, quads: list[np.ndarray]) -> list[Image]:
        crops = []
        for quad in quads:
            (x0, y0), (x1, y1) = quad.min(axis=0).astype(int), quad.max(axis=0).astype(int)
            crops.append(image[y0:y1, x0:x1])
        return crops

    def text_rec(self, crops: list[Image]) -> tuple[list[tuple[str, float]], float]:
        self.recognised += len(crops)
        return [(f"LINE{int(crop.mean())}", 0.99) for crop in crops], 0.0


def test_a_line_unchanged_since_the_streams_last_read_is_not_recognised_again() -> None:
    from sightline_analysis.logo.wordmark import LineMemory, WordmarkReader  # noqa: PLC0415

    engine = _CountingEngine()
    # The frame read at its own size (640 px): the engine's boxes are in its pixels.
    reader = WordmarkReader(WordmarkConfig(width=640), engine=engine)
    memory = LineMemory()
    still = Frame(_bgr(_scene((100, 100), PATCH)), 0.0)
    first = reader.lines(still, memory)
    assert engine.recognised == 1
    assert reader.lines(Frame(_bgr(_scene((100, 100), PATCH)), 0.5), memory) == first
    assert engine.recognised == 1  # the same line: its earlier read is kept
    changed = reader.lines(Frame(_bgr(_scene((100, 100), 255 - PATCH)), 1.0), memory)
    assert engine.recognised == 2  # other pixels under the line: read again
    assert changed[0].text != first[0].text
    reader.lines(still, None)  # without a stream's memory every line is recognised
    assert engine.recognised == 3
    memory.clear()
    reader.lines(still, memory)
    assert engine.recognised == 4


def test_a_brand_only_its_wordmark_shows_is_found_by_the_ocr_channel_alone() -> None:
    """The OCR path on its own: the library's reference for the brand is an icon that is not
    on screen, so the image channel finds nothing; the brand's name written in a plain font
    is read, reported as a text sighting, and followed on the frames between reads."""
    pytest.importorskip("rapidocr_onnxruntime")
    from sightline_analysis.logo.wordmark import WordmarkReader  # noqa: PLC0415 - optional

    rng = np.random.default_rng(3)
    blocks = rng.integers(0, 255, (24, 40, 3)).astype(np.uint8)
    icon = np.asarray(cv2.resize(blocks, (400, 240), interpolation=cv2.INTER_NEAREST), np.uint8)
    matcher = LogoMatcher()
    matcher.add("kestrel-icon", "kestrel", icon)
    frame = np.full((720, 1280, 3), 190, np.uint8)
    cv2.putText(frame, "KESTREL", (420, 400), cv2.FONT_HERSHEY_DUPLEX, 3.0, (40, 30, 20), 6)
    assert matcher.match(frame) == []
    pipeline = LogoPipeline(matcher, PipelineConfig(), WordmarkReader())
    sources = []
    for index in range(3):  # read on frames 0 and 2, tracked on frame 1
        sightings = pipeline.process(Frame(frame.copy(), index * 0.5))
        assert [(s.brand, s.logo_id) for s in sightings] == [("kestrel", "text:kestrel")]
        sources.append(sightings[0].source)
        x, y, w, h = sightings[0].box
        assert 420 <= x + w / 2 <= 860
        assert 320 <= y + h / 2 <= 420
    assert sources == ["text", "track", "text"]


def test_a_line_the_camera_panned_keeps_its_read() -> None:
    """Between two sampled frames a pan moves a line by a good part of its width (here 100 of
    160 px: box IoU 0.23); the same pixels under it keep the earlier read."""
    from sightline_analysis.logo.wordmark import LineMemory, WordmarkReader  # noqa: PLC0415

    engine = _CountingEngine()
    # The frame read at its own size (640 px): the engine's boxes are in its pixels.
    reader = WordmarkReader(WordmarkConfig(width=640), engine=engine)
    memory = LineMemory()
    first = reader.lines(Frame(_bgr(_scene((100, 100), PATCH)), 0.0), memory)
    engine.shift = 100.0
    (moved,) = reader.lines(Frame(_bgr(_scene((200, 100), PATCH)), 0.5), memory)
    assert engine.recognised == 1
    assert moved.text == first[0].text
    assert moved.box[0] == 200.0


def test_a_tentative_start_is_held_back_until_a_later_verification_confirms_it() -> None:
    tracker = LogoTracker()
    start = Verified("volta", "v1", (100.0, 100.0, 80.0, 40.0), 0.5, VOUCHED, tentative=True)
    first = tracker.step(_scene((100, 100), PATCH), [start])
    assert [(t.held, t.confirmed) for t in first] == [(True, ())]
    vouched = tracker.step(_scene((104, 100), PATCH), [], vouch=_fits)
    assert [(t.held, t.sighting.source) for t in vouched] == [(True, VOUCHED)]  # no confirmation
    again = replace(start, box=(108.0, 100.0, 80.0, 40.0))
    confirmed = tracker.step(_scene((108, 100), PATCH), [again])
    assert [t.held for t in confirmed] == [False]
    assert [(ago, s.box[0]) for ago, s in confirmed[0].confirmed] == [(2, 100.0), (1, 104.0)]
    assert not tracker.step(_scene((112, 100), PATCH), [], vouch=_fits)[0].held


def _fits(sighting: Verified, box: Box) -> tuple[Box, float]:
    """A blur check that confirms every box."""
    return box, 0.9


def _starting(
    pipeline: LogoPipeline, starts: list[list[Verified]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Feed `pipeline`'s tracker one list of `starts` per frame besides the frame's own."""
    step = pipeline._tracker.step

    def with_starts(gray: Image, verified: Sequence[Verified], *rest: Any) -> list[Tracked]:
        return step(gray, [*verified, *starts.pop(0)], *rest)

    monkeypatch.setattr(pipeline._tracker, "step", with_starts)


@pytest.mark.parametrize("confirmed", [True, False])
def test_a_segment_reports_a_start_from_its_first_frame_once_confirmed(
    confirmed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = PipelineConfig(wordmark=WordmarkConfig(enabled=False), reverify=False,
                            backtrack=False, fill_gaps=0)  # fmt: skip
    pipeline = LogoPipeline(LogoMatcher(), config)
    start = Verified("volta", "v1", (100.0, 100.0, 80.0, 40.0), 0.5, VOUCHED, tentative=True)
    _starting(pipeline, [[start], [], [start] if confirmed else []], monkeypatch)
    frames = [Frame(_bgr(_scene((100, 100), PATCH)), t) for t in (0.0, 0.5, 1.0)]
    found = pipeline.process_segment(frames)
    assert [[s.box[0] for s in each] for each in found] == (
        [[100.0], [100.0], [100.0]] if confirmed else [[], [], []]
    )


def test_a_start_held_at_the_end_of_a_segment_and_confirmed_in_the_next_is_late(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = PipelineConfig(wordmark=WordmarkConfig(enabled=False), reverify=False,
                            backtrack=False, fill_gaps=0)  # fmt: skip
    pipeline = LogoPipeline(LogoMatcher(), config)
    start = Verified("volta", "v1", (100.0, 100.0, 80.0, 40.0), 0.5, VOUCHED, tentative=True)
    _starting(pipeline, [[start], [], [start]], monkeypatch)
    frames = [Frame(_bgr(_scene((100, 100), PATCH)), t) for t in (0.0, 0.5, 1.0)]
    assert pipeline.process_segment(frames[:1]) == [[]]
    found = pipeline.process_segment(frames[1:])
    assert [[s.box[0] for s in each] for each in found] == [[100.0], [100.0]]
    assert [(late.ago, late.frame.offset, late.sighting.box[0]) for late in pipeline.late] == [
        (1, 0.0, 100.0)]  # fmt: skip


def test_a_sure_proposal_at_a_held_tracks_place_confirms_it() -> None:
    box = (100.0, 100.0, 80.0, 40.0)
    for proposal, confirmed in [
        (("volta", (90.0, 95.0, 100.0, 50.0), 0.6), True),
        (("volta", (90.0, 95.0, 100.0, 50.0), 0.4), False),  # not sure enough
        (("volta", (150.0, 95.0, 300.0, 50.0), 0.97), False),  # overlapping, elsewhere
        (("kestrel", (90.0, 95.0, 100.0, 50.0), 0.97), False),
    ]:
        tracker = LogoTracker()
        start = Verified("volta", "v1", box, 0.5, VOUCHED, tentative=True)
        tracker.step(_scene((100, 100), PATCH), [start])
        (out,) = tracker.step(_scene((100, 100), PATCH), [], vouch=_fits, proposed=[proposal])
        assert (out.held, len(out.confirmed)) == (not confirmed, int(confirmed)), proposal


def test_a_track_last_seen_blurred_coasts_only_where_the_net_proposes_its_brand() -> None:
    box = (100.0, 100.0, 80.0, 40.0)
    for source, proposed, carried in [
        (VOUCHED, [], False),
        (VOUCHED, [("kestrel", box, 0.9)], False),
        (VOUCHED, [("volta", (150.0, 110.0, 60.0, 40.0), 0.6)], True),
        (VOUCHED, None, True),  # the net was not asked
        ("image", [], True),
    ]:
        tracker = LogoTracker()
        tracker.step(_scene((100, 100), PATCH), [Verified("volta", "v1", box, 0.9, source)])
        out = tracker.step(_scene((100, 100), PATCH), [], proposed=proposed)
        assert len(out) == int(carried), (source, proposed)
