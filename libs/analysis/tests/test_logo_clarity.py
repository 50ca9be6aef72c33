"""The logo clarity measure: lower as a logo is blurred, for every design and size of the
evaluation kit; nothing for a box too small or outside the frame."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sightline_analysis.frames import Image
from sightline_analysis.logo.clarity import sharpness
from sightline_analysis.logo_eval.brands import library_brands
from sightline_analysis.wire import decode_reference

MOTION_15PX = np.full((1, 15), 1 / 15, np.float32)


def _frame_with(brand_index: int, width: int) -> tuple[Image, tuple[float, float, float, float]]:
    art = np.asarray(decode_reference(library_brands()[brand_index].reference))[:, :, :3]
    height = round(art.shape[0] * width / art.shape[1])
    frame = np.full((720, 1280, 3), 90, np.uint8)
    frame[300 : 300 + height, 500 : 500 + width] = cv2.resize(
        art, (width, height), interpolation=cv2.INTER_AREA
    )
    return frame, (500.0, 300.0, float(width), float(height))


@pytest.mark.parametrize("width", [80, 320])
@pytest.mark.parametrize("brand_index", range(len(library_brands())))
def test_a_blurred_logo_is_less_sharp(brand_index: int, width: int) -> None:
    frame, box = _frame_with(brand_index, width)
    crisp = sharpness(frame, box)
    soft = sharpness(np.asarray(cv2.GaussianBlur(frame, (0, 0), 1.5), np.uint8), box)
    softer = sharpness(np.asarray(cv2.GaussianBlur(frame, (0, 0), 3.0), np.uint8), box)
    moving = sharpness(np.asarray(cv2.filter2D(frame, -1, MOTION_15PX), np.uint8), box)
    assert None not in (crisp, soft, softer, moving)
    assert 0.0 <= softer < soft < crisp <= 1.0  # type: ignore[operator]
    assert moving < crisp  # type: ignore[operator]


def test_a_box_too_small_flat_or_outside_the_frame_is_not_measured() -> None:
    frame, _ = _frame_with(0, 80)
    assert sharpness(frame, (10.0, 10.0, 6.0, 40.0)) is None
    assert sharpness(frame, (1275.0, 700.0, 50.0, 50.0)) is None  # 5 x 20 px inside
    assert sharpness(np.zeros((100, 100, 3), np.uint8), (0.0, 0.0, 50.0, 50.0)) is None
