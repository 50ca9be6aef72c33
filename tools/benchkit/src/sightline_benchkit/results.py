"""The results contract: what one benchmark run writes for the report, beside what it prints.

Each benchmark builds one `BenchResults`, adds figures (a value, its unit, optionally a target),
breakdowns (where the time goes), series (a figure against a load level) and text attachments
(a profile), then `write()`s `<results dir>/<name>.json`. The folder is `$SIGHTLINE_BENCH_RESULTS`
when set (`make bench` sets it), else `bench-report/results` under the working directory.
The JSON layout is versioned by `SCHEMA_VERSION`; `load()` reads it back for the report.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

SCHEMA_VERSION = 1
Comparison = Literal[">=", "<="]


def results_dir() -> Path:
    """Where results files go: `$SIGHTLINE_BENCH_RESULTS`, else ./bench-report/results."""
    configured = os.environ.get("SIGHTLINE_BENCH_RESULTS")
    return Path(configured) if configured else Path.cwd() / "bench-report" / "results"


@dataclass(frozen=True)
class Figure:
    """One measured number. With a target, `met` and `margin` say how it compares.

    `name` is stable (the report's checklist refers to it); `label` is for people. `explained_by`
    names breakdowns or attachments of the same results file that show where its time goes.
    """

    name: str
    label: str
    value: float
    unit: str = ""
    target: float | None = None
    comparison: Comparison = ">="
    nproc: int = field(default_factory=lambda: os.cpu_count() or 1)
    notes: str = ""
    explained_by: tuple[str, ...] = ()

    @property
    def met(self) -> bool | None:
        """True/False against the target; None when there is no target or no value."""
        if self.target is None or self.value != self.value:  # NaN: not measured
            return None
        return self.value >= self.target if self.comparison == ">=" else self.value <= self.target

    @property
    def ratio(self) -> float | None:
        """value / target (for a "<=" target too: 3.0 means three times the limit)."""
        if self.target is None or self.target == 0 or self.value != self.value:
            return None
        return self.value / self.target

    @property
    def score(self) -> float | None:
        """How many times the target is reached, higher is better: the ratio, inverted for
        "<=" targets. 1.0 = exactly on target."""
        ratio = self.ratio
        if ratio is None or (self.comparison == "<=" and ratio == 0):
            return None
        return ratio if self.comparison == ">=" else 1.0 / ratio

    @property
    def margin(self) -> float | None:
        """How far from the target as a share of it: +0.25 = 25 % better, -0.4 = 40 % short."""
        if self.met is None or self.target is None or self.target == 0:
            return None
        if self.comparison == ">=":
            return self.value / self.target - 1.0
        return 1.0 - self.value / self.target


@dataclass(frozen=True)
class Breakdown:
    """Where time goes: for each row (a configuration, a stage path), its parts in `unit`."""

    name: str
    label: str
    unit: str
    rows: dict[str, dict[str, float]]
    notes: str = ""


@dataclass(frozen=True)
class Series:
    """Curves over a load level: `x` values and, per curve name, one y value for each x."""

    name: str
    label: str
    x_label: str
    y_label: str
    x: list[float]
    curves: dict[str, list[float]]
    target: float | None = None
    notes: str = ""


@dataclass
class BenchResults:
    """Everything one benchmark run reports; `write()` saves it as JSON."""

    name: str
    title: str
    source: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    breakdowns: list[Breakdown] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    attachments: dict[str, str] = field(default_factory=dict)
    nproc: int = field(default_factory=lambda: os.cpu_count() or 1)
    host: str = field(default_factory=platform.node)
    # Taken by write(): the 1/5/15-minute load averages then also describe the run before it.
    load_avg: tuple[float, float, float] = (math.nan, math.nan, math.nan)
    written_at: float = math.nan

    def figure(
        self,
        name: str,
        value: float,
        unit: str = "",
        *,
        label: str | None = None,
        target: float | None = None,
        comparison: Comparison = ">=",
        notes: str = "",
        explained_by: Sequence[str] = (),
    ) -> Figure:
        """Record a figure (and return it, e.g. to print its status)."""
        figure = Figure(
            name=name,
            label=label or name,
            value=float(value),
            unit=unit,
            target=target,
            comparison=comparison,
            nproc=self.nproc,
            notes=notes,
            explained_by=tuple(explained_by),
        )
        self.figures.append(figure)
        return figure

    def breakdown(
        self,
        name: str,
        rows: Mapping[str, Mapping[str, float]],
        unit: str,
        *,
        label: str | None = None,
        notes: str = "",
    ) -> None:
        """Record a stage breakdown: rows of named parts (plotted as stacked bars)."""
        clean = {row: {k: float(v) for k, v in parts.items()} for row, parts in rows.items()}
        self.breakdowns.append(Breakdown(name, label or name, unit, clean, notes))

    def add_series(
        self,
        name: str,
        x: Sequence[float],
        curves: Mapping[str, Sequence[float]],
        *,
        x_label: str,
        y_label: str,
        label: str | None = None,
        target: float | None = None,
        notes: str = "",
    ) -> None:
        """Record curves against a load level (plotted as lines, the target as a dashed line)."""
        self.series.append(
            Series(
                name=name,
                label=label or name,
                x_label=x_label,
                y_label=y_label,
                x=[float(v) for v in x],
                curves={k: [float(v) for v in vs] for k, vs in curves.items()},
                target=target,
                notes=notes,
            )
        )

    def attach(self, name: str, text: str) -> None:
        """Attach text shown verbatim in the report (a profile, a log excerpt)."""
        self.attachments[name] = text

    def write(self, folder: Path | None = None) -> Path:
        """Save `<folder>/<name>.json` (folder: `results_dir()`); returns the path."""
        self.load_avg = os.getloadavg()
        self.written_at = time.time()
        if self.source and Path(self.source).is_absolute():
            with contextlib.suppress(ValueError):
                self.source = str(Path(self.source).relative_to(Path.cwd()))
        target = folder or results_dir()
        target.mkdir(parents=True, exist_ok=True)
        path = target / f"{self.name}.json"
        document = {"schema_version": SCHEMA_VERSION, **asdict(self)}
        path.write_text(json.dumps(document, indent=2, allow_nan=True) + "\n")
        return path


def load(path: Path) -> BenchResults:
    """Read a results file written by `BenchResults.write`."""
    raw = json.loads(path.read_text())
    version = raw.pop("schema_version", None)
    if version != SCHEMA_VERSION:
        raise ValueError(f"{path}: results schema {version}, expected {SCHEMA_VERSION}")
    raw["figures"] = [
        Figure(**{**f, "explained_by": tuple(f.get("explained_by", ()))}) for f in raw["figures"]
    ]
    raw["breakdowns"] = [Breakdown(**b) for b in raw["breakdowns"]]
    raw["series"] = [Series(**s) for s in raw["series"]]
    raw["load_avg"] = tuple(raw["load_avg"])
    return BenchResults(**raw)
