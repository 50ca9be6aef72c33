"""`python -m tests.chaos [--duration S] [--seed N] [--services a,b] [--kill-rounds K]`.

Runs the chaos harness on a throwaway stack and prints the report; exit status 0 only when the
checker found nothing lost, nothing duplicated and every bad input dead-lettered.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

from sightline_devstack.settings import find_repo_root
from sightline_devstack.stack import SERVICES

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
        default=",".join(entry.name for entry in SERVICES),
        help="comma-separated services to run and kill (ingest is always needed)",
    )
    parser.add_argument("--kill-rounds", type=int, default=3, help="kills per service")
    parser.add_argument("--outage", type=float, default=30.0, help="MinIO/Postgres down (s)")
    parser.add_argument("--sample-fps", type=float, default=1.0, help="frames analysed per s")
    parser.add_argument("--out", type=Path, default=find_repo_root() / "test-artifacts" / "chaos")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway state folder")
    args = parser.parse_args(argv)
    options = Options(
        duration_s=args.duration,
        seed=args.seed if args.seed is not None else secrets.randbelow(10**6),
        services=tuple(s.strip() for s in args.services.split(",") if s.strip()),
        kill_rounds=args.kill_rounds,
        outage_s=args.outage,
        out_dir=args.out,
        sample_fps=args.sample_fps,
        keep=args.keep,
    )
    outcome = run(options, _say)
    print(outcome.report)
    print(f"report: {outcome.report_path}  (repeat with --seed {options.seed})")
    return 0 if outcome.verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())
