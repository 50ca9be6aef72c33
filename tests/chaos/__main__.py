"""`python -m tests.chaos [--duration S] [--seed N] [--services a,b] [--repeat N] ...`.

Runs the chaos harness on a throwaway stack and prints the report; exit status 0 only when the
checker found nothing lost, nothing duplicated and every bad input dead-lettered. `--repeat N`
does N runs one after another (a new random seed each, or the given seed every time), prints
one line per run and a tally, and exits 0 only when every run passed.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

from sightline_devstack.settings import find_repo_root
from sightline_devstack.stack import services_to_run

from .run import Options, run


def _say(message: str) -> None:
    print(message, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run, print the report."""
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of stream")
    parser.add_argument("--seed", type=int, default=None, help="repeat a run (default: random)")
    parser.add_argument(
        "--services",
        # Not the proposal trainer: minutes of CPU per library change, nothing the rig checks.
        default=",".join(entry.name for entry in services_to_run(training=False)),
        help="comma-separated services to run and kill (ingest is always needed)",
    )
    parser.add_argument("--kill-rounds", type=int, default=3, help="kills per service")
    parser.add_argument("--outage", type=float, default=30.0, help="MinIO/Postgres down (s)")
    parser.add_argument("--sample-fps", type=float, default=1.0, help="frames analysed per s")
    parser.add_argument("--out", type=Path, default=find_repo_root() / "test-artifacts" / "chaos")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway state folder")
    parser.add_argument("--size", default="1280x720", help="pushed stream WxH")
    parser.add_argument("--fps", type=int, default=30, help="pushed stream frame rate")
    parser.add_argument("--materializers", type=int, default=2, help="results-api replicas")
    parser.add_argument(
        "--long-outage",
        action="store_true",
        help="also stop the broker for longer than the delivery timeout (5 min; needs --duration)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs one after another")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    results: list[tuple[int, bool, Path]] = []
    for number in range(1, args.repeat + 1):
        options = Options(
            duration_s=args.duration,
            seed=args.seed if args.seed is not None else secrets.randbelow(10**6),
            services=tuple(s.strip() for s in args.services.split(",") if s.strip()),
            kill_rounds=args.kill_rounds,
            outage_s=args.outage,
            out_dir=args.out,
            sample_fps=args.sample_fps,
            keep=args.keep,
            size=(width, height),
            fps=args.fps,
            materializers=args.materializers,
            long_outage=args.long_outage,
        )
        outcome = run(options, _say)
        print(outcome.report)
        print(f"report: {outcome.report_path}  (repeat with --seed {options.seed})")
        results.append((options.seed, outcome.verdict.passed, outcome.report_path))
        verdict = "passed" if outcome.verdict.passed else "FAILED"
        print(f"chaos run {number}/{args.repeat}: seed {options.seed} {verdict}", flush=True)
    failed = [(seed, path) for seed, passed, path in results if not passed]
    if args.repeat > 1:
        print(f"chaos: {len(results) - len(failed)} of {len(results)} runs passed")
        for seed, path in failed:
            print(f"  failed: seed {seed}, {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
