"""The OCR channel: a brand is seen when its own name is read on screen.

Thin-stroke serif and script wordmarks give the image matcher too few stable features at
broadcast sizes, yet a text recogniser reads them easily. This channel runs PP-OCR (the models
inside the rapidocr wheel, extra `sightline-analysis[ocr]`, loaded as the text analyzer loads
them): lines are detected on the frame reduced to `width` px and read from the full-size frame;
it reports a brand when a line it reads is the
brand's text. The brand's text is its name as the user set it in the logo library (letters and
digits, case folded): the library has no separate "text on the logo" field yet.

Precision comes first: look-alike brands share most letters with their target ("AURORE" for
"AURORA"), so a read counts only when a word (or the whole line, spaces removed) equals the
brand's text exactly after folding the characters OCR confuses (0/O, 1/I/|, 5/S); no fuzzy
ratio is accepted. The channel also speaks against the image channel: a line read on a
sighting that is much like the brand's text but not it (`contradicts`) vetoes that sighting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from sightline_analysis.frames import Frame, Image
from sightline_analysis.logo.tracker import box_iou, overlaps
from sightline_analysis.ocr_models import folded_model_paths
from sightline_analysis.rapidocr_engine import check_uniform_std, detector_input

Box = tuple[float, float, float, float]  # x, y, w, h in frame pixels
Quad = npt.NDArray[np.float32]  # 4 x 2 corners in frame pixels
# Glyphs the recogniser swaps: a read differing from the brand only by these is the brand
# misread, not a look-alike (a lower-case "e" read for "C" vetoed a true logo: "Ne134507").
_CONFUSED = str.maketrans({"0": "O", "1": "I", "|": "I", "5": "S", "E": "C"})
_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")
_SIMILAR_LENGTH = 0.75  # a look-alike's text is at least this share of the longer one's length


class WordmarkConfig(BaseModel):
    """When and how the OCR channel reads frames."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = True
    every: int = Field(default=2, ge=1)
    """Read one sampled frame in `every` (OCR costs far more than the tracker, which carries
    the brands read to the frames between; a look-alike's veto holds on them too)."""
    width: int = Field(default=512, ge=160, le=2000)
    """Width of the reduced frame lines are detected on (at most 2000: rapidocr's detector
    would shrink a wider one, which `detector_input` does not); lines are still recognised
    from the full-size frame. Detection's CPU grows with the pixels: 640 -> 512 on the kit's
    tune seed 1401 (net pipeline replay, same process alternating per clip, load 6-10,
    nproc 2): CPU 52.0 -> 43.1 s over 273 frames, median 173 -> 148 ms, quality unchanged
    (0.988 / 0.758, 39/51 appearances); 448 lost an appearance (recall 0.731) and 416 two
    (0.722): the kit's smallest wordmarks no longer read."""
    min_score: float = Field(default=0.75, ge=0.0, le=1.0)
    """Recogniser score below which a line is ignored."""
    min_chars: int = Field(default=3, ge=1)
    """Brand texts shorter than this are not looked for (too easily read by chance)."""
    threads: int = Field(default=1, ge=1)
    line_width: int = Field(default=160, ge=8)
    """Narrowest image (px, at the recogniser's 48 px height) a line is recognised at; a wider
    line is recognised at its own width, one line per call. rapidocr's default pads every
    line to 320 px (PaddleOCR's training width) and a batch of 6 to its widest line: the
    kit's lines (median width/height 2.8) then cost 2.2 times their own pixels, and the
    recogniser's CPU is linear in the width. 192 -> 160 on the logo kit (replay of seed 1401,
    one pipeline through all clips, nproc 2, load 9-19): 431 of the 514 lines recognised
    are narrower than 192 px, recognition 36.5-40.2 -> 33.6-35.5 ms per frame (three runs each,
    alternating), the same brand reads (39 at a score of at least `min_score`), precision,
    recall and appearances unchanged (report seed 1402 too: recognition 52.6 -> 45.5 ms);
    128 misreads the thin-serif "Quill" on the tilt clip ("2uill"; an earlier pipeline
    misread it at 160 too)."""
    veto_similarity: float = Field(default=0.6, gt=0.0, le=1.0)
    """A line read on a sighting that is this similar to, yet not, the brand's text vetoes
    the sighting (and its track): look-alikes share most letters with their target."""
    veto_score: float = Field(default=0.97, ge=0.0, le=1.0)
    """Only a line read this surely may veto (a thin serif brand is often half misread)."""
    reuse_iou: float = Field(default=0.15, gt=0.0, le=1.0)
    """A line found where the stream's previous read found one (box IoU at least this, with
    the earlier box where it was or where the camera's pan since moved it) ..."""
    reuse_difference: float = Field(default=20.0, ge=0.0)
    """... and looking the same (mean absolute grey difference of the two line thumbnails,
    0-255, at most this) keeps that read instead of being recognised again: a stream's
    static text (scoreboards, signage, tickers at rest, signs a pan moves by half their
    width between samples) is read once, not every frame. 0.3 / 12 -> 0.15 / 20 on the logo
    kit (net pipeline, same run): seed 1401 OCR recognition 65.6 -> 49.6 ms per frame, total
    45.0 -> 40.5 CPU-s, quality unchanged (0.993 / 0.637, 32/51 appearances); report seed
    1402 recognition 89.0 -> 67.4 ms, total 50.4 -> 44.4 CPU-s, 0.992 / 0.618 -> 0.623."""


