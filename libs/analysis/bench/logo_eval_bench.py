"""Logo detection on the hard evaluation kit (issue #14): quality per 0.5-s bin and CPU cost.

`make bench` runs this file. It generates the kit for `REPORT_SEED` (nothing downloaded; the
pipeline must be tuned on `TUNE_SEED` only): one 720p30 clip per condition (scale 57-400 px,
tilt, rotation, motion blur, defocus, brightness, occlusion, frame edges, look-alikes,
logo-free, mixed), cut every ~3 s, encoded as H.264 with a 2-s GOP and decoded back; gives
the `LogoMatcher` the six library references exactly as an upload reaches it
(`wire.decode_reference` on the file's bytes, as `LogoLibrary` does); samples 2 frames/s (the
detector's default policy); runs the whole `LogoPipeline` (image matcher + OCR wordmark channel +
tracker) with fresh state per clip, a segment (GOP) of sampled frames at a time, as the detector
runs a stream, and the matcher alone beside
it on the same decoded frames; prints precision, recall, box IoU, time to first detection,
appearances found and screen-time error per clip, brand and condition, with the CPU per
frame; then the CPU per frame with 6, 25 and 100 references, with the current matcher
settings and with the previous ones (full-resolution frame, one pass per reference) in the
same run. `--quick` runs 2 shots per clip and fewer cost frames; `--raw` skips the codec;
`--only pipeline|matcher` runs one of the two.

For tuning (a replay of a tune seed in minutes): `--cache` keeps each clip's truth and decoded
sampled frames under `$SIGHTLINE_CACHE_DIR/logo-kit/` (default `~/.cache/sightline`), keyed by
the kit seed, shots, sampled rate, codec or raw, and a digest of the code that decides them
(the kit's planning and rendering, the encode and the sampled decode), built on the first run
(~0.7 GB per seed at 4 shots);
`--carried` runs one pipeline through all clips, as a stream runs (fresh per clip otherwise);
`--config JSON` overrides `PipelineConfig` fields; `--no-costs` skips the CPU-by-library-size
runs and writes no results file (a tuning replay is not the bench's record).

`--phases 0,5,10` (with `--no-costs`, encoded) runs the kit once per phase, each clip sampled
on a grid that many frames after its first (`runner.decode_clip`: as the detector samples a
clip that starts that far before a slot of its stream's 0.5-s grid), prints each pass's table,
then each phase's overall line and, under "overall", their mean: the figure to tune on. A
stream starts on any phase, and the clips' own grid (phase 0) is a lucky one (session 23:
1401 recall 0.861 on it, 0.771-0.821 off it). Phases are frames, not seconds: a slot takes the
frame shown at its time, so at 30 fps and 2 samples/s there are 15 distinct phases; 0,5,10
spreads three evenly. The clips are kept encoded (`--cache`: under `logo-kit/...-ts-...`,
~28 MB per seed, ~4 min to build under load) and decoded per phase (~6 CPU-s a seed), as
rendering and encoding are the slow part. Phase 0 gives the default run's figures exactly.
Session 24 (main 206ee83, product defaults, that session's net; phases 0 / 5 / 10, mean):
1401 0.995 / 0.816, 40/51; 0.995 / 0.816, 41/51; 0.978 / 0.807, 44/51; mean 0.989 / 0.813,
41.7/51, screen time -18 %; 1403 0.994 / 0.759, 38/48; 0.988 / 0.764, 37/48; 0.994 / 0.745,
38/48; mean 0.992 / 0.756, 37.7/48, -24 %.

`--steps` runs the detectors under cProfile (timer: process CPU) and prints where the CPU of
a sampled frame goes, step by step (cumulative: a step's line includes what it calls; with
`--only pipeline`, else the matcher alone's calls count too).

By default (`--proposals net`, as detector-logo runs: `SIGHTLINE_LOGO_PROPOSALS=net`) both
run with the learned proposal net (`logo/learned/`): the whole-frame search only where the net
points; `--proposals sift` searches whole frames with SIFT (the detector's fallback while a
library has no trained net).
The net is trained for the kit's library with the default recipe (the library's references
only, never a clip: ~500 CPU-s on one thread, kept in the cache folder under the library key,
so a second run reuses it), or read from `--weights FILE.keras` (class names from FILE.json's
`names`, else the sorted brands). It then also prints the net's own CPU per frame with 6, 25
and 100 brands (untrained nets of those sizes: the cost does not depend on the weights).
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import importlib
import inspect
import math
import os
import pickle
import pstats
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from sightline_analysis.frames import Image
from sightline_analysis.logo.learned.model import HeatmapNet, build
from sightline_analysis.logo.learned.proposals import ProposalMatcher
from sightline_analysis.logo.learned.weights import source_digest
from sightline_analysis.logo.matcher import LogoMatcher, MatcherConfig
from sightline_analysis.logo.pipeline import LogoPipeline, PipelineConfig
from sightline_analysis.logo.wordmark import WordmarkReader
from sightline_analysis.logo_eval import REPORT_SEED, TUNE_SEED
from sightline_analysis.logo_eval.brands import Brand, extra_brands
from sightline_analysis.logo_eval.kit import Kit, build_kit
from sightline_analysis.logo_eval.kit_pipeline import (
    add_references,
    pipeline_detector,
    proposal_net,
    stretched_detector,
)
from sightline_analysis.logo_eval.runner import (
    BySegment,
    ClipFrames,
    ClipRun,
    Detector,
    decode_clip,
    encode_clip,
    rendered_frames,
    run_sampled,
    sampled_frames,
)
from sightline_analysis.logo_eval.scene import ClipSpec
from sightline_analysis.logo_eval.table import (
    Scored,
    percentile,
    render_phases,
    render_table,
    score_runs,
)
from sightline_analysis.logo_eval.truth import MIN_VISIBILITY, MIN_WIDTH_PX, Box
from sightline_analysis.replay.stretches import WARM_UP_SEGMENTS
from sightline_benchkit import BenchResults

_T = TypeVar("_T")
LIBRARY_SIZES = (6, 25, 100)
# The matcher as it was before the downscaled, library-indexed search (issue #14's "today"):
# every reference matched against full-resolution frame features, one pass per reference.
PREVIOUS = MatcherConfig(frame_width=0, library_index=False, max_instances=1, ratio=0.75,
                         homography="ransac", min_region_agreement=0.0)  # fmt: skip


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="2 shots per clip, 4 cost frames")
    parser.add_argument("--raw", action="store_true", help="skip the H.264 round trip")
    parser.add_argument("--seed", type=int, default=REPORT_SEED, help="kit seed")
    parser.add_argument("--sample-fps", type=float, default=2.0)
    parser.add_argument("--only", choices=("pipeline", "matcher"), help="run one detector")
    parser.add_argument("--proposals", choices=("sift", "net"), default="net",
                        help="learned proposals (detector-logo's default), or whole-frame "
                        "SIFT")  # fmt: skip
    parser.add_argument("--weights", type=Path, help="a trained net (.keras) for --proposals net")
    parser.add_argument("--steps", action="store_true", help="CPU per frame of each step")
    parser.add_argument(
        "--cache",
        action="store_true",
        help="decoded sampled frames from (or into) the kit frame cache",
    )
    parser.add_argument(
        "--carried",
        action="store_true",
        help="one pipeline through all clips (a stream), not fresh per clip",
    )
    parser.add_argument(
        "--stretch",
        type=int,
        default=0,
        help="with --carried: a fresh pipeline every N segments, warmed up on the 2 before "
        "(a reanalysis run's stretches, replay/stretches.py)",
    )
    parser.add_argument(
        "--config",
        type=PipelineConfig.model_validate_json,
        default=PipelineConfig(),
        help="PipelineConfig overrides (JSON)",
    )
    parser.add_argument(
        "--no-costs",
        action="store_true",
        help="skip the CPU-by-library-size runs; write no results file",
    )
    parser.add_argument(
        "--phases",
        type=_phases,
        help="comma-separated frames (e.g. 0,5,10) to move the sampling grid from each clip's "
        "first frame by: one run per phase, each phase's overall line and their mean",
    )
    args = parser.parse_args()
    if args.phases and (args.raw or not args.no_costs):
        parser.error("--phases is a tuning replay of the encoded kit: with --no-costs, no --raw")
    return args


def _phases(text: str) -> list[int]:
    """The frames of `--phases`."""
    phases = [int(p) for p in text.split(",")]
    if any(p < 0 for p in phases):
        raise argparse.ArgumentTypeError("a phase is a frame count >= 0")
    return phases


# What decides a clip's truth and decoded sampled frames besides the seed, shots and rate.
FRAME_CODE = tuple(f"sightline_analysis.{name}" for name in (
    "logo_eval.backgrounds", "logo_eval.brands", "logo_eval.kit", "logo_eval.plan",
    "logo_eval.render", "logo_eval.scene", "logo_eval.truth", "logo_eval.runner", "synthetic",
    "decode"))  # fmt: skip


def frame_cache(kit: Kit, shots: int, sample_fps: float, encode: bool) -> Path:
    """The cache folder of `kit`'s clips for these settings (see the module docstring)."""
    return _kit_cache(kit, shots, f"{sample_fps:g}fps-{'h264' if encode else 'raw'}")


