"""The kit's brands: logos drawn with OpenCV (nothing downloaded), as a brand kit ships them.

Every logo is drawn on a 400x240 BGRA canvas: `art` is what appears in footage (alpha = the
logo's shape), `reference` is the file a user uploads. The six library brands cover the inputs
users really supply: transparent-background PNG wordmarks and icons (thin serif text, script,
a bold icon lockup), an opaque JPEG, and a mark delivered on a white box (the footage shows
the mark alone). The look-alikes share an icon, the palette or most letters with a target;
they are not in the library and must never be reported as it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial

import cv2
import numpy as np
import numpy.typing as npt

from sightline_analysis.frames import Image

CANVAS = (400, 240)  # width, height: a typical brand-kit export
Colour = tuple[int, int, int]  # BGR


def _colour(values: npt.NDArray[np.int64]) -> Colour:
    return int(values[0]), int(values[1]), int(values[2])


class ReferenceStyle(StrEnum):
    """How the reference file is delivered."""

    TRANSPARENT_PNG = "transparent-png"
    OPAQUE_JPEG = "opaque-jpeg"
    WHITE_BOX = "white-box"


@dataclass(frozen=True)
class Brand:
    """One brand's artwork and its reference file.

    `art` is BGRA (alpha 0 outside the logo); `reference` is the encoded upload (PNG with alpha,
    JPEG, or PNG on a white box); `imitates` names the library brand a look-alike copies.
    """

    name: str
    art: Image
    style: ReferenceStyle
    reference: bytes
    imitates: str | None = None

    @property
    def reference_ext(self) -> str:
        """The reference file's extension ("png" or "jpg")."""
        return "jpg" if self.style is ReferenceStyle.OPAQUE_JPEG else "png"

    @property
    def opaque_box(self) -> tuple[int, int, int, int]:
        """(x, y, w, h) of the art's opaque part on its canvas."""
        x, y, w, h = cv2.boundingRect(np.asarray(self.art[:, :, 3] >= 128, np.uint8))
        return int(x), int(y), int(w), int(h)


class _Canvas:
    """A BGRA canvas that composes anti-aliased elements drawn as masks."""

    def __init__(self, background: Colour | None = None) -> None:
        width, height = CANVAS
        self.colour = np.zeros((height, width, 3), np.float32)
        self.alpha = np.zeros((height, width), np.float32)
        if background is not None:
            self.colour[:] = background
            self.alpha[:] = 1.0

    def draw(self, colour: Colour, paint: Callable[[Image], object]) -> None:
        """Paint one element: `paint` draws white on a blank mask; the mask is filled."""
        mask = np.zeros(self.alpha.shape, np.uint8)
        paint(mask)
        a = (mask.astype(np.float32) / 255.0)[:, :, None]
        self.colour = self.colour * (1 - a) + np.array(colour, np.float32) * a
        self.alpha = np.maximum(self.alpha, a[:, :, 0])

    def text(self, text: str, font: int, colour: Colour, *, box: tuple[int, int, int, int],
             thickness: int) -> None:  # fmt: skip
        """Letter `text` fitted into box (x, y, w, h), centred."""
        x, y, w, h = box
        (tw, th), _ = cv2.getTextSize(text, font, 1.0, thickness)
        scale = min(w / tw, h / th)
        (tw, th), _ = cv2.getTextSize(text, font, scale, thickness)
        origin = (int(x + (w - tw) / 2), int(y + (h + th) / 2))
        self.draw(colour, lambda m: cv2.putText(m, text, origin, font, scale, 255, thickness,
                                                cv2.LINE_AA))  # fmt: skip

    def image(self) -> Image:
        """The canvas as BGRA uint8."""
        bgra = np.dstack([self.colour, self.alpha * 255.0])
        return np.clip(bgra + 0.5, 0, 255).astype(np.uint8)


def _bird(canvas: _Canvas, colour: Colour, accent: Colour) -> None:
    """The KESTREL icon (shared by its look-alike): two wings and a head."""
    wing = np.array([[20, 150], [95, 60], [130, 120]], np.int32)
    tail = np.array([[60, 165], [130, 120], [150, 185]], np.int32)
    canvas.draw(colour, lambda m: cv2.fillPoly(m, [wing, tail], 255, cv2.LINE_AA))
    canvas.draw(accent, lambda m: cv2.circle(m, (128, 78), 16, 255, -1, cv2.LINE_AA))


