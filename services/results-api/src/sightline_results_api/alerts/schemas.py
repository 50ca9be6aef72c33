"""The API's view of rules, alerts and deliveries (request and response bodies)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from sightline_common.messages import AlertKind
from sightline_common.messages.schema.alert_rule_schema import PictureCondition


class ZonePointIn(BaseModel):
    """A zone corner in normalised frame coordinates (0..1 from the top-left)."""

    model_config = ConfigDict(extra="forbid")

    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)


class RuleFields(BaseModel):
    """What a rule says; see `schemas/alert-rule.schema.json` for each field's meaning."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: AlertKind
    stream_id: str = Field(min_length=1, max_length=64)
    brands: list[str] = Field(default_factory=list, max_length=50)
    duration_s: float = Field(default=0, ge=0, le=7 * 24 * 3600)
    zone: list[ZonePointIn] | None = Field(default=None, min_length=3, max_length=64)
    min_confidence: float = Field(default=0, ge=0, le=1)
    min_area: float = Field(default=0, ge=0, le=1)
    gap_s: float = Field(default=2, ge=0, le=3600)
    cooldown_s: float = Field(default=0, ge=0, le=7 * 24 * 3600)
    webhook_url: str | None = Field(default=None, max_length=2000)
    enabled: bool = True
    conditions: list[PictureCondition] = Field(default_factory=list, max_length=3)
    target_s: float | None = Field(default=None, gt=0, le=10 * 365 * 86400)
    period_s: float | None = Field(default=None, gt=0, le=10 * 365 * 86400)
    period_start_s: float | None = Field(default=None, ge=0, le=10 * 365 * 86400)
    warmup_s: float | None = Field(default=None, ge=0, le=10 * 365 * 86400)
    stream_ids: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="pacing over a set of streams: the member streams, at least two, stream_id "
        "among them (stored first: the set's alerts are filed under it). Screen time is summed "
        "over the members (each feed its own audience: a logo on two feeds at once counts "
        "twice) over the wall-clock period [period_start_at, period_start_at + period_s] and "
        "projected from the rate so far over the wall time elapsed since period_start_at. "
        "Empty: pacing on stream_id alone, in stream time.",
    )
    period_start_at: AwareDatetime | None = Field(
        default=None,
        description="pacing over a set of streams: the period's wall-clock start, with its time "
        "zone (default: "
        "when the rule is created). Single-stream pacing uses period_start_s instead.",
    )


class RuleCreate(RuleFields):
    """A new rule."""


class RuleUpdate(BaseModel):
    """A change to a rule: the fields given replace the rule's; the result is checked whole."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    brands: list[str] | None = Field(default=None, max_length=50)
    duration_s: float | None = Field(default=None, ge=0, le=7 * 24 * 3600)
    zone: list[ZonePointIn] | None = Field(default=None, min_length=3, max_length=64)
    clear_zone: bool = False
    min_confidence: float | None = Field(default=None, ge=0, le=1)
    min_area: float | None = Field(default=None, ge=0, le=1)
    gap_s: float | None = Field(default=None, ge=0, le=3600)
    cooldown_s: float | None = Field(default=None, ge=0, le=7 * 24 * 3600)
    webhook_url: str | None = Field(default=None, max_length=2000)
    clear_webhook: bool = False
    enabled: bool | None = None
    conditions: list[PictureCondition] | None = Field(default=None, max_length=3)
    target_s: float | None = Field(default=None, gt=0, le=10 * 365 * 86400)
    period_s: float | None = Field(default=None, gt=0, le=10 * 365 * 86400)
    period_start_s: float | None = Field(default=None, ge=0, le=10 * 365 * 86400)
    warmup_s: float | None = Field(default=None, ge=0, le=10 * 365 * 86400)
    stream_ids: list[str] | None = Field(default=None, max_length=50)
    period_start_at: AwareDatetime | None = None


class RulePublic(RuleFields):
    """A stored rule."""

    id: str
    webhook_secret_version: int = Field(
        description="which secret signs the rule's webhooks: 0 the deployment's webhook secret "
        "(rules created before per-rule secrets), n >= 1 the rule's own secret at version n"
    )
    created_at: datetime
    updated_at: datetime


class RuleWebhookSecret(BaseModel):
    """A rule's webhook signing secret, handed out when the rule is created and when it is
    rotated, never listed: `X-Sightline-Signature: t=<unix seconds>,v1=<hex>` is HMAC-SHA256
    over `<t>.<body>` keyed with this string's UTF-8 bytes."""

    rule_id: str
    version: int
    secret: str


class RuleCreated(RulePublic):
    """A new rule, with the secret its webhooks are signed with (shown this once)."""

    webhook_secret: str


class DeliveryPublic(BaseModel):
    """A webhook delivery's latest state."""

    alert_event_id: str
    alert_status: str | None
    url: str
    status: str = Field(description="delivered, retrying or dead")
    attempts: int
    last_status_code: int | None
    last_error: str | None
    updated_at: datetime


class AlertPublic(BaseModel):
    """An alert: when it fired and resolved, on what evidence, and who acknowledged it."""

    alert_id: str
    rule_id: str
    rule_name: str
    kind: str
    stream_id: str
    brand: str | None
    status: str = Field(description="fired (ongoing) or resolved")
    fired_at: datetime | None
    resolved_at: datetime | None
    fired_evidence: dict[str, Any] | None
    resolved_evidence: dict[str, Any] | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    deliveries: list[DeliveryPublic] = Field(default_factory=list)


class Acknowledge(BaseModel):
    """Who acknowledges (free text, e.g. a name)."""

    model_config = ConfigDict(extra="forbid")

    by: str | None = Field(default=None, max_length=200)
