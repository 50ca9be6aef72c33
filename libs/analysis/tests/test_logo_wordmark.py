"""The OCR channel's cost: what the recogniser is given (rapidocr's real engine)."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest

from sightline_analysis.frames import Frame
from sightline_analysis.logo.wordmark import WordmarkConfig


def test_each_line_is_recognised_at_its_own_width_above_the_floor() -> None:
    """A short word and a long caption on one frame: the short one is recognised at the
    floor `line_width`, the long one at its own width, each alone (rapidocr's default would
    pad both to 320 px and to each other's width in one batch: the recogniser's CPU is
    linear in the width it gets)."""
    pytest.importorskip("rapidocr_onnxruntime")
    from sightline_analysis.logo.wordmark import WordmarkReader  # noqa: PLC0415 - optional

    frame = np.full((720, 1280, 3), 200, np.uint8)
    cv2.putText(frame, "VOLTA", (100, 200), cv2.FONT_HERSHEY_DUPLEX, 2.0, (30, 30, 30), 4)
    cv2.putText(frame, "HALF TIME SCORE TWO ONE AFTER EXTRA TIME", (40, 500),
                cv2.FONT_HERSHEY_DUPLEX, 1.4, (30, 30, 30), 3)  # fmt: skip
    config = WordmarkConfig()
    reader = WordmarkReader(config)
    engine: Any = reader._engine
    crops: list[tuple[int, int]] = []
    inputs: list[tuple[int, ...]] = []
    crop_lines, session = engine.get_crop_img_list, engine.text_rec.session

    def cropped(image: np.ndarray, quads: list[np.ndarray]) -> list[np.ndarray]:
        found: list[np.ndarray] = crop_lines(image, quads)
        crops.extend((c.shape[0], c.shape[1]) for c in found)
        return found

    def recognised(batch: np.ndarray) -> Any:
        inputs.append(batch.shape)
        return session(batch)

    engine.get_crop_img_list = cropped
    engine.text_rec.session = recognised
    lines = reader.lines(Frame(frame, 0.0))
    assert sorted(line.text for line in lines) == [
        "HALF TIME SCORE TWO ONE AFTER EXTRA TIME",
        "VOLTA",
    ]
    widths = sorted(max(config.line_width, int(48 * w / h)) for h, w in crops)
    assert widths[0] == config.line_width < 320  # the short word: the floor, not 320
    assert widths[1] > 320
    assert sorted(inputs) == [(1, 3, 48, width) for width in widths]


def test_the_detectors_input_is_the_one_rapidocr_would_make() -> None:
    """The one-call preprocessing gives the text detector what rapidocr's own (float64
    numpy) preprocessing gives it, for the reduced frame's usual size and an odd one."""
    pytest.importorskip("rapidocr_onnxruntime")
    from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess  # noqa: PLC0415

    from sightline_analysis.logo.wordmark import load_engine  # noqa: PLC0415 - optional

    engine = load_engine(WordmarkConfig())
    rng = np.random.default_rng(5)
    for height, width in ((360, 640), (203, 517)):
        image = rng.integers(0, 256, (height, width, 3)).astype(np.uint8)
        theirs = DetPreProcess(960, "max", [0.5] * 3, [0.5] * 3)(image)
        ours = engine.text_det.get_preprocess(max(height, width))(image)
        assert ours.shape == theirs.shape
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours, theirs, atol=1e-5)


class _OneLineEngine:
    """rapidocr's engine surface with one line at `x`: recognition counts its calls and
    reads the line's mean grey level (pure logic: what is recognised, and when)."""

    def __init__(self) -> None:
        self.x = 100.0
        self.recognised = 0

    def text_det(self, small: np.ndarray) -> tuple[list[list[list[float]]], float]:
        x0, x1 = self.x, self.x + 80.0
        return [[[x0, 150.0], [x1, 150.0], [x1, 180.0], [x0, 180.0]]], 0.0

    def sorted_boxes(self, boxes: list[list[list[float]]]) -> list[list[list[float]]]:
        return boxes

    def get_crop_img_list(self, image: np.ndarray, quads: list[np.ndarray]) -> list[np.ndarray]:
        boxes = [(q.min(axis=0).astype(int), q.max(axis=0).astype(int)) for q in quads]
        return [image[y0:y1, x0:x1] for (x0, y0), (x1, y1) in boxes]

    def text_rec(self, crops: list[np.ndarray]) -> tuple[list[tuple[str, float]], float]:
        self.recognised += len(crops)
        return [(f"LINE{int(crop.mean())}", 0.99) for crop in crops], 0.0


def test_a_line_a_pan_carried_far_keeps_its_read() -> None:
    """The camera pans 160 px between two reads: an 80-px line no longer overlaps where it
    was, yet found where the pan moved it, with the same pixels, it keeps its read; a line
    that was not on the earlier frame is recognised."""
    from sightline_analysis.logo.wordmark import LineMemory, WordmarkReader  # noqa: PLC0415

    rng = np.random.default_rng(11)
    scene = cv2.resize(rng.integers(0, 255, (60, 140, 3)).astype(np.uint8), (1120, 480))
    engine = _OneLineEngine()
    # The frame read at its own size (640 px): the engine's boxes are in its pixels.
    reader = WordmarkReader(WordmarkConfig(width=640), engine=engine)
    memory = LineMemory()
    first = reader.lines(Frame(np.ascontiguousarray(scene[60:420, 200:840]), 0.0), memory)
    engine.x = 260.0  # the same line, 160 px to the right: the camera panned left
    (moved,) = reader.lines(Frame(np.ascontiguousarray(scene[60:420, 40:680]), 1.0), memory)
    assert engine.recognised == 1
    assert moved.text == first[0].text
    assert moved.box[0] == 260.0
    engine.x = 500.0  # a line where the pan brought other pixels
    reader.lines(Frame(np.ascontiguousarray(scene[60:420, 40:680]), 2.0), memory)
    assert engine.recognised == 2