def _aurora(text: str) -> Image:
    canvas = _Canvas()
    navy = (90, 40, 20)
    # Thin serif lettering and a hairline arc: the hardest kind of wordmark at 60 px wide.
    canvas.text(text, cv2.FONT_HERSHEY_COMPLEX_SMALL, navy, box=(30, 100, 340, 80), thickness=2)
    canvas.draw((40, 140, 230), lambda m: cv2.ellipse(m, (200, 100), (90, 55), 0, 180, 360, 255,
                                                       3, cv2.LINE_AA))  # fmt: skip
    return canvas.image()


def _kestrel(text: str) -> Image:
    canvas = _Canvas()
    _bird(canvas, (0, 120, 245), (40, 40, 40))
    canvas.text(text, cv2.FONT_HERSHEY_DUPLEX, (40, 40, 40), box=(165, 90, 215, 60), thickness=3)
    return canvas.image()


def _nimbus(text: str) -> Image:
    canvas = _Canvas()
    for radius, colour in ((80, (200, 120, 0)), (60, (240, 200, 60)), (40, (200, 120, 0))):
        canvas.draw(colour, partial(cv2.circle, center=(200, 100), radius=radius, color=255,
                                    thickness=12, lineType=cv2.LINE_AA))  # fmt: skip
    angles = np.linspace(-np.pi / 2, 1.5 * np.pi, 11)[:-1]
    radii = np.where(np.arange(10) % 2 == 0, 26, 11)
    star = np.stack([200 + radii * np.cos(angles), 100 + radii * np.sin(angles)], 1)
    canvas.draw((0, 200, 255), lambda m: cv2.fillPoly(m, [star.astype(np.int32)], 255,
                                                      cv2.LINE_AA))  # fmt: skip
    canvas.text(text, cv2.FONT_HERSHEY_SIMPLEX, (120, 60, 0), box=(120, 190, 160, 36),
                thickness=2)  # fmt: skip
    return canvas.image()


def _volta(text: str) -> Image:
    canvas = _Canvas(background=(30, 20, 150))
    for x in range(-240, 400, 36):  # diagonal stripes on the plate
        canvas.draw((45, 35, 175), partial(cv2.line, pt1=(x, 240), pt2=(x + 240, 0), color=255,
                                           thickness=10, lineType=cv2.LINE_AA))  # fmt: skip
    bolt = np.array([[40, 40], [90, 40], [70, 105], [100, 105], [45, 200], [58, 125], [30, 125]])
    canvas.draw((0, 220, 255), lambda m: cv2.fillPoly(m, [bolt.astype(np.int32)], 255,
                                                      cv2.LINE_AA))  # fmt: skip
    canvas.text(text, cv2.FONT_HERSHEY_TRIPLEX, (255, 255, 255), box=(115, 80, 265, 80),
                thickness=4)  # fmt: skip
    return canvas.image()


def _helix(text: str) -> Image:
    canvas = _Canvas()
    xs = np.arange(40, 361, 4)
    for phase, colour in ((0.0, (90, 160, 0)), (np.pi, (160, 140, 20))):
        ys = 80 + 35 * np.sin(xs / 40.0 + phase)
        line = np.stack([xs, ys], 1).astype(np.int32)
        canvas.draw(colour, partial(cv2.polylines, pts=[line], isClosed=False, color=255,
                                    thickness=7, lineType=cv2.LINE_AA))  # fmt: skip
    canvas.text(text, cv2.FONT_HERSHEY_PLAIN, (60, 60, 60), box=(90, 140, 220, 70), thickness=3)
    return canvas.image()


def _quill(text: str) -> Image:
    canvas = _Canvas()
    purple = (130, 30, 110)
    feather = np.array([[330, 40], [365, 60], [300, 170], [285, 185], [292, 160]], np.int32)
    canvas.draw(purple, lambda m: cv2.fillPoly(m, [feather], 255, cv2.LINE_AA))
    canvas.text(text, cv2.FONT_HERSHEY_SCRIPT_COMPLEX, purple, box=(30, 70, 260, 100),
                thickness=2)  # fmt: skip
    canvas.draw(purple, lambda m: cv2.line(m, (40, 185), (280, 180), 255, 2, cv2.LINE_AA))
    return canvas.image()


