"""On-screen text analyzer: PP-OCR detection + recognition (models inside the rapidocr wheel,
run with onnxruntime; extra `sightline-analysis[ocr]`).

OCR costs seconds per 720p frame on one core, and captions and tickers change slowly, so by
default only the first sampled frame of each segment is read. And it is read only where text
is likely: the text detector first runs once over the frame reduced to `detect_side` px wide
(a quarter of 720p's pixels), and the regions where its text probability exceeds
`likely_above` are then detected at full size and recognised (rapidocr 1.x ignored the
`det_limit_side_len` the analyzer used to pass for "max", so 720p was always detected whole
at full size). Measured on 720p captions 10-35 px high (tests/test_reduced_analysis.py): as
many lines read as one full-size pass, for about a third of its CPU; of lines 8-9 px high
(fine print) some that the full-size pass read are missed. `detect_side: 0` restores the
single full-size pass.

Captions, lower thirds and scoreboards mostly stay put for many segments, so a read is reused
when nothing changed: if the regions likely to hold text lie inside those of the stream's last
read and no small patch of the text in either changed (the largest 3x3-block mean of the
absolute difference of the luma at 1/4 size, over where the detector's text probability is
high now or was then, stays under `unchanged_below` grey levels: camera noise of sigma 7 moves
it by ~3, one changed digit of a 22-px clock by ~125), the last read's lines are reported again
without running recognition (half of the analyzer's cost), each marked `reused` in its
attributes. Only the text itself is compared, not the margin read around it: a caption over a
panning or moving picture is not read again because the picture behind its box moved. When
nothing in the whole picture changed by that measure (a still shot), not even the detection
pass runs again.
`unchanged_below: 0` reads every time.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import cv2
import numpy as np
from pydantic import Field

from sightline_analysis.analyzers.base import (
    Analyzer,
    AnalyzerConfig,
    AnalyzerContext,
    collect,
    normalised_box,
)
from sightline_analysis.frames import Frame, Image
from sightline_analysis.ocr_models import folded_model_paths
from sightline_analysis.rapidocr_engine import check_uniform_std, detector_input, with_memory_arena
from sightline_common.messages import Point, ResultItem

KEY: Final = "text"
Region = tuple[int, int, int, int]  # x0, y0, x1, y1 in full-size pixels
Line = tuple[list[tuple[float, float]], tuple[str, float]]  # quadrilateral, (text, score)
_COMPARE_WIDTH = 320  # luma size the change test compares (area-averaged: noise evens out)
_REGION_SLACK_PX = 32  # a likely region found again this far outside the last is the same


@dataclass(frozen=True)
class _LastRead:
    """A stream's last read: the regions read, where the text was, the luma, the lines read."""

    regions: list[Region]
    areas: list[Region]
    luma: Image
    lines: list[Line]


class TextConfig(AnalyzerConfig):
    """Frames read per segment; the size of the whole-frame pass and the text probability
    that marks a region to read at full size; score and length floors."""

    type: Literal["text"] = KEY
    frames_per_segment: int = 1
    detect_side: int = Field(640, ge=0)
    likely_above: float = Field(0.1, gt=0.0, lt=1.0)
    min_score: float = 0.7
    min_alnum: int = 2
    threads: int = 1
    unchanged_below: float = Field(12.0, ge=0.0)


def _load_engine(config: TextConfig) -> Any:
    from rapidocr_onnxruntime import RapidOCR  # noqa: PLC0415 - optional and heavy

    engine = RapidOCR(
        **folded_model_paths(),
        intra_op_num_threads=config.threads,
        inter_op_num_threads=config.threads,
        use_cls=False,
        # "max": never enlarge (rapidocr then reads anything under 1500 px at its own size);
        # the default "min" would blow a caption-sized crop up to 736 px high.
        det_limit_type="max",
        det_limit_side_len=2000,
    )
    for session in (engine.text_det.infer, engine.text_rec.session):
        session.session = with_memory_arena(session.session)
    check_uniform_std(engine)
    return engine


