"""The results contract round-trips and the report marks targets met, missed or not measured.

The report (matplotlib, ~0.6 CPU-s to import) is imported by the one test that renders it, not at
collection, which every xdist worker of `make test` does."""

import math
from pathlib import Path

from sightline_benchkit import BenchResults, load


def test_a_figure_compares_with_its_target_both_ways() -> None:
    results = BenchResults("x", "X")
    more = results.figure("a", 3.0, "streams", target=6.0)
    less = results.figure("b", 0.5, "s", target=1.0, comparison="<=")
    bare = results.figure("c", 1.0)
    nan = results.figure("d", math.nan, target=1.0)
    assert (more.met, round(more.margin or 0, 3)) == (False, -0.5)
    assert (less.met, round(less.margin or 0, 3)) == (True, 0.5)
    assert bare.met is None
    assert bare.margin is None
    assert nan.met is None


def test_results_round_trip_through_json(tmp_path: Path) -> None:
    results = BenchResults("sink", "Sink", params={"messages": 10})
    results.figure("rate", 25000, "rows/s", target=20000, explained_by=["stages"])
    results.breakdown("stages", {"batch": {"copy": 0.2, "commit": 0.1}}, "s")
    results.add_series("lat", [1, 2], {"p95": [0.4, 0.9]}, x_label="streams", y_label="s")
    results.attach("profile", "hot lines")
    back = load(results.write(tmp_path))
    assert back.figures == results.figures
    assert back.breakdowns == results.breakdowns
    assert back.series == results.series
    assert back.attachments == {"profile": "hot lines"}
    assert back.params == {"messages": 10}


def test_the_report_marks_targets_and_explains_a_miss(tmp_path: Path) -> None:
    results = BenchResults("analysis", "Detector benchmark")
    results.figure("capacity.logo.streams", 2.5, "streams", target=6.0, explained_by=["cpu"])
    results.figure("quality.precision", 1.0, target=0.95)
    results.breakdown("cpu", {"detector-logo": {"decode": 0.05, "logo": 0.75}}, "CPU-s")
    results.write(tmp_path / "results")
    (tmp_path / "runs.tsv").write_text("libs/analysis/bench/analysis_bench.py\t0\t12.5\n")
    from sightline_benchkit.report import main  # noqa: PLC0415 - see the module docstring

    assert main(["--results", str(tmp_path / "results"), "--out", str(tmp_path)]) == 0

    report = (tmp_path / "report.md").read_text()
    assert "| ≥ 6 concurrent 720p30 streams analysed live | 2.5 streams |" in report
    assert "❌ missed by 58%" in report
    assert "✅ met (5% margin)" in report
    assert "| reanalysis ≥ 10x real time | — | — | — | not measured | `reanalysis` |" in report
    assert "### ≥ 6 concurrent 720p30 streams analysed live" in report
    assert (tmp_path / "targets.png").stat().st_size > 0
    assert (tmp_path / "analysis-breakdown-cpu.png").stat().st_size > 0
