"""`sightline reanalysis ...`: the reanalysis API's operations from a terminal.

Start, status, cancel and diff run the same logic as the REST routes, in this process; `start
--follow` (or `follow RUN`) shows a progress bar until the run is done or cancelled. Ctrl-C
stops following, never the run.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from sqlmodel import Session

from sightline_results_api.events import StatePublisher
from sightline_results_api.reanalysis import LIVE_RUN, ReanalysisRuns, RunProgress
from sightline_results_api.run_diff import diff_runs, exposure_deltas

FINISHED = {"done", "cancelled", "failed"}
POLL_S = 1.0


def add_parser(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `reanalysis` command group."""
    runs = groups.add_parser("reanalysis", help="reanalysis runs").add_subparsers(dest="action")
    runs.required = True
    start = runs.add_parser("start", help="re-run detectors over [from, to) of a stream")
    start.add_argument("--stream", required=True)
    start.add_argument("--from", dest="start", type=float, required=True, help="stream seconds")
    start.add_argument("--to", dest="end", type=float, required=True, help="stream seconds")
    start.add_argument("--detector", dest="detectors", action="append", default=None)
    start.add_argument("--config", type=json.loads, default={}, help="overrides, as JSON")
    start.add_argument("--follow", action="store_true", help="show progress until it ends")
    for name, text in (("status", "a run's progress"), ("follow", "progress bar until it ends"),
                       ("cancel", "stop a run")):  # fmt: skip
        runs.add_parser(name, help=text).add_argument("run_id")
    diff = runs.add_parser("diff", help="what a run found differently")
    diff.add_argument("run_id")
    diff.add_argument("--against", default=LIVE_RUN, help="a run id, or live (default)")


def handle(args: argparse.Namespace, session: Session, publisher: StatePublisher) -> int:
    """Run one `reanalysis` command; returns the exit code."""
    runs = ReanalysisRuns(session, publisher)
    if args.action == "start":
        if args.end <= args.start:
            print("sightline: --to must be after --from")
            return 1
        run = runs.start(args.stream, args.start, args.end, args.detectors or ["logo"],
                         args.config)  # fmt: skip
        print(f"run {run.run_id} requested for {run.stream_id} [{run.from_ts}, {run.to_ts})")
        return follow(run.run_id, runs, session) if args.follow else 0
    if args.action == "follow":
        return follow(args.run_id, runs, session)
    if args.action == "diff":
        print_diff(runs, args.run_id, args.against)
        return 0
    _, progress = runs.cancel(args.run_id) if args.action == "cancel" else runs.get(args.run_id)
    print(describe(args.run_id, progress))
    return 0


def describe(run_id: str, p: RunProgress) -> str:
    """One line on where a run stands."""
    rate = f", {p.rate:.1f}x real time" if p.rate else ""
    eta = f", about {p.eta_s:.0f} s left" if p.eta_s else ""
    error = f": {p.error}" if p.error else ""
    return f"{run_id}: {p.status}, {p.segments_done}/{p.segments_total} segments{rate}{eta}{error}"


def follow(
    run_id: str,
    runs: ReanalysisRuns,
    session: Session,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """A progress bar until the run is done or cancelled (Ctrl-C: stop watching)."""
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
               TextColumn("{task.completed:.0f}/{task.total:.0f} segments {task.fields[rate]}"),
               TimeRemainingColumn())  # fmt: skip
    try:
        with Progress(*columns, console=Console(stderr=True)) as bar:
            task = bar.add_task(run_id, total=0, rate="")
            while True:
                session.expire_all()
                _, p = runs.get(run_id)
                rate = f"{p.rate:.1f}x" if p.rate else ""
                bar.update(task, total=p.segments_total, completed=p.segments_done, rate=rate)
                if p.status in FINISHED:
                    break
                sleep(POLL_S)
    except KeyboardInterrupt:
        print(f"stopped following; the run goes on (sightline reanalysis cancel {run_id})")
        return 130
    print(describe(run_id, p))
    return 0


def print_diff(runs: ReanalysisRuns, run_id: str, against: str) -> None:
    """Added / removed / changed counts per kind and label, and exposure per brand."""
    run, _ = runs.get(run_id)
    diff = diff_runs(runs.detections(run, run_id), runs.detections(run, against))
    print(f"{run_id} against {against}, [{run.from_ts}, {run.to_ts}) of {run.stream_id}")
    for name, rows in (("added", diff.added), ("removed", diff.removed),
                       ("changed", [after for _, after in diff.changed])):  # fmt: skip
        counts: dict[str, int] = {}
        for row in rows:
            counts[f"{row.kind}:{row.label}"] = counts.get(f"{row.kind}:{row.label}", 0) + 1
        listed = ", ".join(f"{k} x{v}" for k, v in sorted(counts.items())) or "none"
        print(f"  {name:<8} {len(rows):>6}  {listed}")
    for brand, seconds, before, delta in exposure_deltas(
        runs.screen_time(run, run_id), runs.screen_time(run, against)
    ):
        print(f"  exposure {brand:<20} {before:8.1f} s -> {seconds:8.1f} s  ({delta:+.1f} s)")
