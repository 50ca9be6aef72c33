"""Zones: polygons in normalised frame coordinates (0..1 from the top-left corner).

results-api refuses a zone that is not a simple polygon (its edges cross, or it has no area),
because "inside" means nothing there; the alerts service asks whether a detection's box centre
lies inside one.
"""

from __future__ import annotations

from collections.abc import Sequence

Vertex = tuple[float, float]
_EPS = 1e-12


class InvalidZoneError(ValueError):
    """The polygon cannot be a zone; the message says why."""


def check_zone(points: Sequence[Vertex]) -> None:
    """Raise InvalidZoneError unless `points` form a simple polygon with an area."""
    if len(points) < 3:
        raise InvalidZoneError("a zone needs at least 3 points")
    edges = list(zip(points, [*points[1:], points[0]], strict=True))
    count = len(edges)
    for i in range(count):
        for j in range(i + 1, count):
            # Neighbouring edges share a corner; only the first and last are neighbours too.
            if j == i + 1 or (i == 0 and j == count - 1):
                continue
            if _segments_meet(*edges[i], *edges[j]):
                raise InvalidZoneError(f"the zone intersects itself (edges {i + 1} and {j + 1})")
    if abs(_signed_area(points)) < _EPS:
        raise InvalidZoneError("the zone has no area (its points lie on one line)")


def contains(points: Sequence[Vertex], x: float, y: float) -> bool:
    """True when (x, y) lies inside the polygon (even-odd rule; the boundary counts as inside
    only where the ray test says so, which is fine for detection centres)."""
    inside = False
    count = len(points)
    for i in range(count):
        x1, y1 = points[i]
        x2, y2 = points[(i + 1) % count]
        if (y1 > y) != (y2 > y):
            cross_x = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < cross_x:
                inside = not inside
    return inside


def _signed_area(points: Sequence[Vertex]) -> float:
    total = 0.0
    for (x1, y1), (x2, y2) in zip(points, [*points[1:], points[0]], strict=True):
        total += x1 * y2 - x2 * y1
    return total / 2


def _orientation(a: Vertex, b: Vertex, c: Vertex) -> int:
    value = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    if abs(value) < _EPS:
        return 0
    return 1 if value > 0 else -1


def _on_segment(a: Vertex, b: Vertex, p: Vertex) -> bool:
    return min(a[0], b[0]) - _EPS <= p[0] <= max(a[0], b[0]) + _EPS and (
        min(a[1], b[1]) - _EPS <= p[1] <= max(a[1], b[1]) + _EPS
    )


def _segments_meet(a: Vertex, b: Vertex, c: Vertex, d: Vertex) -> bool:
    o1, o2 = _orientation(a, b, c), _orientation(a, b, d)
    o3, o4 = _orientation(c, d, a), _orientation(c, d, b)
    if o1 != o2 and o3 != o4:
        return True
    return (
        (o1 == 0 and _on_segment(a, b, c))
        or (o2 == 0 and _on_segment(a, b, d))
        or (o3 == 0 and _on_segment(c, d, a))
        or (o4 == 0 and _on_segment(c, d, b))
    )
