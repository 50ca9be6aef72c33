"""PNG plots for the report (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt  # the backend is chosen first
from matplotlib.figure import Figure as MplFigure

from sightline_benchkit.results import Breakdown, Figure, Series

MET, MISSED = "#2e7d32", "#c62828"


def target_ratios(figures: list[tuple[str, Figure]], path: Path) -> Path:
    """One bar per target: how many times the target each figure reaches (1 = just met).

    For "≤" targets the ratio is target / value, so right of the line is always better.
    """
    labels, ratios, colours = [], [], []
    for text, figure in figures:
        if figure.score is None:
            continue
        labels.append(text)
        ratios.append(max(figure.score, 1e-3))
        colours.append(MET if figure.met else MISSED)
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(labels) + 1.4))
    ax.barh(labels, ratios, color=colours)
    ax.axvline(1.0, color="black", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("measured / target (for ≤ targets: target / measured); right of 1 = met")
    for y, ratio in enumerate(ratios):
        ax.annotate(f"{ratio:.2f}x", (ratio, y), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=8)  # fmt: skip
    ax.set_title("Targets of issue #9")
    return _save(fig, path)


def breakdown(item: Breakdown, path: Path) -> Path:
    """Stacked horizontal bars: one per row, one segment per part."""
    rows = list(item.rows)
    parts: list[str] = []
    for values in item.rows.values():
        parts += [p for p in values if p not in parts]
    fig, ax = plt.subplots(figsize=(11, 0.5 * len(rows) + 1.8))
    left = [0.0] * len(rows)
    cmap = plt.get_cmap("tab10")
    for index, part in enumerate(parts):
        widths = [item.rows[row].get(part, 0.0) for row in rows]
        ax.barh(rows, widths, left=left, label=part, color=cmap(index % 10))
        left = [a + b for a, b in zip(left, widths, strict=True)]
    for y, total in enumerate(left):
        ax.annotate(f"{total:.3g}", (total, y), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=8)  # fmt: skip
    ax.invert_yaxis()
    ax.margins(x=0.08)
    ax.set_xlabel(item.unit)
    ax.set_title(item.label)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return _save(fig, path)


def series(item: Series, path: Path) -> Path:
    """One line per curve against the load level; the target as a dashed line."""
    fig, ax = plt.subplots(figsize=(7, 4))
    styles = ("-", "--", ":", "-.")
    for index, (name, values) in enumerate(item.curves.items()):
        ax.plot(item.x, values, marker="o", linestyle=styles[index % 4], label=name)
    if item.target is not None:
        ax.axhline(item.target, color=MISSED, linestyle="--", linewidth=1, label="target")
    ax.set_xlabel(item.x_label)
    ax.set_ylabel(item.y_label)
    ax.set_xticks(item.x)
    ax.set_title(item.label)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def _save(fig: MplFigure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