def _encode(art: Image, style: ReferenceStyle) -> bytes:
    if style is ReferenceStyle.TRANSPARENT_PNG:
        ok, data = cv2.imencode(".png", art)
    elif style is ReferenceStyle.OPAQUE_JPEG:
        ok, data = cv2.imencode(".jpg", art[:, :, :3], [cv2.IMWRITE_JPEG_QUALITY, 92])
    else:  # the mark flattened onto a white box with a thin grey frame, no alpha
        a = art[:, :, 3:].astype(np.float32) / 255.0
        flat = art[:, :, :3].astype(np.float32) * a + 255.0 * (1 - a)
        boxed = np.clip(flat + 0.5, 0, 255).astype(np.uint8)
        cv2.rectangle(boxed, (2, 2), (CANVAS[0] - 3, CANVAS[1] - 3), (200, 200, 200), 2)
        ok, data = cv2.imencode(".png", boxed)
    if not ok:
        raise RuntimeError(f"cannot encode a {style} reference")
    return bytes(data.tobytes())


def _brand(name: str, art: Image, style: ReferenceStyle, imitates: str | None = None) -> Brand:
    return Brand(name, art, style, _encode(art, style), imitates)


def library_brands() -> list[Brand]:
    """The six brands of the logo library, in a fixed order."""
    png, jpeg = ReferenceStyle.TRANSPARENT_PNG, ReferenceStyle.OPAQUE_JPEG
    return [
        _brand("aurora", _aurora("AURORA"), png),
        _brand("kestrel", _kestrel("KESTREL"), png),
        _brand("nimbus", _nimbus("NIMBUS"), png),
        _brand("quill", _quill("Quill"), png),
        _brand("volta", _volta("VOLTA"), jpeg),
        _brand("helix", _helix("HELIX"), ReferenceStyle.WHITE_BOX),
    ]


def look_alike_brands() -> list[Brand]:
    """Distractors sharing letters, an icon or the palette with a library brand."""
    png, jpeg = ReferenceStyle.TRANSPARENT_PNG, ReferenceStyle.OPAQUE_JPEG
    return [
        _brand("aurore", _aurora("AURORE"), png, imitates="aurora"),  # most letters, same style
        _brand("petrel", _kestrel("PETREL"), png, imitates="kestrel"),  # same icon and palette
        _brand("voltex", _volta("VOLTEX"), jpeg, imitates="volta"),  # same plate, most letters
    ]


_SYLLABLES = ("ka", "ro", "mi", "ven", "tor", "lu", "sa", "bex", "dra", "no", "pel", "zu", "qui")
_FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_COMPLEX_SMALL,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
)


def extra_brands(count: int, seed: int) -> list[Brand]:
    """`count` further transparent-PNG brands (a name, an icon, colours), for library-size
    cost runs; deterministic from `seed`."""
    rng = np.random.default_rng(seed)
    brands = []
    for index in range(count):
        name = "".join(str(rng.choice(_SYLLABLES)) for _ in range(int(rng.integers(2, 4))))
        colours: list[Colour] = [_colour(rng.integers(0, 220, 3)) for _ in range(3)]
        canvas = _Canvas()
        for _ in range(int(rng.integers(1, 4))):
            colour = colours[int(rng.integers(0, 3))]
            cx, cy, r = (int(v) for v in rng.integers([40, 40, 12], [110, 200, 40]))
            if rng.random() < 0.5:
                canvas.draw(colour, partial(cv2.circle, center=(cx, cy), radius=r, color=255,
                                            thickness=-1))  # fmt: skip
            else:
                pts = rng.integers([10, 20], [140, 220], size=(3, 2)).astype(np.int32)
                canvas.draw(colour, partial(cv2.fillPoly, pts=[pts], color=255,
                                            lineType=cv2.LINE_AA))  # fmt: skip
        font = _FONTS[int(rng.integers(0, len(_FONTS)))]
        canvas.text(name.upper(), font, colours[0], box=(150, 80, 230, 80),
                    thickness=int(rng.integers(1, 4)))  # fmt: skip
        brands.append(
            _brand(f"extra-{index:03d}-{name}", canvas.image(), ReferenceStyle.TRANSPARENT_PNG)
        )
    return brands
