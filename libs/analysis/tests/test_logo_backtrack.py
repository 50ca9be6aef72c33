"""The pipeline's segment mode: a brand's first verification followed backwards through its
segment (logo/backtrack.py), frames between two verifications filled (logo/gaps.py), and the
cut test that bounds both (logo/cuts.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sightline_analysis.analyzers.base import AnalyzerContext
from sightline_analysis.analyzers.plugins.logo import LogoAnalyzer, LogoConfig
from sightline_analysis.frames import Frame, Image
from sightline_analysis.logo.backtrack import SOURCE, backtrack
from sightline_analysis.logo.clarity import sharpness
from sightline_analysis.logo.cuts import colour_histogram, distance
from sightline_analysis.logo.gaps import SOURCE as GAP
from sightline_analysis.logo.gaps import fill_gaps
from sightline_analysis.logo.matcher import LogoMatch, LogoMatcher
from sightline_analysis.logo.pipeline import LogoPipeline, PipelineConfig
from sightline_analysis.logo.tracker import TrackerConfig, Verified
from sightline_analysis.logo.wordmark import WordmarkConfig

PATCH = np.random.default_rng(11).integers(0, 255, (40, 80)).astype(np.uint8)
CONFIG = TrackerConfig(max_coast=3)


def _scene(offset: tuple[int, int] | None) -> Image:
    """A 640x360 grey gradient with PATCH at `offset` (none when None)."""
    frame = np.tile(np.linspace(60, 120, 640, dtype=np.float32), (360, 1)).astype(np.uint8)
    if offset is not None:
        x, y = offset
        frame[y : y + PATCH.shape[0], x : x + PATCH.shape[1]] = PATCH
    return frame


def _seen(x: float, y: float, source: str = "image") -> Verified:
    return Verified("volta", "v1", (x, y, 80.0, 40.0), 0.9, source)


def test_a_first_verification_is_followed_back_to_where_the_logo_was() -> None:
    grays = [_scene((100, 100)), _scene((108, 102)), _scene((116, 104))]
    found = backtrack(grays, [False] * 3, [[], [], [_seen(116, 104)]], CONFIG)
    assert [len(f) for f in found] == [1, 1, 0]
    for frame, (x, y) in ((0, (100, 100)), (1, (108, 102))):
        box = found[frame][0].box
        assert abs(box[0] - x) <= 2
        assert abs(box[1] - y) <= 2
        assert found[frame][0].source == SOURCE
    assert found[0][0].confidence < found[1][0].confidence < 0.9


def test_nothing_is_found_back_where_the_logo_was_not_nor_across_a_cut() -> None:
    grays = [_scene(None), _scene((108, 102)), _scene((116, 104))]
    found = backtrack(grays, [False] * 3, [[], [], [_seen(116, 104)]], CONFIG)
    assert [len(f) for f in found] == [0, 1, 0]  # frame 0 has no logo
    grays = [_scene((100, 100)), _scene((108, 102)), _scene((116, 104))]
    found = backtrack(grays, [False, False, True], [[], [], [_seen(116, 104)]], CONFIG)
    assert found == [[], [], []]  # cut before the verification
    found = backtrack(grays, [False, True, False], [[], [], [_seen(116, 104)]], CONFIG)
    assert [len(f) for f in found] == [0, 1, 0]  # cut before frame 1


def test_only_a_first_verification_starts_a_backward_walk() -> None:
    grays = [_scene((100, 100)), _scene((108, 102)), _scene((116, 104))]
    sightings = [[], [_seen(108, 102, "track")], [_seen(116, 104)]]
    assert backtrack(grays, [False] * 3, sightings, CONFIG)[0] == []  # tracked, not verified
    sightings = [[], [_seen(108, 102)], [_seen(116, 104)]]
    found = backtrack(grays, [False] * 3, sightings, CONFIG)
    assert [len(f) for f in found] == [1, 0, 0]  # frame 1 is the first verification


def test_a_verification_the_next_frame_does_not_confirm_is_not_followed_back() -> None:
    grays = [_scene((100, 100)), _scene((108, 102)), _scene((116, 104))]
    assert backtrack(grays, [False] * 3, [[], [_seen(108, 102)], []], CONFIG) == [[], [], []]


def test_the_walk_stops_after_max_coast_frames() -> None:
    grays = [_scene((100, 100))] * 4
    found = backtrack(grays, [False] * 4, [[], [], [], [_seen(100, 100)]],
                      TrackerConfig(max_coast=2))  # fmt: skip
    assert [len(f) for f in found] == [0, 1, 1, 0]


class _SeenOnLast(LogoMatcher):
    """A matcher that verifies the patch only from frame `first` on (as when a logo enters
    blurred and becomes sharp): the pipeline's segment mode must report it from frame 0."""

    def __init__(self, first: int) -> None:
        super().__init__()
        self.first, self.calls = first, 0

    def match(self, frame: Image) -> list[LogoMatch]:
        self.calls += 1
        if self.calls <= self.first:
            return []
        x, y = 2 * (100 + 8 * (self.calls - 1)), 200
        corners = np.array([[x, y], [x + 160, y], [x + 160, y + 80], [x, y + 80]], np.float32)
        return [LogoMatch("volta", "v1", corners, 40, 0.9)]


