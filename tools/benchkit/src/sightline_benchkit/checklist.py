"""The targets issue #9 sets, each pointing at the figure (bench name, figure name) that
measures it. Thresholds live with the figures (each bench knows its target); this list only
says which figure answers which line of the issue, so a missing bench shows as "not measured".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Claim:
    """One line of the issue's target list and where its figure comes from."""

    text: str
    bench: str
    figure: str


CHECKLIST: tuple[Claim, ...] = (
    Claim("≥ 6 concurrent 720p30 streams analysed live", "analysis", "capacity.logo.streams"),
    Claim("pipeline ≥ 0.7 x the decode-only ceiling", "analysis", "capacity.logo.vs_ceiling"),
    Claim("end-to-end latency p95 ≤ 1 s at one stream", "e2e_latency", "e2e.p95_s.one"),
    Claim("end-to-end latency p95 at capacity", "e2e_latency", "e2e.p95_s.capacity"),
    Claim("reanalysis ≥ 10x real time", "reanalysis", "reanalysis.speed_x"),
    Claim("sink ≥ 20k detections/s", "sink_throughput", "batch.rows_per_s"),
    Claim("sink ≥ 20x the naive sink", "sink_throughput", "batch.speedup"),
    Claim("API p95 at 1M rows", "detections_query", "page.p95_ms"),
    Claim("WebSocket fan-out at 1,000 clients (p95)", "ws_fanout", "latency.p95_ms"),
    Claim("detection quality: precision ≥ 0.95", "analysis", "quality.precision"),
    Claim("detection quality: recall ≥ 0.90", "analysis", "quality.recall"),
)