def encoded_cache(kit: Kit, shots: int) -> Path:
    """The cache folder of `kit`'s encoded clips (`phase_frames`) for these shots."""
    return _kit_cache(kit, shots, "ts")


def _kit_cache(kit: Kit, shots: int, kind: str) -> Path:
    code = source_digest(inspect.getsource(importlib.import_module(m)) for m in FRAME_CODE)
    root = Path(os.environ.get("SIGHTLINE_CACHE_DIR", Path.home() / ".cache" / "sightline"))
    return root / "logo-kit" / f"seed{kit.seed}-shots{shots}-{kind}-{code}"


def clip_frames(
    clip: ClipSpec, kit: Kit, sample_fps: float, encode: bool, cache: Path | None
) -> ClipFrames:
    """The clip's truth of every frame and its sampled frames (through H.264 when `encode`),
    read from `cache` when it holds them, else made (and written there when given)."""
    return _cached(None if cache is None else cache / f"{clip.name}.pickle",
                   lambda: sampled_frames(clip, kit.brands, sample_fps, encode=encode))  # fmt: skip


def phase_frames(
    clip: ClipSpec, kit: Kit, sample_fps: float, phase: int, cache: Path | None
) -> ClipFrames:
    """The clip's truth of every frame and its frames sampled on a grid `phase` frames after
    its first (`runner.decode_clip`), decoded from the encoded clip kept in `cache`
    (`encoded_cache`) or made (and kept there): rendering and encoding are the slow part, so
    one encoded clip serves every phase."""
    truth, data = _cached(None if cache is None else cache / f"{clip.name}.pickle",
                          lambda: encode_clip(clip, kit.brands))  # fmt: skip
    return truth, decode_clip(data, sample_fps, phase / clip.fps)