def _frames() -> list[Frame]:
    frames = []
    for k in range(4):
        gray = np.asarray(np.kron(_scene((100 + 8 * k, 100)), np.ones((2, 2))), np.uint8)
        frames.append(Frame(np.ascontiguousarray(np.dstack([gray] * 3)), k * 0.5))
    return frames


def test_a_segment_reports_a_brand_from_before_its_first_verification() -> None:
    config = PipelineConfig(wordmark=WordmarkConfig(enabled=False), reverify=False, search_every=1)
    found = LogoPipeline(_SeenOnLast(2), config).process_segment(_frames())
    assert [[s.source for s in f] for f in found] == [["back"], ["back"], ["image"], ["image"]]
    assert abs(found[0][0].box[0] - 200) <= 4
    forward = LogoPipeline(_SeenOnLast(2), config)
    assert [[s.source for s in forward.process(f)] for f in _frames()] == [
        [], [], ["image"], ["image"]]  # fmt: skip
    off = config.model_copy(update={"backtrack": False})
    found = LogoPipeline(_SeenOnLast(2), off).process_segment(_frames())
    assert [len(f) for f in found] == [0, 0, 1, 1]


def test_a_walk_may_reach_back_before_first_but_only_starts_from_it() -> None:
    grays = [_scene((100, 100)), _scene((108, 102)), _scene((116, 104)), _scene((124, 106))]
    sightings = [[], [_seen(108, 102)], [_seen(116, 104)], [_seen(124, 106)]]
    found = backtrack(grays, [False] * 4, sightings, CONFIG, first=2)
    assert found == [[], [], [], []]  # frame 1's walk was the earlier segment's to take
    sightings = [[], [], [_seen(116, 104)], [_seen(124, 106)]]
    found = backtrack(grays, [False] * 4, sightings, CONFIG, first=2)
    assert [len(f) for f in found] == [1, 1, 0, 0]


def test_a_brand_first_verified_in_a_segment_is_followed_into_the_previous_one() -> None:
    config = PipelineConfig(wordmark=WordmarkConfig(enabled=False), reverify=False, search_every=1)
    frames = _frames()
    pipeline = LogoPipeline(_SeenOnLast(3), config)
    assert pipeline.process_segment(frames[:2]) == [[], []]
    assert pipeline.late == []
    found = pipeline.process_segment(frames[2:])
    assert [[s.source for s in f] for f in found] == [["back"], ["image"]]
    assert [(late.ago, late.frame.offset, late.sighting.source) for late in pipeline.late] == [
        (2, 0.0, "back"), (1, 0.5, "back")]  # fmt: skip
    assert abs(pipeline.late[0].sighting.box[0] - 200) <= 4
    off = LogoPipeline(_SeenOnLast(3), config.model_copy(update={"late": False}))
    off.process_segment(frames[:2])
    off.process_segment(frames[2:])
    assert off.late == []
    forward = LogoPipeline(_SeenOnLast(3), config)
    forward.process_segment(frames[:2])
    forward.process(frames[2])
    forward.process_segment(frames[3:])
    assert forward.late == []  # the frames before were not a segment's


