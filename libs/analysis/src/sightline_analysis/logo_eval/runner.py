"""Feeding a kit's clips to a matcher-like callable and collecting predictions and CPU cost.

Frames are sampled at `sample_fps` as the detector samples a segment. Raw mode renders only
the sampled frames (fast, for tests); encoded mode renders every frame, encodes the clip as
H.264 with a 2-s GOP (libx264, yuv420p, MPEG-TS, as an OBS push lands in a segment), and
decodes it with the detector's own sampled decode, so the matcher sees compression artefacts.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sightline_analysis.decode import decode_sampled
from sightline_analysis.frames import Image
from sightline_analysis.logo_eval.brands import Brand
from sightline_analysis.logo_eval.render import ClipRenderer
from sightline_analysis.logo_eval.scene import ClipSpec
from sightline_analysis.logo_eval.scoring import Prediction
from sightline_analysis.logo_eval.truth import Box, FrameTruth
from sightline_analysis.synthetic import write_ts

Detector = Callable[[Image], Sequence[tuple[str, Box, float]]]
GOP_SECONDS = 2.0


@dataclass(frozen=True)
class BySegment:
    """A detector that takes a segment's sampled frames at once, as the logo detector gets
    them (one segment per GOP): `detect` returns each frame's detections, in order; `late`,
    the detections its last `detect` found on the previous segment's frames, each with how
    many frames before the segment's first it is (1: the previous segment's last frame), as
    the engine adds them to the previous segment (`Analyzer.late`)."""

    detect: Callable[[Sequence[Image]], Sequence[Sequence[tuple[str, Box, float]]]]
    late: Callable[[], Sequence[tuple[int, tuple[str, Box, float]]]]


@dataclass(frozen=True)
class SampledFrame:
    """A frame as the detector gets it: seconds from the clip's start, BGR pixels."""

    time: float
    image: Image


@dataclass(frozen=True)
class ClipRun:
    """One clip's truth (every frame), the detector's predictions and CPU-s per frame."""

    clip: ClipSpec
    truth: list[FrameTruth]
    predictions: list[Prediction]
    costs: list[float]


def sample_indices(clip: ClipSpec, sample_fps: float) -> list[int]:
    """Frame indices sampled at `sample_fps` from the clip's first frame."""
    step = clip.fps / sample_fps
    count = int(clip.frames / step - 1e-9) + 1
    return [round(k * step) for k in range(count) if round(k * step) < clip.frames]


def rendered_frames(
    clip: ClipSpec, brands: Mapping[str, Brand], sample_fps: float
) -> list[SampledFrame]:
    """The sampled frames rendered straight (no codec)."""
    renderer = ClipRenderer(clip, brands)
    return [
        SampledFrame(i / clip.fps, renderer.frame(i)[0]) for i in sample_indices(clip, sample_fps)
    ]


def raw_frames(
    clip: ClipSpec, brands: Mapping[str, Brand], sample_fps: float
) -> tuple[list[FrameTruth], list[SampledFrame]]:
    """Truth of every frame, and the sampled frames rendered straight (no codec)."""
    renderer = ClipRenderer(clip, brands)
    truth = [renderer.truth(i) for i in range(clip.frames)]
    return truth, rendered_frames(clip, brands, sample_fps)


EncodedClip = tuple[list[FrameTruth], bytes]
"""A clip's truth of every frame and the clip encoded as H.264 MPEG-TS (2-s GOP)."""


def encode_clip(
    clip: ClipSpec, brands: Mapping[str, Brand], workdir: Path | None = None
) -> EncodedClip:
    """Render every frame of `clip` and encode it as an OBS push lands in a segment (the slow
    part of a kit run: a replay keeps the bytes and decodes them on each sampling grid)."""
    renderer = ClipRenderer(clip, brands)
    truth: list[FrameTruth] = []

    def frames() -> Iterator[Image]:
        for index in range(clip.frames):
            image, frame_truth = renderer.frame(index)
            truth.append(frame_truth)
            yield image

    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        path = write_ts(frames(), Path(tmp) / f"{clip.name}.ts", fps=clip.fps,
                        gop_seconds=GOP_SECONDS)  # fmt: skip
        return truth, path.read_bytes()


def decode_clip(data: bytes, sample_fps: float, phase: float = 0.0) -> list[SampledFrame]:
    """An encoded clip's sampled frames, through the detector's sampled decode, on a grid
    `phase` seconds after the clip's first frame: at clip times `phase` + k / `sample_fps`, as
    the detector samples a clip that starts `phase` before a slot of its stream's grid
    (`decode.sample_slots`; a `phase` within `decode.HANDOVER_S` of the interval also samples
    the first frame, which fills the slot just before it). The clip is decoded as one
    segment: its 2-s segments' own handovers are not modelled."""
    decoded = decode_sampled(data, sample_fps, keyframe_interval=GOP_SECONDS, start=-phase)
    return [SampledFrame(f.offset, f.image) for f in decoded]


