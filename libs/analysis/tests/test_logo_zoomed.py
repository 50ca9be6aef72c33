"""The zoomed net: the frame shown twice as large, in one pass, where the net at the frame's
scale proposes nothing; SIFT checks what it proposes."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from sightline_analysis.frames import Frame, Image
from sightline_analysis.logo.learned.model import INPUT_WIDTH, Candidate
from sightline_analysis.logo.learned.proposals import ProposalMatcher
from sightline_analysis.logo.matcher import LogoMatch
from sightline_analysis.logo.pipeline import LogoPipeline, PipelineConfig
from sightline_analysis.logo.tracker import Box
from sightline_analysis.logo.zoomed import ZoomedConfig
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
    (found,) = _matcher(net).propose_zoomed(frame, 2.0)
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
    """Counts the regions searched."""

    searched = 0

    def search(self, frame: Image, candidates: Sequence[Candidate]) -> list[list[LogoMatch]]:
        self.searched += len(candidates)
        return super().search(frame, candidates)


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
