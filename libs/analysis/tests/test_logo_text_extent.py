"""A brand the OCR channel reads is reported with its whole logo's box, not its text's."""

from __future__ import annotations

import numpy as np
import pytest

from sightline_analysis.frames import Frame
from sightline_analysis.logo.matcher import LogoMatcher, iou
from sightline_analysis.logo.pipeline import LogoPipeline, PipelineConfig
from sightline_analysis.logo.text_extent import TextPlace, TextPlaces, whole_logo, word_box
from sightline_analysis.synthetic import (
    Placement,
    background,
    composite,
    make_logo,
    make_transparent_logo,
)


def test_the_brands_word_is_cut_from_a_longer_line_by_its_share_of_the_glyphs() -> None:
    line = (100.0, 50.0, 220.0, 20.0)  # "NOVA SPORTS": 11 glyphs of 20 px
    assert word_box("NOVA SPORTS", line, "NOVA") == (100.0, 50.0, 80.0, 20.0)
    assert word_box("LIVE NOVA", line, "NOVA") == pytest.approx((100.0 + 5 * 220 / 9, 50.0,
                                                                 4 * 220 / 9, 20.0))  # fmt: skip
    assert word_box("NO VA", line, "NOVA") == line  # the whole line folds to the word
    assert word_box("NOVASPORT", line, "NOVA") == line  # no single word is it


def test_a_read_is_mapped_onto_the_reference_whose_text_has_its_shape() -> None:
    # A 400 x 240 logo with its name at (150, 160), 200 x 50, under an icon.
    stacked = TextPlace((150.0, 160.0, 200.0, 50.0), 400, 240)
    # Read at half size, its centre at (300, 300): the text's centre (250, 185) scaled by a
    # half lies there, so the 200 x 120 logo starts 125 px left of it and 92.5 px above.
    read = (250.0, 287.5, 100.0, 25.0)
    assert whole_logo(read, [stacked], (1280, 720)) == pytest.approx((175.0, 207.5, 200.0, 120.0))
    # Clipped to the frame when the logo reaches past its edge.
    assert whole_logo((0.0, 287.5, 100.0, 25.0), [stacked], (1280, 720)) == pytest.approx(
        (0.0, 207.5, 125.0, 120.0)
    )
    # Of two lockups, the one whose text has the read's shape: a wide line is not the
    # stacked lockup's two-line name.
    two_lines = TextPlace((100.0, 100.0, 100.0, 80.0), 300, 300)
    assert whole_logo(read, [two_lines, stacked], (1280, 720)) == whole_logo(
        read, [stacked], (1280, 720)
    )
    # A read of another shape (a caption with the name set differently) fits no reference.
    assert whole_logo((250.0, 280.0, 60.0, 40.0), [stacked], (1280, 720)) is None
    assert whole_logo(read, [], (1280, 720)) is None


def test_a_transparent_logo_with_an_icon_found_by_ocr_alone_gets_the_whole_logos_box() -> None:
    """At 360p the transparent NOVA (icon and name, 111 px wide) is too small for SIFT and is
    read by OCR; its box used to be the text line's, a quarter of the logo (IoU 0.25)."""
    pytest.importorskip("rapidocr_onnxruntime")
    from sightline_analysis.logo.wordmark import WordmarkReader  # noqa: PLC0415 - optional

    nova = make_transparent_logo("NOVA", seed=3)
    frame, truth = composite(background(21, (640, 360)), nova, Placement((165, 100), 150, angle=6))
    frame, _ = composite(frame, make_logo("ACME", seed=1), Placement((475, 105), 130, angle=-8))
    matcher = LogoMatcher()
    matcher.add("nova-1", "nova", nova)
    matcher.add("acme-1", "acme", make_logo("ACME", seed=1))
    config = PipelineConfig()
    pipeline = LogoPipeline(matcher, config, WordmarkReader(config.wordmark))
    [found] = [s for s in pipeline.process(Frame(np.ascontiguousarray(frame), 0.0))
               if s.brand == "nova"]  # fmt: skip
    assert found.source == "text"
    assert iou(found.box, truth) >= 0.6


def test_each_reference_is_read_once_again_when_replaced_and_forgotten_when_removed() -> None:
    read: list[int] = []

    class Reader:  # counts the reads; finds no text (what is found is not the subject here)
        def lines(self, frame: Frame) -> list[object]:
            read.append(frame.width)
            return []

    places = TextPlaces(Reader())  # type: ignore[arg-type]
    first, second = np.zeros((40, 100), np.uint8), np.zeros((40, 120), np.uint8)
    for _ in range(3):  # several streams' pipelines asking
        assert places.of("nova", {"nova-1": first}) == []
    assert len(read) == 1
    places.of("nova", {"nova-1": second})  # the reference replaced
    assert len(read) == 2
    places.of("nova", {})  # removed from the library
    places.of("nova", {"nova-1": second})
    assert len(read) == 3
