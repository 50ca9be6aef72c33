"""The alerts service's configuration: one settings object, read from `SIGHTLINE_*` in the entry
point."""

from __future__ import annotations

import structlog
from pydantic import Field, SecretStr

from sightline_common.settings import ServiceSettings

# The signing key on development machines (SIGHTLINE_ALLOW_DEV_CREDENTIALS=true) only.
DEV_WEBHOOK_SECRET = "sightline-dev-webhook-secret"  # noqa: S105 - development only, by design


class AlertsSettings(ServiceSettings):
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
    webhook_secret: SecretStr = Field(
        default=SecretStr(""), description="HMAC-SHA256 key of the X-Sightline-Signature header"
    )
    webhook_allow_private: bool = False
    webhook_attempts: int = Field(default=5, ge=1)
    webhook_backoff_s: float = Field(default=1.0, ge=0)
    webhook_backoff_max_s: float = Field(default=30.0, ge=0)
    webhook_timeout_s: float = Field(default=5.0, gt=0)

    def signing_key(self) -> bytes:
        """The webhook signing key. Without one the service refuses to start (exit 2), except
        with development credentials allowed, where a fixed development key is used."""
        secret = self.webhook_secret.get_secret_value()
        if secret:
            return secret.encode()
        if self.allow_dev_credentials:
            return DEV_WEBHOOK_SECRET.encode()
        structlog.get_logger(__name__).error(
            "service.refused", reason="SIGHTLINE_WEBHOOK_SECRET is not set"
        )
        raise SystemExit(2)

    def detector_names(self) -> frozenset[str]:
        """The detectors of `alert_detectors`."""
        return _names(self.alert_detectors)

    def picture_detector_names(self) -> frozenset[str]:
        """The detectors of `picture_detectors`."""
        return _names(self.picture_detectors)


def _names(listed: str) -> frozenset[str]:
    return frozenset(n.strip() for n in listed.split(",") if n.strip())
