"""The zoomed read: the OCR channel reads the net's unverified proposals again, enlarged."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sightline_analysis.frames import Frame, Image
from sightline_analysis.logo.learned.model import Candidate
from sightline_analysis.logo.learned.proposals import ProposalConfig, ProposalMatcher
from sightline_analysis.logo.pipeline import LogoPipeline, PipelineConfig
from sightline_analysis.logo.tracker import Box
from sightline_analysis.logo.wordmark import WordmarkConfig, WordmarkReader
from sightline_analysis.logo.zoom_read import ZoomReadConfig, ZoomReads, zoom_reads
from sightline_analysis.logo_eval.brands import library_brands, look_alike_brands

from .unzoomed import UNZOOMED

BRANDS = ["aurora", "helix", "kestrel"]


def _scene(name: str, width: int) -> tuple[Image, Box]:
    """A grey 720p frame with the kit's `name` logo pasted `width` px wide at (500, 300)."""
    art = next(b.art for b in [*library_brands(), *look_alike_brands()] if b.name == name)
    height = round(art.shape[0] * width / art.shape[1])
    small = cv2.resize(art, (width, height), interpolation=cv2.INTER_AREA)
    alpha = small[:, :, 3:].astype(np.float32) / 255.0
    frame = np.full((720, 1280, 3), 150, np.uint8)
    spot = frame[300 : 300 + height, 500 : 500 + width].astype(np.float32)
    pasted = small[:, :, :3] * alpha + spot * (1 - alpha)
    frame[300 : 300 + height, 500 : 500 + width] = pasted.astype(np.uint8)
    return frame, (500.0, 300.0, float(width), float(height))


def test_a_small_wordmark_the_whole_frame_read_misses_is_read_zoomed_whatever_the_net_named() -> (
    None
):
    """AURORA 72 px wide: too small for the line detector on the 512-px frame, read easily
    on the crop around a proposal enlarged to 512 px; the net's name (here "helix") does not
    matter, the text names the brand."""
    pytest.importorskip("rapidocr_onnxruntime")
    frame, box = _scene("aurora", 72)
    reader = WordmarkReader()
    assert reader.read(Frame(frame, 0.0), BRANDS) == []
    proposal = Candidate("helix", box, 0.8, 3)
    (read,) = zoom_reads(
        Frame(frame, 0.0), reader, [proposal], [], brands=BRANDS, config=ZoomReadConfig()
    ).sightings
    assert read.brand == "aurora"
    x, y, w, h = read.box  # mapped back to frame pixels, on the logo
    assert box[0] <= x + w / 2 <= box[0] + box[2]
    assert box[1] <= y + h / 2 <= box[1] + box[3]


def test_a_look_alikes_text_is_not_read_as_its_target() -> None:
    pytest.importorskip("rapidocr_onnxruntime")
    frame, box = _scene("aurore", 72)
    proposal = Candidate("aurora", box, 0.9, 3)
    reads = zoom_reads(Frame(frame, 0.0), WordmarkReader(), [proposal], [], brands=BRANDS,
                       config=ZoomReadConfig())  # fmt: skip
    assert reads.sightings == []
    assert reads.empty == [proposal]  # read, in vain


class _CountingEngine:
    """rapidocr's engine surface finding no line: counts the crops handed to detection."""

    def __init__(self) -> None:
        self.widths: list[int] = []
        self.heights: list[int] = []

    def text_det(self, small: Image) -> tuple[None, float]:
        self.widths.append(small.shape[1])
        self.heights.append(small.shape[0])
        return None, 0.0


def test_proposals_over_a_held_sighting_are_not_read_and_at_most_max_reads_are() -> None:
    engine = _CountingEngine()
    reader = WordmarkReader(WordmarkConfig(width=512), engine=engine)
    frame = Frame(np.full((720, 1280, 3), 150, np.uint8), 0.0)
    held: Box = (100.0, 100.0, 100.0, 40.0)
    proposals = [
        Candidate("aurora", (120.0, 110.0, 60.0, 20.0), 0.99, 3),  # on the held sighting
        Candidate("helix", (400.0, 300.0, 60.0, 20.0), 0.9, 3),
        Candidate("kestrel", (800.0, 300.0, 200.0, 80.0), 0.8, 3),
        Candidate("aurora", (800.0, 500.0, 60.0, 20.0), 0.7, 3),  # past max_reads
    ]
    config = ZoomReadConfig(margin=1.0, max_zoom=3.0, max_reads=2)
    reads = zoom_reads(frame, reader, proposals, [held], brands=BRANDS, config=config)
    assert reads == ZoomReads([], proposals[1:3])  # both read, nothing found
    # helix: a 180-px crop enlarged 2.84 times; kestrel: 600 px, reduced to 512 by `lines`
    assert engine.widths == [round(180 * 512 / 180), 512]


def test_only_proposals_the_zoomed_net_is_sure_of_are_read() -> None:
    engine = _CountingEngine()
    reader = WordmarkReader(WordmarkConfig(width=512), engine=engine)
    frame = Frame(np.full((720, 1280, 3), 150, np.uint8), 0.0)
    sure = Candidate("helix", (400.0, 300.0, 60.0, 20.0), 0.6, 3)
    unsure = Candidate("aurora", (800.0, 300.0, 60.0, 20.0), 0.9, 3)
    looks = {sure: 0.97, unsure: 0.5}
    config = ZoomReadConfig(min_look=0.95)
    zoom_reads(frame, reader, [unsure, sure], [], brands=BRANDS, config=config, look=looks.get)
    assert len(engine.widths) == 1  # the sure one only
    zoom_reads(frame, reader, [unsure, sure], [], brands=BRANDS, config=config,
               look=lambda candidate: None)  # fmt: skip
    assert len(engine.widths) == 3  # no net to ask: both are read


