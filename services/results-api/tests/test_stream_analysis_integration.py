"""A stream's status says when its live analysis is degraded and how far the backfill of the
segments skipped meanwhile got, from what the detections report (#15)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sightline_common.messages import Envelope

pytestmark = pytest.mark.integration


def made(envelope: Envelope, **analysis: Any) -> Envelope:
    """`envelope` whose Detection says how it was made."""
    return envelope.model_copy(
        update={"payload": {**envelope.payload, "analysis": {"sample_fps": 2, **analysis}}}
    )


def test_degraded_while_a_detector_skips_and_the_backfill_progress(
    client: TestClient,
    new_stream: str,
    detection_factory: Callable[..., Envelope],
    store_detections: Callable[[list[Envelope]], None],
) -> None:
    def analysis() -> Any:
        response = client.get(f"/api/streams/{new_stream}")
        assert response.status_code == 200, response.text
        return response.json()["analysis"]

    assert analysis() is None  # nothing analysed yet
    store_detections([made(detection_factory(new_stream, 0), mode="full")])
    assert analysis() == {"degraded": False, "skipped": 0, "backfilled": 0}

    # Segments 1 and 2 were skipped: segment 3 says so; the visual detector keeps up.
    store_detections([
        made(detection_factory(new_stream, 3), mode="degraded", shed_before=2),
        made(detection_factory(new_stream, 3, detector="visual", kind="face"), mode="full"),
    ])  # fmt: skip
    assert analysis() == {"degraded": True, "skipped": 2, "backfilled": 0}

    store_detections([
        made(detection_factory(new_stream, 1), mode="backfill", backfill_run_id="backfill-1"),
        made(detection_factory(new_stream, 4), mode="full"),
    ])  # fmt: skip
    assert analysis() == {"degraded": False, "skipped": 2, "backfilled": 1}
    store_detections(
        [made(detection_factory(new_stream, 2), mode="backfill", backfill_run_id="backfill-1")]
    )
    listed = {s["id"]: s for s in client.get("/api/streams").json()}
    assert listed[new_stream]["analysis"] == {"degraded": False, "skipped": 2, "backfilled": 2}
