"""results-api settings: the shared connection settings plus the database and API knobs."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from pydantic import Field, SecretStr, field_validator

from sightline_common.dev_credentials import required_secret
from sightline_common.settings import ServiceSettings
from sightline_common.source_policy import SourcePolicySettings
from sightline_common.webhook_keys import WebhookSecretSettings
from sightline_results_api.report.quality import QualityWeights

# The playback URL key on development machines (SIGHTLINE_ALLOW_DEV_CREDENTIALS=true) only.
DEV_PLAYBACK_SIGNING_KEY = "sightline-dev-playback-key"

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class ResultsApiSettings(ServiceSettings, SourcePolicySettings, WebhookSecretSettings):
    """Everything results-api reads from the environment (prefix `SIGHTLINE_`)."""

    service_name: str = "results-api"
    http_port: int = 8000

    database_url: str = "postgresql+psycopg://sightline:sightline@127.0.0.1:5432/sightline"
    # Tests give each case its own schema; empty means the server's default (public).
    database_schema: str = ""

    rtmp_url: str = "rtmp://127.0.0.1:1935/live"
    cors_origins: str = "http://127.0.0.1:4200,http://localhost:4200"
    max_logo_bytes: int = 5 * 1024 * 1024

    materializer_group: str = "results-api-materializer"
    materializer_batch_size: int = 500
    # How soon a crashed materializer's partitions move to a live member (Kafka's default 30 s;
    # tests lower it so a SIGKILL-and-restart rejoins quickly).
    materializer_session_timeout_ms: int = 30_000
    # `serve` runs the materializer beside the API unless this is off (then run `materialize`).
    run_materializer: bool = True

    # The exposure stream processor (`python -m sightline_results_api exposure`).
    exposure_app_id: str = "results-api-exposure"
    exposure_window_s: float = 10.0
    # Faust insists on a data folder even for in-memory tables; kept out of the working
    # directory, which is read-only in the k8s pods and the repo when run locally.
    exposure_data_dir: Path = Path(tempfile.gettempdir()) / "sightline-exposure"

    # Storage lifecycle (the storage worker in `serve` and `api`). Lifetimes in seconds, 0 keeps
    # for ever; a stream's own `video_retention_s` / `results_retention_s` override them.
    video_retention_s: float = Field(default=0.0, ge=0)
    results_retention_s: float = Field(default=0.0, ge=0)
    # How often the sweeper looks for what expired, and rows / objects per delete statement.
    sweep_interval_s: float = Field(default=300.0, gt=0)
    storage_batch_size: int = Field(default=1000, ge=1, le=1000)
    # Run the storage worker (deletion jobs + retention sweeper) in this process.
    run_storage_worker: bool = True
    # Storage you can see (`/api/storage`, `/metrics`): the store's size (0: the MinIO drives';
    # set: the segments bucket's quota), the fill that warns, the fill from which the oldest
    # unpinned video older than `video_min_retention_s` is deleted (down to the warning fill).
    storage_capacity_bytes: int = Field(default=0, ge=0)
    storage_warn_fraction: float = Field(default=0.8, gt=0, le=1)
    storage_evict_fraction: float = Field(default=0.9, gt=0, le=1)
    video_min_retention_s: float = Field(default=86_400.0, ge=0)

    # The exposure report (#19): sightings of a brand at most this far apart are one exposure;
    # shorter exposures are not counted; the quality index's weights (JSON object, README).
    report_gap_s: float = Field(default=1.0, ge=0, le=60)
    report_min_exposure_s: float = Field(default=1.0, ge=0, le=60)
    report_quality_weights: QualityWeights = Field(default_factory=QualityWeights)

    # Alerts (#18): rules may send webhooks to loopback / private / link-local addresses.
    webhook_allow_private: bool = False

    # Signed HLS URLs (#17): a player gets the playlist at a URL signed with this HMAC key and
    # valid this long, instead of putting an API token in the URL (see `playback_urls`).
    playback_signing_key: SecretStr = SecretStr("")
    playback_url_ttl_s: float = Field(default=300.0, ge=10, le=86_400)

    @field_validator("database_schema")
    @classmethod
    def _plain_identifier(cls, value: str) -> str:
        # The schema name goes into DDL and search_path, so only plain identifiers are allowed.
        if value and not _SCHEMA_NAME.match(value):
            raise ValueError("database_schema must be a lower-case SQL identifier")
        return value

    def playback_key(self) -> bytes:
        """The signing key of playback URLs (exit 2 without one outside development)."""
        return required_secret(
            self.playback_signing_key,
            "SIGHTLINE_PLAYBACK_SIGNING_KEY",
            dev_value=DEV_PLAYBACK_SIGNING_KEY,
            allowed=self.allow_dev_credentials,
        )

    def require_signing_keys(self) -> None:
        """Exit 2 at start, not at the first playback or rule, when a signing key is missing."""
        self.playback_key()
        self.webhook_deployment_secret()

    @property
    def cors_origin_list(self) -> list[str]:
        """The allowed browser origins."""
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]