class _ProposingNet:
    """Stands in for the trained net (pure logic): proposes one fixed box."""

    def __init__(self, proposal: Candidate) -> None:
        self.proposal = proposal
        self.names = BRANDS

    def __call__(self, image: Image) -> list[Candidate]:
        return [self.proposal]


def test_the_pipeline_reports_a_brand_read_zoomed_on_a_proposal_nothing_verified() -> None:
    pytest.importorskip("rapidocr_onnxruntime")
    frame, box = _scene("aurora", 64)  # one the region search does not verify
    matcher = ProposalMatcher(proposals=ProposalConfig(min_width=0.0))
    matcher.add("aurora-1", "aurora", next(b.art for b in library_brands() if b.name == "aurora"))
    matcher.use(_ProposingNet(Candidate("helix", box, 0.8, 3)))  # type: ignore[arg-type]
    reader = WordmarkReader()
    found = {
        enabled: [
            (s.brand, s.source)
            for s in LogoPipeline(
                matcher, PipelineConfig(zoom_read=ZoomReadConfig(enabled=enabled)), reader
            ).process(Frame(frame, 0.0))
        ]
        for enabled in (False, True)
    }
    assert found == {False: [], True: [("aurora", "text")]}


def _zoom_read_crops(frames: int, **settings: bool) -> int:
    """How many zoomed reads a pipeline makes over `frames` copies of a blank frame where the
    net proposes one box every frame (the reader finds no line anywhere), with `settings`."""
    engine = _CountingEngine()
    matcher = ProposalMatcher(proposals=ProposalConfig(min_width=0.0))
    matcher.add("aurora-1", "aurora", next(b.art for b in library_brands() if b.name == "aurora"))
    matcher.use(_ProposingNet(Candidate("helix", (400.0, 300.0, 60.0, 20.0), 0.8, 3)))  # type: ignore[arg-type]
    config = PipelineConfig(backtrack=False, fill_gaps=0, zoomed=UNZOOMED).model_copy(
        update=settings
    )
    pipeline = LogoPipeline(matcher, config, WordmarkReader(WordmarkConfig(), engine=engine))
    image = np.full((720, 1280, 3), 150, np.uint8)
    for k in range(frames):
        assert pipeline.process(Frame(image, k * 0.5)) == []
    whole_frame_height = 288  # the whole-frame reads' lines are detected at 512 x 288
    return sum(height != whole_frame_height for height in engine.heights)


def test_a_proposal_read_in_vain_is_read_again_only_on_the_next_frame() -> None:
    assert _zoom_read_crops(5) == 3  # frames 0, 2, 4
    assert _zoom_read_crops(5, skip_unread=False) == 5


def test_lines_on_a_tall_crop_are_detected_on_no_more_pixels_than_max_detect_pixels() -> None:
    engine = _CountingEngine()
    reader = WordmarkReader(WordmarkConfig(width=512), engine=engine)
    frame = Frame(np.full((720, 1280, 3), 150, np.uint8), 0.0)
    square = Candidate("helix", (400.0, 200.0, 100.0, 100.0), 0.9, 3)  # crop 300 x 300 -> 512
    for pixels in (512 * 288, 512 * 512):
        zoom_reads(frame, reader, [square], [], brands=BRANDS,
                   config=ZoomReadConfig(max_detect_pixels=pixels))  # fmt: skip
    assert list(zip(engine.widths, engine.heights, strict=True)) == [(384, 384), (512, 512)]


class _TwoLinesEngine:
    """rapidocr's engine surface finding two lines on any image, one in its top-left corner
    and one at its centre, both read "HELIX"; counts the lines recognised."""

    def __init__(self) -> None:
        self.recognised = 0

    def text_det(self, small: Image) -> tuple[np.ndarray, float]:
        h, w = small.shape[:2]
        corner = [[10, 10], [60, 10], [60, 30], [10, 30]]
        centre = [[w / 2 - 20, h / 2 - 5], [w / 2 + 20, h / 2 - 5], [w / 2 + 20, h / 2 + 5],
                  [w / 2 - 20, h / 2 + 5]]  # fmt: skip
        return np.array([corner, centre], np.float32), 0.0

    def sorted_boxes(self, boxes: np.ndarray) -> list[np.ndarray]:
        return list(boxes)

    def get_crop_img_list(self, image: Image, quads: list[np.ndarray]) -> list[Image]:
        return [image[:8, :8] for _ in quads]

    def text_rec(self, crops: list[Image]) -> tuple[list[tuple[str, float]], float]:
        self.recognised += len(crops)
        return [("HELIX", 0.99)] * len(crops), 0.0


def test_only_the_lines_over_the_proposals_box_are_recognised() -> None:
    frame = Frame(np.full((720, 1280, 3), 150, np.uint8), 0.0)
    proposal = Candidate("helix", (400.0, 300.0, 60.0, 20.0), 0.9, 3)  # the crop's centre
    for only, recognised in ((True, 1), (False, 2)):
        engine = _TwoLinesEngine()
        reader = WordmarkReader(WordmarkConfig(width=512), engine=engine)
        reads = zoom_reads(frame, reader, [proposal], [], brands=BRANDS,
                           config=ZoomReadConfig(box_lines_only=only))  # fmt: skip
        assert [read.brand for read in reads.sightings] == ["helix"]
        assert engine.recognised == recognised
