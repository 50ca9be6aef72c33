"""Detector benchmark on generated footage: logo quality, cost per frame, streams per machine.

`make bench` runs this file. It generates 720p30 clips (nothing downloaded): library logos
composited at known times and boxes (scaled, rotated, blurred, moving), look-alike distractor
brands, and logo-free footage; runs the logo analyzer at the default 2 sampled frames/s; and
prints precision, recall, box IoU, time-to-first-detection, the cost of every analyzer per
sampled frame, the decode cost, and how many concurrent 720p30 streams each detector keeps up
with in real time on this machine beside the decode-only ceiling.
"""

from __future__ import annotations

import math
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sightline_analysis.analyzers import AnalyzerContext, AnalyzerRegistry
from sightline_analysis.decode import decode_sampled
from sightline_analysis.frames import Frame, Image
from sightline_analysis.logo.matcher import LogoMatcher, iou
from sightline_analysis.synthetic import Placement, background, composite, make_logo, write_ts
from sightline_benchkit import BenchResults, profile_top

FPS = 30
SECONDS = 4.0
SAMPLE_FPS = 2.0
SIZE = (1280, 720)
BRANDS = {"acme": ("ACME", 1), "zenith": ("ZENITH", 2), "orbit": ("ORBIT", 3), "nova": ("NOVA", 4)}
LOOK_ALIKES = {"ACNE": 1, "ZENlTH": 2, "0RBIT": 3}  # same palette and style, other letters


@dataclass(frozen=True)
class Clip:
    """One generated clip and its truth: which brand (if any) from `appears` s, its widths."""

    name: str
    brand: str | None
    width: float
    appears: float
    data: bytes
    truth: dict[int, tuple[float, float, float, float]]  # frame index -> box of the library logo


def _clip(
    tmp: Path, name: str, seed: int, *, logo: Image | None, brand: str | None, width: float
) -> Clip:
    rng = np.random.default_rng(seed)
    base = background(seed, SIZE)
    appears = round(float(rng.uniform(0.3, 2.5)), 3) if logo is not None else SECONDS
    start = (float(rng.uniform(250, 1030)), float(rng.uniform(150, 570)))
    drift = (float(rng.uniform(-40, 40)), float(rng.uniform(-20, 20)))
    angle, blur = float(rng.uniform(-20, 20)), float(rng.uniform(0, 1.5))
    frames: list[Image] = []
    truth: dict[int, tuple[float, float, float, float]] = {}
    for index in range(int(SECONDS * FPS)):
        t = index / FPS
        if logo is None or t < appears:
            frames.append(base)
            continue
        centre = (start[0] + drift[0] * t, start[1] + drift[1] * t)
        frame, box = composite(base, logo, Placement(centre, width, angle, blur))
        frames.append(frame)
        if brand is not None:
            truth[index] = box
    data = write_ts(frames, tmp / f"{name}.ts", fps=FPS).read_bytes()
    return Clip(name, brand, width, appears, data, truth)


def generate(tmp: Path) -> list[Clip]:
    """Library logos at several widths, look-alike distractors, logo-free footage."""
    clips = []
    seed = 100
    for brand, (text, logo_seed) in BRANDS.items():
        for width in (80, 120, 200, 320):
            seed += 1
            logo = make_logo(text, logo_seed)
            clips.append(_clip(tmp, f"{brand}-{width}", seed, logo=logo, brand=brand, width=width))
    for text, logo_seed in LOOK_ALIKES.items():
        seed += 1
        look_alike = make_logo(text, logo_seed)
        clips.append(_clip(tmp, f"lookalike-{text}", seed, logo=look_alike, brand=None, width=200))
    for _ in range(3):
        seed += 1
        clips.append(_clip(tmp, f"plain-{seed}", seed, logo=None, brand=None, width=0))
    return clips


