"""Fixtures for results-api tests: message factories and a migrated engine per isolated test."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from sightline_common.envelope import deterministic_event_id, wrap
from sightline_common.messages import (
    Box,
    Detection,
    DetectorInfo,
    Envelope,
    ExecutorInfo,
    ExecutorKind,
    FrameResult,
    ResultItem,
    SegmentRef,
    Timings,
)
from sightline_common.storage import ObjectStore
from sightline_results_api.api.app import create_app
from sightline_results_api.api.deps import AppContext
from sightline_results_api.db import make_engine
from sightline_results_api.events import StatePublisher
from sightline_results_api.migrate import upgrade
from sightline_results_api.readiness import CachedReadiness, database_answers
from sightline_results_api.rows import RowBatch, analysed_row, detection_rows
from sightline_results_api.runtime import build_publisher
from sightline_results_api.settings import ResultsApiSettings
from sightline_results_api.sink import BatchSink
from sightline_results_api.tokens import issue_token
from sightline_testkit.plugin import Isolated

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """results-api's tests read and write one stream or a few, in one process per role, and none
    is about partitions: their topic sets get one partition per topic (~0.4 CPU-s less of the
    shared broker each; testkit's `topic_partitions`)."""
    for item in items:
        if item.path.is_relative_to(_HERE):
            item.add_marker(pytest.mark.topic_partitions(1))


def build_detection(
    stream_id: str,
    sequence: int,
    *,
    labels: tuple[str, ...] = ("acme", "globex"),
    frames: int = 2,
    duration: float = 2.0,
    run_id: str = "live",
    kind: str = "logo",
    detector: str = "logo",
    config_hash: str = "abc",
) -> Envelope:
    """A Detection envelope for one segment, with a deterministic event id (which, as the
    detectors' ids do, changes with the configuration hash)."""
    span = duration / frames
    frame_results = [
        FrameResult(
            media_ts=sequence * duration + f * span,
            results=[
                ResultItem(
                    kind=kind,
                    label=label,
                    confidence=0.9,
                    box=Box(x=0.1 * i, y=0.1, w=0.2, h=0.1),
                    area_share=0.02 * (i + 1),
                )
                for i, label in enumerate(labels)
            ],
        )
        for f in range(frames)
    ]
    detection = Detection(
        stream_id=stream_id,
        segment=SegmentRef(
            sequence=sequence,
            bucket="b",
            object_key=f"streams/{stream_id}/{sequence}.ts",
            media_start=sequence * duration,
            duration=duration,
        ),
        run_id=run_id,
        detector=DetectorInfo(name=detector, version="1.0.0", config_hash=config_hash),
        executor=ExecutorInfo(kind=ExecutorKind.local, latency_ms=12.0),
        frames=frame_results,
        timings=Timings(total_ms=20.0),
    )
    return wrap(
        detection,
        key=stream_id,
        producer="test",
        event_id=deterministic_event_id(
            "detection", stream_id, sequence, run_id, kind, config_hash
        ),
    )


@pytest.fixture
def detection_factory() -> Callable[..., Envelope]:
    """Builds Detection envelopes (see `build_detection`)."""
    return build_detection


@pytest.fixture
def api_settings(isolated: Isolated) -> ResultsApiSettings:
    """results-api settings for the isolated test (own topics, buckets, schema)."""
    return ResultsApiSettings.model_validate(
        {k.removeprefix("SIGHTLINE_").lower(): v for k, v in isolated.env.items()}
    )


@pytest.fixture
def engine(api_settings: ResultsApiSettings) -> Iterator[Engine]:
    """An engine on the test's schema, migrated to head."""
    engine = make_engine(api_settings)
    upgrade(engine, api_settings.database_schema)
    yield engine
    engine.dispose()


@pytest.fixture
def publisher(api_settings: ResultsApiSettings) -> StatePublisher:
    """The state publisher results-api uses, on the isolated topics."""
    return build_publisher(api_settings)


@pytest.fixture
def token(engine: Engine, publisher: StatePublisher) -> str:
    """A live API token."""
    with Session(engine) as session:
        _record, value = issue_token(session, publisher, "test")
    return value


@pytest.fixture
def client(
    api_settings: ResultsApiSettings, engine: Engine, publisher: StatePublisher, token: str
) -> Iterator[TestClient]:
    """The API in-process, over the real database, Kafka and MinIO, authenticated."""
    context = AppContext(
        settings=api_settings,
        engine=engine,
        publisher=publisher,
        store=ObjectStore.from_settings(api_settings),
        ready=CachedReadiness(database_answers(engine)),
    )
    with TestClient(create_app(context)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {token}"
        yield test_client


@pytest.fixture
def store_detections(engine: Engine) -> Callable[[list[Envelope]], None]:
    """Writes Detection envelopes straight through the sink (no Kafka), for API tests."""

    def write(envelopes: list[Envelope]) -> None:
        batch = RowBatch()
        for envelope in envelopes:
            detection = Detection.model_validate(envelope.payload)
            batch.detections.extend(
                detection_rows(str(envelope.event_id), envelope.occurred_at, detection)
            )
            batch.analysed.append(
                analysed_row(str(envelope.event_id), envelope.occurred_at, detection)
            )
        BatchSink(engine).write(batch)

    return write


@pytest.fixture
def new_stream(client: TestClient) -> str:
    """The id of a stream registered through the API."""
    response = client.post("/api/streams", json={"name": "cam", "source": {"kind": "test"}})
    assert response.status_code == 201
    return str(response.json()["id"])


@pytest.fixture
def sightline_cli(isolated: Isolated) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs the operator CLI as operators (and `make run`) do: a process with the test's env.

    A subprocess, not `cli.main` in-process: the CLI configures logging for its process, which
    must not leak into the test process's other tests.
    """

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done: subprocess.CompletedProcess[str] = isolated.run("sightline_results_api.cli", *args)
        if ok:
            assert done.returncode == 0, done.stderr
        return done

    return run
