"""The OCR channel reads the first frame of every shot, whatever the stream's frame count.

It used to read every `wordmark.every`-th frame of the stream, so whether a shot's first frame
was read depended on how many frames the stream had before it: the kit bench (a fresh
pipeline per clip, every clip starting at frame 0) read each clip's first frame, while the
same clips back to back in one stream, as a broadcast runs, lost a quarter of one clip's
recall.
"""

from __future__ import annotations

import numpy as np
import pytest

from sightline_analysis.frames import Frame, Image
from sightline_analysis.logo.matcher import LogoMatcher
from sightline_analysis.logo.pipeline import LogoPipeline, PipelineConfig
from sightline_analysis.logo.tracker import Verified


def _shot(bgr: tuple[int, int, int]) -> Image:
    frame = np.zeros((360, 640, 3), np.uint8)
    frame[:] = bgr
    return frame


def test_the_first_frame_of_each_shot_is_read_wherever_the_shot_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sightline_analysis.logo.wordmark import WordmarkReader  # noqa: PLC0415 - optional

    pipeline = LogoPipeline(LogoMatcher(), PipelineConfig(reverify=False), WordmarkReader())
    assert pipeline.config.wordmark.every == 2
    read: list[float] = []

    def record(frame: Frame, _scale: float, _verified: list[Verified]) -> list[Verified]:
        read.append(frame.offset)
        return []

    monkeypatch.setattr(pipeline, "_read", record)
    grey, red = _shot((128, 128, 128)), _shot((0, 0, 220))
    # A grey shot of three frames, then a cut to a red one at the stream's fourth frame.
    for t, image in ((0.0, grey), (0.5, grey), (1.0, grey), (1.5, red), (2.0, red), (2.5, red)):
        pipeline.process(Frame(image, t))
    assert read == [0.0, 1.0, 1.5, 2.5]