def _cached(path: Path | None, make: Callable[[], _T]) -> _T:
    """What `path` holds when it exists, else `make()` (written to `path` when given)."""
    if path is not None and path.exists():
        loaded: _T = pickle.loads(path.read_bytes())  # noqa: S301 - our own cache
        return loaded
    made = make()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_bytes(pickle.dumps(made, protocol=pickle.HIGHEST_PROTOCOL))
        partial.replace(path)  # a run stopped mid-write leaves no truncated entry
    return made


# The steps of a sampled frame (`pipeline.py`), as cProfile names them: (file, function).
STEPS = {
    "cut detection": ("pipeline.py", "_cut"),
    "net proposals": ("proposals.py", "propose"),
    "search where the net proposes": ("proposals.py", "search"),
    "LogoMatcher.match (whole frames without net; crops)": ("matcher.py", "match"),
    "re-verification of tracks on crops": ("pipeline.py", "_reverify"),
    "OCR channel (read, veto)": ("pipeline.py", "_read"),
    "  OCR line detection": ("text_detect.py", "__call__"),
    "  OCR line recognition": ("text_recognize.py", "__call__"),
    "vetoes between reads": ("pipeline.py", "_veto"),
    "tracker step (incl. blur check)": ("tracker.py", "step"),
    "  blur check (all blurred_match calls, the starter's too)": ("blurred.py", "blurred_match"),
    "net starter (blurred fits, second look)": ("pipeline.py", "_start"),
    "  second look's zoomed net": ("proposals.py", "second_look"),
    "  window checks (regions.worst_region)": ("regions.py", "worst_region"),
    "zoomed net (its look also answers the second looks)": ("proposals.py", "view_zoomed"),
    "zoomed proposals' checks (SIFT, zoomed read)": ("pipeline.py", "_zoomed"),
    "  zoomed reads (the OCR channel's own too)": ("zoom_read.py", "zoom_reads"),
    "backtrack": ("pipeline.py", "_backtrack"),
    "gap filling": ("gaps.py", "fill_gaps"),
}


