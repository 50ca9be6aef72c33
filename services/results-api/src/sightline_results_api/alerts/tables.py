"""The alert tables (migration 0009)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


def _tz(nullable: bool = False) -> Any:
    return Field(sa_type=DateTime(timezone=True), nullable=nullable, default=None)


class AlertRuleRow(SQLModel, table=True):
    """An alert rule as users wrote it; the `alert-rules` topic carries the same."""

    __tablename__ = "alert_rules"

    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    stream_id: str = Field(max_length=64)
    brands: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    duration_s: float
    zone: list[dict[str, float]] | None = Field(default=None, sa_column=Column(JSONB))
    min_confidence: float
    min_area: float
    gap_s: float
    cooldown_s: float
    webhook_url: str | None = Field(default=None, max_length=2000)
    webhook_secret_version: int = 0  # migration 0015; see sightline_common.webhook_keys
    enabled: bool
    conditions: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    target_s: float | None = None
    period_s: float | None = None
    period_start_s: float | None = None
    warmup_s: float | None = None
    # migration 0017: pacing over a set of streams (empty: single-stream rules)
    stream_ids: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    period_start_at: datetime | None = _tz(nullable=True)
    created_at: datetime = _tz()
    updated_at: datetime = _tz()


class AlertRow(SQLModel, table=True):
    """One alert: the fired transition, then the resolved one; acknowledged by a user."""

    __tablename__ = "alerts"

    alert_id: str = Field(primary_key=True, max_length=36)
    rule_id: str = Field(max_length=36)
    rule_name: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    stream_id: str = Field(max_length=64)
    brand: str | None = Field(default=None, max_length=200)
    status: str = Field(max_length=16)
    fired_at: datetime | None = _tz(nullable=True)
    resolved_at: datetime | None = _tz(nullable=True)
    fired_evidence: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    resolved_evidence: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    acknowledged_at: datetime | None = _tz(nullable=True)
    acknowledged_by: str | None = Field(default=None, max_length=200)


class AlertDeliveryRow(SQLModel, table=True):
    """How the webhook delivery of one alert message to one URL went (latest state)."""

    __tablename__ = "alert_deliveries"

    alert_event_id: str = Field(primary_key=True, max_length=36)
    url: str = Field(primary_key=True, max_length=2000)
    alert_id: str = Field(max_length=36)
    rule_id: str = Field(max_length=36)
    stream_id: str = Field(max_length=64)
    alert_status: str | None = Field(default=None, max_length=16)
    status: str = Field(max_length=16)
    attempts: int
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=1000)
    updated_at: datetime = _tz()