def _merge(regions: list[Region]) -> list[Region]:
    """`regions` with every overlapping pair replaced by their union, until none overlap."""
    merged = list(regions)
    changed = True
    while changed:
        changed = False
        for i in range(len(merged)):
            for j in range(i + 1, len(merged)):
                a, b = merged[i], merged[j]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    merged[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    del merged[j]
                    changed = True
                    break
            if changed:
                break
    return merged


class TextAnalyzer(Analyzer):
    """A `text` result per line read: the text as label, its box and quadrilateral."""

    key = KEY
    config_model = TextConfig

    def __init__(self, config: AnalyzerConfig, context: AnalyzerContext) -> None:
        super().__init__(config, context)
        assert isinstance(config, TextConfig)
        self._cfg = config
        self._engine = _load_engine(config)
        self._lock = threading.Lock()
        self._last: dict[str, _LastRead] = {}

    def analyze(self, stream_id: str, frames: Sequence[Frame]) -> list[list[ResultItem]]:
        """Lines of text on the first `frames_per_segment` frames."""
        out = collect(frames)
        for slot, frame in list(zip(out, frames, strict=True))[: self._cfg.frames_per_segment]:
            with self._lock:
                lines, reused = self._read_or_reuse(stream_id, frame)
            for quad, text in lines:
                xs = [float(p[0]) for p in quad]
                ys = [float(p[1]) for p in quad]
                box = normalised_box(
                    (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)),
                    frame.width,
                    frame.height,
                )
                slot.append(
                    ResultItem(
                        kind="text",
                        label=text[0],
                        confidence=round(text[1], 4),
                        box=box,
                        polygon=[
                            Point(x=x / frame.width, y=y / frame.height)
                            for x, y in zip(xs, ys, strict=True)
                        ],
                        area_share=round(box.w * box.h, 6),
                        attributes={"reused": True} if reused else {},
                    )
                )
        return out

    def forget(self, stream_id: str) -> None:
        """Drop the stream's last read."""
        with self._lock:
            self._last.pop(stream_id, None)

    def _read_or_reuse(self, stream_id: str, frame: Frame) -> tuple[list[Line], bool]:
        """The lines on `frame` and whether they are the stream's last read again (its text is
        unchanged) rather than a new read (remembered for the next segment)."""
        luma = frame.scaled(_COMPARE_WIDTH, gray=True)
        last = self._last.get(stream_id)
        change = self._change(last, luma)
        if (
            last is not None
            and change is not None
            and float(change.max()) < self._cfg.unchanged_below
        ):
            return last.lines, True  # nothing in the whole picture changed, so neither did text
        regions, areas = self.likely_text(frame)
        if (
            last is not None
            and change is not None
            and self._unchanged(last, regions, areas, change, frame.width)
        ):
            return last.lines, True
        lines = self._read(frame, regions)
        self._last[stream_id] = _LastRead(regions, areas, luma, lines)
        return lines, False

    def _change(self, last: _LastRead | None, luma: Image) -> Image | None:
        """The 3x3-block mean of the absolute luma difference from the last read (None when
        there is none to compare, or reuse is off)."""
        if last is None or self._cfg.unchanged_below <= 0 or luma.shape != last.luma.shape:
            return None
        return np.asarray(cv2.blur(cv2.absdiff(luma, last.luma), (3, 3)), np.uint8)

    def _unchanged(
        self,
        last: _LastRead,
        regions: list[Region],
        areas: list[Region],
        change: Image,
        width: int,
    ) -> bool:
        """Whether the last read still holds: every region likely to hold text now lies inside
        one read then (give or take the detector's jitter), and no text changed, appeared or
        went in the areas where text is now or was then (`change`: see `_change`)."""
        slack = _REGION_SLACK_PX
        for x0, y0, x1, y1 in regions:
            if not any(
                x0 >= a0 - slack and y0 >= b0 - slack and x1 <= a1 + slack and y1 <= b1 + slack
                for a0, b0, a1, b1 in last.regions
            ):
                return False  # text where none was read
        scale = change.shape[1] / width
        for x0, y0, x1, y1 in [*areas, *last.areas]:  # new text, or text gone or changed
            patch = change[
                int(y0 * scale) : int(y1 * scale) + 1, int(x0 * scale) : int(x1 * scale) + 1
            ]
            if patch.size and float(patch.max()) >= self._cfg.unchanged_below:
                return False
        return True

    def likely_text(self, frame: Frame) -> tuple[list[Region], list[Region]]:
        """Full-size boxes around where the detector, run on a reduced frame, sees text (the
        regions to read; the whole frame when `detect_side` is 0 or not below the frame's
        width), and the boxes of the text itself in them."""
        if not 0 < self._cfg.detect_side < frame.width:
            whole = [(0, 0, frame.width, frame.height)]
            return whole, whole
        det = self._engine.text_det
        small = frame.scaled(self._cfg.detect_side)
        tensor = detector_input(small, det.mean, det.std)
        probability = np.asarray(det.infer(tensor)[0][0, 0], np.float32)
        # Join the letters and words of a line into one region (gaps of a few map pixels).
        mask = cv2.dilate(
            (probability > self._cfg.likely_above).astype(np.uint8), np.ones((3, 9), np.uint8)
        )
        count, _labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        sx, sy = frame.width / probability.shape[1], frame.height / probability.shape[0]
        regions, areas = [], []
        for x, y, w, h, _area in stats[1:count]:
            left, top = int(x * sx), int(y * sy)
            right, bottom = int((x + w) * sx), int((y + h) * sy)
            areas.append((left, top, right, bottom))
            pad = int(24 + 2.0 * h * sy)  # room for the full-size detector's own context
            regions.append(
                (
                    max(0, left - pad),
                    max(0, top - pad),
                    min(frame.width, right + pad),
                    min(frame.height, bottom + pad),
                )
            )
        return _merge(regions), areas

    def _read(self, frame: Frame, regions: list[Region]) -> list[Line]:
        """(quadrilateral in frame pixels, (text, score)) of each line kept.

        What rapidocr does for a whole frame, restricted to the likely regions: its detector
        input is the frame resized to multiples of 32; each region becomes a window of that
        input on its 32-px grid (where the network's features are those of the whole input,
        away from the window's edges), detected and mapped back exactly as the whole input
        would be; lines are recognised from the full-size frame."""
        engine = self._engine
        det = engine.text_det
        height, width = frame.height, frame.width
        det_w, det_h = (max(32, round(side / 32) * 32) for side in (width, height))
        rx, ry = det_w / width, det_h / height
        det_input: Image | None = None
        boxes: list[np.ndarray] = []
        for x0, y0, x1, y1 in regions:
            if det_input is None:
                det_input = np.asarray(cv2.resize(frame.image, (det_w, det_h)), np.uint8)
            left, top = int(x0 * rx) // 32 * 32, int(y0 * ry) // 32 * 32
            right = min(det_w, -(-int(x1 * rx) // 32) * 32)
            bottom = min(det_h, -(-int(y1 * ry) // 32) * 32)
            window = det_input[top:bottom, left:right]
            preds = det.infer(detector_input(window, det.mean, det.std))[0]
            found, _scores = det.postprocess_op(preds, window.shape[:2])
            for quad in found:
                box = np.asarray(quad, np.float32)
                box[:, 0] = (box[:, 0] + left) / rx
                box[:, 1] = (box[:, 1] + top) / ry
                boxes.append(box)
        if not boxes:
            return []
        kept_boxes = det.filter_tag_det_res(np.array(boxes), (height, width))
        if len(kept_boxes) == 0:
            return []
        ordered = engine.sorted_boxes(kept_boxes)
        read, _elapsed = engine.text_rec(engine.get_crop_img_list(frame.image, ordered))
        kept = []
        for quad, (text, score) in zip(ordered, read, strict=True):
            if float(score) < self._cfg.min_score:
                continue
            if sum(ch.isalnum() for ch in text) < self._cfg.min_alnum:
                continue
            kept.append(([(float(x), float(y)) for x, y in quad], (str(text), float(score))))
        return kept
