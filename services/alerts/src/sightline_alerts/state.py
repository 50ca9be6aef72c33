"""The evaluator's state per stream and input topic, and its changelog form (`alert.state`).

Detections and segments keep separate states because their partitions may be owned by
different replicas; each state records the input offsets folded in, so a message redelivered
after a crash is recognised and skipped instead of being counted twice.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sightline_common.messages import AlertState


@dataclass
class RuleState:
    """Where one rule stands on one stream.

    `episode` counts the alerts fired so far: the next alert's id derives from it, so the same
    condition re-derived after a crash gets the same id. `since` / `last_seen` are stream
    seconds (wall-clock epoch seconds for stream health); `resolved_at` starts the cooldown.
    """

    episode: int = 0
    firing: bool = False
    alert_id: str | None = None
    brand: str | None = None
    since: float | None = None
    last_seen: float | None = None
    resolved_at: float | None = None
    # pacing: the brands' screen time since `since` (the period's start), up to `observed_to`.
    screen_time: float = 0.0
    observed_to: float | None = None
    # pacing over a set of streams, where the members are summed: member stream ->
    # [screen seconds, wall-clock epoch seconds observed to], the latest figure of each.
    members: dict[str, list[float]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RuleState:
        """Back from the changelog; unknown keys (a newer service's) are ignored."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class StreamState:
    """One stream as one input topic drives it."""

    stream_id: str
    input: str
    partition: int = 0
    version: int = 0
    applied: dict[str, int] = field(default_factory=dict)
    clock: float | None = None
    last_segment_at: datetime | None = None
    rules: dict[str, RuleState] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Its key on the changelog topic."""
        return state_key(self.stream_id, self.input)

    def rule(self, rule_id: str) -> RuleState:
        """The state of `rule_id`, created blank on first use."""
        return self.rules.setdefault(rule_id, RuleState())

    def already_applied(self, position: str, offset: int) -> bool:
        """True when the input message at `offset` of `position` is already folded in."""
        return self.applied.get(position, -1) >= offset

    def to_message(self) -> AlertState:
        """The changelog record."""
        return AlertState(
            stream_id=self.stream_id,
            input=self.input,
            partition=self.partition,
            clock=self.clock,
            version=self.version,
            applied=dict(self.applied),
            last_segment_at=self.last_segment_at,
            rules={rule_id: asdict(rs) for rule_id, rs in self.rules.items()},
        )

    @classmethod
    def from_message(cls, message: AlertState) -> StreamState:
        """Rebuilt from a changelog record."""
        return cls(
            stream_id=message.stream_id,
            input=message.input,
            partition=message.partition,
            version=message.version,
            applied=dict(message.applied),
            clock=message.clock,
            last_segment_at=message.last_segment_at,
            rules={k: RuleState.from_dict(v) for k, v in message.rules.items()},
        )


def state_input(detector: str) -> str:
    """The state input name of one detector's detections (the logo detector's keeps the plain
    `detections`)."""
    return "detections" if detector == "logo" else f"detections.{detector}"


def state_key(stream_id: str, input_topic: str) -> str:
    """The changelog key of a stream's state for one input (base topic name)."""
    return f"{stream_id}|{input_topic}"