@dataclass
class Score:
    """Frame-level counts and what the scorer measured."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    ious: list[float] = field(default_factory=list)
    first_detection: list[float] = field(default_factory=list)
    by_width: dict[float, list[int]] = field(default_factory=dict)  # width -> [hits, frames]


def score(clips: list[Clip], matcher: LogoMatcher) -> tuple[Score, list[float], list[float]]:
    """Precision/recall counts, per-frame logo cost (s) and per-segment decode cost (s)."""
    result = Score()
    logo_costs: list[float] = []
    decode_costs: list[float] = []
    for clip in clips:
        started = time.perf_counter()
        frames = decode_sampled(clip.data, SAMPLE_FPS)
        decode_costs.append(time.perf_counter() - started)
        first: float | None = None
        for frame in frames:
            started = time.perf_counter()
            matches = matcher.match(frame.image)
            logo_costs.append(time.perf_counter() - started)
            truth = clip.truth.get(round(frame.offset * FPS))
            hit = False
            for match in matches:
                if truth is not None and match.brand == clip.brand and iou(match.box, truth) >= 0.5:
                    hit = True
                    result.ious.append(iou(match.box, truth))
                else:
                    result.fp += 1
            if truth is None:
                continue
            counts = result.by_width.setdefault(clip.width, [0, 0])
            counts[0] += int(hit)
            counts[1] += 1
            if hit:
                result.tp += 1
                first = frame.offset if first is None else first
            else:
                result.fn += 1
        if clip.brand is not None and first is not None:
            result.first_detection.append(first - clip.appears)
    return result, logo_costs, decode_costs


def analyzer_costs(frames: list[Frame]) -> dict[str, float]:
    """Mean seconds per sampled 720p frame for every visual analyzer plugin."""
    registry = AnalyzerRegistry.discover()
    costs = {}
    for key in ("faces", "faces_mtcnn", "people", "shots", "colours", "quality", "text"):
        # `text` reads only the first frame of a segment: give it one frame per call.
        config = {"frames_per_segment": len(frames)} if key == "text" else {}
        analyzer = registry.build(key, AnalyzerContext(), config)
        analyzer.analyze("warmup", frames[:1])
        started = time.perf_counter()
        analyzer.analyze("bench", frames)
        costs[key] = (time.perf_counter() - started) / len(frames)
    return costs


def _line(label: str, value: str) -> None:
    print(f"  {label:<46} {value}")


def hot_path_profile(clips: list[Clip], matcher: LogoMatcher) -> str:
    """cProfile top functions of what detector-logo does per segment: decode, then match."""

    def work() -> None:
        for clip in clips:
            for frame in decode_sampled(clip.data, SAMPLE_FPS):
                matcher.match(frame.image)

    return profile_top(work, top=20)[1]


def record_quality(results: BenchResults, result: Score) -> None:
    """Quality figures for the report (targets of the logo detector issue)."""
    positives = result.tp + result.fn
    results.figure(
        "quality.precision",
        result.tp / max(1, result.tp + result.fp),
        label="logo precision (frame level)",
        target=0.95,
    )
    results.figure(
        "quality.recall",
        result.tp / max(1, positives),
        label="logo recall, widths 80..320 px",
        target=0.90,
    )
    for width, (hits, total) in sorted(result.by_width.items()):
        results.figure(
            f"quality.recall.{width:.0f}px", hits / total, label=f"logo recall, {width:.0f} px wide"
        )
    results.figure("quality.iou_mean", statistics.mean(result.ious or [0.0]), label="box IoU")
    results.figure(
        "quality.ttfd_mean_s",
        statistics.mean(result.first_detection or [math.nan]),
        "s",
        label="time to first detection, mean",
    )


def record_capacity(
    results: BenchResults, costs: dict[str, float], per_second: dict[str, float]
) -> None:
    """Cost and capacity figures, and the CPU breakdown per video second."""
    cores = results.nproc
    for key, seconds in costs.items():
        results.figure(f"cost.{key}_ms", seconds * 1000, "ms", label=f"{key} per sampled frame")
    ceiling = cores / per_second["decode only (ceiling)"]
    explain = ("cpu_per_video_second", "logo hot path (cProfile, tottime)")
    for label, cpu_seconds in per_second.items():
        key = label.split(" ")[0].removeprefix("detector-")
        results.figure(
            f"capacity.{key}.streams",
            cores / cpu_seconds,
            "streams",
            label=f"{label}: concurrent 720p30 streams",
            target=6.0 if key == "logo" else None,
            explained_by=explain if key == "logo" else (),
        )
    logo_streams = cores / per_second["detector-logo"]
    results.figure(
        "capacity.logo.vs_ceiling",
        logo_streams / ceiling,
        "x ceiling",
        label="detector-logo streams / decode-only streams",
        target=0.7,
        explained_by=explain,
    )
    decode = per_second["decode only (ceiling)"]
    visual = {k: SAMPLE_FPS * costs[k] for k in ("faces_mtcnn", "people", "shots", "colours")}
    visual |= {"quality": SAMPLE_FPS * costs["quality"], "text": costs["text"] / 2.0}
    logo = {"logo match": SAMPLE_FPS * costs["logo"]}
    results.breakdown(
        "cpu_per_video_second",
        {
            "decode only (ceiling)": {"decode": decode},
            "detector-logo": {"decode": decode, **logo},
            "detector-visual": {"decode": decode, **visual},
            "both detectors": {"decode": decode, **logo, **visual},
        },
        "CPU-s per second of 720p30 video",
        label="Where the CPU goes per second of video (one stream)",
        notes="streams on this machine = nproc / total; decode is the sampled decode "
        f"({SAMPLE_FPS:g} frames/s kept), analyzers run on each sampled frame.",
    )


def main() -> None:
    """Generate, analyse, score and print."""
    cores = os.cpu_count() or 1
    results = BenchResults(
        "analysis",
        "Detectors: logo quality and real-time capacity",
        source=__file__,
        params={"clip_s": SECONDS, "sample_fps": SAMPLE_FPS, "size": "1280x720@30"},
    )
    print(f"nproc: {cores}  (720p30 clips of {SECONDS:.0f} s, {SAMPLE_FPS:g} sampled frames/s)")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        clips = generate(Path(tmp))
        print(f"generated {len(clips)} clips in {time.perf_counter() - started:.1f} s")
    matcher = LogoMatcher()
    for brand, (text, seed) in BRANDS.items():
        matcher.add(brand, brand, make_logo(text, seed))
    result, logo_costs, decode_costs = score(clips, matcher)
    ious = result.ious or [0.0]
    ttfd = result.first_detection or [float("nan")]
    positives = result.tp + result.fn
    print("logo detection quality (frame level, IoU >= 0.5 counts as a hit)")
    _line("precision", f"{result.tp / max(1, result.tp + result.fp):.3f}  (target >= 0.95)")
    _line("recall, all widths 80..320 px", f"{result.tp / max(1, positives):.3f}  (target >= 0.90)")
    for width, (hits, total) in sorted(result.by_width.items()):
        _line(f"recall, logos {width:.0f} px wide", f"{hits / total:.3f}  ({hits}/{total} frames)")
    _line("box IoU of hits: mean / min", f"{statistics.mean(ious):.3f} / {min(ious):.3f}")
    _line(
        "time to first detection: mean / max (s)", f"{statistics.mean(ttfd):.2f} / {max(ttfd):.2f}"
    )
    _line("counts tp / fp / fn", f"{result.tp} / {result.fp} / {result.fn}")
    record_quality(results, result)
    results.attach("logo hot path (cProfile, tottime)", hot_path_profile(clips[:4], matcher))

    frames = decode_sampled(clips[0].data, SAMPLE_FPS)
    costs = {"logo": statistics.mean(logo_costs), **analyzer_costs(frames)}
    decode_per_segment = statistics.mean(decode_costs)
    print("cost per sampled 720p frame (one core)")
    for key, seconds in costs.items():
        _line(key, f"{seconds * 1000:.1f} ms")
    _line("decode of a 4 s segment, sampled at 2 fps", f"{decode_per_segment * 1000:.1f} ms")
    for extra in range(36):  # a larger library: matching cost per added logo
        matcher.add(f"extra-{extra}", f"extra-{extra}", make_logo(f"BRAND{extra}", 50 + extra))
    started = time.perf_counter()
    for frame in frames:
        matcher.match(frame.image)
    per_frame = (time.perf_counter() - started) / len(frames)
    _line("logo with 40 logos in the library", f"{per_frame * 1000:.1f} ms")
    results.figure("cost.logo_40_ms", per_frame * 1000, "ms", label="logo, 40-logo library")

    decode_per_video_second = decode_per_segment / SECONDS
    visual = sum(costs[k] for k in ("faces_mtcnn", "people", "shots", "colours", "quality"))
    per_second: dict[str, float] = {
        "decode only (ceiling)": decode_per_video_second,
        "detector-logo": decode_per_video_second + SAMPLE_FPS * costs["logo"],
        # OCR reads one frame per 2 s segment (its default), the rest every sampled frame.
        "detector-visual": decode_per_video_second + SAMPLE_FPS * visual + costs["text"] / 2.0,
    }
    per_second["both detectors"] = (
        per_second["detector-logo"] + per_second["detector-visual"] - decode_per_video_second
    )
    print(f"concurrent 720p30 streams kept up with in real time on {cores} cores")
    for label, cpu_seconds in per_second.items():
        _line(label, f"{cores / cpu_seconds:.1f}  ({cpu_seconds:.3f} CPU-s per video second)")
    record_capacity(results, costs, per_second)
    results.write()


if __name__ == "__main__":
    main()
