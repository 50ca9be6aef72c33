"""`python -m sightline_benchkit.report`: every results file → `report.md` and PNG plots.

Reads `<results>/*.json` (see `results.py`) and, when `make bench` wrote it, `runs.tsv` (one
line per benchmark: script, exit code, seconds), and writes `report.md` beside the plots in the
output folder (default: the results folder's parent, `bench-report/`). The targets table follows
`checklist.CHECKLIST`; a missed target is followed by the breakdowns and profiles its figure
names in `explained_by`.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from sightline_benchkit import plots
from sightline_benchkit.checklist import CHECKLIST, Claim
from sightline_benchkit.results import BenchResults, Figure, load, results_dir


@dataclass(frozen=True)
class Run:
    """One benchmark script as `make bench` ran it."""

    script: str
    exit_code: int
    seconds: float


def main(argv: list[str] | None = None) -> int:
    """Write the report; prints where it is."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--results", type=Path, default=None, help="folder of results JSON")
    parser.add_argument("--out", type=Path, default=None, help="where report.md and PNGs go")
    args = parser.parse_args(argv)
    folder: Path = args.results or results_dir()
    out: Path = args.out or folder.parent
    out.mkdir(parents=True, exist_ok=True)
    benches = {r.name: r for r in (load(p) for p in sorted(folder.glob("*.json")))}
    runs = _runs(out / "runs.tsv")
    path = out / "report.md"
    path.write_text(render(benches, runs, out))
    print(f"report: {path} ({len(benches)} result files)")
    return 0


def render(benches: dict[str, BenchResults], runs: list[Run], out: Path) -> str:
    """The Markdown report; plots are written into `out` as it goes."""
    lines = _header(benches, runs)
    lines += _targets(benches, out)
    lines += _where_time_goes(benches, out)
    for bench in benches.values():
        lines += _bench_section(bench, out)
    lines += _runs_section(runs)
    return "\n".join(lines) + "\n"


def _header(benches: dict[str, BenchResults], runs: list[Run]) -> list[str]:
    nprocs = sorted({str(b.nproc) for b in benches.values()}) or ["?"]
    loads = [b.load_avg[1] for b in benches.values()]
    load_text = f"{min(loads):.1f} to {max(loads):.1f}" if loads else "?"
    failed = [r for r in runs if r.exit_code != 0]
    lines = [
        "# Sightline benchmark report",
        "",
        f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} at commit "
        f"`{_commit()}` on {', '.join(sorted({b.host for b in benches.values()})) or '?'}, "
        f"**{', '.join(nprocs)} cores** (`nproc`). Five-minute load average as each benchmark "
        f"finished: {load_text}. The machine is shared: figures are taken under that load.",
        "",
    ]
    if failed:
        names = ", ".join(f"`{r.script}` (exit {r.exit_code})" for r in failed)
        lines += [f"**Benchmarks that failed:** {names}; see `bench-report/logs/`.", ""]
    return lines


def _targets(benches: dict[str, BenchResults], out: Path) -> list[str]:
    lines = [
        "## Targets (issue #9)",
        "",
        "| target | measured | target | measured / target | status | bench |",
        "|---|---|---|---|---|---|",
    ]
    found: list[tuple[str, Figure]] = []
    for claim in CHECKLIST:
        figure = _find(benches, claim)
        if figure is None:
            lines.append(f"| {claim.text} | — | — | — | not measured | `{claim.bench}` |")
            continue
        found.append((claim.text, figure))
        short = f" ({figure.notes})" if 0 < len(figure.notes) <= 40 else ""
        lines.append(
            f"| {claim.text} | {_value(figure)}{short} | {_target(figure)} | {_ratio(figure)} | "
            f"{_status(figure)} | `{claim.bench}` |"
        )
    lines.append("")
    if any(f.margin is not None for _, f in found):
        plots.target_ratios(found, out / "targets.png")
        lines += ["![targets: measured / target](targets.png)", ""]
    return lines


def _where_time_goes(benches: dict[str, BenchResults], out: Path) -> list[str]:
    """For each missed target: the breakdowns and attachments its figure points at."""
    lines = ["## Where the time goes (missed targets)", ""]
    missed = 0
    shown: set[tuple[str, str]] = set()
    for claim in CHECKLIST:
        figure = _find(benches, claim)
        if figure is None or figure.met is not False:
            continue
        missed += 1
        bench = benches[claim.bench]
        lines += [f"### {claim.text}: {_status(figure)}", ""]
        if figure.notes:
            lines += [figure.notes, ""]
        for ref in figure.explained_by:
            if (bench.name, ref) in shown:
                lines += [f"*{ref}*: shown above.", ""]
                continue
            shown.add((bench.name, ref))
            lines += _explain(bench, ref, out)
    if not missed:
        lines += ["Every measured target is met.", ""]
    return lines


