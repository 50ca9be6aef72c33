"""The proposal net alone on the logo kit's cached frames (issue #14): what it proposes where.

A kit replay (`logo_eval_bench.py`) says which appearances the pipeline missed, but not whether
the net proposed them: most misses have no proposal at all (session 20), and a retrained net
moves them between appearances. This runs only the net (the `HeatmapNet`, ~10 ms a frame) on
the sampled frames `logo_eval_bench.py --cache` keeps, and prints per condition the frames where
a must-find instance of a library brand gets a candidate of its brand over its truth box, for
each net given side by side; then, per appearance that some net proposes in fewer than half of
its frames, per frame: the brand's peak probability over the box, the best other brand's there,
and the visible share. A minute a seed for two nets, against several for a replay.

usage: logo_net_probe.py --seed 1401 NET.keras [NET.keras ...] (class names from NET.json)
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from logo_eval_bench import clip_frames, frame_cache

from sightline_analysis.logo.learned.model import (
    Candidate,
    HeatmapNet,
    Probabilities,
    candidates,
)
from sightline_analysis.logo.learned.synth import STRIDE
from sightline_analysis.logo.tracker import overlaps
from sightline_analysis.logo_eval.kit import build_kit
from sightline_analysis.logo_eval.kit_pipeline import proposal_net
from sightline_analysis.logo_eval.truth import InstanceTruth

SHOTS, SAMPLE_FPS = 4, 2.0
"""The cache the tuning replays build (`--cache`, 4 shots, 2 frames/s, H.264)."""


@dataclass
class Appearance:
    """One net's view of one instance: frames with a candidate, and per frame (seconds, brand
    peak, best other brand, visible share)."""

    proposed: int = 0
    frames: list[tuple[float, float, float, float]] = field(default_factory=list)


def _look(
    net: HeatmapNet, probs: Probabilities, scale: tuple[float, float], proposed: list[Candidate],
    truth: InstanceTruth,
) -> tuple[bool, float, float]:  # fmt: skip
    """Whether a candidate of the brand overlaps the instance, the brand's peak probability over
    the cells of its box and the best other brand's there (`probs`: the net's heatmap of the
    frame, `scale`: frame pixels per input pixel, `proposed`: its candidates)."""
    sx, sy = scale
    x, y, w, h = truth.box
    cols = slice(int(x / sx / STRIDE), int(np.ceil((x + w) / sx / STRIDE)))
    rows = slice(int(y / sy / STRIDE), int(np.ceil((y + h) / sy / STRIDE)))
    cells = probs[rows, cols]
    channel = net.names.index(truth.brand) + 1
    peak = float(cells[:, :, channel].max(initial=0.0))
    other = float(np.delete(cells, [0, channel], axis=2).max(initial=0.0))
    found = any(c.brand == truth.brand and overlaps(c.box, truth.box) for c in proposed)
    return found, peak, other


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seed", type=int, required=True, help="kit seed (a cached tune seed)")
    parser.add_argument("nets", type=Path, nargs="+", help="trained nets (.keras)")
    args = parser.parse_args()
    kit = build_kit(args.seed, shots_per_clip=SHOTS)
    cache = frame_cache(kit, SHOTS, SAMPLE_FPS, True)
    if not cache.exists():
        raise SystemExit(f"no cached frames for seed {args.seed}: run logo_eval_bench.py --cache")
    nets = [proposal_net(list(kit.brands.values()), path)[0] for path in args.nets]
    for net in nets:
        net.lite = False  # the graph: no conversion per net; probabilities within 1e-3
    seen: dict[str, list[list[int]]] = defaultdict(lambda: [[0, 0] for _ in nets])
    appearances: dict[tuple[str, int, str], list[Appearance]] = defaultdict(
        lambda: [Appearance() for _ in nets]
    )
    for clip in kit.clips:
        truth, sampled = clip_frames(clip, kit, SAMPLE_FPS, True, cache)
        for frame in sampled:
            now = truth[min(len(truth) - 1, round(frame.time * clip.fps))]
            musts = [t for t in now if t.must_find and t.brand in kit.library]
            for k, net in enumerate(nets):
                if not musts:
                    continue
                probs, scale = net.heatmap(frame.image)
                proposed = candidates(probs, net.names, scale, net.threshold)
                for each in musts:
                    found, peak, other = _look(net, probs, scale, proposed, each)
                    tally = seen[clip.condition.value][k]
                    tally[0] += found
                    tally[1] += 1
                    view = appearances[(clip.name, each.instance, each.brand)][k]
                    view.proposed += found
                    view.frames.append((frame.time, peak, other, each.visibility))
    print(f"kit seed {args.seed}; nets: {', '.join(str(p) for p in args.nets)}")
    print("frames with a candidate of the brand over a must-find instance / frames, per net")
    for condition, tallies in seen.items():
        print(f"  {condition:12} " + "  ".join(f"{got:3}/{of:<3}" for got, of in tallies))
    totals = [sum(t[k][0] for t in seen.values()) for k in range(len(nets))]
    print(f"  {'all':12} " + "  ".join(f"{got:3}/{sum(t[0][1] for t in seen.values())}"
                                       for got in totals))  # fmt: skip
    print("appearances some net proposes in fewer than half of their frames")
    for (clip_name, instance, brand), views in appearances.items():
        if all(2 * v.proposed >= len(v.frames) for v in views):
            continue
        counts = " | ".join(f"{v.proposed}/{len(v.frames)}" for v in views)
        print(f"  {clip_name} #{instance} {brand}: {counts}")
        for k, view in enumerate(views):
            cells = ", ".join(f"{t:.1f}s {p:.2f}/{o:.2f} vis {v:.2f}" for t, p, o, v in view.frames)
            print(f"    net {k} (brand peak / other): {cells}")


if __name__ == "__main__":
    main()
