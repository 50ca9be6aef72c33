"""Exposure report latency: a 1-hour stream with ~100k logo detections (1,800 two-second
segments, 2 frames/s, up to 14 of 20 brands per frame, brands coming and going) reported the
way the API route does it, in-process: Postgres merges and measures the exposures, Python
scores, prices and serialises them to JSON. Target: < 1 s wall (Postgres's time included).

    .venv/bin/python services/results-api/bench/report_exposure.py   (needs `make up`)
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from _common import platform_settings, scratch_engine
from sqlalchemy import Engine, text
from sqlmodel import Session

from sightline_benchkit import BenchResults
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
from sightline_results_api.models import Stream
from sightline_results_api.report.build import ReportRequest, build_report, rules_from
from sightline_results_api.report.model import RateCardPublic
from sightline_results_api.report.pdf import render_pdf
from sightline_results_api.report.rate_cards import put_card
from sightline_results_api.rows import RowBatch, analysed_row, detection_rows
from sightline_results_api.runtime import build_publisher
from sightline_results_api.sink import BatchSink
from sightline_results_api.streams import StreamRegistry

SEGMENTS = int(os.environ.get("BENCH_REPORT_SEGMENTS", "1800"))  # 1 hour of 2-s segments
FRAMES = 4  # per segment: 2 frames/s
BRANDS = [f"brand-{i:02d}" for i in range(20)]
PER_FRAME = 14
RUNS = int(os.environ.get("BENCH_REPORT_RUNS", "7"))
STREAM = "bench-report"
TARGET_S = 1.0


def _items(seq: int, frame: int) -> list[ResultItem]:
    # Each brand is on for a while and off for a while (periods differ per brand), so the hour
    # holds thousands of exposures of varied length, a few of them too short to count.
    on = [b for i, b in enumerate(BRANDS) if (seq * FRAMES + frame) // (9 + i) % 4 != 0]
    return [
        ResultItem(
            kind="logo",
            label=brand,
            confidence=0.5 + 0.02 * i,
            box=Box(x=0.04 * i, y=0.05 * (i % 10), w=0.15, h=0.1),
            area_share=0.015,
            attributes={"logo_id": f"{brand}.png", "source": "image", "sharpness": 0.5 + 0.01 * i},
        )
        for i, brand in enumerate(on[:PER_FRAME])
    ]


def load(engine: Engine) -> int:
    """Write the hour of detections through the batch sink; returns the row count."""
    sink = BatchSink(engine)
    now = datetime.now(UTC)
    batch = RowBatch()
    for seq in range(SEGMENTS):
        detection = Detection(
            stream_id=STREAM,
            segment=SegmentRef(
                sequence=seq, bucket="b", object_key=f"{seq}.ts", media_start=seq * 2.0,
                duration=2.0,
            ),
            run_id="live",
            detector=DetectorInfo(name="logo", version="bench", config_hash="c"),
            executor=ExecutorInfo(kind=ExecutorKind.local, latency_ms=1.0),
            frames=[
                FrameResult(media_ts=seq * 2.0 + f * 2.0 / FRAMES, results=_items(seq, f))
                for f in range(FRAMES)
            ],
            timings=Timings(total_ms=1.0),
        )  # fmt: skip
        event_id = str(uuid.uuid4())  # its analysed-segment row: the sink keeps its detections
        batch.analysed.append(analysed_row(event_id, now, detection))
        batch.detections.extend(detection_rows(event_id, now, detection))
        if len(batch.detections) > 20_000:
            sink.write(batch)
            batch = RowBatch()
    sink.write(batch)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE detections"))
        return int(conn.execute(text("SELECT count(*) FROM detections")).scalar_one())


def _pid_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a local process has used: the Postgres backend serving us
    (`make up` runs Postgres on this machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    """Print rows, exposures and the report's wall and CPU time (p50, max over RUNS)."""
    with scratch_engine("report") as engine:
        rows = load(engine)
        settings = platform_settings("unused")
        with Session(engine) as session:
            session.add(
                Stream(id=STREAM, name="bench", key_hash=uuid.uuid4().hex, source_kind="test",
                       policy={}, created_at=datetime.now(UTC), updated_at=datetime.now(UTC))
            )  # fmt: skip
            session.commit()
            put_card(session, STREAM, RateCardPublic(currency="EUR", cost_per_30s=5000.0))
        publisher = build_publisher(settings)  # the registry's; a report publishes nothing
        walls, cpus, pg_cpus = [], [], []
        body = b""
        for _ in range(RUNS):
            with Session(engine) as session:
                registry = StreamRegistry(session, publisher, settings.source_policy())
                backend = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
                pg0 = _pid_cpu_s(backend)
                wall0, cpu0 = time.perf_counter(), time.process_time()
                doc = build_report(
                    session, registry, ReportRequest([STREAM], 0.0, 3600.0), rules_from(settings)
                )
                body = doc.model_dump_json().encode()
                walls.append(time.perf_counter() - wall0)
                cpus.append(time.process_time() - cpu0)
                pg_cpus.append(_pid_cpu_s(backend) - pg0)
        cpu0 = time.process_time()
        pdf = render_pdf(doc)
        pdf_cpu = time.process_time() - cpu0
    exposures = sum(b.exposures for b in doc.brands)
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    pg_cpu = statistics.median(pg_cpus)
    print(f"nproc: {os.cpu_count()}")
    print(f"rows: {rows:,} logo detections over {SEGMENTS * 2 / 3600:.2f} h, {exposures:,} "
          f"exposures, JSON {len(body) / 1e6:.1f} MB")  # fmt: skip
    print(f"report (query + exposures + quality + value + JSON): p50 wall {wall:.3f} s "
          f"(max {max(walls):.3f}), p50 CPU {cpu:.3f} s in this process; "
          f"target < {TARGET_S} s")  # fmt: skip
    print(f"Postgres backend CPU for the same: p50 {pg_cpu:.3f} s; report CPU in all "
          f"{cpu + pg_cpu:.3f} s (wall time includes waiting for busy cores)")  # fmt: skip
    print(f"PDF render: {pdf_cpu:.2f} CPU s, {len(pdf) / 1e3:.0f} kB")
    results = BenchResults(
        "report_exposure",
        "Exposure report over a 1-hour stream",
        source=__file__,
        params={"rows": rows, "exposures": exposures, "runs": RUNS},
    )
    results.figure("report.wall_s", wall, "s", label="exposure report JSON, 1 h / ~100k "
                   "detections: p50 wall", target=TARGET_S, comparison="<=")  # fmt: skip
    results.figure("report.cpu_s", cpu, "s", label="exposure report JSON: p50 CPU (API process)")
    results.figure("report.pg_cpu_s", pg_cpu, "s", label="exposure report: p50 Postgres CPU")
    results.figure("report.total_cpu_s", cpu + pg_cpu, "s", target=TARGET_S, comparison="<=",
                   label="exposure report JSON: p50 CPU, API + Postgres")  # fmt: skip
    results.figure("pdf.cpu_s", pdf_cpu, "s", label="exposure report PDF render: CPU")
    results.write()


if __name__ == "__main__":
    main()
