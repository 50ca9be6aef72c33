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


def _reads(
    pipeline: LogoPipeline, shots: list[tuple[Image, int]], monkeypatch: pytest.MonkeyPatch
) -> list[float]:
    """The times of the frames the OCR channel reads over `shots` (picture, frames; a cut
    between two shots), sampled every 0.5 s."""
    read: list[float] = []

    def record(frame: Frame, _scale: float, _verified: list[Verified]) -> list[Verified]:
        read.append(frame.offset)
        return []

    monkeypatch.setattr(pipeline, "_read", record)
    images = [image for image, frames in shots for _ in range(frames)]
    for k, image in enumerate(images):
        pipeline.process(Frame(image, k * 0.5))
    return read


def test_the_first_frame_of_each_shot_is_read_wherever_the_shot_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sightline_analysis.logo.wordmark import WordmarkReader  # noqa: PLC0415 - optional

    config = PipelineConfig(reverify=False, wordmark=WordmarkConfig(lead_in=1))
    pipeline = LogoPipeline(LogoMatcher(), config, WordmarkReader())
    assert pipeline.config.wordmark.every == 2
    # A grey shot of three frames, then a cut to a red one at the stream's fourth frame.
    read = _reads(pipeline, [(_shot((128, 128, 128)), 3), (_shot((0, 0, 220)), 3)], monkeypatch)
    assert read == [0.0, 1.0, 1.5, 2.5]


def test_the_first_two_frames_of_each_shot_are_read_then_every_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sightline_analysis.logo.wordmark import WordmarkReader  # noqa: PLC0415 - optional

    pipeline = LogoPipeline(LogoMatcher(), PipelineConfig(reverify=False), WordmarkReader())
    read = _reads(pipeline, [(_shot((128, 128, 128)), 4), (_shot((0, 0, 220)), 4)], monkeypatch)
    assert read == [0.0, 0.5, 1.0, 2.0, 2.5, 3.0]
