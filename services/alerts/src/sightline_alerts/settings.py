"""The alerts service's configuration: one settings object, read from `SIGHTLINE_*` in the entry
point."""

from __future__ import annotations

from pydantic import Field

from sightline_common.settings import ServiceSettings
from sightline_common.webhook_keys import WebhookSecretSettings


class AlertsSettings(ServiceSettings, WebhookSecretSettings):
    """Evaluation clock, input age and webhook delivery."""

    service_name: str = "alerts"
    http_port: int = 8040

    tick_s: float = Field(
        default=1.0, gt=0, description="seconds between checks of time-based rules (stream health)"
    )
    max_input_age_s: float = Field(
        default=600.0,
        gt=0,
        description="input older than this is folded into offsets but not evaluated: alerts are "
        "live, a new group must not fire on a month of history",
    )
    alert_detectors: str = Field(
        default="logo",
        description="detectors (comma-separated) whose detections drive brand rules; another "
        "detector's empty answer for a segment must not read as 'brand gone'",
    )
    picture_detectors: str = Field(
        default="visual",
        description="detectors (comma-separated) whose quality results drive picture rules",
    )
    webhook_allow_private: bool = False
    webhook_attempts: int = Field(default=5, ge=1)
    webhook_backoff_s: float = Field(default=1.0, ge=0)
    webhook_backoff_max_s: float = Field(default=30.0, ge=0)
    webhook_timeout_s: float = Field(default=5.0, gt=0)

    def detector_names(self) -> frozenset[str]:
        """The detectors of `alert_detectors`."""
        return _names(self.alert_detectors)

    def picture_detector_names(self) -> frozenset[str]:
        """The detectors of `picture_detectors`."""
        return _names(self.picture_detectors)


def _names(listed: str) -> frozenset[str]:
    return frozenset(n.strip() for n in listed.split(",") if n.strip())