def test_the_logo_analyzer_reports_late_sightings_with_their_frames_measures() -> None:
    config = PipelineConfig(wordmark=WordmarkConfig(enabled=False), reverify=False, search_every=1)
    context = AnalyzerContext(logo_matcher=_SeenOnLast(3))
    analyzer = LogoAnalyzer(LogoConfig(pipeline=config), context)
    frames = _frames()
    analyzer.analyze("cam-1", frames[:2])
    assert analyzer.late("cam-1") == []
    analyzer.analyze("cam-1", frames[2:])
    late = analyzer.late("cam-1")
    assert [(r.ago, r.item.label, r.item.attributes["late"]) for r in late] == [
        (2, "volta", True), (1, "volta", True)]  # fmt: skip
    box = late[0].item.box
    assert box is not None
    assert abs(box.x * 1280 - 200) <= 4
    assert late[0].item.attributes["sharpness"] == pytest.approx(
        sharpness(frames[0].image, (box.x * 1280, box.y * 720, box.w * 1280, box.h * 720)),
        abs=1e-4)  # fmt: skip
    analyzer.forget("cam-1")
    assert analyzer.late("cam-1") == []


def _at(x: float, source: str = "image", brand: str = "volta") -> Verified:
    return Verified(brand, "v1", (x, 100.0, 80.0, 40.0), 0.9, source)


def test_frames_between_two_verifications_at_the_same_place_are_filled() -> None:
    sightings = [[_at(100)], [], [], [_at(130)]]
    found = fill_gaps([False] * 4, sightings, max_gap=2, decay=0.85)
    assert [[v.source for v in f] for f in found] == [[], [GAP], [GAP], []]
    assert [round(f[0].box[0]) for f in found[1:3]] == [110, 120]
    assert found[1][0].confidence == pytest.approx(0.9 * 0.85)


def test_no_fill_across_a_cut_a_long_gap_elsewhere_or_from_a_tracked_end() -> None:
    assert fill_gaps([False, False, True], [[_at(100)], [], [_at(104)]], max_gap=2,
                     decay=0.85) == [[], [], []]  # fmt: skip
    assert fill_gaps([False] * 4, [[_at(100)], [], [], [_at(104)]], max_gap=1,
                     decay=0.85) == [[], [], [], []]  # fmt: skip
    assert fill_gaps([False] * 3, [[_at(100)], [], [_at(400)]], max_gap=2, decay=0.85) == [
        [],
        [],
        [],
    ]  # fmt: skip  (not the same place)
    assert fill_gaps([False] * 3, [[_at(100, "track")], [], [_at(104)]], max_gap=2,
                     decay=0.85) == [[], [], []]  # fmt: skip
    assert fill_gaps([False] * 3, [[_at(100)], [], [_at(104, brand="aurora")]], max_gap=2,
                     decay=0.85) == [[], [], []]  # fmt: skip


def test_a_gap_across_a_segment_boundary_is_filled_on_the_new_side() -> None:
    found = fill_gaps([False, False], [[], [_at(104)]], max_gap=2, decay=0.85,
                      before=[[_at(96)], [_at(100)]])  # fmt: skip
    assert [[v.source for v in f] for f in found] == [[GAP], []]
    assert fill_gaps([True, False], [[], [_at(104)]], max_gap=2, decay=0.85,
                     before=[[_at(100)]]) == [[], []]  # fmt: skip


