"""Logo detection on the hard evaluation kit (issue #14): quality per 0.5-s bin and CPU cost.

`make bench` runs this file. It generates the kit for `REPORT_SEED` (nothing downloaded; the
matcher must be tuned on `TUNE_SEED` only): one 720p30 clip per condition (scale 57-400 px,
tilt, rotation, motion blur, defocus, brightness, occlusion, frame edges, look-alikes,
logo-free, mixed), cut every ~3 s, encoded as H.264 with a 2-s GOP and decoded back; gives
the `LogoMatcher` the six library references exactly as an upload reaches it
(`wire.decode_reference` on the file's bytes, as `LogoLibrary` does); samples 2 frames/s;
prints precision, recall, box IoU, time to first detection, appearances found and
screen-time error per clip, brand and condition, with the CPU per frame; then the CPU per
frame with 6, 25 and 100 references. `--quick` runs 2 shots per clip and fewer cost
frames; `--raw` skips the codec.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from collections.abc import Sequence

from sightline_analysis.frames import Image
from sightline_analysis.logo.matcher import LogoMatcher
from sightline_analysis.logo_eval import REPORT_SEED, TUNE_SEED
from sightline_analysis.logo_eval.brands import Brand, extra_brands
from sightline_analysis.logo_eval.kit import build_kit
from sightline_analysis.logo_eval.runner import ClipRun, Detector, rendered_frames, run_clip
from sightline_analysis.logo_eval.table import Scored, percentile, render_table, score_runs
from sightline_analysis.logo_eval.truth import MIN_VISIBILITY, MIN_WIDTH_PX, Box
from sightline_analysis.wire import decode_reference
from sightline_benchkit import BenchResults

LIBRARY_SIZES = (6, 25, 100)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="2 shots per clip, 4 cost frames")
    parser.add_argument("--raw", action="store_true", help="skip the H.264 round trip")
    parser.add_argument("--seed", type=int, default=REPORT_SEED, help="kit seed")
    parser.add_argument("--sample-fps", type=float, default=2.0)
    return parser.parse_args()


def _add_references(matcher: LogoMatcher, brands: Sequence[Brand]) -> None:
    """Give the matcher each reference as the logo library decodes the uploaded file."""
    for brand in brands:
        try:
            matcher.add(f"{brand.name}.{brand.reference_ext}", brand.name,
                        decode_reference(brand.reference))  # fmt: skip
        except ValueError as exc:  # the library skips such a reference too (logged there)
            print(f"  reference {brand.name} refused by the matcher: {exc}")


def _detector(matcher: LogoMatcher) -> Detector:
    def detect(image: Image) -> list[tuple[str, Box, float]]:
        return [(m.brand, m.box, m.confidence) for m in matcher.match(image)]

    return detect


def library_costs(
    frames: Sequence[Image], kit_brands: Sequence[Brand], seed: int
) -> dict[int, list[float]]:
    """CPU seconds per frame of `frames` with 6, 25 and 100 references."""
    extras = extra_brands(max(LIBRARY_SIZES) - len(kit_brands), seed)
    matcher = LogoMatcher()
    _add_references(matcher, kit_brands)
    result: dict[int, list[float]] = {}
    added = len(kit_brands)
    for size in LIBRARY_SIZES:
        _add_references(matcher, extras[added - len(kit_brands) : size - len(kit_brands)])
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


def record(results: BenchResults, scored: Scored, costs: dict[int, list[float]]) -> None:
    """Figures for the report, with the issue's targets."""
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
        "logo_eval",
        "Logo detection on the hard evaluation kit (issue #14)",
        source=__file__,
        params={
            "seed": args.seed,
            "tune_seed": TUNE_SEED,
            "shots_per_clip": shots,
            "encoded": not args.raw,
            "sample_fps": args.sample_fps,
        },
    )
    matcher = LogoMatcher()
    _add_references(matcher, kit.reference_brands())
    detect = _detector(matcher)
    started = time.perf_counter()
    runs: list[ClipRun] = []
    for clip in kit.clips:
        runs.append(run_clip(clip, kit.brands, detect, sample_fps=args.sample_fps,
                             encode=not args.raw))  # fmt: skip
    print(f"LogoMatcher (references through wire.decode_reference), "
          f"{time.perf_counter() - started:.0f} s wall")  # fmt: skip
    scored = score_runs(runs, kit.library, kit.look_alikes)
    print(render_table(scored))

    per_clip = 2 if args.quick else 3
    frames = [
        f.image for clip in kit.clips for f in rendered_frames(clip, kit.brands, 0.5)[:per_clip]
    ]
    costs = library_costs(frames, kit.reference_brands(), args.seed)
    print(f"CPU per 720p frame by library size ({len(frames)} frames, time.process_time)")
    for size, values in costs.items():
        print(f"  {size:>3} references: median {statistics.median(values) * 1000:6.0f} ms, "
              f"p90 {percentile(values, 0.9) * 1000:6.0f} ms")  # fmt: skip
    record(results, scored, costs)
    results.write()
    if math.isnan(scored.overall().recall):
        raise SystemExit("the kit had nothing to find")


if __name__ == "__main__":
    main()
