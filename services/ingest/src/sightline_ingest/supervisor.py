"""Runs one ffmpeg per enabled test/file/webcam stream and keeps it running.

A runner restarts ffmpeg with exponential back-off when it dies (reset after a good run) and
stops it when the stream is disabled or deleted. A source that cannot run says so on `streams`:
each failed run reports `retrying` (attempt, next try, a short reason from ffmpeg's output); a
source its configuration or the source policy rules out reports `failed` and is tried again
only at the longest back-off (a changed configuration starts a new runner at once). Once it
runs, its publish reports `started` as usual. ffmpeg is started under `setpriv --pdeathsig` so
it dies with its runner thread: a SIGKILLed ingest leaves no orphan pushing with a key the
next ingest does not know.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog

from sightline_common.messages import StreamConfig, StreamStatus
from sightline_common.source_policy import SourcePolicy
from sightline_common.topics import TopicNames
from sightline_ingest.events import lifecycle_event
from sightline_ingest.keys import SourceKeys
from sightline_ingest.registry import StreamRegistry
from sightline_ingest.sources import (
    MANAGED_KINDS,
    SourceConfigError,
    ffmpeg_command,
    runs_forever,
)
from sightline_ingest.state import StateStore

log = structlog.get_logger(__name__)

GOOD_RUN_SECONDS = 60.0
REASON_CHARS = 200


@dataclass(frozen=True)
class SourceReport:
    """A source that did not run: what the stream's lifecycle event says."""

    config: StreamConfig
    status: StreamStatus  # retrying or failed
    reason: str
    attempt: int
    retry_at: datetime | None
    run_id: str  # tells this runner's attempts from an earlier runner's


Reporter = Callable[[SourceReport], None]


def short_reason(output: str) -> str:
    """The line of ffmpeg's output that says what went wrong (its last non-empty one)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if not lines:
        return "ffmpeg exited without a message"
    return lines[-1][:REASON_CHARS]


def source_reporter(state: StateStore, topics: TopicNames, producer_id: str) -> Reporter:
    """Reports as lifecycle events through the outbox (delivered like every other event)."""

    def report(found: SourceReport) -> None:
        event = lifecycle_event(
            topics,
            producer_id,
            stream_id=found.config.stream_id,
            status=found.status,
            source_kind=found.config.source.kind.value,
            id_parts=(found.run_id, found.attempt),
            reason=found.reason,
            attempt=found.attempt,
            retry_at=found.retry_at,
        )
        state.record_events([event])

    return report


class SourceRunner:
    """Keeps one stream's ffmpeg running in a thread until `stop()`."""

    def __init__(
        self,
        config: StreamConfig,
        keys: SourceKeys,
        *,
        ffmpeg: str,
        rtmp_url: str,
        log_dir: Path,
        max_backoff: float,
        policy: SourcePolicy,
        report: Reporter = lambda _report: None,
    ) -> None:
        self.config = config
        self._report = report
        self._run_id = uuid.uuid4().hex[:12]
        self._policy = policy
        self._keys = keys
        self._ffmpeg = ffmpeg
        self._rtmp_url = rtmp_url.rstrip("/")
        self._log_path = log_dir / f"{config.stream_id}.log"
        self._max_backoff = max_backoff
        self._stopping = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"source-{config.stream_id}", daemon=True
        )

    def start(self) -> None:
        """Start the runner thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop ffmpeg (SIGTERM, then SIGKILL) and the runner."""
        self._stopping.set()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
        self._thread.join(timeout=15)
        self._keys.revoke(self.config.stream_id)

    @property
    def alive(self) -> bool:
        """Whether the runner still supervises (False once a played-once file ended)."""
        return self._thread.is_alive()

    def _run(self) -> None:
        key = self._keys.mint(self.config.stream_id)
        backoff = 1.0
        failures = 0
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                code = self._run_ffmpeg(key)
            except SourceConfigError as exc:
                # Cannot work as configured (a changed configuration starts a new runner); a
                # name that did not resolve may later, so it is tried at the longest back-off.
                failures += 1
                log.warning("source.cannot_start", stream_id=self.config.stream_id, reason=str(exc))
                retry_at = datetime.now(UTC) + timedelta(seconds=self._max_backoff)
                self._tell(StreamStatus.failed, str(exc)[:REASON_CHARS], failures, retry_at)
                self._stopping.wait(self._max_backoff)
                continue
            except OSError as exc:
                log.exception(
                    "source.cannot_start", stream_id=self.config.stream_id, reason=str(exc)
                )
                code, output = -1, str(exc)
            else:
                output = self._tail(key)
            if self._stopping.is_set():
                break
            if code == 0 and not runs_forever(self.config.source):
                log.info("source.finished", stream_id=self.config.stream_id)
                break
            if time.monotonic() - started > GOOD_RUN_SECONDS:
                backoff, failures = 1.0, 0
            failures += 1
            log.warning(
                "source.exited",
                stream_id=self.config.stream_id,
                code=code,
                restart_in=backoff,
                output=output,
            )
            retry_at = datetime.now(UTC) + timedelta(seconds=backoff)
            reason = f"{short_reason(output)} (attempt {failures}, next try in {backoff:g} s)"
            self._tell(StreamStatus.retrying, reason, failures, retry_at)
            self._stopping.wait(backoff)
            backoff = min(backoff * 2, self._max_backoff)

    def _tell(
        self, status: StreamStatus, reason: str, attempt: int, retry_at: datetime | None
    ) -> None:
        try:
            self._report(SourceReport(self.config, status, reason, attempt, retry_at, self._run_id))
        except Exception:  # a report must never stop the runner (logged)
            log.exception("source.report_failed", stream_id=self.config.stream_id)

    def _run_ffmpeg(self, key: str) -> int:
        command = ffmpeg_command(
            self._ffmpeg, self.config.source, f"{self._rtmp_url}/{key}", self._policy
        )
        if shutil.which("setpriv"):
            command = ["setpriv", "--pdeathsig", "KILL", "--", *command]
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        with self._log_path.open("wb") as out:
            self._proc = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
            )
        log.info(
            "source.started",
            stream_id=self.config.stream_id,
            kind=self.config.source.kind.value,
            pid=self._proc.pid,
        )
        try:
            return self._proc.wait()
        finally:
            if self._proc.poll() is None:
                self._proc.kill()
                self._proc.wait()

    def _tail(self, key: str) -> str:
        """The end of ffmpeg's output, with the key (it appears in URLs) redacted."""
        try:
            text = self._log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return text[-1000:].replace(key, "***")


