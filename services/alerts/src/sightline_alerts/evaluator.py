"""Rule evaluation as pure functions: a state and an input (a detection, a segment, the clock)
in; the state updated and the alert transitions out. No Kafka, no clock of its own.

Brand rules run on stream time, frame by frame: a brand counts as continuously visible while it
is not unseen for more than the rule's `gap_s` (sampling and missed frames). A detection moves
stream time to its segment's end even where it lists no frame, so "gone" is noticed. Stream
health runs on wall-clock time: the segment's completion time against the clock of the tick.
"""

from __future__ import annotations

from datetime import datetime

from sightline_alerts.matching import best_match
from sightline_alerts.pacing import step_stream
from sightline_alerts.state import RuleState, StreamState
from sightline_alerts.transitions import SegmentPlace, Transition, cooled, evidence, fire, resolve
from sightline_common.messages import (
    AlertEvidence,
    AlertKind,
    AlertRule,
    AnalysisMode,
    Detection,
    ResultItem,
)

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


def fold_detection(
    state: StreamState, rules: list[AlertRule], detection: Detection
) -> list[Transition]:
    """Apply one detection's frames to every brand rule of its stream, in stream-time order.

    Frames older than what the state already saw (a redelivered or late detection) are
    ignored, so stream time never runs backwards for a rule."""
    segment = detection.segment
    where = SegmentPlace(detection.stream_id, segment.sequence, segment.object_key)
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
            out += step_stream(rule, rs, frames, segment.media_start, end, where)
            continue
        if rule.kind == AlertKind.detector_lag:
            if clock is None or end > clock:
                out += _step_lag(rule, rs, detection, end, where)
            continue
        for frame in frames:
            out += _step(rule, rs, frame.media_ts, best_match(rule, frame), where)
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
            proof = evidence(last_segment_at=completed_at, detail="segments arrive again")
            out.append(resolve(rule, state.stream_id, rs, completed_at.timestamp(), proof))
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
        if rs.firing or silent < rule.duration_s or not cooled(rule, rs, now.timestamp()):
            continue
        detail = f"no segment for {silent:.0f} s (bound {rule.duration_s:g} s)"
        proof = evidence(last_segment_at=last, detail=detail)
        out.append(fire(rule, state.stream_id, rs, None, proof))
    return out


def _step(
    rule: AlertRule, rs: RuleState, t: float, match: ResultItem | None, where: SegmentPlace
) -> list[Transition]:
    if rule.kind == AlertKind.absence:
        return _step_absence(rule, rs, t, match, where)
    return _step_presence(rule, rs, t, match, where)


def _step_presence(
    rule: AlertRule, rs: RuleState, t: float, match: ResultItem | None, where: SegmentPlace
) -> list[Transition]:
    """appearance / competitor: visible for `duration_s` fires; unseen past `gap_s` resolves."""
    out: list[Transition] = []
    if rs.last_seen is not None and t - rs.last_seen > rule.gap_s:
        if rs.firing:
            proof = evidence(
                since_media_ts=rs.since,
                media_ts=rs.last_seen,
                detail=f"not seen after {rs.last_seen:.1f} s",
            )
            out.append(resolve(rule, where.stream_id, rs, t, proof))
        rs.since = rs.last_seen = None
    if match is None:
        return out
    if rs.since is None:
        rs.since = t
    rs.last_seen = t
    if not rs.firing and t - rs.since >= rule.duration_s and cooled(rule, rs, t):
        proof = _seen(rs.since, t, match, where)
        if rule.kind == AlertKind.picture:
            proof.detail = f"picture {match.label} since {rs.since:.1f} s"
            out.append(fire(rule, where.stream_id, rs, None, proof))
        else:
            out.append(fire(rule, where.stream_id, rs, match.label, proof))
    return out


def _step_absence(
    rule: AlertRule, rs: RuleState, t: float, match: ResultItem | None, where: SegmentPlace
) -> list[Transition]:
    """absence: unseen for `duration_s` of analysed stream time fires; seen again resolves."""
    if match is not None:
        rs.last_seen = t
        if not rs.firing:
            return []
        return [resolve(rule, where.stream_id, rs, t, _seen(rs.since, t, match, where))]
    if rs.since is None:
        rs.since = t  # observation begins: absence counts from here
    reference = rs.last_seen if rs.last_seen is not None else rs.since
    if rs.firing or t - reference < rule.duration_s or not cooled(rule, rs, t):
        return []
    proof = evidence(
        since_media_ts=reference,
        media_ts=t,
        segment_sequence=where.sequence,
        segment_key=where.key,
        detail=f"not seen for {t - reference:.1f} s",
    )
    rs.since = reference
    return [fire(rule, where.stream_id, rs, None, proof)]


def _step_lag(
    rule: AlertRule, rs: RuleState, detection: Detection, end: float, where: SegmentPlace
) -> list[Transition]:
    """detector_lag: live analysis started more than `duration_s` after the segment was stored,
    or ran degraded (shedding segments to keep up); resolves once it keeps up again."""
    analysis = detection.analysis
    if analysis is None:
        return []
    lag = analysis.lag_s
    behind = (lag is not None and lag > rule.duration_s) or analysis.mode == AnalysisMode.degraded
    lag_text = "unknown" if lag is None else f"{lag:.1f} s"
    proof = evidence(
        media_ts=end,
        segment_sequence=where.sequence,
        segment_key=where.key,
        detail=f"{detection.detector.name}: lag {lag_text} (bound {rule.duration_s:g} s), "
        f"mode {analysis.mode.value}, {analysis.shed_before} segment(s) shed",
    )
    if behind and not rs.firing and cooled(rule, rs, end):
        rs.since = end
        return [fire(rule, where.stream_id, rs, None, proof)]
    if not behind and rs.firing:
        return [resolve(rule, where.stream_id, rs, end, proof)]
    return []


def _seen(since: float | None, t: float, item: ResultItem, where: SegmentPlace) -> AlertEvidence:
    return evidence(
        since_media_ts=since,
        media_ts=t,
        segment_sequence=where.sequence,
        segment_key=where.key,
        confidence=item.confidence,
        box=item.box.model_dump() if item.box is not None else None,
    )
