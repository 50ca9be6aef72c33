"""On-screen text analyzer: PP-OCR detection + recognition (models inside the rapidocr wheel,
run with onnxruntime; extra `sightline-analysis[ocr]`).

OCR costs seconds per 720p frame on one core, and captions and tickers change slowly, so by
default only the first sampled frame of each segment is read.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Final, Literal

from sightline_analysis.analyzers.base import (
    Analyzer,
    AnalyzerConfig,
    AnalyzerContext,
    collect,
    normalised_box,
)
from sightline_analysis.frames import Frame
from sightline_common.messages import Point, ResultItem

KEY: Final = "text"


class TextConfig(AnalyzerConfig):
    """How many frames per segment to read, the detector's input size, score and length floors."""

    type: Literal["text"] = KEY
    frames_per_segment: int = 1
    detect_side: int = 640
    min_score: float = 0.7
    min_alnum: int = 2
    threads: int = 1


def _load_engine(config: TextConfig) -> Any:
    from rapidocr_onnxruntime import RapidOCR  # noqa: PLC0415 - optional and heavy

    return RapidOCR(
        intra_op_num_threads=config.threads,
        inter_op_num_threads=config.threads,
        use_cls=False,
        det_limit_type="max",
        det_limit_side_len=config.detect_side,
    )


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

    def analyze(self, stream_id: str, frames: Sequence[Frame]) -> list[list[ResultItem]]:
        """Lines of text on the first `frames_per_segment` frames."""
        out = collect(frames)
        for slot, frame in list(zip(out, frames, strict=True))[: self._cfg.frames_per_segment]:
            with self._lock:
                lines, _elapsed = self._engine(frame.image)
            for quad, text, score in lines or []:
                if float(score) < self._cfg.min_score:
                    continue
                if sum(ch.isalnum() for ch in text) < self._cfg.min_alnum:
                    continue
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
                        label=str(text),
                        confidence=round(float(score), 4),
                        box=box,
                        polygon=[
                            Point(x=x / frame.width, y=y / frame.height)
                            for x, y in zip(xs, ys, strict=True)
                        ],
                        area_share=round(box.w * box.h, 6),
                    )
                )
        return out
