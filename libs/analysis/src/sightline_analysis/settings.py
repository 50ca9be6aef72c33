"""Settings every detector shares (each detector service subclasses this once)."""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import Field, SecretStr

from sightline_analysis.executor_server import ExecutorLimits
from sightline_analysis.image_size import MAX_IMAGE_PIXELS
from sightline_analysis.logo.learned.train import TrainingRecipe
from sightline_common.settings import ServiceSettings


def shared_host_concurrency() -> int:
    """Live analysis threads for a detector process that shares its host with the other
    detector: half the CPUs this process may run on, at least one.

    Two threads per detector on 2 cores (4 analyses sharing 2 cores) made each analysis take
    twice as long without analysing more segments: a segment taken at the same lag reached
    the dashboard later (e2e bench, 6 streams, logo + visual).
    """
    return max(1, len(os.sched_getaffinity(0)) // 2)


class DetectorSettings(ServiceSettings):
    """Executor endpoints and limits; env `SIGHTLINE_LAN_HOSTS=host:port,host:port` etc."""

    analyzers: str = ""  # comma-separated plugin keys; empty: the detector's default set
    # Per analyzer key, that analyzer's settings for every analysis this deployment makes (live,
    # LAN executor, replay), as JSON, e.g. {"faces_mtcnn": {"every_s": 2}}: checked at start-up
    # as a reanalysis run's `config` is (keys of analyzers another detector runs are left to
    # it); part of the config hash detections carry, and a run's own overrides go on top.
    analyzer_settings: dict[str, dict[str, Any]] = Field(default_factory=dict)
    keyframe_interval: float = 2.0
    follow_timeout: float = 30.0
    lan_hosts: str = ""
    lan_timeout: float = 10.0
    # The secret LAN executors ask callers for (both sides), the CA that signed the executors'
    # certificates (callers), and the executor mode's own TLS certificate and key and limits.
    lan_secret: SecretStr = SecretStr("")
    lan_ca_file: str = ""
    executor_tls_cert: str = ""
    executor_tls_key: str = ""
    executor_max_body_bytes: int = 32 * 1024 * 1024
    executor_max_frames: int = 64
    executor_max_pixels: int = MAX_IMAGE_PIXELS
    executor_max_concurrent: int = 2
    cloud_endpoint: str = "https://vision.googleapis.com"
    cloud_api_key: SecretStr = SecretStr("")
    cloud_timeout: float = 10.0
    breaker_failures: int = 3
    breaker_reset_seconds: float = 15.0
    # Reanalysis (the `replay` mode): runs at once, stretches of a run analysed at once and
    # their length in segments (0: the run in order on one thread; `replay/stretches.py`), CPU
    # niceness (live analysis keeps priority), how far before a range's first segment to seek.
    replay_concurrency: int = 1
    replay_workers: int = 2
    replay_stretch_segments: int = Field(default=15, ge=0)
    replay_nice: int = 10
    replay_seek_slack: float = 120.0
    # Live freshness: a segment older than this when the detector takes it is skipped and
    # handed to a backfill run (0: never skip); a backfill run holds at most this many segments.
    max_live_lag_s: float = 4.0
    backfill_max_segments: int = 30
    # Live segments analysed at once per process, of different partitions (a stream's stay in
    # order): segments are keyed by stream, so a process owns whichever streams its partitions
    # hold, and analysing one at a time it used at most ~1.2 cores (SIFT's own OpenCV threads)
    # while others' segments waited. One per core the process may use: by default half the
    # CPUs it may run on, as both detectors share the host (`make run`, compose).
    live_concurrency: int = Field(default_factory=shared_host_concurrency, ge=1)
    # How much nicer (CPU priority) the live detector process runs than it was started: on a
    # shared host the cheap hops (ingest, notifier, results-api) then get the CPU first and stay
    # fast while analysis takes what is left (6 streams beside both detectors, ingest's pickup +
    # upload p90 went 0.19 -> 0.69 s). Below `replay_nice`: live analysis comes before
    # reanalysis. The whole process, not only its analysis threads: OpenCV's and TensorFlow's
    # worker threads, made at start-up, did 15-23 % of its CPU (e2e bench). 0: as started.
    live_nice: int = Field(default=5, ge=0, le=19)
    # Where the logo analyzer searches a whole frame: everywhere (SIFT), or where the learned
    # proposal net points (logo/learned/; weights trained per library by `train-proposals`,
    # whole-frame SIFT until they exist). Needs the `tensorflow` extra.
    logo_proposals: Literal["sift", "net"] = "sift"
    # The recipe the net is trained with (JSON, e.g. {"steps": 900}); detectors look for the
    # weights of this recipe, so `train-proposals` and every detector must be given the same.
    logo_proposal_recipe: TrainingRecipe = TrainingRecipe()

    def executor_limits(self) -> ExecutorLimits:
        """What the `executor` mode accepts from its callers."""
        return ExecutorLimits(
            secret=self.lan_secret.get_secret_value(),
            max_body_bytes=self.executor_max_body_bytes,
            max_frames=self.executor_max_frames,
            max_pixels=self.executor_max_pixels,
            max_concurrent=self.executor_max_concurrent,
        )

    def analyzer_keys(self, default: tuple[str, ...]) -> tuple[str, ...]:
        """The analyzers to run: `SIGHTLINE_ANALYZERS` when set, else the detector's default."""
        chosen = tuple(k.strip() for k in self.analyzers.split(",") if k.strip())
        return chosen or default

    def executor_configs(self) -> list[dict[str, Any]]:
        """Config of every executor plugin this deployment can use."""
        return [
            {"type": "local"},
            {
                "type": "lan",
                "hosts": [h.strip() for h in self.lan_hosts.split(",") if h.strip()],
                "secret": self.lan_secret.get_secret_value(),
                "ca_file": self.lan_ca_file,
                "timeout": self.lan_timeout,
            },
            {
                "type": "cloud",
                "endpoint": self.cloud_endpoint,
                "api_key": self.cloud_api_key.get_secret_value(),
                "timeout": self.cloud_timeout,
            },
        ]
