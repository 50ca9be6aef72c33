"""Where an OCR read puts the whole logo.

The OCR channel finds a brand by reading its name, and the line it reads is the text alone. A
logo is often more than its name (an icon beside or above it, a badge around it): reported with
the text's box, such a sighting covers part of the logo, and the screen share and prominence a
sponsor is billed on come out too small (a transparent "NOVA" with its icon, found by OCR
alone at 360p: IoU 0.25 with the logo). So each reference of the brand is read once, by the
same reader, to learn where the brand's text lies in it, and a read in a frame is mapped to the
reference's whole extent by the scale and offset that take the reference's text onto the
frame's. A read whose shape fits no reference's text (a caption, the name set another way)
keeps its own box.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from sightline_analysis.frames import Frame, Image
from sightline_analysis.logo.reference import NEUTRAL_FILL
from sightline_analysis.logo.wordmark import Box, WordmarkReader, brand_in, fold

MAX_SKEW = 1.5
"""How far (ratio, either way) a read's aspect may differ from a reference text's to be taken
for it: the axis-aligned box of a line turned by the kit's ±15° grows taller by up to a quarter
of its width."""
_MARGIN = 0.25
"""Neutral grey added around a reference before it is read, as a share of its height: text
detectors miss a line that touches the picture's edge."""


@dataclass(frozen=True)
class TextPlace:
    """Where the brand's text lies in one reference (reference pixels), and the reference's
    size: its opaque part's extent."""

    text: Box
    width: int
    height: int


def word_box(text: str, line: Box, word: str) -> Box:
    """The part of `line` (the box of the read `text`) that the word folding to `word` takes,
    glyphs taken as evenly spread over the line (the recogniser gives no glyph positions); the
    whole line when that is the word, or when no single word is."""
    if fold(text) == word or not text:
        return line
    x, y, w, h = line
    step = w / len(text)
    start = 0
    for part in text.split(" "):
        if fold(part) == word:
            return x + start * step, y, len(part) * step, h
        start += len(part) + 1
    return line


def whole_logo(read: Box, places: Sequence[TextPlace], frame: tuple[int, int]) -> Box | None:
    """The box of the logo whose text is `read` (frame pixels), by the reference whose text's
    shape is nearest the read's, clipped to the `frame` (width, height); None when no
    reference's text has the read's shape within `MAX_SKEW`.

    The scale is the smaller of the widths' and the heights' ratios: a turned line's box grows
    in height, a line smeared by a pan in width, and neither shrinks it; the offset comes from
    the centres."""
    x, y, w, h = read
    if w <= 0 or h <= 0:
        return None
    fitting = [(_skew(read, place.text), place) for place in places]
    fitting = [(skew, place) for skew, place in fitting if skew <= MAX_SKEW]
    if not fitting:
        return None
    place = min(fitting, key=lambda fit: fit[0])[1]
    tx, ty, tw, th = place.text
    scale = min(w / tw, h / th)
    left = x + w / 2 - (tx + tw / 2) * scale
    top = y + h / 2 - (ty + th / 2) * scale
    right, bottom = left + place.width * scale, top + place.height * scale
    left, top = max(0.0, left), max(0.0, top)
    right, bottom = min(float(frame[0]), right), min(float(frame[1]), bottom)
    if right <= left or bottom <= top:
        return None
    return left, top, right - left, bottom - top


def _skew(a: Box, b: Box) -> float:
    """How far apart the aspect ratios of `a` and `b` are (≥ 1)."""
    ratio = (a[2] / a[3]) / (b[2] / b[3]) if a[3] > 0 and b[2] > 0 and b[3] > 0 else 0.0
    return max(ratio, 1.0 / ratio) if ratio > 0 else float("inf")


class TextPlaces:
    """Where a brand's text lies in each of its references, read once per reference picture
    (a replaced reference is read again) with the caller's reader, under its lock."""

    def __init__(self, reader: WordmarkReader) -> None:
        self._reader = reader
        # logo id -> (its brand, the picture read, what was found): holding the picture keeps
        # its id from being reused by a replacement.
        self._known: dict[str, tuple[str, Image, TextPlace | None]] = {}

    def of(self, brand: str, references: Mapping[str, Image]) -> list[TextPlace]:
        """The text places of `references` (logo id -> grey picture, all of `brand`) that
        show the brand's text."""
        for logo_id in [k for k, known in self._known.items()
                        if known[0] == brand and k not in references]:  # fmt: skip
            del self._known[logo_id]  # removed from the library
        out = []
        for logo_id, gray in references.items():
            known = self._known.get(logo_id)
            if known is None or known[1] is not gray:
                known = (brand, gray, self._read(brand, gray))
                self._known[logo_id] = known
            if known[2] is not None:
                out.append(known[2])
        return out

    def _read(self, brand: str, gray: Image) -> TextPlace | None:
        """Where `gray` (a reference of `brand`) shows the brand's text, best read first."""
        height, width = gray.shape[:2]
        margin = max(4, round(height * _MARGIN))
        padded = cv2.copyMakeBorder(gray, margin, margin, margin, margin, cv2.BORDER_CONSTANT,
                                    value=NEUTRAL_FILL)  # fmt: skip
        picture = np.asarray(cv2.cvtColor(padded, cv2.COLOR_GRAY2BGR), np.uint8)
        target = fold(brand)
        lines = sorted(self._reader.lines(Frame(picture, 0.0)), key=lambda line: -line.score)
        for line in lines:
            if brand_in(line.text, {target: brand}) is None:
                continue
            x, y, w, h = word_box(line.text, line.box, target)
            return TextPlace((x - margin, y - margin, w, h), width, height)
        return None
