"""The verdict as text: a Markdown report (fault and recovery table, losses, duplicates, dead
letters) printed at the end of a run and written under the git-ignored `test-artifacts/chaos/`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from .checker import Verdict


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _clock(t: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(t))


def render(
    verdict: Verdict, header: Mapping[str, object], restarts: Mapping[str, int], t0: float
) -> str:
    """The whole report; `t0` (wall clock) is when the stream started flowing."""
    lines = ["# Chaos run", ""]
    lines += [f"- {key}: {value}" for key, value in header.items()]
    lines += [f"- verdict: **{'PASS' if verdict.passed else 'FAIL'}**", ""]
    lines += ["## Counts", ""]
    lines += [f"- {key}: {value}" for key, value in verdict.counts.items()]
    lines += [
        f"- pipeline latency (nginx closed segment -> materialized and analysed): "
        f"p50 {_s(verdict.latency_p50_s)} s, p95 {_s(verdict.latency_p95_s)} s",
        f"- supervisor restarts: {dict(restarts)}",
        "",
        "## Faults and recovery",
        "",
        "Times in seconds. `at` is after the stream started; `back` is a killed service's",
        "/readyz answering again (`never`: not by the end of the run); `next` the first",
        "segment fully processed (materialized and analysed) after the fault ended; `caught up`",
        "every segment nginx wrote before the end fully processed. Progress is sampled once a",
        "second. Outages run one after another; the short faults may strike during one.",
        "",
        "| # | fault | at | lasted | back | next | caught up | pending | detail |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(verdict.recoveries, 1):
        f = r.fault
        detail = f"ERROR {f.error}" if f.error else f.detail
        back = "never" if f.service and f.service_back_s is None else _s(f.service_back_s)
        lines.append(
            f"| {i} | {f.name} | {f.started - t0:.0f} ({_clock(f.started)}) |"
            f" {f.ended - f.started:.1f} | {back} | {_s(r.next_done_s)} |"
            f" {_s(r.caught_up_s)} | {r.pending} | {detail} |"
        )
    lines += ["", "## Segments lost", ""]
    lines += _listing(
        [
            f"{loss.segment.name} ({loss.segment.sha256[:12]}, closed {_clock(loss.segment.mtime)})"
            f" seq {loss.sequence}: {loss.stage}"
            for loss in verdict.losses
        ]
    )
    if verdict.sequence_gaps:
        lines.append(f"- sequence numbers never published: {verdict.sequence_gaps}")
    if verdict.unmatched_published:
        seqs = [p.sequence for p in verdict.unmatched_published]
        lines.append(f"- published but not seen written by nginx (info): sequences {seqs}")
    lines += ["", "## Logo detections that missed the logo on screen", ""]
    lines += _listing(
        [f"{f.detector} {f.run_id} seq {f.sequence} (event {f.event_id})" for f in verdict.blind]
    )
    lines += ["", "## Duplicates", ""]
    lines += _listing(
        [f"{d.where}: {d.key} -> {', '.join(d.event_ids)}" for d in verdict.duplicates]
    )
    lines += [
        "",
        "## Bad inputs and dead letters",
        "",
        "| input | topic | dead-lettered | by (group: error) | reason |",
        "|---|---|---|---|---|",
    ]
    for outcome in verdict.dlq:
        bad = outcome.bad
        if outcome.found:
            by = "; ".join(sorted({f"{d.consumer_group}: {d.error_type}" for d in outcome.found}))
            reason = outcome.found[0].reason.replace("|", "/")[:120]
            state = "yes"
        else:
            by, reason = "-", "-"
            state = "NO (required)" if bad.expect_dlq else "no (consumers log and skip)"
        lines.append(f"| {bad.label} | {bad.topic} | {state} | {by} | {reason} |")
    return "\n".join(lines) + "\n"


def _listing(items: Sequence[str]) -> list[str]:
    return [f"- {item}" for item in items] if items else ["none"]
