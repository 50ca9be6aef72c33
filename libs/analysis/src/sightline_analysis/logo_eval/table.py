"""The printed results: tallies grouped per clip, per brand, per condition, and overall."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sightline_analysis.logo_eval.runner import ClipRun
from sightline_analysis.logo_eval.scoring import Tally, score_clip, total

_HEADER = (
    f"{'':<26} {'prec':>6} {'recall':>6} {'IoU':>5} {'ttfd s':>6} {'found':>7} "
    f"{'screen s':>13} {'err':>6} {'fp':>3} {'look':>4} {'ms med/p90':>12}"
)


@dataclass(frozen=True)
class Scored:
    """Tallies of every clip run: clip name -> brand -> tally."""

    runs: Sequence[ClipRun]
    tallies: Mapping[str, Mapping[str, Tally]]

    def by_clip(self) -> dict[str, Tally]:
        """Each clip's brands summed."""
        return {name: total(brands.values()) for name, brands in self.tallies.items()}

    def by_brand(self) -> dict[str, Tally]:
        """Each brand summed over clips."""
        result: dict[str, Tally] = {}
        for brands in self.tallies.values():
            for brand, tally in brands.items():
                result[brand] = result.get(brand, Tally()) + tally
        return result

    def by_condition(self) -> dict[str, Tally]:
        """Each clip condition summed over its clips and brands."""
        result: dict[str, Tally] = {}
        for run in self.runs:
            key = str(run.clip.condition)
            result[key] = result.get(key, Tally()) + total(self.tallies[run.clip.name].values())
        return result

    def overall(self) -> Tally:
        """Everything summed."""
        return total(self.by_clip().values())

    def costs(self) -> list[float]:
        """CPU seconds per sampled frame, all clips."""
        return [c for run in self.runs for c in run.costs]


def score_runs(
    runs: Sequence[ClipRun],
    library: Iterable[str],
    look_alikes: Mapping[str, str],
    min_confidence: float = 0.0,
) -> Scored:
    """Score each run against its truth."""
    names = list(library)
    tallies = {
        run.clip.name: score_clip(
            run.truth,
            run.clip.fps,
            run.predictions,
            names,
            look_alikes=look_alikes,
            min_confidence=min_confidence,
        )
        for run in runs
    }
    return Scored(runs, tallies)


def percentile(values: Sequence[float], share: float) -> float:
    """The `share` quantile (nearest rank); NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def _cost(costs: Sequence[float]) -> str:
    """The CPU column: median/p90 ms per frame (blank without costs)."""
    if not costs:
        return ""
    return f"{statistics.median(costs) * 1000:5.0f}/{percentile(costs, 0.9) * 1000:<5.0f}"


def row(label: str, tally: Tally, costs: Sequence[float] = ()) -> str:
    """One printed line."""
    delay = statistics.mean(tally.delays) if tally.delays else math.nan
    return (
        f"{label:<26} {tally.precision:6.3f} {tally.recall:6.3f} {tally.mean_iou:5.2f} "
        f"{delay:6.2f} {tally.found:>3}/{tally.appearances:<3} "
        f"{tally.detected_seconds:6.1f}/{tally.true_seconds:<6.1f} "
        f"{tally.screen_time_error * 100:5.0f}% {tally.fp:>3} {tally.fp_look_alike:>4} "
        f"{_cost(costs):>12}"
    )


def mean_row(label: str, tallies: Sequence[Tally], costs: Sequence[float] = ()) -> str:
    """One printed line of the mean of `tallies` (the kit on several sampling grids): each
    column the mean of the runs' figures (appearances found with a decimal), costs pooled.
    A stream starts on any phase of the detector's grid, so the mean, not one grid's figure,
    is what a change is tuned on."""

    def mean(figure: Callable[[Tally], float]) -> float:
        return statistics.mean(figure(t) for t in tallies)

    delays = [d for t in tallies for d in t.delays]
    return (
        f"{label:<26} {mean(lambda t: t.precision):6.3f} {mean(lambda t: t.recall):6.3f} "
        f"{mean(lambda t: t.mean_iou):5.2f} "
        f"{statistics.mean(delays) if delays else math.nan:6.2f} "
        f"{mean(lambda t: t.found):5.1f}/{tallies[0].appearances:<3} "
        f"{mean(lambda t: t.detected_seconds):6.1f}/{tallies[0].true_seconds:<6.1f} "
        f"{mean(lambda t: t.screen_time_error) * 100:5.0f}% {mean(lambda t: t.fp):>3.0f} "
        f"{mean(lambda t: t.fp_look_alike):>4.0f} {_cost(costs):>12}"
    )


def render_table(scored: Scored) -> str:
    """The full table: per clip (with cost), per brand, per condition, overall."""
    costs = {run.clip.name: run.costs for run in scored.runs}
    lines = ["per clip", _HEADER]
    lines += [row(name, t, costs[name]) for name, t in scored.by_clip().items()]
    lines += ["per brand", _HEADER]
    lines += [row(name, t) for name, t in sorted(scored.by_brand().items())]
    lines += ["per condition", _HEADER]
    lines += [row(name, t) for name, t in scored.by_condition().items()]
    lines += ["overall", _HEADER, row("all clips", scored.overall(), scored.costs())]
    lines += [
        "columns: prec/recall over 0.5-s bins; IoU mean over hits; ttfd = mean delay to first "
        "detection per appearance; found = appearances detected within 1 s; screen s = detected "
        "/ true seconds; err = screen-time error; fp = false-positive bins; look = of those, "
        "with a look-alike on screen; ms = CPU per sampled frame (median/p90)"
    ]
    return "\n".join(lines)


def render_phases(phases: Mapping[str, Scored]) -> str:
    """Each run's overall line (one per sampling phase, labelled by the keys), then under
    "overall" their mean (`mean_row`): the figure to tune on."""
    lines = ["per phase", _HEADER]
    lines += [row(label, scored.overall(), scored.costs()) for label, scored in phases.items()]
    tallies = [scored.overall() for scored in phases.values()]
    costs = [c for scored in phases.values() for c in scored.costs()]
    lines += ["overall", _HEADER, mean_row(f"mean of {len(tallies)} phases", tallies, costs)]
    return "\n".join(lines)
