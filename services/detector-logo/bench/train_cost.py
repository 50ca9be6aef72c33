"""Benchmark: CPU seconds `train-proposals` spends training the proposal net for a library of
6, 25 and 100 brands (the logo kit's six, plus `extra_brands`).

A full run of the default recipe (3750 steps since session 19) costs minutes of CPU per library
size, too long for `make bench` on a shared machine, so each size is trained twice with a short
recipe (`--short` and `--long` steps, the default recipe otherwise) and the default recipe's cost is
extrapolated linearly: cost = fixed + steps x per-step (synthesis and fitting both grow with the
crops, i.e. with the steps; the fixed part is sprites, model build and graph tracing). A
one-step run first takes TensorFlow's import out of the figures. The
figures are CPU seconds of this process (`time.process_time`, TensorFlow on one thread as the
trainer runs it), so they hold on a loaded machine; nproc and the load are printed beside them.

Measured (session 9, nproc 2, load 7-28, two runs): 252 ms of CPU per step at 6 brands, 237 at
25, 233 and 264 at 100 -> ~450-500 CPU-s for the default recipe at any of these sizes; peak RSS
1.90-1.96 GB.

Run: `nice -n 10 .venv/bin/python services/detector-logo/bench/train_cost.py
[--short 40 --long 120 --sizes 6,25,100]`
"""

from __future__ import annotations

import argparse
import os
import time

from sightline_analysis.logo.learned.proposals import ProposalConfig
from sightline_analysis.logo.learned.sprites import Image
from sightline_analysis.logo.learned.train import train
from sightline_analysis.logo_eval.brands import extra_brands, library_brands
from sightline_analysis.wire import decode_reference
from sightline_benchkit import BenchResults

LIBRARY_SIZES = (6, 25, 100)
EXTRA_SEED = 1402


def _references(size: int) -> list[tuple[str, Image]]:
    """(brand, decoded reference) of the kit's brands and enough extra ones for `size`."""
    kit = library_brands()
    brands = [*kit, *extra_brands(max(0, size - len(kit)), EXTRA_SEED)][:size]
    return [(brand.name, decode_reference(brand.reference)) for brand in brands]


def training_cpu(references: list[tuple[str, Image]], steps: int) -> float:
    """CPU seconds of one training run of the default recipe cut to `steps`."""
    recipe = ProposalConfig().recipe.model_copy(update={"steps": steps})
    started = time.process_time()
    train(references, recipe)
    return time.process_time() - started


def main() -> None:
    """Train at each library size with two step counts and extrapolate the default recipe."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", type=int, default=40, help="steps of the first run")
    parser.add_argument("--long", type=int, default=120, help="steps of the second run")
    parser.add_argument("--sizes", default=",".join(map(str, LIBRARY_SIZES)),
                        help="library sizes (brands), comma-separated")  # fmt: skip
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    default_steps = ProposalConfig().recipe.steps
    results = BenchResults(
        "train_cost",
        "Proposal-net training CPU per library size (issue #14)",
        source=__file__,
        params={"short_steps": args.short, "long_steps": args.long, "steps": default_steps},
    )
    load = os.getloadavg()
    print(f"nproc {os.cpu_count()}, load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; "
          f"{args.short} and {args.long} steps, extrapolated to {default_steps}")  # fmt: skip
    # TensorFlow's import and first graph: a one-time cost of the process, not of a library.
    training_cpu(_references(1), 1)
    for size in sizes:
        references = _references(size)
        short = training_cpu(references, args.short)
        long = training_cpu(references, args.long)
        per_step = (long - short) / (args.long - args.short)
        fixed = short - per_step * args.short
        full = fixed + per_step * default_steps
        print(f"  {size:>3} brands: {short:6.1f} CPU-s at {args.short} steps, "
              f"{long:6.1f} at {args.long}; {per_step * 1000:5.0f} ms/step, fixed {fixed:5.1f} "
              f"-> default recipe ~{full:5.0f} CPU-s (extrapolated)")  # fmt: skip
        results.figure(f"train.brands_{size}_cpu_s", full, "CPU-s", comparison="<=",
                       notes=f"extrapolated from {args.short} and {args.long} steps")  # fmt: skip
        results.figure(f"train.brands_{size}_ms_per_step", per_step * 1000, "ms", comparison="<=")
    results.write()


if __name__ == "__main__":
    main()