@dataclass(frozen=True)
class TextSighting:
    """A brand read on screen: brand, the line's box in frame pixels, recogniser score."""

    brand: str
    box: Box
    score: float
    text: str


def fold(text: str) -> str:
    """`text` as compared: upper case, confusable characters folded, letters/digits only."""
    return _NOT_ALNUM.sub("", text.upper().translate(_CONFUSED))


def brand_texts(brands: Iterable[str], min_chars: int) -> dict[str, str]:
    """Folded text -> brand, for every brand whose folded name is long enough. Two brands
    folding to the same text are both left out (a read could not tell them apart)."""
    found: dict[str, list[str]] = {}
    for brand in brands:
        key = fold(brand)
        if len(key) >= min_chars:
            found.setdefault(key, []).append(brand)
    return {key: names[0] for key, names in found.items() if len(names) == 1}


def brand_in(line: str, texts: Mapping[str, str]) -> str | None:
    """The brand whose text is `line` (whole, spaces removed) or one of its words."""
    candidates = [fold(line), *(fold(word) for word in line.split())]
    for candidate in candidates:
        if candidate in texts:
            return texts[candidate]
    return None


def contradicts(line: str, brand: str, min_similarity: float) -> bool:
    """Whether `line` (the glyphs read on a sighting: `glyphs_over`) reads as a different word
    much like `brand`'s text ("AURORE" where "AURORA" was matched): the image channel then
    saw a look-alike, not the brand.

    A look-alike is a near miss of the brand's text at a similar length: it swaps a letter or
    two ("AURORE", "VOLTEX", "PETREL" for "KESTREL"). A read that still holds the brand's text
    once at most one glyph is dropped at each end has read the brand (the glyph positions
    `glyphs_over` estimates are that uncertain, and a neighbouring glyph the recogniser ran
    into the word is not the logo's: "AURORA" on a "STADIUM" background read "STAURORA"). A
    word that is part of the brand's text ("QUIL", a cut-short read) says nothing against
    it, nor is a much longer or shorter word a near miss of it."""
    target = fold(brand)
    if not target:
        return False
    words = [word for word in (*(fold(word) for word in line.split()), fold(line)) if word]
    if any(target in _trimmed(word) for word in words):
        return False
    return any(
        SequenceMatcher(None, word, target).ratio() >= min_similarity
        and min(len(word), len(target)) >= _SIMILAR_LENGTH * max(len(word), len(target))
        for word in words
        if word not in target
    )


def glyphs_over(text: str, line: Box, box: Box) -> str:
    """The glyphs of `text` (read on the line box `line`) that lie over `box` (same pixels):
    the recogniser gives no glyph positions, so the glyphs are taken as evenly spread over
    the line's width (each one at its share's centre), and kept where that centre is inside
    `box` horizontally; "" when the line's middle row is not inside `box` at all. A line
    reaching past a sighting (a caption, the background's lettering run into one word) is
    then judged only by what is written on the sighting."""
    x, y, w, h = line
    bx, by, bw, bh = box
    if not text or not by <= y + h / 2 <= by + bh:
        return ""
    step = w / len(text)
    return "".join(
        glyph for i, glyph in enumerate(text) if bx <= x + (i + 0.5) * step <= bx + bw
    ).strip()