def print_steps(profiler: cProfile.Profile, frames: int) -> None:
    """Cumulative CPU per sampled frame of each of `STEPS` (and how often it ran)."""
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    print(f"CPU per sampled frame by step ({frames} frames, cProfile on process CPU, cumulative)")
    for label, (name, function) in STEPS.items():
        found = [(calls, cumulative) for (path, _, func), (_, calls, _, cumulative, _)
                 in stats.items() if path.endswith(name) and func == function]  # fmt: skip
        calls = sum(c for c, _ in found)
        cumulative = sum(t for _, t in found)
        print(f"  {label:<54} {cumulative / frames * 1000:7.1f} ms  ({calls} calls)")


def net_costs(frames: Sequence[Image]) -> dict[int, list[float]]:
    """CPU seconds per frame of the proposal net alone (inference + box reading) with 6, 25
    and 100 brands."""
    result = {}
    for size in LIBRARY_SIZES:
        net = HeatmapNet(build(size), [f"brand{k}" for k in range(size)])
        net(frames[0])  # trace the graph once, as a detector does on its first frame
        costs = []
        for image in frames:
            started = time.process_time()
            net(image)
            costs.append(time.process_time() - started)
        result[size] = costs
    return result


def _detector(matcher: LogoMatcher) -> Detector:
    def detect(image: Image) -> list[tuple[str, Box, float]]:
        return [(m.brand, m.box, m.confidence) for m in matcher.match(image)]

    return detect


def _profiled(
    detector: Detector | BySegment, profiler: cProfile.Profile | None
) -> Detector | BySegment:
    """`detector` run under `profiler` (when there is one)."""
    if profiler is None:
        return detector
    if isinstance(detector, BySegment):
        return BySegment(lambda images: profiler.runcall(detector.detect, images), detector.late)
    return lambda image: profiler.runcall(detector, image)


def library_costs(
    frames: Sequence[Image],
    kit_brands: Sequence[Brand],
    seed: int,
    config: MatcherConfig | None = None,
) -> dict[int, list[float]]:
    """CPU seconds per frame of `frames` with 6, 25 and 100 references."""
    extras = extra_brands(max(LIBRARY_SIZES) - len(kit_brands), seed)
    matcher = LogoMatcher(config)
    add_references(matcher, kit_brands)
    result: dict[int, list[float]] = {}
    added = len(kit_brands)
    for size in LIBRARY_SIZES:
        add_references(matcher, extras[added - len(kit_brands) : size - len(kit_brands)])
        added = size
        costs = []
        for image in frames:
            started = time.process_time()
            matcher.match(image)
            costs.append(time.process_time() - started)
        result[size] = costs
        if len(matcher.brands) != size:
            print(f"  library of {size}: {len(matcher.brands)} references accepted")
    return result


