"""Zones must be simple polygons; webhook URLs must be http(s) and, by default, not internal."""

from __future__ import annotations

import pytest

from sightline_common.webhook_policy import WebhookNotAllowedError, check_webhook_url
from sightline_common.zones import InvalidZoneError, check_zone, contains

SQUARE = [(0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.0)]


def test_a_simple_polygon_is_a_zone_and_contains_its_inside() -> None:
    check_zone(SQUARE)
    assert contains(SQUARE, 0.75, 0.5)
    assert not contains(SQUARE, 0.25, 0.5)


def test_a_bow_tie_is_refused_as_self_intersecting() -> None:
    with pytest.raises(InvalidZoneError, match="intersects itself"):
        check_zone([(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0)])


@pytest.mark.parametrize("points", [[(0.0, 0.0), (1.0, 1.0)], [(0.0, 0.0), (0.5, 0.5), (1.0, 1.0)]])
def test_too_few_points_or_no_area_is_refused(points: list[tuple[float, float]]) -> None:
    with pytest.raises(InvalidZoneError):
        check_zone(points)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "http://127.0.0.1:8000/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.5/hook",
        "http://[::1]/hook",
    ],
)
def test_non_http_and_internal_webhooks_are_refused(url: str) -> None:
    with pytest.raises(WebhookNotAllowedError):
        check_webhook_url(url, allow_private=False)


def test_internal_webhooks_pass_when_allowed_and_public_addresses_always() -> None:
    check_webhook_url("http://127.0.0.1:8000/hook", allow_private=True)
    check_webhook_url("https://93.184.216.34/hook", allow_private=False)
    with pytest.raises(WebhookNotAllowedError):
        check_webhook_url("gopher://127.0.0.1/", allow_private=True)
