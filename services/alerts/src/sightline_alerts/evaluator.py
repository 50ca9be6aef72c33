"""Rule evaluation as pure functions: a state and an input (a detection, a segment, the clock)
in; the state updated and the alert transitions out. No Kafka, no clock of its own.

Brand rules run on stream time, frame by frame: a brand counts as continuously visible while it
is not unseen for more than the rule's `gap_s` (sampling and missed frames). A detection moves
stream time to its segment's end even where it lists no frame, so "gone" is noticed. Stream
health runs on wall-clock time: the segment's completion time against the clock of the tick.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sightline_alerts.state import RuleState, StreamState
from sightline_common.envelope import deterministic_event_id
from sightline_common.messages import (
    AlertEvidence,
    AlertKind,
    AlertRule,
    AlertStatus,
    AnalysisMode,
    Detection,
    FrameResult,
    ResultItem,
)
from sightline_common.zones import contains

BRAND_KINDS = frozenset(
    {
        AlertKind.appearance,
        AlertKind.absence,
        AlertKind.competitor,
        AlertKind.pacing,
        AlertKind.detector_lag,
    }
)
HEALTH_KINDS = frozenset({AlertKind.stream_health})
PICTURE_KINDS = frozenset({AlertKind.picture})
LOGO = "logo"
QUALITY = "quality"


@dataclass(frozen=True)
class Transition:
    """An alert that fired or resolved."""

    rule: AlertRule
    stream_id: str
    alert_id: str
    status: AlertStatus
    brand: str | None
    evidence: AlertEvidence


@dataclass(frozen=True)
class _Where:
    """The segment a frame belongs to (the evidence's snapshot reference)."""

    stream_id: str
    sequence: int
    key: str


def fold_detection(
    state: StreamState, rules: list[AlertRule], detection: Detection
) -> list[Transition]:
    """Apply one detection's frames to every brand rule of its stream, in stream-time order.

    Frames older than what the state already saw (a redelivered or late detection) are
    ignored, so stream time never runs backwards for a rule."""
    segment = detection.segment
    where = _Where(detection.stream_id, segment.sequence, segment.object_key)
    end = segment.media_start + segment.duration
    clock = state.clock
    frames = [
        f
        for f in sorted(detection.frames, key=lambda f: f.media_ts)
        if clock is None or f.media_ts >= clock
    ]
    out: list[Transition] = []
    for rule in rules:
        rs = state.rule(rule.rule_id)
        if rule.kind == AlertKind.pacing:
            out += _step_pacing(rule, rs, frames, segment.media_start, end, where)
            continue
        if rule.kind == AlertKind.detector_lag:
            if clock is None or end > clock:
                out += _step_lag(rule, rs, detection, end, where)
            continue
        for frame in frames:
            out += _step(rule, rs, frame.media_ts, _best_match(rule, frame), where)
        if clock is None or end > clock:
            out += _step(rule, rs, end, None, where)
    state.clock = end if clock is None else max(clock, end)
    return out


def fold_segment(
    state: StreamState, rules: list[AlertRule], completed_at: datetime
) -> list[Transition]:
    """A segment arrived: note when, and resolve the stream-health alerts that fire."""
    if state.last_segment_at is None or completed_at > state.last_segment_at:
        state.last_segment_at = completed_at
    out: list[Transition] = []
    for rule in rules:
        rs = state.rule(rule.rule_id)
        if rs.firing:
            rs.firing, rs.resolved_at = False, completed_at.timestamp()
            evidence = _evidence(last_segment_at=completed_at, detail="segments arrive again")
            out.append(_transition(rule, state.stream_id, rs, AlertStatus.resolved, evidence))
    return out


def tick(state: StreamState, rules: list[AlertRule], now: datetime) -> list[Transition]:
    """Fire the stream-health rules whose stream has been silent for their `duration_s`."""
    last = state.last_segment_at
    if last is None:
        return []  # never seen a segment: nothing to be silent about yet
    silent = (now - last).total_seconds()
    out: list[Transition] = []
    for rule in rules:
        rs = state.rule(rule.rule_id)
        if rs.firing or silent < rule.duration_s or not _cooled(rule, rs, now.timestamp()):
            continue
        detail = f"no segment for {silent:.0f} s (bound {rule.duration_s:g} s)"
        evidence = _evidence(last_segment_at=last, detail=detail)
        out.append(_fire(rule, state.stream_id, rs, None, evidence))
    return out


def _step(
    rule: AlertRule, rs: RuleState, t: float, match: ResultItem | None, where: _Where
) -> list[Transition]:
    if rule.kind == AlertKind.absence:
        return _step_absence(rule, rs, t, match, where)
    return _step_presence(rule, rs, t, match, where)


def _step_presence(
    rule: AlertRule, rs: RuleState, t: float, match: ResultItem | None, where: _Where
) -> list[Transition]:
    """appearance / competitor: visible for `duration_s` fires; unseen past `gap_s` resolves."""
    out: list[Transition] = []
    if rs.last_seen is not None and t - rs.last_seen > rule.gap_s:
        if rs.firing:
            rs.firing, rs.resolved_at = False, t
            evidence = _evidence(
                since_media_ts=rs.since,
                media_ts=rs.last_seen,
                detail=f"not seen after {rs.last_seen:.1f} s",
            )
            out.append(_transition(rule, where.stream_id, rs, AlertStatus.resolved, evidence))
        rs.since = rs.last_seen = None
    if match is None:
        return out
    if rs.since is None:
        rs.since = t
    rs.last_seen = t
    if not rs.firing and t - rs.since >= rule.duration_s and _cooled(rule, rs, t):
        evidence = _seen(rs.since, t, match, where)
        if rule.kind == AlertKind.picture:
            evidence.detail = f"picture {match.label} since {rs.since:.1f} s"
            out.append(_fire(rule, where.stream_id, rs, None, evidence))
        else:
            out.append(_fire(rule, where.stream_id, rs, match.label, evidence))
    return out


def _step_absence(
    rule: AlertRule, rs: RuleState, t: float, match: ResultItem | None, where: _Where
) -> list[Transition]:
    """absence: unseen for `duration_s` of analysed stream time fires; seen again resolves."""
    if match is not None:
        rs.last_seen = t
        if not rs.firing:
            return []
        rs.firing, rs.resolved_at = False, t
        evidence = _seen(rs.since, t, match, where)
        return [_transition(rule, where.stream_id, rs, AlertStatus.resolved, evidence)]
    if rs.since is None:
        rs.since = t  # observation begins: absence counts from here
    reference = rs.last_seen if rs.last_seen is not None else rs.since
    if rs.firing or t - reference < rule.duration_s or not _cooled(rule, rs, t):
        return []
    evidence = _evidence(
        since_media_ts=reference,
        media_ts=t,
        segment_sequence=where.sequence,
        segment_key=where.key,
        detail=f"not seen for {t - reference:.1f} s",
    )
    rs.since = reference
    return [_fire(rule, where.stream_id, rs, None, evidence)]


def _step_pacing(  # noqa: PLR0917 - one segment's worth of input
    rule: AlertRule,
    rs: RuleState,
    frames: list[FrameResult],
    start: float,
    end: float,
    where: _Where,
) -> list[Transition]:
    """pacing: fold one segment into the period's screen time, then project it to the end of
    the period at the rate so far. Fires when the forecast falls short of `target_s`, resolves
    when it is back on track or when the period ends (with the final figure)."""
    target, period = rule.target_s or 0.0, rule.period_s or 0.0
    if rs.since is None:
        rs.since = rule.period_start_s if rule.period_start_s is not None else start
    period_end = rs.since + period
    lo = max(start, rs.since, rs.observed_to if rs.observed_to is not None else start)
    hi = min(end, period_end)
    if hi <= lo:
        return []
    if frames:  # each sampled frame stands for an equal share of the segment's time
        seen = sum(1 for f in frames if _best_match(rule, f) is not None)
        rs.screen_time += (hi - lo) * seen / len(frames)
    rs.observed_to = hi
    elapsed = hi - rs.since
    forecast = rs.screen_time * period / elapsed
    warmup = rule.warmup_s if rule.warmup_s is not None else period / 10
    evidence = _evidence(
        since_media_ts=rs.since,
        media_ts=hi,
        segment_sequence=where.sequence,
        segment_key=where.key,
        screen_time_s=round(rs.screen_time, 3),
        forecast_s=round(forecast, 3),
        target_s=target,
        detail=f"{rs.screen_time:.1f} s after {elapsed:.0f} s: projected {forecast:.1f} s "
        f"of {target:g} s over {period:g} s",
    )
    ended = hi >= period_end
    if rs.firing and (forecast >= target or ended):
        rs.firing, rs.resolved_at = False, hi
        return [_transition(rule, where.stream_id, rs, AlertStatus.resolved, evidence)]
    if rs.firing or ended or elapsed < warmup or forecast >= target or not _cooled(rule, rs, hi):
        return []
    return [_fire(rule, where.stream_id, rs, None, evidence)]


def _step_lag(
    rule: AlertRule, rs: RuleState, detection: Detection, end: float, where: _Where
) -> list[Transition]:
    """detector_lag: live analysis started more than `duration_s` after the segment was stored,
    or ran degraded (shedding segments to keep up); resolves once it keeps up again."""
    analysis = detection.analysis
    if analysis is None:
        return []
    lag = analysis.lag_s
    behind = (lag is not None and lag > rule.duration_s) or analysis.mode == AnalysisMode.degraded
    lag_text = "unknown" if lag is None else f"{lag:.1f} s"
    evidence = _evidence(
        media_ts=end,
        segment_sequence=where.sequence,
        segment_key=where.key,
        detail=f"{detection.detector.name}: lag {lag_text} (bound {rule.duration_s:g} s), "
        f"mode {analysis.mode.value}, {analysis.shed_before} segment(s) shed",
    )
    if behind and not rs.firing and _cooled(rule, rs, end):
        rs.since = end
        return [_fire(rule, where.stream_id, rs, None, evidence)]
    if not behind and rs.firing:
        rs.firing, rs.resolved_at = False, end
        return [_transition(rule, where.stream_id, rs, AlertStatus.resolved, evidence)]
    return []


def _best_match(rule: AlertRule, frame: FrameResult) -> ResultItem | None:
    """The most confident logo of the frame that satisfies the rule's filters (for a picture
    rule: the frame's quality result when it carries one of the rule's flags)."""
    if rule.kind == AlertKind.picture:
        return _bad_picture(rule, frame)
    brands = set(rule.brands)
    best: ResultItem | None = None
    for item in frame.results:
        if item.kind != LOGO or item.label not in brands or item.confidence < rule.min_confidence:
            continue
        box = item.box
        area = item.area_share if item.area_share is not None else (box.w * box.h if box else 0.0)
        if area < rule.min_area:
            continue
        if rule.zone is not None:
            if box is None:
                continue
            zone = [(p.x, p.y) for p in rule.zone.root]
            if not contains(zone, box.x + box.w / 2, box.y + box.h / 2):
                continue
        if best is None or item.confidence > best.confidence:
            best = item
    return best


def _bad_picture(rule: AlertRule, frame: FrameResult) -> ResultItem | None:
    wanted = {c.value for c in rule.conditions}
    for item in frame.results:
        if item.kind == QUALITY and wanted & set(item.label.split(",")):
            return item
    return None


def _seen(since: float | None, t: float, item: ResultItem, where: _Where) -> AlertEvidence:
    return _evidence(
        since_media_ts=since,
        media_ts=t,
        segment_sequence=where.sequence,
        segment_key=where.key,
        confidence=item.confidence,
        box=item.box.model_dump() if item.box is not None else None,
    )


def _evidence(**fields: object) -> AlertEvidence:
    """Evidence from the fields that apply (the others keep their schema defaults)."""
    return AlertEvidence.model_validate(fields)


def _cooled(rule: AlertRule, rs: RuleState, t: float) -> bool:
    return rs.resolved_at is None or t - rs.resolved_at >= rule.cooldown_s


def _fire(
    rule: AlertRule, stream_id: str, rs: RuleState, brand: str | None, evidence: AlertEvidence
) -> Transition:
    rs.episode += 1
    rs.firing = True
    rs.brand = brand
    rs.alert_id = str(deterministic_event_id("alert", rule.rule_id, stream_id, rs.episode))
    return _transition(rule, stream_id, rs, AlertStatus.fired, evidence)


def _transition(
    rule: AlertRule, stream_id: str, rs: RuleState, status: AlertStatus, evidence: AlertEvidence
) -> Transition:
    assert rs.alert_id is not None
    return Transition(rule, stream_id, rs.alert_id, status, rs.brand, evidence)