def record_matcher(results: BenchResults, scored: Scored) -> None:
    """The matcher-alone figures, beside the pipeline's."""
    overall = scored.overall()
    results.figure("matcher.precision", overall.precision, label="matcher alone: precision")
    results.figure("matcher.recall", overall.recall, label="matcher alone: recall")
    results.figure("matcher.appearances_found", overall.found / max(1, overall.appearances),
                   label=f"matcher alone: appearances found ({overall.found}/"
                   f"{overall.appearances})")  # fmt: skip
    results.figure("matcher.screen_time_abs_error", abs(overall.screen_time_error) * 100, "%",
                   label="matcher alone: |screen-time error|")  # fmt: skip
    results.figure("matcher.kit_median_ms", statistics.median(scored.costs()) * 1000, "ms",
                   label="matcher alone: CPU per sampled frame, median")  # fmt: skip


def record(
    results: BenchResults,
    scored: Scored,
    costs: dict[int, list[float]],
    previous: dict[int, list[float]],
) -> None:
    """The pipeline's figures for the report, with the issue's targets."""
    overall = scored.overall()
    results.figure("quality.precision", overall.precision, label="logo precision (0.5-s bins)",
                   target=0.97)  # fmt: skip
    results.figure("quality.recall", overall.recall, label="logo recall (0.5-s bins)", target=0.92)
    results.figure(
        "quality.appearances_found",
        overall.found / max(1, overall.appearances),
        label=f"appearances found within 1 s ({overall.found}/{overall.appearances})",
        target=1.0,
    )
    results.figure(
        "quality.screen_time_abs_error",
        abs(overall.screen_time_error) * 100,
        "%",
        label=f"|screen-time error| ({overall.detected_seconds:.0f} s of "
        f"{overall.true_seconds:.0f} s)",
        target=5.0,
        comparison="<=",
    )
    results.figure("quality.iou_mean", overall.mean_iou, label="box IoU, mean over hits")
    for brand, tally in sorted(scored.by_brand().items()):
        results.figure(f"quality.recall.{brand}", tally.recall, label=f"recall, {brand}")
    for condition, tally in scored.by_condition().items():
        results.figure(f"quality.recall.{condition}", tally.recall, label=f"recall, {condition}")
    results.figure("cost.kit_median_ms", statistics.median(scored.costs()) * 1000, "ms",
                   label="CPU per sampled 720p frame on the kit, median")  # fmt: skip
    for size, values in costs.items():
        target = {6: 60.0, 100: 120.0}.get(size)
        results.figure(f"cost.refs_{size}_median_ms", statistics.median(values) * 1000, "ms",
                       label=f"CPU per 720p frame, {size} references, median", target=target,
                       comparison="<=")  # fmt: skip
        results.figure(f"cost.refs_{size}_p90_ms", percentile(values, 0.9) * 1000, "ms",
                       label=f"CPU per 720p frame, {size} references, p90")  # fmt: skip
    for size, values in previous.items():
        results.figure(f"cost.previous.refs_{size}_median_ms", statistics.median(values) * 1000,
                       "ms", label=f"previous matcher settings: CPU per 720p frame, {size} "
                       "references, median")  # fmt: skip


