"""Shared set-up for the results-api benchmarks: a throwaway schema and synthetic detections."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from sqlalchemy import Engine

from sightline_common.messages import (
    Box,
    Detection,
    DetectorInfo,
    ExecutorInfo,
    ExecutorKind,
    FrameResult,
    ResultItem,
    SegmentRef,
    Timings,
)
from sightline_results_api.db import libpq_url, make_engine
from sightline_results_api.migrate import upgrade
from sightline_results_api.rows import Row, RowBatch, analysed_row, detection_rows
from sightline_results_api.settings import ResultsApiSettings

BRANDS = ("acme", "globex", "initech", "umbrella", "hooli")


def platform_settings(schema: str) -> ResultsApiSettings:
    """Settings from the running platform's env file (or the environment), on `schema`."""
    env_file = Path(__file__).resolve().parents[3] / ".state" / "platform.env"
    values: dict[str, str] = {}
    if env_file.exists():
        for line in env_file.read_text().splitlines():
            if line.startswith("SIGHTLINE_") and "=" in line:
                key, value = line.split("=", 1)
                values[key.removeprefix("SIGHTLINE_").lower()] = value
    values.update(
        {
            k.removeprefix("SIGHTLINE_").lower(): v
            for k, v in os.environ.items()
            if k.startswith("SIGHTLINE_")
        }
    )
    values["database_schema"] = schema
    return ResultsApiSettings.model_validate(values)


@contextmanager
def scratch_engine(tag: str) -> Iterator[Engine]:
    """A migrated engine on a fresh schema, dropped afterwards."""
    schema = f"bench_{tag}_{uuid.uuid4().hex[:8]}"
    settings = platform_settings(schema)
    engine = make_engine(settings)
    upgrade(engine, schema)
    try:
        yield engine
    finally:
        engine.dispose()
        with psycopg.connect(libpq_url(settings.database_url), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@dataclass(frozen=True)
class MessageRows:
    """One Detection message as the sink stores it: its `analysed_segments` row (without it
    the sink keeps none of the message's detections) and its detection rows."""

    analysed: Row
    detections: list[Row]

    def add_to(self, batch: RowBatch) -> None:
        """Append both to `batch`."""
        batch.analysed.append(self.analysed)
        batch.detections.extend(self.detections)


def synthetic_rows(
    stream_id: str, segments: int, frames: int = 4, per_frame: int = 3
) -> list[MessageRows]:
    """Per Detection message (one per segment), its rows: frames x per_frame logo items."""
    out = []
    now = datetime.now(UTC)
    for seq in range(segments):
        detection = Detection(
            stream_id=stream_id,
            segment=SegmentRef(
                sequence=seq,
                bucket="b",
                object_key=f"{seq}.ts",
                media_start=seq * 2.0,
                duration=2.0,
            ),
            run_id="live",
            detector=DetectorInfo(name="logo", version="1", config_hash="c"),
            executor=ExecutorInfo(kind=ExecutorKind.local, latency_ms=1.0),
            frames=[
                FrameResult(
                    media_ts=seq * 2.0 + f * (2.0 / frames),
                    results=[
                        ResultItem(
                            kind="logo",
                            label=BRANDS[(seq + i) % len(BRANDS)],
                            confidence=0.8,
                            box=Box(x=0.1, y=0.1, w=0.2, h=0.2),
                            area_share=0.04,
                        )
                        for i in range(per_frame)
                    ],
                )
                for f in range(frames)
            ],
            timings=Timings(total_ms=1.0),
        )
        event_id = str(uuid.uuid4())
        out.append(
            MessageRows(
                analysed_row(event_id, now, detection), detection_rows(event_id, now, detection)
            )
        )
    return out
