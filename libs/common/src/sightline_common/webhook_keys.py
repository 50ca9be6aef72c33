"""The keys webhooks are signed with: one per alert rule.

With one deployment-wide key, every receiver can forge every other receiver's alerts (a
sponsor's endpoint could sign a message that a broadcaster's pager trusts). So each rule signs
with its own secret, derived from the deployment's `SIGHTLINE_WEBHOOK_SECRET`, the rule id and
the rule's key version: nothing secret is stored in Postgres or sent over Kafka, results-api
and the alerts service derive the same secret, and rotating a rule's secret is incrementing its
version. Version 0 is the deployment's secret itself, which rules created before per-rule
secrets keep until their secret is rotated (their receivers were set up with it).

A receiver verifies `X-Sightline-Signature` with the secret as the UTF-8 bytes of the string
results-api handed out, whichever version it is.
"""

from __future__ import annotations

import hashlib
import hmac

from pydantic import BaseModel, Field, SecretStr

from sightline_common.dev_credentials import required_secret

# The deployment secret on development machines (SIGHTLINE_ALLOW_DEV_CREDENTIALS=true) only.
DEV_WEBHOOK_SECRET = "sightline-dev-webhook-secret"  # noqa: S105 - development only, by design
FIRST_RULE_KEY_VERSION = 1  # what a new rule starts at; 0 is the deployment's own secret


def rule_webhook_secret(deployment_secret: bytes, rule_id: str, version: int) -> bytes:
    """The secret rule `rule_id` signs its webhooks with at key `version`."""
    if version < 0:
        raise ValueError(f"a key version is 0 or more, not {version}")
    if version == 0:
        return deployment_secret
    label = f"sightline-rule-webhook:{rule_id}:{version}".encode()
    return hmac.new(deployment_secret, label, hashlib.sha256).hexdigest().encode()


class WebhookSecretSettings(BaseModel):
    """The deployment's webhook secret, for the services that sign or hand out rule secrets."""

    webhook_secret: SecretStr = Field(
        default=SecretStr(""),
        description="the deployment's webhook secret; each rule's signing secret derives from it",
    )
    allow_dev_credentials: bool = False

    def webhook_deployment_secret(self) -> bytes:
        """The deployment's secret (exit 2 without one outside development)."""
        return required_secret(
            self.webhook_secret,
            "SIGHTLINE_WEBHOOK_SECRET",
            dev_value=DEV_WEBHOOK_SECRET,
            allowed=self.allow_dev_credentials,
        )
