"""HLS from MinIO through the API, the ops endpoints, OpenAPI, CORS."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sightline_common.storage import ObjectStore
from sightline_results_api.settings import ResultsApiSettings

pytestmark = pytest.mark.integration

PLAYLIST = (
    "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n"
    "#EXTINF:2.0,\n0.ts\n#EXTINF:2.0,\n1.ts\n"
)
SEGMENT = b"\x47" + b"\x00" * 187


@pytest.fixture
def stored_stream(api_settings: ResultsApiSettings, new_stream: str) -> str:
    store = ObjectStore.from_settings(api_settings)
    bucket = api_settings.segments_bucket
    store.put_bytes(bucket, f"streams/{new_stream}/index.m3u8", PLAYLIST.encode())
    store.put_bytes(bucket, f"streams/{new_stream}/0.ts", SEGMENT, "video/mp2t")
    return new_stream


def test_the_playlist_points_segments_at_the_proxy(client: TestClient, stored_stream: str) -> None:
    response = client.get(f"/api/streams/{stored_stream}/playlist.m3u8")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    lines = response.text.splitlines()
    assert "segments/0.ts" in lines
    assert "segments/1.ts" in lines

    segment = client.get(f"/api/streams/{stored_stream}/segments/0.ts")
    assert segment.status_code == 200
    assert segment.content == SEGMENT
    assert segment.headers["content-type"] == "video/mp2t"
    assert segment.headers["cache-control"] == "private, max-age=86400"  # behind a token
    assert client.get(f"/api/streams/{stored_stream}/segments/9.ts").status_code == 404


def test_a_token_in_the_url_is_refused(client: TestClient, stored_stream: str, token: str) -> None:
    # URLs end up in access logs and history: players use signed URLs (test_signed_playback).
    url = f"/api/streams/{stored_stream}/playlist.m3u8"
    response = client.get(url, params={"access_token": token}, headers={"Authorization": ""})
    assert response.status_code == 401


def test_a_stream_without_a_playlist_yet_is_404(client: TestClient, new_stream: str) -> None:
    assert client.get(f"/api/streams/{new_stream}/playlist.m3u8").status_code == 404


def test_segment_names_cannot_escape_the_stream_folder(
    client: TestClient, stored_stream: str
) -> None:
    for name in ["..%2Findex.m3u8", "index.m3u8", "0.mp4"]:
        response = client.get(f"/api/streams/{stored_stream}/segments/{name}")
        assert response.status_code in {404, 422}, name


def test_ops_endpoints_and_docs_need_no_token(client: TestClient) -> None:
    no_header = {"Authorization": ""}
    assert client.get("/healthz", headers=no_header).status_code == 200
    assert client.get("/readyz", headers=no_header).status_code == 200
    assert "# TYPE" in client.get("/metrics", headers=no_header).text
    spec = client.get("/openapi.json", headers=no_header).json()
    assert "/api/streams/{stream_id}/detections" in spec["paths"]
    assert client.get("/docs", headers=no_header).status_code == 200


def test_the_dashboard_origin_may_call_the_api(client: TestClient) -> None:
    preflight = client.options(
        "/api/streams",
        headers={
            "Origin": "http://localhost:4200",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:4200"
    other = client.options(
        "/api/streams",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in other.headers