def encoded_frames(
    clip: ClipSpec, brands: Mapping[str, Brand], sample_fps: float, workdir: Path | None = None
) -> tuple[list[FrameTruth], list[SampledFrame]]:
    """Truth of every frame, and the sampled frames after an H.264 round trip."""
    truth, data = encode_clip(clip, brands, workdir)
    return truth, decode_clip(data, sample_fps)


def run_clip(
    clip: ClipSpec,
    brands: Mapping[str, Brand],
    detector: Detector,
    *,
    sample_fps: float = 2.0,
    encode: bool = True,
    workdir: Path | None = None,
) -> ClipRun:
    """Render (and encode) `clip`, run `detector` on its sampled frames, time each call."""
    return run_clip_each(clip, brands, [detector], sample_fps=sample_fps, encode=encode,
                         workdir=workdir)[0]  # fmt: skip


def run_clip_each(
    clip: ClipSpec,
    brands: Mapping[str, Brand],
    detectors: Sequence[Detector | BySegment],
    *,
    sample_fps: float = 2.0,
    encode: bool = True,
    workdir: Path | None = None,
) -> list[ClipRun]:
    """Render (and encode) `clip` once and run each of `detectors` over all its sampled frames
    (`run_sampled`); one `ClipRun` per detector."""
    frames = sampled_frames(clip, brands, sample_fps, encode=encode, workdir=workdir)
    return run_sampled(clip, frames, detectors)


ClipFrames = tuple[list[FrameTruth], list[SampledFrame]]
"""A clip's truth of every frame and its sampled frames."""


def sampled_frames(
    clip: ClipSpec,
    brands: Mapping[str, Brand],
    sample_fps: float,
    *,
    encode: bool = True,
    workdir: Path | None = None,
) -> ClipFrames:
    """The clip's truth and sampled frames, through an H.264 round trip when `encode`."""
    if encode:
        return encoded_frames(clip, brands, sample_fps, workdir)
    return raw_frames(clip, brands, sample_fps)


def run_sampled(
    clip: ClipSpec, frames: ClipFrames, detectors: Sequence[Detector | BySegment]
) -> list[ClipRun]:
    """Each of `detectors` over the clip's sampled `frames` in order (a stateful detector, e.g.
    a fresh `LogoPipeline` per clip, sees the clip as a stream; a `BySegment` one gets them a
    GOP at a time, its CPU shared evenly among the segment's frames); one `ClipRun` each."""
    truth, sampled = frames
    runs = []
    for detector in detectors:
        predictions: list[Prediction] = []
        costs: list[float] = []
        previous: Sequence[SampledFrame] = ()
        for segment in _segments(sampled) if isinstance(detector, BySegment) else [sampled]:
            for frame, found, cost in _detect(detector, segment):
                costs.append(cost)
                predictions.extend(Prediction(frame.time, b, box, c) for b, box, c in found)
            if isinstance(detector, BySegment):
                predictions.extend(Prediction(previous[-ago].time, b, box, c)
                                   for ago, (b, box, c) in detector.late()
                                   if ago <= len(previous))  # fmt: skip
            previous = segment
        runs.append(ClipRun(clip, truth, predictions, costs))
    return runs


def _segments(sampled: Sequence[SampledFrame]) -> list[list[SampledFrame]]:
    """The sampled frames grouped by GOP (the segments a 2-s-GOP push is cut into)."""
    groups: dict[int, list[SampledFrame]] = {}
    for frame in sampled:
        groups.setdefault(int((frame.time + 1e-6) // GOP_SECONDS), []).append(frame)
    return [groups[key] for key in sorted(groups)]


def _detect(
    detector: Detector | BySegment, frames: Sequence[SampledFrame]
) -> Iterator[tuple[SampledFrame, Sequence[tuple[str, Box, float]], float]]:
    """Each frame with its detections and CPU seconds."""
    if isinstance(detector, BySegment):
        started = time.process_time()
        found = detector.detect([frame.image for frame in frames])
        share = (time.process_time() - started) / max(1, len(frames))
        yield from ((frame, each, share) for frame, each in zip(frames, found, strict=True))
        return
    for frame in frames:
        started = time.process_time()
        each = detector(frame.image)
        yield frame, each, time.process_time() - started
