"""Alert transitions and the bookkeeping every rule kind shares: one condition is one alert,
whose id derives from rule, stream and the rule state's episode counter, so a transition
re-derived after a crash carries the same id."""

from __future__ import annotations

from dataclasses import dataclass

from sightline_alerts.state import RuleState
from sightline_common.envelope import deterministic_event_id
from sightline_common.messages import AlertEvidence, AlertRule, AlertStatus


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
class SegmentPlace:
    """The segment a frame belongs to (the evidence's snapshot reference)."""

    stream_id: str
    sequence: int
    key: str


def evidence(**fields: object) -> AlertEvidence:
    """Evidence from the fields that apply (the others keep their schema defaults)."""
    return AlertEvidence.model_validate(fields)


def cooled(rule: AlertRule, rs: RuleState, t: float) -> bool:
    """True when the rule's cooldown since its last resolution has passed at `t`."""
    return rs.resolved_at is None or t - rs.resolved_at >= rule.cooldown_s


def fire(
    rule: AlertRule, stream_id: str, rs: RuleState, brand: str | None, proof: AlertEvidence
) -> Transition:
    """Start a new episode: the next alert id, firing."""
    rs.episode += 1
    rs.firing = True
    rs.brand = brand
    rs.alert_id = str(deterministic_event_id("alert", rule.rule_id, stream_id, rs.episode))
    return transition(rule, stream_id, rs, AlertStatus.fired, proof)


def resolve(
    rule: AlertRule, stream_id: str, rs: RuleState, t: float, proof: AlertEvidence
) -> Transition:
    """End the ongoing episode at `t` (the cooldown counts from there)."""
    rs.firing, rs.resolved_at = False, t
    return transition(rule, stream_id, rs, AlertStatus.resolved, proof)


def transition(
    rule: AlertRule, stream_id: str, rs: RuleState, status: AlertStatus, proof: AlertEvidence
) -> Transition:
    """The current episode's transition to `status`."""
    assert rs.alert_id is not None
    return Transition(rule, stream_id, rs.alert_id, status, rs.brand, proof)