def _shot(tint: tuple[int, int, int], seed: int) -> Image:
    """A 640x360 textured frame in shades of `tint` (BGR)."""
    shade = np.random.default_rng(seed).uniform(0.4, 1.0, (9, 16, 1))
    small = (shade * np.array(tint, np.float64)).astype(np.uint8)
    return np.asarray(cv2.resize(small, (640, 360), interpolation=cv2.INTER_NEAREST), np.uint8)


def test_a_brightness_change_is_no_cut_but_a_new_shot_is() -> None:
    stadium = _shot((60, 170, 40), 5)  # greens
    darker = np.asarray(stadium * 0.55, np.uint8)
    studio = _shot((200, 90, 60), 6)  # blues
    threshold = PipelineConfig().cut_threshold
    assert distance(colour_histogram(stadium), colour_histogram(darker)) < threshold
    assert distance(colour_histogram(stadium), colour_histogram(studio)) > threshold


def _scaled_scene(size: tuple[int, int]) -> Image:
    """`_scene` with PATCH resized to `size` (w, h) at (100, 100): a logo the camera zooms."""
    frame = _scene(None)
    small = cv2.resize(PATCH, size, interpolation=cv2.INTER_AREA)
    frame[100 : 100 + size[1], 100 : 100 + size[0]] = small
    return frame


def test_a_zooming_logo_is_followed_back_at_the_pipelines_backward_scales() -> None:
    grays = [_scaled_scene((60, 30)), _scaled_scene((80, 40))]
    sightings: list[list[Verified]] = [[], [_seen(100, 100)]]
    assert backtrack(grays, [False] * 2, sightings, CONFIG) == [[], []]  # 0.75 of its size
    backward = CONFIG.model_copy(update={"scales": PipelineConfig().backtrack_scales})
    found = backtrack(grays, [False] * 2, sightings, backward)
    assert [len(f) for f in found] == [1, 0]
    assert found[0][0].box[2] == pytest.approx(60, abs=2)


def _over(background_seed: int) -> Image:
    """`_scene` with PATCH at (100, 100) half blended with noise (a logo over a changing
    background: it correlates ~0.7 with its own pixels on another frame)."""
    frame = _scene(None)
    noise = np.random.default_rng(background_seed).integers(0, 255, PATCH.shape)
    blended = 0.5 * PATCH.astype(np.float32) + 0.5 * noise.astype(np.float32)
    frame[100:140, 100:180] = blended.astype(np.uint8)
    return frame


def test_a_step_the_net_supports_may_correlate_less() -> None:
    backward = TrackerConfig(max_coast=3, min_correlation=0.75)  # the pipeline's
    grays = [_over(1), _scene((100, 100))]
    sightings: list[list[Verified]] = [[], [_seen(100, 100)]]
    box = (96.0, 96.0, 88.0, 48.0)
    assert backtrack(grays, [False] * 2, sightings, backward) == [[], []]
    unsupported = backtrack(grays, [False] * 2, sightings, backward, supported_correlation=0.6)
    assert unsupported == [[], []]  # no proposals
    other = backtrack(grays, [False] * 2, sightings, backward, proposed=[[("aurora", box)], []],
                      supported_correlation=0.6)  # fmt: skip
    assert other == [[], []]  # the net names another brand there
    found = backtrack(grays, [False] * 2, sightings, backward, proposed=[[("volta", box)], []],
                      supported_correlation=0.6)  # fmt: skip
    assert [len(f) for f in found] == [1, 0]
    assert found[0][0].box[0] == pytest.approx(100, abs=2)
    elsewhere = backtrack(grays, [False] * 2, sightings, backward,
                          proposed=[[("volta", (400.0, 200.0, 80.0, 40.0))], []],
                          supported_correlation=0.6)  # fmt: skip
    assert elsewhere == [[], []]