def _explain(bench: BenchResults, ref: str, out: Path) -> list[str]:
    for item in bench.breakdowns:
        if item.name == ref:
            image = plots.breakdown(item, out / _png(bench.name, "breakdown", item.name))
            table = _breakdown_table(item.rows, item.unit)
            return [f"**{item.label}** ({item.unit})", "", f"![{item.label}]({image.name})", "",
                    *table, *([item.notes, ""] if item.notes else [])]  # fmt: skip
    if ref in bench.attachments:
        return [f"**{ref}**", "", "```", bench.attachments[ref].rstrip(), "```", ""]
    return [f"(`{bench.name}` has no breakdown or attachment named `{ref}`)", ""]


def _breakdown_table(rows: dict[str, dict[str, float]], unit: str) -> list[str]:
    parts: list[str] = []
    for values in rows.values():
        parts += [p for p in values if p not in parts]
    lines = [f"| {unit} | {' | '.join(parts)} | total |", "|---" * (len(parts) + 2) + "|"]
    for row, values in rows.items():
        cells = " | ".join(_num(values.get(p, 0.0)) for p in parts)
        lines.append(f"| {row} | {cells} | {_num(sum(values.values()))} |")
    return [*lines, ""]


def _bench_section(bench: BenchResults, out: Path) -> list[str]:
    params = ", ".join(f"{k}={v}" for k, v in bench.params.items())
    lines = [
        f"## {bench.title}",
        "",
        f"`{bench.source}` · nproc {bench.nproc} · load average (1/5/15 min) at the end "
        f"{' / '.join(f'{v:.1f}' for v in bench.load_avg)}" + (f" · {params}" if params else ""),
        "",
        "| figure | value | per core | target | status | notes |",
        "|---|---|---|---|---|---|",
    ]
    for figure in bench.figures:
        per_core = f"{_num(figure.value / figure.nproc)} {figure.unit}" if _additive(figure) else ""
        notes = figure.notes.replace("|", "\\|").replace("\n", " ")
        lines.append(
            f"| {figure.label} | {_value(figure)} | {per_core} | {_target(figure)} | "
            f"{_status(figure)} | {notes} |"
        )
    lines.append("")
    for series in bench.series:
        image = plots.series(series, out / _png(bench.name, "series", series.name))
        lines += [f"![{series.label}]({image.name})", ""]
        if series.notes:
            lines += [series.notes, ""]
    for item in bench.breakdowns:
        image = plots.breakdown(item, out / _png(bench.name, "breakdown", item.name))
        lines += [f"![{item.label}]({image.name})", ""]
    for name, text in bench.attachments.items():
        lines += [f"<details><summary>{name}</summary>", "", "```", text.rstrip(), "```", "",
                  "</details>", ""]  # fmt: skip
    return lines


def _runs_section(runs: list[Run]) -> list[str]:
    if not runs:
        return []
    lines = ["## Runs", "", "| benchmark | exit | seconds |", "|---|---|---|"]
    lines += [f"| `{r.script}` | {r.exit_code} | {r.seconds:.0f} |" for r in runs]
    return [*lines, ""]


def _find(benches: dict[str, BenchResults], claim: Claim) -> Figure | None:
    bench = benches.get(claim.bench)
    if bench is None:
        return None
    return next((f for f in bench.figures if f.name == claim.figure), None)


def _additive(figure: Figure) -> bool:
    """Throughput-like figures make sense per core; latencies and shares do not."""
    return figure.unit.endswith("/s") or figure.unit == "streams"


def _value(figure: Figure) -> str:
    return f"{_num(figure.value)} {figure.unit}".strip()


def _target(figure: Figure) -> str:
    if figure.target is None:
        return "—"
    return f"{figure.comparison} {_num(figure.target)} {figure.unit}".strip()


def _ratio(figure: Figure) -> str:
    return "—" if figure.ratio is None else f"{figure.ratio:.2f}x"


def _status(figure: Figure) -> str:
    if figure.met is None:
        return "reported (no numeric target)" if figure.target is None else "not measured"
    margin = figure.margin or 0.0
    if figure.met:
        return f"✅ met ({margin:.0%} margin)"
    if figure.comparison == "<=":
        return f"❌ missed: {figure.ratio or 0:.2f}x the limit ({-margin:.0%} over)"
    return f"❌ missed by {-margin:.0%} (reaches {figure.ratio or 0:.2f}x of the target)"


def _num(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if abs(value) < 0.0005:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _png(bench: str, kind: str, name: str) -> str:
    safe = "".join(c if c.isalnum() else "_" for c in name)
    return f"{bench}-{kind}-{safe}.png"


def _runs(path: Path) -> list[Run]:
    if not path.exists():
        return []
    runs = []
    for line in path.read_text().splitlines():
        script, code, seconds = line.split("\t")
        runs.append(Run(script, int(code), float(seconds)))
    return runs


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or "?"


if __name__ == "__main__":
    raise SystemExit(main())
