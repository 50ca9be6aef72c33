"""Per-rule webhook secrets: one receiver's secret says nothing about another's, and a rule
from before per-rule secrets keeps the deployment's."""

from __future__ import annotations

import hmac

import pytest
from pydantic import SecretStr

from sightline_common.webhook_keys import (
    DEV_WEBHOOK_SECRET,
    WebhookSecretSettings,
    rule_webhook_secret,
)

DEPLOYMENT = b"deployment-secret"


def test_each_rule_and_version_has_its_own_secret_and_derivation_is_stable() -> None:
    secrets = {
        rule_webhook_secret(DEPLOYMENT, rule, version)
        for rule in ("r-1", "r-2")
        for version in (1, 2, 3)
    }
    assert len(secrets) == 6
    assert DEPLOYMENT not in secrets
    assert rule_webhook_secret(DEPLOYMENT, "r-1", 2) == rule_webhook_secret(DEPLOYMENT, "r-1", 2)
    assert rule_webhook_secret(b"another deployment", "r-1", 2) not in secrets


def test_a_rule_secret_is_printable_and_version_zero_is_the_deployment_secret() -> None:
    secret = rule_webhook_secret(DEPLOYMENT, "r-1", 1)
    assert len(secret) == 64
    assert secret.decode().isalnum()
    assert hmac.compare_digest(rule_webhook_secret(DEPLOYMENT, "r-1", 0), DEPLOYMENT)
    with pytest.raises(ValueError, match="0 or more"):
        rule_webhook_secret(DEPLOYMENT, "r-1", -1)


def test_without_a_deployment_secret_only_development_gets_one() -> None:
    given = WebhookSecretSettings(webhook_secret=SecretStr("s3cret"))
    assert given.webhook_deployment_secret() == b"s3cret"
    dev = WebhookSecretSettings(allow_dev_credentials=True)
    assert dev.webhook_deployment_secret() == DEV_WEBHOOK_SECRET.encode()
    with pytest.raises(SystemExit) as refused:
        WebhookSecretSettings().webhook_deployment_secret()
    assert refused.value.code == 2
