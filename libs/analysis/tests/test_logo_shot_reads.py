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
from sightline_analysis.logo.wordmark import WordmarkConfig


def _shot(bgr: tuple[int, int, int]) -> Image:
    frame = np.zeros((360, 640, 3), np.uint8)
    frame[:] = bgr
    return frame


GREY, RED = _shot((128, 128, 128)), _shot((0, 0, 220))


def _read_at(
    monkeypatch: pytest.MonkeyPatch, config: PipelineConfig, stream: list[tuple[float, Image]]
) -> list[float]:
    """The times of the frames of `stream` (time, picture) that the OCR channel reads whole."""
    from sightline_analysis.logo.wordmark import WordmarkReader  # noqa: PLC0415 - optional

    pipeline = LogoPipeline(LogoMatcher(), config, WordmarkReader())
    read: list[float] = []

    def record(frame: Frame, _scale: float, _verified: list[Verified]) -> list[Verified]:
        read.append(frame.offset)
        return []

    monkeypatch.setattr(pipeline, "_read", record)
    for t, image in stream:
        pipeline.process(Frame(image, t))
    return read


def test_the_first_frame_of_each_shot_is_read_wherever_the_shot_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = PipelineConfig(reverify=False, wordmark=WordmarkConfig(every=2))
    # A grey shot of three frames, then a cut to a red one at the stream's fourth frame.
    stream = [(0.0, GREY), (0.5, GREY), (1.0, GREY), (1.5, RED), (2.0, RED), (2.5, RED)]
    assert _read_at(monkeypatch, config, stream) == [0.0, 1.0, 1.5, 2.5]


def test_by_default_a_shot_is_read_on_its_first_frame_and_every_fourth_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The whole-frame read is the channel's costliest step; the zoomed reads cover the net's
    unverified proposals on the frames between."""
    # A grey shot of six frames, then a cut to a red one.
    stream = [*((k * 0.5, GREY) for k in range(6)), (3.0, RED)]
    assert _read_at(monkeypatch, PipelineConfig(reverify=False), stream) == [0.0, 2.0, 3.0]
