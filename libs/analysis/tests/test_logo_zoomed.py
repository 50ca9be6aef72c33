"""The zoomed net: the frame shown twice as large, in one pass, where the net at the frame's
scale proposes nothing; SIFT checks what it proposes."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import cv2
import numpy as np

from sightline_analysis.frames import Frame, Image
from sightline_analysis.logo.learned.model import INPUT_WIDTH, Candidate, HeatmapNet, input_rows
from sightline_analysis.logo.learned.proposals import ProposalMatcher
from sightline_analysis.logo.learned.synth import STRIDE
from sightline_analysis.logo.matcher import LogoMatch
from sightline_analysis.logo.pipeline import LogoPipeline, PipelineConfig
from sightline_analysis.logo.tracker import Box
from sightline_analysis.logo.zoom_read import ZoomReadConfig
from sightline_analysis.logo.zoomed import ZoomedConfig, zoomed_finds
from sightline_analysis.logo_eval.brands import library_brands

GREY = 150
AURORA = next(b.art for b in library_brands() if b.name == "aurora")


def _scene(width: int) -> tuple[Image, Box]:
    """A grey 720p frame with the kit's AURORA pasted `width` px wide at (700, 420)."""
    height = round(AURORA.shape[0] * width / AURORA.shape[1])
    small = cv2.resize(AURORA, (width, height), interpolation=cv2.INTER_AREA)
    alpha = small[:, :, 3:].astype(np.float32) / 255.0
    frame = np.full((720, 1280, 3), GREY, np.uint8)
    spot = frame[420 : 420 + height, 700 : 700 + width].astype(np.float32)
    pasted = small[:, :, :3] * alpha + spot * (1 - alpha)
    frame[420 : 420 + height, 700 : 700 + width] = pasted.astype(np.uint8)
    return frame, (700.0, 420.0, float(width), float(height))


class _NearSighted:
    """Stands in for the trained net: sees the logo (whatever is not grey) only when the image
    is reduced to at least twice the net's input width, and records the shapes and widths it
    was shown."""

    def __init__(self) -> None:
        self.names = ["aurora"]
        self.seen: list[tuple[tuple[int, ...], int]] = []

    def __call__(self, image: Image, width: int = INPUT_WIDTH) -> list[Candidate]:
        self.seen.append((image.shape, width))
        if width < 2 * INPUT_WIDTH:
            return []
        rows, cols = np.nonzero(np.any(image != GREY, axis=2))
        if not len(rows):
            return []
        left, top = float(cols.min()), float(rows.min())
        box = (left, top, float(cols.max()) + 1 - left, float(rows.max()) + 1 - top)
        return [Candidate("aurora", box, 0.97, 4)]


def _matcher(net: _NearSighted) -> ProposalMatcher:
    matcher = ProposalMatcher()
    matcher.add("aurora-1", "aurora", AURORA)
    matcher.use(net)  # type: ignore[arg-type]
    return matcher


def test_the_zoomed_net_sees_the_whole_frame_once_at_twice_the_width() -> None:
    frame, _ = _scene(200)
    rows, cols = np.nonzero(np.any(frame != GREY, axis=2))  # the logo's opaque part
    x, y, w, h = cols.min(), rows.min(), np.ptp(cols) + 1, np.ptp(rows) + 1
    net = _NearSighted()
    view = _matcher(net).view_zoomed(frame, 2.0)
    assert view is not None
    (found,) = view.proposals
    assert net.seen == [((720, 1280, 3), 960)]
    fx, fy, fw, fh = found.box
    assert abs(fx - x) <= 1
    assert abs(fy - y) <= 1
    assert abs(fx + fw - x - w) <= 1
    assert abs(fy + fh - y - h) <= 1


def test_a_logo_only_the_zoomed_net_proposes_is_verified_there_on_its_turn() -> None:
    frame, _ = _scene(200)

    def found(zoomed: ZoomedConfig) -> list[list[str]]:
        config = PipelineConfig(zoomed=zoomed, backtrack=False, fill_gaps=0)
        pipeline = LogoPipeline(_matcher(_NearSighted()), config)
        return [[s.brand for s in pipeline.process(Frame(frame, k * 0.5))] for k in range(2)]

    assert found(ZoomedConfig(enabled=False)) == [[], []]
    # every 2nd frame of a shot (the default), the second first; the track then follows it
    assert found(ZoomedConfig(enabled=True)) == [[], ["aurora"]]
    assert found(ZoomedConfig(enabled=True, every=1)) == [["aurora"], ["aurora"]]


