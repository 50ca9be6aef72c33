"""Sink throughput: the materializer's batch sink (COPY + INSERT ... ON CONFLICT, one
transaction per batch) against a naive row-by-row sink (one INSERT and commit per row), on the
same synthetic detections in the same run.

    .venv/bin/python services/results-api/bench/sink_throughput.py   (needs `make up`)
"""

from __future__ import annotations

import os
import time

# The script's folder is on sys.path when run as a file, as `make bench` does.
from _common import MessageRows, scratch_engine, synthetic_rows
from sqlalchemy import text

from sightline_benchkit import BenchResults
from sightline_results_api.rows import DETECTION_COLUMNS, RowBatch
from sightline_results_api.sink import DETECTIONS, BatchSink

MESSAGES = int(os.environ.get("BENCH_SINK_MESSAGES", "4000"))
NAIVE_MESSAGES = int(os.environ.get("BENCH_SINK_NAIVE_MESSAGES", "500"))
BATCH = 500


def batch_sink(messages: list[MessageRows]) -> float:
    """Seconds to write `messages` through BatchSink in consumer-sized batches (each message's
    analysed-segment row with its detections, as the materializer writes them)."""
    with scratch_engine("batch") as engine:
        sink = BatchSink(engine)
        started = time.perf_counter()
        for start in range(0, len(messages), BATCH):
            batch = RowBatch()
            for message in messages[start : start + BATCH]:
                message.add_to(batch)
            sink.write(batch)
        elapsed = time.perf_counter() - started
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM detections")).scalar_one()
        if stored != sum(len(m.detections) for m in messages):
            raise RuntimeError(f"the batch sink stored {stored} detection rows, not all of them")
        return elapsed


def naive_sink(messages: list[MessageRows]) -> float:
    """Seconds to write `messages` one INSERT (and one commit) per row, as a naive sink would."""
    columns = ", ".join(DETECTION_COLUMNS)
    marks = ", ".join(["%s"] * len(DETECTION_COLUMNS))
    sql = (
        f"INSERT INTO detections ({columns}) VALUES ({marks}) "  # noqa: S608 - constants
        "ON CONFLICT (event_id, item_index) DO NOTHING"
    )
    with scratch_engine("naive") as engine:
        pooled = engine.raw_connection()
        conn = pooled.driver_connection
        assert conn is not None  # a checked-out pool connection holds its driver connection
        started = time.perf_counter()
        for message in messages:
            for row in DETECTIONS.adapt(message.detections):
                with conn.cursor() as cur:
                    cur.execute(sql, row)
                conn.commit()
        elapsed = time.perf_counter() - started
        pooled.close()
        return elapsed


def main() -> None:
    """Print detections/s and rows/s for both sinks, and nproc."""
    messages = synthetic_rows("bench", MESSAGES)
    rows_per_message = len(messages[0].detections)
    batch_s = batch_sink(messages)
    naive_messages = messages[:NAIVE_MESSAGES]
    naive_s = naive_sink(naive_messages)
    batch_rate = len(messages) * rows_per_message / batch_s
    naive_rate = len(naive_messages) * rows_per_message / naive_s
    print(f"nproc: {os.cpu_count()}")
    print(f"rows per Detection message: {rows_per_message} (one row per result item)")
    print(
        f"batch sink (COPY + ON CONFLICT, {BATCH} msgs/txn): {len(messages)} messages in "
        f"{batch_s:.2f}s = {len(messages) / batch_s:,.0f} messages/s, "
        f"{batch_rate:,.0f} detection rows/s"
    )
    print(
        f"naive sink (INSERT + commit per row): {len(naive_messages)} messages in {naive_s:.2f}s = "
        f"{len(naive_messages) / naive_s:,.0f} messages/s, {naive_rate:,.0f} detection rows/s"
    )
    print(f"speed-up: {batch_rate / naive_rate:.1f}x")
    results = BenchResults(
        "sink_throughput",
        "Results sink: batch (COPY + ON CONFLICT) against naive row-by-row",
        source=__file__,
        params={"messages": len(messages), "naive_messages": NAIVE_MESSAGES, "batch": BATCH},
    )
    note = f"{rows_per_message} detection rows (result items) per Detection message"
    results.figure(
        "batch.rows_per_s",
        batch_rate,
        "rows/s",
        label="batch sink, detection rows/s",
        target=20_000,
        notes=note,
    )
    results.figure("naive.rows_per_s", naive_rate, "rows/s", label="naive sink, detection rows/s")
    results.figure(
        "batch.speedup", batch_rate / naive_rate, "x", label="batch / naive", target=20.0
    )
    results.write()


if __name__ == "__main__":
    main()
