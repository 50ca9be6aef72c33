"""Benchmark kit: the results contract every `make bench` benchmark writes, and its report.

    from sightline_benchkit import BenchResults
    results = BenchResults("sink_throughput", "Results sink throughput", source=__file__)
    results.figure("batch.rows_per_s", 31600, "rows/s", target=20000)
    results.write()            # bench-report/results/sink_throughput.json

`python -m sightline_benchkit.report` turns every results file into bench-report/report.md
with PNG plots.
"""

from sightline_benchkit.profiling import profile_top
from sightline_benchkit.progress import progress, wait_for_count, wait_with_progress
from sightline_benchkit.results import BenchResults, Breakdown, Figure, Series, load, results_dir

__all__ = [
    "BenchResults",
    "Breakdown",
    "Figure",
    "Series",
    "load",
    "profile_top",
    "progress",
    "results_dir",
    "wait_for_count",
    "wait_with_progress",
]