def write_with_costs(
    results: BenchResults, args: argparse.Namespace, kit: Kit, scores: dict[str, Scored]
) -> None:
    """The CPU per frame by library size (and the net's alone), printed and written with the
    quality figures of `scores` as the bench's results."""
    scored = next(iter(scores.values()))
    per_clip = 2 if args.quick else 3
    frames = [
        f.image for clip in kit.clips for f in rendered_frames(clip, kit.brands, 0.5)[:per_clip]
    ]
    costs = library_costs(frames, kit.reference_brands(), args.seed)
    previous = library_costs(frames, kit.reference_brands(), args.seed, PREVIOUS)
    print(f"CPU per 720p frame by library size ({len(frames)} frames, time.process_time; "
          f"previous = full-resolution per-reference settings in the same run)")  # fmt: skip
    for size, values in costs.items():
        print(f"  {size:>3} references: median {statistics.median(values) * 1000:6.0f} ms, "
              f"p90 {percentile(values, 0.9) * 1000:6.0f} ms; previous: median "
              f"{statistics.median(previous[size]) * 1000:6.0f} ms")  # fmt: skip
    if args.proposals == "net":
        print("learned proposal net alone, CPU per 720p frame by brands (untrained nets)")
        for size, values in net_costs(frames).items():
            print(f"  {size:>3} brands: median {statistics.median(values) * 1000:6.1f} ms, "
                  f"p90 {percentile(values, 0.9) * 1000:6.1f} ms")  # fmt: skip
            results.figure(f"cost.net_{size}_median_ms", statistics.median(values) * 1000,
                           "ms", label=f"proposal net alone, {size} brands, median")  # fmt: skip
    record(results, scored, costs, previous)
    if "matcher" in scores and len(scores) > 1:
        record_matcher(results, scores["matcher"])
    results.write()


def run_kit(
    kit: Kit,
    frames: Callable[[ClipSpec], ClipFrames],
    detectors: dict[str, Callable[[], Detector | BySegment]],
    profiler: cProfile.Profile | None,
) -> dict[str, list[ClipRun]]:
    """Each of `detectors` (each made afresh per clip) over every clip's `frames`: the runs
    of each, by name."""
    runs: dict[str, list[ClipRun]] = {name: [] for name in detectors}
    for clip in kit.clips:
        made = [_profiled(make(), profiler) for make in detectors.values()]
        for name, run in zip(detectors, run_sampled(clip, frames(clip), made), strict=True):
            runs[name].append(run)
    return runs


def run_phases(
    args: argparse.Namespace,
    kit: Kit,
    detectors: Callable[[], dict[str, Callable[[], Detector | BySegment]]],
    profiler: cProfile.Profile | None,
) -> list[Scored]:
    """One pass over the kit per `--phases` phase (fresh detectors each), each pass's table,
    then each detector's overall line per phase and their mean; the first detector's scores
    of each pass."""
    shots = 2 if args.quick else 4
    cache = encoded_cache(kit, shots) if args.cache else None
    fps = kit.clips[0].fps
    by_phase: dict[int, dict[str, Scored]] = {}
    for phase in args.phases:
        started = time.perf_counter()
        frames = functools.partial(phase_frames, kit=kit, sample_fps=args.sample_fps,
                                   phase=phase, cache=cache)  # fmt: skip
        runs = run_kit(kit, frames, detectors(), profiler)
        by_phase[phase] = {n: score_runs(r, kit.library, kit.look_alikes) for n, r in runs.items()}
        for name, scored in by_phase[phase].items():
            print(f"=== {name}, sampled from {phase} frames after each clip's first "
                  f"({phase / fps:.3f} s), {time.perf_counter() - started:.0f} s wall")  # fmt: skip
            print(render_table(scored))
    print(f"pipeline: {args.config.model_dump_json()}")
    names = list(by_phase[args.phases[0]])
    for name in names:
        print(f"=== {name} on {len(args.phases)} sampling phases (the mean is the figure)")
        print(render_phases({f"phase {p} ({p / fps:.3f} s)": by_phase[p][name]
                             for p in args.phases}))  # fmt: skip
    return [by_phase[phase][names[0]] for phase in args.phases]


