"""Reference logos as users supply them: transparent PNGs, JPEGs, logos on a white box, several
references per brand, and the detectability judged on upload."""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np
import pytest

from sightline_analysis.frames import Image
from sightline_analysis.logo.detectability import describe_detectability
from sightline_analysis.logo.matcher import LogoMatcher, MatcherConfig, iou
from sightline_analysis.synthetic import (
    Placement,
    background,
    composite,
    make_logo,
    make_transparent_logo,
)
from sightline_analysis.wire import UndecodableImageError, decode_reference

NOVA = make_transparent_logo("NOVA", seed=3)  # 400x240 canvas, the logo in its middle
ACME = make_logo("ACME", seed=1)


def encode(image: np.ndarray, extension: str, *params: int) -> bytes:
    ok, data = cv2.imencode(extension, image, list(params))
    assert ok
    return data.tobytes()


def jpeg(image: Image, quality: int = 70) -> Image:
    """What broadcast compression does to a frame."""
    decoded = cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], 1)
    assert decoded is not None
    return np.asarray(decoded, np.uint8)


def png(pixels: np.ndarray, colour_type: int, depth: int = 8) -> bytes:
    """A minimal PNG writer, for the layouts OpenCV cannot encode (gray + alpha)."""
    height, width = pixels.shape[:2]
    dtype = ">u2" if depth == 16 else np.uint8
    raw = b"".join(b"\x00" + pixels[y].astype(dtype).tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def matcher() -> LogoMatcher:
    m = LogoMatcher()
    m.add("nova-1", "nova", decode_reference(encode(NOVA, ".png")))
    return m


# --- reading references -------------------------------------------------------------------


def test_a_transparent_png_keeps_its_alpha() -> None:
    decoded = decode_reference(encode(NOVA, ".png"))
    assert decoded.shape == (240, 400, 4)
    assert np.array_equal(decoded[:, :, 3], NOVA[:, :, 3])


def test_gray_gray_alpha_16_bit_and_colour_images_are_read_as_8_bit_bgr_or_bgra() -> None:
    gray = np.tile(np.arange(0, 200, 2, dtype=np.uint8), (20, 1))
    assert decode_reference(encode(gray, ".png")).shape == (20, 100, 3)
    gray_alpha = np.dstack([gray, np.where(gray > 100, 255, 0).astype(np.uint8)])
    read = decode_reference(png(gray_alpha, colour_type=4))
    assert read.shape == (20, 100, 4)
    assert np.array_equal(read[:, :, 0], gray)
    assert np.array_equal(read[:, :, 3], gray_alpha[:, :, 1])
    deep = np.full((10, 12, 4), 0xABCD, np.uint16)
    read16 = decode_reference(png(deep, colour_type=6, depth=16))
    assert (read16.dtype, read16.shape, int(read16[0, 0, 0])) == (
        np.dtype(np.uint8),
        (10, 12, 4),
        0xAB,
    )
    assert decode_reference(encode(ACME, ".jpg")).shape == (200, 400, 3)
    with pytest.raises(UndecodableImageError):
        decode_reference(encode(ACME, ".png")[:80])


# --- matching ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "place",
    [
        Placement(centre=(500, 300), width=300, angle=12),
        Placement(centre=(760, 420), width=200, angle=-15, blur=1.0),
        Placement(centre=(400, 330), width=150, angle=5),
    ],
    ids=["large-tilted", "rotated-blurred", "small"],
)
def test_a_transparent_logo_is_found_with_the_box_around_its_opaque_part(
    matcher: LogoMatcher, place: Placement
) -> None:
    frame, truth = composite(background(11), NOVA, place)
    [found] = matcher.match(jpeg(frame))
    assert found.brand == "nova"
    assert iou(found.box, truth) >= 0.7
    # The outline is the opaque part's (an emblem and lettering), not the 4-corner canvas.
    assert len(found.polygon) > 4


def test_the_same_logo_read_as_logo_on_black_is_not_found_where_it_is() -> None:
    on_black = LogoMatcher()
    on_black.add("nova-1", "nova", NOVA[:, :, :3].copy())  # what IMREAD_COLOR made of it
    for seed, place in enumerate(
        [Placement((500, 300), 300, angle=12), Placement((400, 330), 130, angle=5)]
    ):
        frame, truth = composite(background(11 + seed), NOVA, place)
        assert all(iou(m.box, truth) < 0.7 for m in on_black.match(jpeg(frame)))


def test_a_jpeg_logo_is_found() -> None:
    m = LogoMatcher()
    m.add("acme-jpg", "acme", decode_reference(encode(ACME, ".jpg", cv2.IMWRITE_JPEG_QUALITY, 80)))
    frame, truth = composite(background(12), ACME, Placement((640, 360), 220, angle=10))
    [found] = m.match(jpeg(frame))
    assert (found.brand, found.logo_id) == ("acme", "acme-jpg")
    assert iou(found.box, truth) >= 0.7


