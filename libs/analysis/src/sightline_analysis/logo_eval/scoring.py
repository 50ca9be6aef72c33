"""Scoring detections against the truth in 0.5-s bins per brand.

Truth per (brand, bin): POSITIVE when in every frame of the bin some instance of the brand is
one a detector must find (`InstanceTruth.must_find`); NEGATIVE when no frame of the bin shows any
pixel of the brand; otherwise DONT_CARE (the brand is small, mostly hidden, or a cut or an
entrance falls inside the bin). A bin is detected when a prediction of the brand (confidence >=
`min_confidence`) falls in it. Detected POSITIVE = true positive, undetected POSITIVE = false
negative, detected NEGATIVE = false positive (a look-alike reported as its target lands here);
DONT_CARE bins count for nothing, screen time included.

- box IoU: per true positive bin, the most confident prediction's box against the best-matching
  visible instance of the brand in the frame nearest the prediction's time.
- appearance: a run of consecutive POSITIVE bins; found when detected within `FOUND_WITHIN_S`
  of its start; time to first detection = first detected bin's start - the run's start.
- screen time: true = POSITIVE bins x 0.5 s; detected = detected non-DONT_CARE bins x 0.5 s;
  error = detected / true - 1.

Predictions are plain (time, brand, box, confidence) records, so the matcher alone and the
detections read back from the real pipeline are scored the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

from sightline_analysis.logo_eval.truth import Box, FrameTruth

BIN_S = 0.5
FOUND_WITHIN_S = 1.0


class BinTruth(IntEnum):
    """What a (brand, bin) is in truth."""

    NEGATIVE = 0
    POSITIVE = 1
    DONT_CARE = 2


@dataclass(frozen=True)
class Prediction:
    """One detection: media time (s from the clip's start), brand, (x, y, w, h), confidence."""

    time: float
    brand: str
    box: Box
    confidence: float = 1.0


@dataclass
class Tally:
    """Counts for one brand in one clip, or a sum of them (`+`)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    fp_look_alike: int = 0  # false positives in bins where a look-alike of the brand shows
    true_bins: int = 0
    detected_bins: int = 0
    ious: list[float] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)  # per appearance detected at all
    appearances: int = 0
    found: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.tp + other.tp,
            self.fp + other.fp,
            self.fn + other.fn,
            self.fp_look_alike + other.fp_look_alike,
            self.true_bins + other.true_bins,
            self.detected_bins + other.detected_bins,
            self.ious + other.ious,
            self.delays + other.delays,
            self.appearances + other.appearances,
            self.found + other.found,
        )

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 1.0 when nothing was reported."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn); NaN when nothing was to be found."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def mean_iou(self) -> float:
        """Mean box IoU over true positives (NaN without any)."""
        return sum(self.ious) / len(self.ious) if self.ious else float("nan")

    @property
    def true_seconds(self) -> float:
        """Seconds the brand was (countably) on screen."""
        return self.true_bins * BIN_S

    @property
    def detected_seconds(self) -> float:
        """Seconds reported, outside don't-care bins."""
        return self.detected_bins * BIN_S

    @property
    def screen_time_error(self) -> float:
        """detected / true - 1 (NaN when the brand was never on screen)."""
        if not self.true_bins:
            return float("nan")
        return self.detected_bins / self.true_bins - 1.0


def bin_truths(frames: Sequence[FrameTruth], fps: int, brand: str) -> list[BinTruth]:
    """The truth of each 0.5-s bin for `brand` over a clip's frames."""
    per_bin = round(BIN_S * fps)
    bins = []
    for start in range(0, len(frames), per_bin):
        chunk = frames[start : start + per_bin]
        shown = [[i for i in frame if i.brand == brand] for frame in chunk]
        if all(any(i.must_find for i in seen) for seen in shown):
            bins.append(BinTruth.POSITIVE)
        elif not any(shown):
            bins.append(BinTruth.NEGATIVE)
        else:
            bins.append(BinTruth.DONT_CARE)
    return bins


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def score_clip(
    frames: Sequence[FrameTruth],
    fps: int,
    predictions: Iterable[Prediction],
    brands: Iterable[str],
    *,
    look_alikes: Mapping[str, str] | None = None,
    min_confidence: float = 0.0,
) -> dict[str, Tally]:
    """Per-brand tallies for one clip. `brands` are the brands scored (the library); brands
    predicted but not listed are scored too (every one of their bins is then a false positive
    unless the brand really shows). `look_alikes` maps a look-alike to the brand it imitates."""
    kept = [p for p in predictions if p.confidence >= min_confidence]
    scored = dict.fromkeys([*brands, *(p.brand for p in kept)])
    per_bin = round(BIN_S * fps)
    bins_total = (len(frames) + per_bin - 1) // per_bin
    imitators: dict[str, list[str]] = {}
    for fake, real in (look_alikes or {}).items():
        imitators.setdefault(real, []).append(fake)
    tallies = {}
    for brand in scored:
        truth = bin_truths(frames, fps, brand)
        fake_bins = [
            any(t is not BinTruth.NEGATIVE for t in ts)
            for ts in zip(
                *(bin_truths(frames, fps, f) for f in imitators.get(brand, [])), strict=True
            )
        ] or [False] * bins_total
        best: dict[int, Prediction] = {}
        for p in kept:
            index = int(p.time // BIN_S)
            better = index not in best or p.confidence > best[index].confidence
            if p.brand == brand and 0 <= index < bins_total and better:
                best[index] = p
        tallies[brand] = _tally(truth, best, frames, fps, fake_bins)
    return tallies


def _tally(truth: list[BinTruth], best: Mapping[int, Prediction],
           frames: Sequence[FrameTruth], fps: int, fake_bins: list[bool]) -> Tally:  # fmt: skip
    tally = Tally()
    for index, state in enumerate(truth):
        detected = index in best
        if state is BinTruth.POSITIVE:
            tally.true_bins += 1
            tally.detected_bins += int(detected)
            if detected:
                tally.tp += 1
                tally.ious.append(_best_iou(best[index], frames, fps))
            else:
                tally.fn += 1
        elif state is BinTruth.NEGATIVE and detected:
            tally.fp += 1
            tally.detected_bins += 1
            tally.fp_look_alike += int(fake_bins[index])
    index = 0
    while index < len(truth):  # appearances: runs of POSITIVE bins
        if truth[index] is not BinTruth.POSITIVE:
            index += 1
            continue
        start = index
        while index < len(truth) and truth[index] is BinTruth.POSITIVE:
            index += 1
        hits = [i for i in range(start, index) if i in best]
        tally.appearances += 1
        if hits:
            delay = (hits[0] - start) * BIN_S
            tally.delays.append(delay)
            tally.found += int(delay <= FOUND_WITHIN_S)
    return tally


def _best_iou(prediction: Prediction, frames: Sequence[FrameTruth], fps: int) -> float:
    index = min(len(frames) - 1, max(0, round(prediction.time * fps)))
    boxes = [i.box for i in frames[index] if i.brand == prediction.brand]
    return max((iou(prediction.box, box) for box in boxes), default=0.0)


def total(tallies: Iterable[Tally]) -> Tally:
    """The sum of tallies."""
    result = Tally()
    for tally in tallies:
        result = result + tally
    return result