def _trimmed(word: str) -> set[str]:
    """`word` with at most one glyph dropped at each end (one misplaced glyph at a side)."""
    return {word[i : len(word) - j] for i in (0, 1) for j in (0, 1) if len(word) - i - j > 0}


def load_engine(config: WordmarkConfig) -> Any:
    """The rapidocr engine (optional dependency, imported on first use), on the folded models
    (`ocr_models`)."""
    from rapidocr_onnxruntime import RapidOCR  # noqa: PLC0415 - optional and heavy

    engine = RapidOCR(
        **folded_model_paths(),
        intra_op_num_threads=config.threads,
        inter_op_num_threads=config.threads,
        use_cls=False,
        # "max": never enlarge the reduced frame (the default "min" would blow it up).
        det_limit_type="max",
        det_limit_side_len=2000,
        rec_img_shape=[3, 48, config.line_width],
        rec_batch_num=1,
    )
    check_uniform_std(engine)
    det = engine.text_det
    engine.text_det.get_preprocess = lambda _longest_side: (
        lambda image: detector_input(image, det.mean, det.std)
    )
    return engine


_THUMB = (64, 16)  # the size line crops are compared at (width, height)


@dataclass(frozen=True)
class _Read:
    box: Box  # in the reduced frame's pixels
    thumb: Image
    text: str
    score: float


@dataclass
class LineMemory:
    """One stream's lines from its previous OCR pass, so unchanged lines are not recognised
    again (recognition, not detection, is most of the channel's cost on text-heavy frames).
    Belongs to one stream; `clear` it at a cut."""

    reads: list[_Read] = field(default_factory=list)
    gray: Image | None = None
    """The reduced grey frame of that pass (to measure how far the camera moved since)."""
    reused: int = 0
    recognised: int = 0

    def clear(self) -> None:
        """Forget every line (the picture changed entirely)."""
        self.reads = []
        self.gray = None