class _CountingMatcher(ProposalMatcher):
    """Counts the regions searched (and keeps the proposals they were grown from)."""

    searched = 0

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[Candidate] = []

    def search(self, frame: Image, candidates: Sequence[Candidate]) -> list[list[LogoMatch]]:
        self.searched += len(candidates)
        self.asked.extend(candidates)
        return super().search(frame, candidates)


def test_only_sure_zoomed_proposals_are_checked_the_surest_first() -> None:
    frame = Frame(np.full((720, 1280, 3), GREY, np.uint8), 0.0)
    matcher = _CountingMatcher()
    matcher.add("aurora-1", "aurora", AURORA)
    unsure, sure, surest = (Candidate("aurora", (100.0 + 300 * k, 300.0, 120.0, 60.0), score, 9)
                            for k, score in enumerate((0.9, 0.96, 0.99)))  # fmt: skip
    found = zoomed_finds(frame, matcher, None, [], [], ZoomedConfig(), ZoomReadConfig(),
                         reader_lock=threading.Lock(), seen=[unsure, sure, surest])  # fmt: skip
    assert matcher.asked == [surest, sure]
    assert found.empty == [surest, sure]  # grey: SIFT verified nothing there


def test_a_place_checked_in_vain_is_checked_again_only_on_the_next_look() -> None:
    frame = np.full((720, 1280, 3), GREY, np.uint8)
    cv2.rectangle(frame, (700, 420), (900, 520), (40, 90, 200), -1)  # no logo: SIFT finds none
    matcher = _CountingMatcher()
    matcher.add("aurora-1", "aurora", AURORA)
    matcher.use(_NearSighted())  # type: ignore[arg-type]
    config = PipelineConfig(
        zoomed=ZoomedConfig(enabled=True, every=1), backtrack=False, fill_gaps=0
    )
    pipeline = LogoPipeline(matcher, config)
    for k in range(5):
        assert pipeline.process(Frame(frame, k * 0.5)) == []
    assert matcher.searched == 3  # frames 0, 2 and 4


class _Flat(HeatmapNet):
    """A net (no TensorFlow) that sees AURORA at `probability` in every cell of whatever it is
    shown; records each input's (height, width) and the width it was reduced to."""

    def __init__(self, probability: float) -> None:
        self.names = ["aurora"]
        self.threshold = 0.5
        self.probability = probability
        self.seen: list[tuple[tuple[int, int], int]] = []

    def ready(self, rows: int, width: int = INPUT_WIDTH) -> bool:
        return True

    def heatmap(
        self, image: Image, width: int = INPUT_WIDTH
    ) -> tuple[np.ndarray, tuple[float, float]]:
        height, frame_width = image.shape[:2]
        self.seen.append(((height, frame_width), width))
        rows = input_rows(frame_width, height, width)
        probs = np.empty((rows // STRIDE, width // STRIDE, 2), np.float32)
        probs[:, :, 0], probs[:, :, 1] = 1 - self.probability, self.probability
        return probs, (frame_width / width, height / rows)


def test_on_its_turn_the_zoomed_pass_answers_the_second_looks_without_a_pass_each() -> None:
    frame = np.full((720, 1280, 3), GREY, np.uint8)  # a proposal nothing verifies or starts

    def looks(enabled: bool) -> tuple[list[tuple[tuple[int, int], int]], list[float]]:
        net = _Flat(0.6)
        matcher = ProposalMatcher()
        matcher.add("aurora-1", "aurora", AURORA)
        matcher.use(net)
        zoomed = ZoomedConfig(enabled=enabled, every=1)
        pipeline = LogoPipeline(matcher, PipelineConfig(zoomed=zoomed, backtrack=False))
        pipeline.process(Frame(frame, 0.0))
        return net.seen, [round(answer, 4) for _, answer in pipeline._unsure]

    # off: the frame at the net's width, then the second look's crop of half the frame
    assert looks(False) == ([((720, 1280), INPUT_WIDTH), ((360, 640), INPUT_WIDTH)], [0.6])
    # on: the frame at the net's width and at twice it; that pass gives the same answer
    assert looks(True) == ([((720, 1280), INPUT_WIDTH), ((720, 1280), 2 * INPUT_WIDTH)], [0.6])
