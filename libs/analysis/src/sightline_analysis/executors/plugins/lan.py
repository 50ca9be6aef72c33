"""LAN executor: the same analyzers served over HTTP by `executor` processes on other hosts.

Hosts are used round-robin; a host that fails is skipped for `retry_down_after` seconds and
then health-checked before it gets work again, so a dead host costs one failed call, not one
per segment.
"""

from __future__ import annotations

import threading
import time
from typing import Literal

import httpx
from pydantic import Field

from sightline_analysis.analyzers import AnalyzerSet, LateResult
from sightline_analysis.executors.base import (
    AnalysisCall,
    Executor,
    ExecutorAnswer,
    ExecutorConfig,
    ExecutorFailedError,
    check_shape,
)
from sightline_analysis.executors.lan_protocol import (
    ANALYZE_PATH,
    AnalyzeRequest,
    AnalyzeResponse,
    WireFrame,
)
from sightline_analysis.wire import encode_image
from sightline_common.messages import ExecutorKind


class LanConfig(ExecutorConfig):
    """Executor hosts (`host:port` or URLs, `https://` for TLS), the shared secret they ask for,
    the CA file that signed their certificates (else the system's), per-call timeout and
    down-host back-off."""

    type: Literal["lan"] = "lan"
    hosts: list[str] = Field(default_factory=list)
    secret: str = ""
    ca_file: str = ""
    timeout: float = 10.0
    retry_down_after: float = 5.0
    jpeg_quality: int = 92


def base_url(host: str) -> str:
    """`http://host:port` for a bare `host:port`."""
    return host.rstrip("/") if "://" in host else f"http://{host}"


class LanExecutor(Executor):
    """Posts the frame batch to the next healthy host."""

    kind = ExecutorKind.lan
    config_model = LanConfig

    def __init__(self, config: ExecutorConfig, analyzers: AnalyzerSet) -> None:
        super().__init__(config, analyzers)
        assert isinstance(config, LanConfig)
        self._cfg = config
        self._hosts = [base_url(h) for h in config.hosts]
        self._client = httpx.Client(
            timeout=config.timeout,
            verify=config.ca_file or True,
            headers={"authorization": f"Bearer {config.secret}"},
        )
        self._next = 0
        self._down_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def unusable_because(self) -> str | None:
        """No host to send frames to, or no secret to present to them."""
        if not self._hosts:
            return "no LAN executor hosts configured"
        return None if self._cfg.secret else "no LAN executor secret configured"

    def run(self, call: AnalysisCall) -> ExecutorAnswer:
        """Results from the first host in rotation that answers."""
        if not self._hosts:
            raise ExecutorFailedError("no LAN executor hosts configured")
        request = AnalyzeRequest(
            stream_id=call.stream_id,
            analyzers=self.analyzers.keys,
            frames=[
                WireFrame(offset=f.offset, image=encode_image(f.image, self._cfg.jpeg_quality))
                for f in call.frames
            ],
        )
        body = request.model_dump_json()
        failures: list[str] = []
        for host in self._rotation():
            if not self._usable(host):
                failures.append(f"{host}: down")
                continue
            try:
                answer = self._post(host, body)
            except (httpx.HTTPError, ValueError) as exc:
                self._mark_down(host)
                failures.append(f"{host}: {type(exc).__name__}: {exc}")
                continue
            check_shape(answer.results, call.frames, host)
            late = [LateResult(each.ago, each.item) for each in answer.late]
            return ExecutorAnswer(answer.results, host=answer.host, late=late)
        raise ExecutorFailedError("no LAN host answered: " + "; ".join(failures))

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def _post(self, host: str, body: str) -> AnalyzeResponse:
        response = self._client.post(
            host + ANALYZE_PATH, content=body, headers={"content-type": "application/json"}
        )
        response.raise_for_status()
        return AnalyzeResponse.model_validate_json(response.content)

    def _rotation(self) -> list[str]:
        with self._lock:
            start = self._next
            self._next = (self._next + 1) % len(self._hosts)
        return self._hosts[start:] + self._hosts[:start]

    def _usable(self, host: str) -> bool:
        until = self._down_until.get(host)
        if until is None:
            return True
        if time.monotonic() < until:
            return False
        try:
            healthy = self._client.get(host + "/healthz", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            healthy = False
        if healthy:
            self._down_until.pop(host, None)
        else:
            self._mark_down(host)
        return healthy

    def _mark_down(self, host: str) -> None:
        self._down_until[host] = time.monotonic() + self._cfg.retry_down_after