class WordmarkReader:
    """Reads frames and names the brands whose text is on them (thread-safe only under the
    caller's lock: the rapidocr engine is shared)."""

    def __init__(self, config: WordmarkConfig | None = None, engine: Any = None) -> None:
        self.config = config or WordmarkConfig()
        self._engine = engine if engine is not None else load_engine(self.config)

    def read(self, frame: Frame, brands: Iterable[str]) -> list[TextSighting]:
        """The brands of `brands` whose text a line of `frame` reads as, best line first."""
        return self.sightings(self.lines(frame), brands)

    def lines(
        self,
        frame: Frame,
        memory: LineMemory | None = None,
        width: int | None = None,
        near: Box | None = None,
    ) -> list[TextSighting]:
        """Every line read with a score of at least `min_score` (brand left empty). With the
        stream's `memory`, lines unchanged since its previous read keep that read. Lines are
        detected on the frame reduced to `width` (default: `config.width`); with `near` (a
        box in frame pixels), only the lines overlapping it are recognised and returned."""
        small = frame.scaled(width or self.config.width)
        scale = frame.width / small.shape[1]
        out = []
        for quad, text, score in self._lines(frame, small, scale, memory, near):
            if score < self.config.min_score:
                continue
            x0, y0 = quad.min(axis=0)
            x1, y1 = quad.max(axis=0)
            box = (float(x0), float(y0), float(x1 - x0), float(y1 - y0))
            out.append(TextSighting("", box, score, text))
        return out

    def sightings(self, lines: Iterable[TextSighting], brands: Iterable[str]) -> list[TextSighting]:
        """The brands of `brands` whose text one of `lines` reads as, best line first."""
        texts = brand_texts(brands, self.config.min_chars)
        found: dict[str, TextSighting] = {}
        for line in lines:
            brand = brand_in(line.text, texts)
            if brand is None:
                continue
            sighting = TextSighting(brand, line.box, line.score, line.text)
            if brand not in found or sighting.score > found[brand].score:
                found[brand] = sighting
        return sorted(found.values(), key=lambda s: -s.score)

    def _lines(
        self,
        frame: Frame,
        small: Image,
        scale: float,
        memory: LineMemory | None,
        near: Box | None = None,
    ) -> list[tuple[Quad, str, float]]:
        """(quadrilateral in frame pixels, text, score) of each line: lines are found on the
        reduced frame (where detection is cheap) and read from the full-size frame (a small
        wordmark keeps the pixels recognition needs; a line costs the same either way);
        a line the stream's `memory` holds unchanged keeps its earlier read."""
        boxes, _elapsed = self._engine.text_det(small)
        if boxes is None or len(boxes) == 0:
            if memory is not None:
                memory.clear()
            return []
        found = [np.asarray(box, np.float32) for box in self._engine.sorted_boxes(boxes)]
        if near is not None:
            found = [quad for quad in found if overlaps(_bounds(quad * scale), near)]
        gray = frame.scaled(small.shape[1], gray=True)
        current = [_Read(_bounds(quad), _thumb(gray, _bounds(quad)), "", 0.0) for quad in found]
        pan = (0.0, 0.0)
        if memory is not None and memory.gray is not None and memory.gray.shape == gray.shape:
            pan = _camera_motion(memory.gray, gray)
        kept = [self._recalled(line, memory, pan) for line in current]
        unread = [index for index, known in enumerate(kept) if known is None]
        crops = self._engine.get_crop_img_list(frame.image, [found[i] * scale for i in unread])
        read, _elapsed = self._engine.text_rec(crops) if crops else ([], 0.0)
        for index, (text, score) in zip(unread, read, strict=True):
            kept[index] = _Read(current[index].box, current[index].thumb, str(text), float(score))
        lines = [line for line in kept if line is not None]
        if memory is not None:
            memory.reads = lines
            memory.gray = gray
            memory.reused += len(found) - len(unread)
            memory.recognised += len(unread)
        return [(quad * scale, line.text, line.score)
                for quad, line in zip(found, lines, strict=True)]  # fmt: skip

    def _recalled(
        self, line: _Read, memory: LineMemory | None, pan: tuple[float, float]
    ) -> _Read | None:
        """The memory's read of the same line, unchanged, if any: where it was, or where the
        camera's `pan` since moved it."""
        if memory is None:
            return None
        cfg = self.config
        for known in memory.reads:
            x, y, w, h = known.box
            moved = (x + pan[0], y + pan[1], w, h)
            if (
                max(box_iou(known.box, line.box), box_iou(moved, line.box)) >= cfg.reuse_iou
                and float(np.mean(cv2.absdiff(known.thumb, line.thumb))) <= cfg.reuse_difference
            ):
                return _Read(line.box, known.thumb, known.text, known.score)
        return None


def _camera_motion(previous: Image, current: Image) -> tuple[float, float]:
    """How far (px, x and y) the picture moved from `previous` to `current` (two reduced grey
    frames of one stream): phase correlation of quarter-size copies (a fraction of a ms),
    which follows the background a pan moves and ignores a logo moving across it."""
    size = (max(1, previous.shape[1] // 4), max(1, previous.shape[0] // 4))
    before, after = (
        cv2.resize(image, size, interpolation=cv2.INTER_AREA).astype(np.float32)
        for image in (previous, current)
    )
    (dx, dy), _response = cv2.phaseCorrelate(before, after)
    return dx * 4.0, dy * 4.0


def _bounds(quad: Quad) -> Box:
    x0, y0 = quad.min(axis=0)
    x1, y1 = quad.max(axis=0)
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)


def _thumb(gray: Image, box: Box) -> Image:
    """The line's grey pixels at a fixed small size (empty box: a blank thumbnail)."""
    x, y, w, h = box
    left, top = max(0, int(x)), max(0, int(y))
    right = min(gray.shape[1], int(np.ceil(x + w)))
    bottom = min(gray.shape[0], int(np.ceil(y + h)))
    if right <= left or bottom <= top:
        return np.zeros(_THUMB[::-1], np.uint8)
    crop = gray[top:bottom, left:right]
    return np.asarray(cv2.resize(crop, _THUMB, interpolation=cv2.INTER_AREA), np.uint8)
