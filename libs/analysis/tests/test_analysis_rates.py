"""Analyzers that do not run on every sampled frame (issue 15's cost cut): what they report on
the frames they skip."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from sightline_analysis.analyzers import AnalyzerContext, AnalyzerRegistry
from sightline_analysis.analyzers.plugins.text import Line, Region, TextAnalyzer
from sightline_analysis.frames import Frame
from sightline_analysis.synthetic import background

REGISTRY = AnalyzerRegistry.discover()
CONTEXT = AnalyzerContext()


def _astronaut(offset: float) -> Frame:
    frame = background(12)
    frame[100:612, 600:1112] = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    return Frame(frame, offset)


def _other_shot(offset: float) -> Frame:
    """A green pitch: another shot than the astronaut's (histogram distance ~0.97)."""
    return Frame((background(21) * np.array([0.2, 0.9, 0.3])).astype(np.uint8), offset)


@pytest.mark.parametrize(
    ("key", "kind", "every_s"), [("people", "person", 2.0), ("faces_mtcnn", "face", 1.0)]
)
def test_detected_once_per_every_s_and_held_between(key: str, kind: str, every_s: float) -> None:
    analyzer = REGISTRY.build(key, CONTEXT)
    offsets = [0.0, 0.5, every_s - 0.5, every_s]
    first, *between, again = analyzer.analyze("s", [_astronaut(at) for at in offsets])
    assert first
    assert all(r.kind == kind and "held" not in r.attributes for r in first)
    for frame in between:
        assert [r.box for r in frame] == [r.box for r in first]
        assert all(r.attributes["held"] is True for r in frame)
    assert again
    assert all("held" not in r.attributes for r in again)  # detected anew after every_s


@pytest.mark.parametrize("key", ["people", "faces_mtcnn", "faces"])
def test_a_cut_is_detected_anew_not_held(key: str) -> None:
    analyzer = REGISTRY.build(key, CONTEXT)
    found, other, back = analyzer.analyze("s", [_astronaut(0.0), _other_shot(0.5), _astronaut(1.0)])
    assert found
    assert other == []  # not the astronaut's results held over the pitch
    assert back
    assert all("held" not in r.attributes for r in back)


def test_with_every_s_0_every_frame_is_detected() -> None:
    people = REGISTRY.build("people", CONTEXT, {"every_s": 0})
    first, second = people.analyze("s", [_astronaut(0.0), _astronaut(0.5)])
    assert first
    assert second
    assert all("held" not in p.attributes for p in first + second)
    assert people.fingerprint() != REGISTRY.build("people", CONTEXT).fingerprint()


def _caption(text: str, seed: int) -> Frame:
    """A lower-third caption over a fixed background, with fresh camera noise (sigma 7)."""
    frame = background(3)
    cv2.rectangle(frame, (80, 560), (900, 660), (20, 20, 20), -1)
    cv2.putText(frame, text, (100, 630), cv2.FONT_HERSHEY_DUPLEX, 1.6, (255, 255, 255), 3)
    noise = np.random.default_rng(seed).normal(0.0, 7.0, frame.shape)
    return Frame(np.clip(frame + noise, 0, 255).astype(np.uint8), 0.0)


def test_an_unchanged_caption_is_not_recognised_again_a_changed_digit_is() -> None:
    text = REGISTRY.build("text", CONTEXT)
    assert isinstance(text, TextAnalyzer)
    reads: list[int] = []
    real_read = text._read

    def counted(frame: Frame, regions: list[Region]) -> list[Line]:
        reads.append(1)
        return real_read(frame, regions)

    text._read = counted  # type: ignore[method-assign]
    labels = [
        [r.label for r in text.analyze("cam", [_caption(caption, seed)])[0]]
        for seed, caption in enumerate(["LIVE 2-1 12:01", "LIVE 2-1 12:01", "LIVE 2-1 12:02"])
    ]
    assert labels == [["LIVE 2-1 12:01"], ["LIVE 2-1 12:01"], ["LIVE 2-1 12:02"]]
    assert len(reads) == 2  # the second segment (same caption, new noise) reused the first read
    assert [r.label for r in text.analyze("other", [_caption("LIVE 2-1 12:02", 9)])[0]] == [
        "LIVE 2-1 12:02"
    ]
    assert len(reads) == 3  # per stream
    text.forget("cam")
    text.analyze("cam", [_caption("LIVE 2-1 12:02", 10)])
    assert len(reads) == 4


def test_with_unchanged_below_0_every_segment_is_read() -> None:
    text = REGISTRY.build("text", CONTEXT, {"unchanged_below": 0})
    assert isinstance(text, TextAnalyzer)
    reads: list[int] = []
    real_read = text._read

    def counted(frame: Frame, regions: list[Region]) -> list[Line]:
        reads.append(1)
        return real_read(frame, regions)

    text._read = counted  # type: ignore[method-assign]
    for seed in range(2):
        text.analyze("cam", [_caption("LIVE 2-1 12:01", seed)])
    assert len(reads) == 2


def test_a_still_picture_is_not_searched_for_text_again() -> None:
    """The same caption over the same background, only camera noise new: neither the text
    detection pass nor recognition runs again, and the lines say they are reused."""
    text = REGISTRY.build("text", CONTEXT)
    assert isinstance(text, TextAnalyzer)
    passes: list[int] = []
    real_pass = text.likely_text

    def counted(frame: Frame) -> tuple[list[Region], list[Region]]:
        passes.append(1)
        return real_pass(frame)

    text.likely_text = counted  # type: ignore[method-assign]
    reads = [text.analyze("cam", [_caption("LIVE 2-1 12:01", seed)])[0] for seed in range(3)]
    assert [[r.label for r in lines] for lines in reads] == [["LIVE 2-1 12:01"]] * 3
    assert [[r.attributes.get("reused", False) for r in lines] for lines in reads] == [
        [False],
        [True],
        [True],
    ]
    assert len(passes) == 1
