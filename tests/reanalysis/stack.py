"""A reanalysis stack for one isolated test: results-api (API + materializer), the live
logo detector and its replay worker as real processes; a stream stored the way ingest stores
one (segments in MinIO, SegmentReady on Kafka), driven through the real API."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, text
from sqlmodel import Session

from sightline_analysis.frames import Image
from sightline_analysis.scenario import Scenario
from sightline_analysis.synthetic import Placement, background, composite, make_logo, write_ts
from sightline_common.topics import Topic
from sightline_devstack.ports import ephemeral_port
from sightline_results_api.db import make_engine
from sightline_results_api.runtime import build_publisher
from sightline_results_api.settings import ResultsApiSettings
from sightline_results_api.tokens import issue_token
from sightline_testkit.kafka import wait_caught_up
from sightline_testkit.plugin import Isolated
from sightline_testkit.processes import ChildProcess

SIZE = (640, 360)  # the replay logic does not depend on resolution; the CPU cost does
SEGMENT_S = 2.0
ACME = make_logo("ACME", seed=1)
ZENITH = make_logo("ZENITH", seed=2)
ACME_AT = Placement(centre=(170, 110), width=150, angle=6)
ZENITH_AT = Placement(centre=(470, 240), width=160, angle=-8)


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """`condition()`'s first truthy value, polled until `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    raise TimeoutError(what)


def clip(tmp: Path, name: str, logos: list[tuple[Image, Placement]]) -> bytes:
    """A 2 s 360p segment (15 fps to spare the CPU) with `logos` composited on a background."""
    frame = background(7, SIZE)
    for logo, place in logos:
        frame, _ = composite(frame, logo, place)
    return write_ts([frame] * 30, tmp / f"{name}.ts", fps=15).read_bytes()


@dataclass
class ReanalysisStack:
    """The processes and the API client of one test."""

    iso: Isolated
    api: httpx.Client
    stream_id: str
    scenario: Scenario
    db: Engine
    materializer_group: str  # results-api's, on the broker
    children: dict[str, ChildProcess] = field(default_factory=dict)

    @classmethod
    def start(cls, iso: Isolated, *, live_detector: bool) -> ReanalysisStack:
        """results-api (migrates, serves, materializes), then a token (issued in-process, as
        the operator CLI issues one: its own process cost ~1.2 CPU-s, and the CLI is not what
        this tests) and a stream through the API, then the detectors."""
        api_port = ephemeral_port()
        api = iso.spawn("sightline_results_api", "serve", SIGHTLINE_HTTP_PORT=str(api_port))
        api.wait_http_ok(f"http://127.0.0.1:{api_port}/readyz", timeout=90)
        settings = ResultsApiSettings.model_validate(
            {k.removeprefix("SIGHTLINE_").lower(): v for k, v in iso.env.items()}
        )
        db = make_engine(settings)
        with Session(db) as session:
            _record, token = issue_token(session, build_publisher(settings), "t")
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{api_port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        created = client.post(
            "/api/streams",
            json={
                "name": "stored",
                "source": {"kind": "test"},
                "policy": {"detectors": ["logo"], "sample_fps": 1},
            },
        )
        assert created.status_code == 201, created.text
        stack = cls(
            iso,
            client,
            created.json()["id"],
            Scenario(iso.settings()),
            db,
            iso.topics.group(settings.materializer_group),
        )
        stack.children["api"] = api
        if live_detector:
            stack.children["live"] = stack._detector()
        stack.children["replay"] = stack._detector("replay")
        return stack

    def _detector(self, *mode: str) -> ChildProcess:
        port = ephemeral_port()
        args = (*mode, "--port", str(port)) if mode else ()
        child = self.iso.spawn(
            "sightline_detector_logo",
            *args,
            SIGHTLINE_HTTP_PORT=str(port),
            SIGHTLINE_REPLAY_NICE="0",
        )
        child.wait_http_ok(f"http://127.0.0.1:{port}/readyz", timeout=120)
        return child

    def store(self, segments: list[bytes]) -> None:
        """Store and announce `segments` as the stream's 0..n-1 (2 s each)."""
        for sequence, data in enumerate(segments):
            self.scenario.add_segment(self.stream_id, sequence, data, SEGMENT_S)

    def count(self, sql: str, **params: Any) -> int:
        """One number from results-api's tables (the test's schema)."""
        with self.db.connect() as conn:
            return int(conn.execute(text(sql), {"stream": self.stream_id, **params}).scalar_one())

    def covered(self, run_id: str) -> int:
        """Segments of the stream the run has a Detection for, as materialized."""
        return self.count(
            "SELECT count(DISTINCT segment_sequence) FROM analysed_segments "
            "WHERE stream_id = :stream AND run_id = :run",
            run=run_id,
        )

    def materialized(self) -> None:
        """Wait until results-api has stored every Detection published so far (its materializer
        committed the whole topic): a count read after this is not still growing."""
        wait_caught_up(
            self.iso.bootstrap, self.materializer_group, self.iso.topics.name(Topic.DETECTIONS)
        )

    def run(self, start: float, end: float, config: dict[str, Any] | None = None) -> str:
        """Start a logo reanalysis of [start, end); returns its run id."""
        response = self.api.post(
            "/api/reanalysis",
            json={"stream_id": self.stream_id, "from": start, "to": end,
                  "detectors": ["logo"], "config": config or {}},
        )  # fmt: skip
        assert response.status_code == 202, response.text
        return str(response.json()["run_id"])

    def close(self) -> None:
        """Close the client and the database pool (processes stop with the test)."""
        self.api.close()
        self.db.dispose()

    def status(self, run_id: str) -> dict[str, Any]:
        """GET /api/reanalysis/{run_id}."""
        response = self.api.get(f"/api/reanalysis/{run_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())