def test_a_logo_on_a_white_box_is_found_box_and_all() -> None:
    white = (255, 255, 255)
    boxed = np.asarray(
        cv2.copyMakeBorder(ACME, 60, 60, 80, 80, cv2.BORDER_CONSTANT, value=white), np.uint8
    )
    m = LogoMatcher()
    m.add("acme-boxed", "acme", decode_reference(encode(boxed, ".png")))
    frame, truth = composite(background(13), boxed, Placement((600, 350), 300, angle=-8))
    [found] = m.match(jpeg(frame))
    assert found.brand == "acme"
    assert iou(found.box, truth) >= 0.7  # the white box is part of the logo as supplied


def test_a_single_colour_wordmark_on_transparent_is_found_by_its_shape() -> None:
    text = np.zeros((160, 520), np.uint8)
    cv2.putText(text, "Quantix", (20, 110), cv2.FONT_HERSHEY_TRIPLEX, 3, 255, 6, cv2.LINE_AA)
    wordmark = np.dstack([np.full_like(text, 30), np.full_like(text, 30), text * 0 + 160, text])
    m = LogoMatcher()
    m.add("quantix-1", "quantix", wordmark)
    frame, truth = composite(background(14), wordmark, Placement((560, 300), 260, angle=8))
    [found] = m.match(jpeg(frame))
    assert found.brand == "quantix"
    assert iou(found.box, truth) >= 0.7


def test_several_references_of_a_brand_work_together_one_result_per_brand() -> None:
    m = LogoMatcher()
    m.add("acme-flat", "acme", ACME)
    m.add("acme-kit", "acme", make_transparent_logo("ACME", seed=5))
    m.add("zenith-1", "zenith", make_logo("ZENITH", seed=2))
    kit = make_transparent_logo("ACME", seed=5)
    frame, kit_box = composite(background(15), kit, Placement((350, 250), 260))
    [found] = m.match(jpeg(frame))
    assert (found.brand, found.logo_id) == ("acme", "acme-kit")
    assert iou(found.box, kit_box) >= 0.7

    # Both lockups of acme and a zenith in one frame: the best acme reference and zenith,
    # one sighting per brand, none claiming another's region.
    frame, _ = composite(frame, ACME, Placement((900, 250), 260))
    frame, zenith_box = composite(frame, make_logo("ZENITH", seed=2), Placement((640, 560), 260))
    matches = m.match(jpeg(frame))
    assert sorted(x.brand for x in matches) == ["acme", "zenith"]
    [zenith] = [x for x in matches if x.brand == "zenith"]
    assert iou(zenith.box, zenith_box) >= 0.7
    assert all(iou(a.box, b.box) < 0.5 for a in matches for b in matches if a is not b)


def test_a_fully_transparent_or_featureless_reference_is_refused() -> None:
    with pytest.raises(ValueError, match="fully transparent"):
        LogoMatcher().add("clear", "clear", np.zeros((100, 200, 4), np.uint8))
    with pytest.raises(ValueError, match="too few features"):
        LogoMatcher().add("flat", "flat", np.full((100, 200, 4), 200, np.uint8))


def test_the_transparency_settings_are_part_of_the_matcher_fingerprint() -> None:
    tuning = MatcherConfig().model_dump()
    assert {"alpha_threshold", "mask_erosion_px", "min_template_contrast"} <= set(tuning)
    assert MatcherConfig(mask_erosion_px=3) != MatcherConfig()


# --- detectability -------------------------------------------------------------------------


def test_a_good_reference_is_described_detectable_down_to_a_small_width() -> None:
    judged = describe_detectability(NOVA)
    assert judged.detectable
    assert judged.transparent
    assert (judged.width_px, judged.height_px) < (400, 240)  # the transparent margin cropped
    assert judged.features >= 40
    assert judged.min_width_px is not None
    assert judged.min_width_px <= 128
    assert not [w for w in judged.warnings if "cannot be found" in w]
    assert describe_detectability(NOVA) == judged  # deterministic


@pytest.mark.parametrize(
    "image",
    [
        np.full((120, 300, 3), 200, np.uint8),
        np.zeros((120, 300, 4), np.uint8),
        np.dstack([np.full((120, 300, 3), 90, np.uint8), np.full((120, 300), 255, np.uint8)]),
    ],
    ids=["flat", "fully-transparent", "flat-opaque-bgra"],
)
def test_a_reference_that_cannot_be_found_is_reported_undetectable(image: np.ndarray) -> None:
    judged = describe_detectability(image)
    assert not judged.detectable
    assert judged.min_width_px is None
    assert any(w.startswith("cannot be found at all") for w in judged.warnings)


def test_a_tiny_reference_is_warned_about() -> None:
    tiny = np.asarray(cv2.resize(ACME, (80, 40), interpolation=cv2.INTER_AREA), np.uint8)
    judged = describe_detectability(tiny)
    assert any("low-resolution" in w for w in judged.warnings)
