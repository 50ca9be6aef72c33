"""A stream's source cannot read the results-api/ingest host's files or reach internal services:
results-api refuses such sources with 422 under default settings."""

from __future__ import annotations

import pytest

from sightline_testkit.plugin import Isolated

from .conftest import start_results_api

# The API's source policy: one topic partition each is enough (testkit).
pytestmark = [pytest.mark.integration, pytest.mark.topic_partitions(1)]


def test_file_and_internal_sources_are_refused_and_media_files_accepted(
    isolated: Isolated,
) -> None:
    clip = isolated.tmp / "clip.mp4"  # inside the test's media folder (SIGHTLINE_MEDIA_DIR)
    clip.write_bytes(b"not played here")
    api = start_results_api(isolated)
    refused = [
        "file:///etc/passwd",
        "/etc/passwd",
        f"{isolated.tmp}/../../etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:9000/",
        "rtsp://192.168.1.10/stream",
        "gopher://example.com/",
    ]
    with api.client() as client:
        for uri in refused:
            answer = client.post(
                "/api/streams", json={"name": "x", "source": {"kind": "file", "uri": uri}}
            )
            assert answer.status_code == 422, (uri, answer.text)
        accepted = client.post(
            "/api/streams", json={"name": "ok", "source": {"kind": "file", "uri": str(clip)}}
        )
        assert accepted.status_code == 201, accepted.text
        changed = client.patch(
            f"/api/streams/{accepted.json()['id']}",
            json={"source": {"kind": "file", "uri": "file:///etc/shadow"}},
        )
        assert changed.status_code == 422
        assert [s["name"] for s in client.get("/api/streams").json()] == ["ok"]