class SourceSupervisor:
    """Reconciles runners with the registry: one per enabled managed stream."""

    def __init__(
        self,
        registry: StreamRegistry,
        keys: SourceKeys,
        *,
        ffmpeg: str,
        rtmp_url: str,
        log_dir: Path,
        policy: SourcePolicy,
        max_backoff: float = 60.0,
        report: Reporter = lambda _report: None,
    ) -> None:
        self._registry = registry
        self._report = report
        self._policy = policy
        self._keys = keys
        self._ffmpeg = ffmpeg
        self._rtmp_url = rtmp_url
        self._log_dir = log_dir
        self._max_backoff = max_backoff
        self._runners: dict[str, SourceRunner] = {}
        self._lock = threading.Lock()

    def reconcile(self) -> None:
        """Start runners for newly enabled sources, stop those disabled, changed or deleted."""
        wanted = {
            c.stream_id: c
            for c in self._registry.all()
            if c.enabled and c.source.kind in MANAGED_KINDS
        }
        with self._lock:
            for stream_id, runner in list(self._runners.items()):
                config = wanted.get(stream_id)
                if config is None or config.source != runner.config.source:
                    runner.stop()
                    del self._runners[stream_id]
            for stream_id, config in wanted.items():
                if stream_id not in self._runners:
                    runner = SourceRunner(
                        config,
                        self._keys,
                        ffmpeg=self._ffmpeg,
                        rtmp_url=self._rtmp_url,
                        log_dir=self._log_dir,
                        max_backoff=self._max_backoff,
                        policy=self._policy,
                        report=self._report,
                    )
                    runner.start()
                    self._runners[stream_id] = runner

    def stop(self) -> None:
        """Stop every runner (their ffmpeg hang up, nginx reports the publishes done)."""
        with self._lock:
            for runner in self._runners.values():
                runner.stop()
            self._runners.clear()
