"""Comparing two analysis runs of the same stretch of a stream (pure).

Detections are matched by where and what they are — segment, frame time, kind, label — and, for
several of the same label in one frame, by their order. A matched pair whose confidence or box
moved more than a tolerance is "changed"; the rest are "added" (only in the run) or "removed"
(only in the run compared against).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

TOLERANCE = 0.01


class Comparable(Protocol):
    """What the diff reads from a detection row."""

    @property
    def segment_sequence(self) -> int: ...
    @property
    def media_ts(self) -> float: ...
    @property
    def kind(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def box_x(self) -> float | None: ...
    @property
    def box_y(self) -> float | None: ...
    @property
    def box_w(self) -> float | None: ...
    @property
    def box_h(self) -> float | None: ...


T = TypeVar("T", bound=Comparable)


@dataclass(frozen=True)
class RunDiff(Generic[T]):
    """What changed from `against` to `run`."""

    added: list[T]
    removed: list[T]
    changed: list[tuple[T, T]]  # (before, after)


def _key(row: Comparable) -> tuple[int, float, str, str]:
    return (row.segment_sequence, round(row.media_ts, 3), row.kind, row.label)


def _moved(a: Comparable, b: Comparable) -> bool:
    if abs(a.confidence - b.confidence) > TOLERANCE:
        return True
    for x, y in ((a.box_x, b.box_x), (a.box_y, b.box_y), (a.box_w, b.box_w), (a.box_h, b.box_h)):
        if (x is None) != (y is None) or (
            x is not None and y is not None and abs(x - y) > TOLERANCE
        ):
            return True
    return False


def diff_runs(run: Sequence[T], against: Sequence[T]) -> RunDiff[T]:
    """Added, removed and changed detections of `run` relative to `against`."""
    before: dict[tuple[int, float, str, str], list[T]] = defaultdict(list)
    for row in against:
        before[_key(row)].append(row)
    added: list[T] = []
    changed: list[tuple[T, T]] = []
    for row in run:
        matches = before.get(_key(row))
        if not matches:
            added.append(row)
            continue
        previous = matches.pop(0)
        if _moved(previous, row):
            changed.append((previous, row))
    removed = [row for rows in before.values() for row in rows]
    return RunDiff(added=added, removed=removed, changed=changed)


def exposure_deltas(
    run: dict[str, float], against: dict[str, float]
) -> list[tuple[str, float, float, float]]:
    """(brand, screen time in run, in against, change) for every brand in either, by brand."""
    return [
        (brand, run.get(brand, 0.0), against.get(brand, 0.0),
         round(run.get(brand, 0.0) - against.get(brand, 0.0), 3))
        for brand in sorted(set(run) | set(against))
    ]  # fmt: skip
