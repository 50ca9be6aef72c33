"""`/api/streams/{id}/detections` and `/exposure` over real Postgres rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sightline_common.messages import Envelope

pytestmark = pytest.mark.integration


def _all_pages(client: TestClient, url: str, **params: str | float) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = client.get(url, params={**params, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_pages_cover_the_range_once_in_media_time_order(
    client: TestClient,
    new_stream: str,
    store_detections: Callable[[list[Envelope]], None],
    detection_factory: Callable[..., Envelope],
) -> None:
    store_detections([detection_factory(new_stream, seq) for seq in range(10)])
    url = f"/api/streams/{new_stream}/detections"

    everything = _all_pages(client, url, limit=7)
    assert len(everything) == 10 * 2 * 2
    keys = [(d["media_ts"], d["event_id"], d["item_index"]) for d in everything]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)

    ranged = _all_pages(client, url, limit=3, **{"from": 4.0, "to": 8.0})
    assert {d["media_ts"] for d in ranged} == {4.0, 5.0, 6.0, 7.0}
    first = ranged[0]
    assert first["detector"] == {"name": "logo", "version": "1.0.0", "config_hash": "abc"}
    assert first["executor"] == "local"
    assert first["box"] == {"x": 0.0, "y": 0.1, "w": 0.2, "h": 0.1}
    assert first["kind"] == "logo"


def test_filters_by_kind_label_and_run(
    client: TestClient,
    new_stream: str,
    store_detections: Callable[[list[Envelope]], None],
    detection_factory: Callable[..., Envelope],
) -> None:
    store_detections(
        [
            detection_factory(new_stream, 0),
            detection_factory(new_stream, 0, run_id="rerun-1"),
            detection_factory(new_stream, 1, kind="face", labels=("face",)),
        ]
    )
    url = f"/api/streams/{new_stream}/detections"
    assert {d["kind"] for d in _all_pages(client, url, kind="face")} == {"face"}
    assert {d["label"] for d in _all_pages(client, url, label="acme")} == {"acme"}
    rerun = _all_pages(client, url, run="rerun-1")
    assert len(rerun) == 4
    assert {d["run_id"] for d in rerun} == {"rerun-1"}


def test_bad_detection_queries_are_422(client: TestClient, new_stream: str) -> None:
    url = f"/api/streams/{new_stream}/detections"
    reversed_range = client.get(url, params={"from": 10, "to": 5})
    assert reversed_range.status_code == 422
    assert "reversed" in reversed_range.json()["detail"]
    assert client.get(url, params={"cursor": "garbage"}).status_code == 422
    assert client.get(url, params={"limit": 0}).status_code == 422
    assert client.get(url, params={"limit": 5000}).status_code == 422
    assert client.get(url, params={"from": -1}).status_code == 422


def test_exposure_reports_screen_time_share_and_prominence(
    client: TestClient,
    new_stream: str,
    store_detections: Callable[[list[Envelope]], None],
    detection_factory: Callable[..., Envelope],
) -> None:
    # 10 segments of 2 s, 2 frames each (1 s per frame); acme and globex in every frame,
    # plus 5 segments where only acme is seen.
    store_detections(
        [detection_factory(new_stream, seq) for seq in range(10)]
        + [detection_factory(new_stream, seq, labels=("acme",)) for seq in range(10, 15)]
    )
    response = client.get(
        f"/api/streams/{new_stream}/exposure", params={"from": 0, "to": 30, "window": 10}
    )
    assert response.status_code == 200, response.text
    report = response.json()
    totals = {b["brand"]: b for b in report["totals"]}
    assert totals["acme"]["screen_time"] == pytest.approx(30.0)
    assert totals["globex"]["screen_time"] == pytest.approx(20.0)
    assert totals["acme"]["share_of_voice"] == pytest.approx(0.6)
    assert totals["acme"]["prominence"] == pytest.approx(0.02)
    assert totals["globex"]["prominence"] == pytest.approx(0.04)
    assert [(w["start"], w["end"]) for w in report["windows"]] == [(0, 10), (10, 20), (20, 30)]
    last = report["windows"][2]["brands"]
    assert [b["brand"] for b in last] == ["acme"]
    assert last[0]["share_of_voice"] == pytest.approx(1.0)


def test_exposure_without_logos_is_empty_and_bad_ranges_are_422(
    client: TestClient, new_stream: str
) -> None:
    url = f"/api/streams/{new_stream}/exposure"
    empty = client.get(url).json()
    assert empty["totals"] == []
    assert empty["windows"] == []
    assert client.get(url, params={"from": 5, "to": 1}).status_code == 422
    assert client.get(url, params={"window": 0}).status_code == 422
    assert client.get(url, params={"to": 1e6, "window": 0.001}).status_code == 422
