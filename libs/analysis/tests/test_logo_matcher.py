"""LogoMatcher on synthetic frames: finds the brand where it was pasted, nothing elsewhere."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sightline_analysis.frames import Image
from sightline_analysis.logo.matcher import LogoMatcher, iou
from sightline_analysis.synthetic import Placement, background, composite, make_logo

ACME = make_logo("ACME", seed=1)


@pytest.fixture(scope="module")
def matcher() -> LogoMatcher:
    m = LogoMatcher()
    m.add("acme-1", "acme", ACME)
    m.add("zenith-1", "zenith", make_logo("ZENITH", seed=2))
    return m


def jpeg(image: Image, quality: int = 70) -> Image:
    """What broadcast compression does to a frame."""
    decoded = cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], 1)
    assert decoded is not None
    return np.asarray(decoded, np.uint8)


@pytest.mark.parametrize(
    "place",
    [
        Placement(centre=(400, 300), width=220),
        Placement(centre=(900, 500), width=90),
        Placement(centre=(640, 360), width=160, angle=25, blur=1.0),
        Placement(centre=(300, 480), width=140, angle=-10, blur=1.2),
    ],
    ids=["large", "small", "rotated", "blurred"],
)
def test_a_pasted_logo_is_found_with_its_box(matcher: LogoMatcher, place: Placement) -> None:
    frame, truth = composite(background(7), ACME, place)
    matches = matcher.match(jpeg(frame))
    assert [m.brand for m in matches] == ["acme"]
    assert iou(matches[0].box, truth) > 0.5
    assert 0 < matches[0].confidence <= 1


def test_a_look_alike_distractor_is_not_reported(matcher: LogoMatcher) -> None:
    frame, _ = composite(background(8), make_logo("ACNE", seed=1), Placement((640, 360), 200))
    assert matcher.match(jpeg(frame)) == []


def test_a_logo_free_frame_gives_nothing(matcher: LogoMatcher) -> None:
    assert matcher.match(background(9)) == []


def test_a_removed_logo_is_no_longer_found() -> None:
    m = LogoMatcher()
    m.add("acme-1", "acme", ACME)
    frame, _ = composite(background(7), ACME, Placement((400, 300), 220))
    assert m.match(frame)
    m.remove("acme-1")
    assert m.match(frame) == []


def test_a_featureless_reference_is_refused() -> None:
    with pytest.raises(ValueError, match="too few features"):
        LogoMatcher().add("flat", "flat", np.full((100, 200, 3), 128, np.uint8))
