"""Pacing rules: the brands' screen time over a contracted period, projected to the period's end
at the rate so far; fires when the forecast falls short of the target (evidence: the forecast
and its shortfall), resolves when it is back on track or when the period ends.

One stream (`stream_ids` empty): the period runs on the stream's own time, folded from its
detections (`step_stream`).

A set of streams (`stream_ids`): the period is wall-clock time, [period_start_at, + period_s],
and the members' screen times add up (each feed is its own audience: a logo on two feeds at
once counts twice). A member's detections are owned by whichever replica owns its partition, so
the sum cannot be made there: each member's evaluator folds its detections into that member's
figure (`fold_member`) and publishes it on `alert-progress`, keyed by the rule's stream_id; the
evaluator owning that key keeps each member's latest figure, sums and projects
(`fold_progress`). Both sides keep their part in the `alert-state` changelog like every rule.
Each member is projected over the wall time its own analysis has reached: with members in step
that is the summed screen time over the elapsed wall time; a member whose detections come later
(its partition behind, a backlog after a restart) neither drags the forecast down nor closes
the period early. The set is judged once every member has reported, the warm-up and the
period's end count for the member furthest behind.

A segment counts for its duration times the share of its sampled frames showing a brand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sightline_alerts.matching import best_match
from sightline_alerts.state import RuleState, StreamState
from sightline_alerts.transitions import (
    SegmentPlace,
    Transition,
    cooled,
    evidence,
    fire,
    resolve,
)
from sightline_common.messages import AlertKind, AlertProgress, AlertRule, Detection, FrameResult


def is_set_rule(rule: AlertRule) -> bool:
    """True for pacing over a set of streams (evaluated by `fold_member` / `fold_progress`)."""
    return rule.kind == AlertKind.pacing and bool(rule.stream_ids)


def segment_wall_end(detection: Detection, published_at: datetime) -> datetime:
    """When the detection's segment was stored (its wall-clock end): the detection carries its
    publication time, how long the analysis took and how long after storage it started."""
    lag_s = detection.analysis.lag_s if detection.analysis is not None else None
    took_s = (lag_s or 0.0) + detection.timings.total_ms / 1000
    return published_at - timedelta(seconds=took_s)


def step_stream(  # noqa: PLR0917 - one segment's worth of input
    rule: AlertRule,
    rs: RuleState,
    frames: list[FrameResult],
    start: float,
    end: float,
    where: SegmentPlace,
) -> list[Transition]:
    """Single-stream pacing: fold one segment (stream seconds `start`..`end`) into the period's
    screen time and judge the forecast."""
    if rs.since is None:
        rs.since = rule.period_start_s if rule.period_start_s is not None else start
    period_end = rs.since + (rule.period_s or 0.0)
    hi = _accumulate(rule, rs, frames, start, end, period_end)
    if hi is None:
        return []
    fields = {
        "since_media_ts": rs.since,
        "media_ts": hi,
        "segment_sequence": where.sequence,
        "segment_key": where.key,
    }
    elapsed = hi - rs.since
    projected = rs.screen_time * (rule.period_s or 0.0) / elapsed
    figures = _Figures(rs.screen_time, projected, elapsed)
    return _judge(rule, where.stream_id, rs, figures, fields, "")


def fold_member(
    state: StreamState, rules: list[AlertRule], detection: Detection, wall_end: datetime
) -> list[AlertProgress]:
    """Fold one detection of a member stream into each set rule's figure for that member; the
    progress records to publish (none where the segment adds nothing to the period)."""
    end = wall_end.timestamp()
    start = end - detection.segment.duration
    out: list[AlertProgress] = []
    for rule in rules:
        if rule.period_start_at is None:
            continue  # results-api always sets it; a rule without one has no period yet
        since = rule.period_start_at.timestamp()
        rs = state.rule(rule.rule_id)
        if rs.since != since:  # a new rule, or its period moved: count from the new start
            rs.since, rs.screen_time, rs.observed_to = since, 0.0, None
        hi = _accumulate(rule, rs, detection.frames, start, end, since + (rule.period_s or 0.0))
        if hi is None:
            continue
        out.append(
            AlertProgress(
                rule_id=rule.rule_id,
                stream_id=rule.stream_id,
                member_stream_id=state.stream_id,
                screen_time_s=round(rs.screen_time, 6),
                period_start_at=rule.period_start_at,
                observed_to=datetime.fromtimestamp(hi, UTC),
            )
        )
    return out


def fold_progress(state: StreamState, rule: AlertRule, progress: AlertProgress) -> list[Transition]:
    """Take one member's latest figure, sum the members and judge the forecast over the wall
    time the members' analysis has reached. A figure older than the one held (a redelivery, a
    member handed between replicas) or of another period is ignored."""
    member = progress.member_stream_id
    if not is_set_rule(rule) or member not in rule.stream_ids or rule.period_start_at is None:
        return []
    if progress.period_start_at != rule.period_start_at:
        return []
    since = rule.period_start_at.timestamp()
    rs = state.rule(rule.rule_id)
    if rs.since != since:
        rs.since, rs.members = since, {}
    seen_to = progress.observed_to.timestamp()
    held = rs.members.get(member)
    if held is not None and seen_to < held[1]:
        return []
    rs.members[member] = [progress.screen_time_s, seen_to]
    figures = {m: rs.members[m] for m in rule.stream_ids if m in rs.members}
    if len(figures) < len(set(rule.stream_ids)):
        return []  # the set is judged once every member has said how far it is
    spans = {m: v[1] - since for m, v in figures.items()}
    if min(spans.values()) <= 0:
        return []
    period = rule.period_s or 0.0
    screen = sum(v[0] for v in figures.values())
    forecast = sum(figures[m][0] * period / spans[m] for m in figures)
    behind = min(v[1] for v in figures.values())
    rs.screen_time, rs.observed_to = screen, behind
    fields = {
        "member_screen_time_s": {m: round(v[0], 3) for m, v in sorted(figures.items())},
        "observed_to": datetime.fromtimestamp(behind, UTC),
    }
    scope = f"{len(figures)} streams: "
    return _judge(
        rule, rule.stream_id, rs, _Figures(screen, forecast, min(spans.values())), fields, scope
    )


def _accumulate(  # noqa: PLR0917 - a segment and the period it is clipped to
    rule: AlertRule,
    rs: RuleState,
    frames: list[FrameResult],
    start: float,
    end: float,
    period_end: float,
) -> float | None:
    """Add the part of [start, end] inside the period and not yet counted to `rs.screen_time`;
    the new `observed_to`, or None when nothing was new."""
    since = rs.since if rs.since is not None else start
    lo = max(start, since, rs.observed_to if rs.observed_to is not None else start)
    hi = min(end, period_end)
    if hi <= lo:
        return None
    if frames:  # each sampled frame stands for an equal share of the segment's time
        seen = sum(1 for f in frames if best_match(rule, f) is not None)
        rs.screen_time += (hi - lo) * seen / len(frames)
    rs.observed_to = hi
    return hi


@dataclass(frozen=True)
class _Figures:
    """Screen time so far, its projection to the period's end, and the period time elapsed
    (for a set: of the member furthest behind, so the warm-up and the end wait for all)."""

    screen: float
    forecast: float
    elapsed: float


def _judge(  # noqa: PLR0917 - the figures and where they apply
    rule: AlertRule,
    stream_id: str,
    rs: RuleState,
    figures: _Figures,
    fields: dict[str, object],
    scope: str,
) -> list[Transition]:
    """Fire when the forecast falls short of the target (after the warm-up), resolve when it is
    back on track or the period has ended."""
    target, period = rule.target_s or 0.0, rule.period_s or 0.0
    screen, forecast, elapsed = figures.screen, figures.forecast, figures.elapsed
    at = (rs.since or 0.0) + elapsed
    warmup = rule.warmup_s if rule.warmup_s is not None else period / 10
    proof = evidence(
        **fields,
        screen_time_s=round(screen, 3),
        forecast_s=round(forecast, 3),
        target_s=target,
        shortfall_s=round(target - forecast, 3),
        detail=f"{scope}{screen:.1f} s after {elapsed:.0f} s: projected {forecast:.1f} s "
        f"of {target:g} s over {period:g} s" + _short(target - forecast),
    )
    ended = elapsed >= period
    if rs.firing and (forecast >= target or ended):
        return [resolve(rule, stream_id, rs, at, proof)]
    if rs.firing or ended or elapsed < warmup or forecast >= target or not cooled(rule, rs, at):
        return []
    return [fire(rule, stream_id, rs, None, proof)]


def _short(shortfall: float) -> str:
    return f" ({shortfall:.1f} s short)" if shortfall > 0 else ""
