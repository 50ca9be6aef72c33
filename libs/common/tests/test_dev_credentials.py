"""Built-in development credentials stop a service outside development, with the reason."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sightline_common.dev_credentials import DevCredentialsError, refuse_dev_credentials
from sightline_common.kafka.scram import ADMIN, dev_password
from sightline_common.settings import ServiceSettings
from sightline_common.storage_access import storage_user

DEV_DB = "postgresql+psycopg://sightline:sightline@db:5432/sightline"
REAL_DB = "postgresql+psycopg://sightline:s3cr3t-Long@db:5432/sightline"


def test_development_values_are_refused_unless_allowed() -> None:
    with pytest.raises(DevCredentialsError, match="SIGHTLINE_S3_SECRET_KEY"):
        refuse_dev_credentials(False, "sightline-secret")
    with pytest.raises(DevCredentialsError, match="SIGHTLINE_DATABASE_URL"):
        refuse_dev_credentials(False, "a-real-secret", DEV_DB)
    refuse_dev_credentials(True, "sightline-secret", DEV_DB)
    refuse_dev_credentials(False, "a-real-secret", REAL_DB)


def test_service_users_development_secrets_are_refused_and_storage_less_services_skip_s3() -> None:
    # The local platform's per-service MinIO users (derived from the root's secret).
    with pytest.raises(DevCredentialsError, match="SIGHTLINE_S3_SECRET_KEY"):
        refuse_dev_credentials(False, storage_user("ingest").dev_secret_key("sightline-secret"))
    with pytest.raises(DevCredentialsError, match="SIGHTLINE_S3_SECRET_KEY_<USER>"):
        refuse_dev_credentials(False, "a-real-secret", storage_secret_keys=["sightline-secret"])
    refuse_dev_credentials(False, None)  # a service that uses no object storage
    refuse_dev_credentials(False, "a-real-secret", storage_secret_keys=["another-real-one"])


def test_development_kafka_passwords_are_refused_unless_allowed() -> None:
    """A service's own SCRAM login and the users the provisioning creates (compose's first
    start, the devstack's SCRAM broker)."""
    for principal in (ADMIN, "notifier", "results-api"):
        with pytest.raises(DevCredentialsError, match="SIGHTLINE_KAFKA_PASSWORD"):
            refuse_dev_credentials(False, None, kafka_passwords=[dev_password(principal)])
        refuse_dev_credentials(True, None, kafka_passwords=[dev_password(principal)])
    refuse_dev_credentials(False, None, kafka_passwords=["", "a-real-password"])


def test_a_service_whose_own_kafka_login_is_a_development_one_exits_2(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its login comes from SIGHTLINE_KAFKA_PASSWORD, as compose and Kubernetes give it."""
    monkeypatch.setenv("SIGHTLINE_KAFKA_USERNAME", "notifier")
    monkeypatch.setenv("SIGHTLINE_KAFKA_PASSWORD", dev_password("notifier"))
    settings = ServiceSettings(allow_dev_credentials=False)
    with pytest.raises(SystemExit) as refused:
        settings.refuse_dev_credentials(storage=False)
    assert refused.value.code == 2
    monkeypatch.setenv("SIGHTLINE_KAFKA_PASSWORD", "a-real-password")
    settings.refuse_dev_credentials(storage=False)


@pytest.mark.parametrize("module", ["sightline_ingest", "sightline_results_api"])
def test_a_service_on_default_credentials_exits_2_saying_why(module: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "SIGHTLINE_KAFKA_BOOTSTRAP": "127.0.0.1:1"}
    done = subprocess.run(
        [sys.executable, "-m", module],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "service.refused" in done.stdout + done.stderr
    assert "SIGHTLINE_ALLOW_DEV_CREDENTIALS" in done.stdout + done.stderr
