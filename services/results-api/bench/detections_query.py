"""Detections query latency with a large table: p50/p95 of `GET .../detections` pages (the
keyset query the API runs) over BENCH_QUERY_ROWS rows (default 1,000,000), loaded through the
batch sink.

    .venv/bin/python services/results-api/bench/detections_query.py   (needs `make up`)
"""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid

from _common import MessageRows, scratch_engine, synthetic_rows
from sqlalchemy import text
from sqlmodel import Session

from sightline_benchkit import BenchResults
from sightline_results_api.queries import DetectionFilter, detection_page
from sightline_results_api.rows import RowBatch
from sightline_results_api.sink import BatchSink

ROWS = int(os.environ.get("BENCH_QUERY_ROWS", "1000000"))
QUERIES = int(os.environ.get("BENCH_QUERY_COUNT", "300"))
ROWS_PER_MESSAGE = 12
STREAMS = 4


CHUNK = 2000  # messages per sink transaction while loading


def load(sink: BatchSink) -> float:
    """Load ROWS rows across STREAMS streams; returns the seconds the sink took.

    One chunk of messages is built once per stream and re-used, shifted in time and given new
    event ids, so building messages does not dominate the load.
    """
    messages_per_stream = ROWS // ROWS_PER_MESSAGE // STREAMS
    elapsed = 0.0
    for stream in range(STREAMS):
        template = synthetic_rows(f"stream-{stream}", CHUNK)
        for start in range(0, messages_per_stream, CHUNK):
            batch = RowBatch()
            for message in template[: min(CHUNK, messages_per_stream - start)]:
                _shift(message, start, str(uuid.uuid4())).add_to(batch)
            began = time.perf_counter()
            sink.write(batch)
            elapsed += time.perf_counter() - began
    return elapsed


def _shift(message: MessageRows, start: int, event_id: str) -> MessageRows:
    # Columns 0, 8 and 9 of DETECTION_COLUMNS: event_id, segment_sequence, media_ts; columns
    # 0, 3 and 4 of ANALYSED_COLUMNS: event_id, segment_sequence, media_start.
    a = message.analysed
    return MessageRows(
        (event_id, *a[1:3], a[3] + start, a[4] + start * 2.0, *a[5:]),
        [
            (event_id, *r[1:8], r[8] + start, r[9] + start * 2.0, *r[10:])
            for r in message.detections
        ],
    )


def main() -> None:
    """Print load time, table size and page-query p50/p95 (first pages and deep pages)."""
    with scratch_engine("query") as engine:
        load_s = load(BatchSink(engine))
        with engine.begin() as conn:
            conn.execute(text("ANALYZE detections"))
            total = conn.execute(text("SELECT count(*) FROM detections")).scalar_one()
        span = ROWS // ROWS_PER_MESSAGE // STREAMS * 2.0
        rng = random.Random(7)  # noqa: S311 - reproducible query mix, not security
        timings = []
        with Session(engine) as session:
            for _ in range(QUERIES):
                start = rng.uniform(0, span - 60)
                flt = DetectionFilter(
                    f"stream-{rng.randrange(STREAMS)}",
                    start=start,
                    end=start + 60,
                    label=rng.choice([None, "acme"]),
                )
                began = time.perf_counter()
                _rows, cursor = detection_page(session, flt, 100, None)
                if cursor is not None:
                    detection_page(session, flt, 100, cursor)
                timings.append((time.perf_counter() - began) * 1000 / 2)
        timings.sort()
        p50, p95 = statistics.median(timings), timings[int(len(timings) * 0.95) - 1]
        print(f"nproc: {os.cpu_count()}")
        print(f"rows: {total:,} (loaded in {load_s:.1f}s through the batch sink)")
        print(
            f"detections page (limit 100, 60 s range, optional label): {QUERIES * 2} queries, "
            f"p50 {p50:.2f} ms, p95 {p95:.2f} ms"
        )
    results = BenchResults(
        "detections_query",
        "Detections API query at 1M rows",
        source=__file__,
        params={"rows": total, "queries": QUERIES * 2},
    )
    page = "GET /api/streams/{id}/detections page (limit 100, 60 s range, optional label)"
    results.figure("page.p50_ms", p50, "ms", label=f"{page}: p50")
    results.figure("page.p95_ms", p95, "ms", label=f"{page}: p95", notes=f"{total:,} rows")
    results.figure("load.rows_per_s", total / load_s, "rows/s", label="bulk load via batch sink")
    results.write()


if __name__ == "__main__":
    main()
