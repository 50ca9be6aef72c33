"""`make run` starts every service on its own MinIO user (or none), never on MinIO's root."""

from __future__ import annotations

from pathlib import Path

from sightline_common.storage_access import WITHOUT_STORAGE, WORKLOAD_USERS, storage_user
from sightline_devstack.platform import platform_env
from sightline_devstack.settings import DevstackSettings
from sightline_devstack.stack import SERVICES, service_specs


def test_each_service_of_make_run_logs_in_to_minio_as_its_own_user(tmp_path: Path) -> None:
    settings = DevstackSettings.from_env({"SIGHTLINE_STATE_DIR": str(tmp_path)})
    platform = platform_env(settings, {})
    specs = {spec.name: spec.env for spec in service_specs(settings, platform, dashboard=False)}
    assert set(specs) == {entry.name for entry in SERVICES}
    for name, env in specs.items():
        assert env["SIGHTLINE_S3_SECRET_KEY"] != platform.s3_secret_key, name
        if name in WITHOUT_STORAGE:
            assert env["SIGHTLINE_S3_ACCESS_KEY"] == env["SIGHTLINE_S3_SECRET_KEY"] == "", name
            continue
        user = storage_user(WORKLOAD_USERS[name])
        assert env["SIGHTLINE_S3_ACCESS_KEY"] == user.access_key(), name
        assert env["SIGHTLINE_S3_SECRET_KEY"] == user.dev_secret_key(platform.s3_secret_key)
