"""Which result of a frame a rule counts: a logo that passes the rule's brand, confidence, size
and zone filters, or (picture rules) a quality flag the rule watches."""

from __future__ import annotations

from sightline_common.messages import AlertKind, AlertRule, FrameResult, ResultItem
from sightline_common.zones import contains

LOGO = "logo"
QUALITY = "quality"


def best_match(rule: AlertRule, frame: FrameResult) -> ResultItem | None:
    """The most confident logo of the frame that satisfies the rule's filters (for a picture
    rule: the frame's quality result when it carries one of the rule's flags)."""
    if rule.kind == AlertKind.picture:
        return _bad_picture(rule, frame)
    brands = set(rule.brands)
    best: ResultItem | None = None
    for item in frame.results:
        if item.kind != LOGO or item.label not in brands or item.confidence < rule.min_confidence:
            continue
        box = item.box
        area = item.area_share if item.area_share is not None else (box.w * box.h if box else 0.0)
        if area < rule.min_area:
            continue
        if rule.zone is not None:
            if box is None:
                continue
            zone = [(p.x, p.y) for p in rule.zone.root]
            if not contains(zone, box.x + box.w / 2, box.y + box.h / 2):
                continue
        if best is None or item.confidence > best.confidence:
            best = item
    return best


def _bad_picture(rule: AlertRule, frame: FrameResult) -> ResultItem | None:
    wanted = {c.value for c in rule.conditions}
    for item in frame.results:
        if item.kind == QUALITY and wanted & set(item.label.split(",")):
            return item
    return None