def main() -> None:
    """Generate, run today's matcher, score, print."""
    args = _arguments()
    shots = 2 if args.quick else 4
    kit = build_kit(args.seed, shots_per_clip=shots)
    seconds = sum(c.seconds for c in kit.clips)
    mode = "raw frames" if args.raw else "H.264 (libx264, yuv420p, 2-s GOP) round trip"
    print(f"nproc: {os.cpu_count() or 1}  logo evaluation kit: seed {args.seed} (report seed "
          f"{REPORT_SEED}, tune seed {TUNE_SEED}), {len(kit.clips)} clips, {seconds:.0f} s "
          f"720p30, {mode}, {args.sample_fps:g} sampled frames/s")  # fmt: skip
    print(f"truth rule: an instance counts when >= {MIN_VISIBILITY:.0%} visible and >= "
          f"{MIN_WIDTH_PX:.0f} px wide; 0.5-s bins; smaller/more hidden = don't care")  # fmt: skip
    results = BenchResults(
        "logo_eval" if args.proposals == "sift" else "logo_eval_net",
        "Logo detection on the hard evaluation kit (issue #14)",
        source=__file__,
        params={
            "seed": args.seed,
            "tune_seed": TUNE_SEED,
            "shots_per_clip": shots,
            "encoded": not args.raw,
            "sample_fps": args.sample_fps,
            "proposals": args.proposals,
        },
    )
    matcher = LogoMatcher() if args.proposals == "sift" else ProposalMatcher()
    add_references(matcher, kit.reference_brands())
    if isinstance(matcher, ProposalMatcher):
        net, origin = proposal_net(kit.reference_brands(), args.weights)
        matcher.use(net)
        print(f"learned proposals: {origin}; {matcher.proposals.model_dump_json()}")
    config = args.config
    reader = WordmarkReader(config.wordmark) if config.wordmark.enabled else None
    names = [n for n in ("pipeline", "matcher") if args.only in (None, n)]

    def detectors() -> dict[str, Callable[[], Detector | BySegment]]:
        """The detectors of one pass over the kit, each made per clip (`--carried`: one
        pipeline for the pass)."""
        carried = stretched_detector(
            lambda: LogoPipeline(matcher, config, reader), args.stretch, WARM_UP_SEGMENTS
        )
        made: dict[str, Callable[[], Detector | BySegment]] = {
            "pipeline": lambda: (
                carried
                if args.carried
                else pipeline_detector(LogoPipeline(matcher, config, reader))
            ),
            "matcher": lambda: _detector(matcher),
        }
        return {name: made[name] for name in names}

    started = time.perf_counter()
    profiler = cProfile.Profile(time.process_time) if args.steps else None
    if args.phases:
        passes = run_phases(args, kit, detectors, profiler)
    else:
        cache = frame_cache(kit, shots, args.sample_fps, not args.raw) if args.cache else None
        frames = functools.partial(clip_frames, kit=kit, sample_fps=args.sample_fps,
                                   encode=not args.raw, cache=cache)  # fmt: skip
        runs = run_kit(kit, frames, detectors(), profiler)
        print(
            f"{' and '.join(names)} (references through wire.decode_reference), "
            f"{time.perf_counter() - started:.0f} s wall; pipeline: {config.model_dump_json()}"
        )
        scores = {name: score_runs(runs[name], kit.library, kit.look_alikes) for name in names}
        for name in names:
            print(f"=== {name}" + (" alone" if name == "matcher" else " (matcher + OCR + tracker)"))
            print(render_table(scores[name]))
        passes = [scores[names[0]]]
        if not args.no_costs:
            write_with_costs(results, args, kit, scores)
    if profiler is not None:
        print_steps(profiler, sum(len(scored.costs()) for scored in passes))
    if math.isnan(passes[0].overall().recall):
        raise SystemExit("the kit had nothing to find")


if __name__ == "__main__":
    main()
