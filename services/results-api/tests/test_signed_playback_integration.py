"""HLS at short-lived signed URLs (#17): a player plays a stream with no API token anywhere in
its URLs, and a signature grants only its own path until its expiry. In-process API over the
real database, Kafka and MinIO."""

from __future__ import annotations

import time
from urllib.parse import parse_qs

import pytest
from fastapi.testclient import TestClient

from sightline_common.storage import ObjectStore
from sightline_results_api.playback_urls import PlaybackSigner
from sightline_results_api.settings import DEV_PLAYBACK_SIGNING_KEY, ResultsApiSettings

pytestmark = pytest.mark.integration

PLAYLIST = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n0.ts\n#EXTINF:2.0,\n1.ts\n"
SEGMENT = b"\x47" + b"\x00" * 187
NO_TOKEN = {"Authorization": ""}


@pytest.fixture
def stored_stream(api_settings: ResultsApiSettings, new_stream: str) -> str:
    store = ObjectStore.from_settings(api_settings)
    bucket = api_settings.segments_bucket
    store.put_bytes(bucket, f"streams/{new_stream}/index.m3u8", PLAYLIST.encode())
    store.put_bytes(bucket, f"streams/{new_stream}/0.ts", SEGMENT, "video/mp2t")
    return new_stream


def signed_playlist_url(client: TestClient, stream_id: str) -> str:
    response = client.get(f"/api/streams/{stream_id}/playback")
    assert response.status_code == 200, response.text
    return str(response.json()["playlist_url"])


def test_a_player_plays_through_signed_urls_without_the_token(
    client: TestClient, stored_stream: str, token: str
) -> None:
    answer = client.get(f"/api/streams/{stored_stream}/playback").json()
    url = answer["playlist_url"]
    assert url.startswith(f"/api/hls/streams/{stored_stream}/playlist.m3u8?exp=")
    assert time.mktime(time.strptime(answer["expires_at"][:19], "%Y-%m-%dT%H:%M:%S")) > 0
    playlist = client.get(url, headers=NO_TOKEN)
    assert playlist.status_code == 200, playlist.text
    assert playlist.headers["cache-control"] == "private, no-cache"
    assert token not in playlist.text
    segments = [line for line in playlist.text.splitlines() if line.startswith("segments/")]
    assert len(segments) == 2
    assert all("?exp=" in line and "&sig=" in line for line in segments)
    base = url.split("?", 1)[0].rsplit("/", 1)[0]
    segment = client.get(f"{base}/{segments[0]}", headers=NO_TOKEN)
    assert segment.status_code == 200
    assert segment.content == SEGMENT
    assert segment.headers["cache-control"] == "private, max-age=86400"


def test_a_signature_grants_only_its_own_path_until_it_expires(
    client: TestClient, stored_stream: str, api_settings: ResultsApiSettings
) -> None:
    url = signed_playlist_url(client, stored_stream)
    path, query = url.split("?", 1)
    params = {k: v[0] for k, v in parse_qs(query).items()}
    other = client.post("/api/streams", json={"name": "b", "source": {"kind": "test"}}).json()["id"]
    refused = {
        "no signature": (path, {}),
        "no expiry": (path, {"sig": params["sig"]}),
        "tampered signature": (path, {**params, "sig": _tampered(params["sig"])}),
        "later expiry": (path, {**params, "exp": str(int(params["exp"]) + 3600)}),
        "another stream": (path.replace(stored_stream, other), params),
        "a segment": (path.replace("playlist.m3u8", "segments/0.ts"), params),
    }
    for how, (target, given) in refused.items():
        response = client.get(target, params=given, headers=NO_TOKEN)
        assert response.status_code == 403, how
        assert "segments/" not in response.text, how

    # The same key and path, signed for a moment already past: refused for its expiry alone.
    signer = PlaybackSigner(DEV_PLAYBACK_SIGNING_KEY.encode(), api_settings.playback_url_ttl_s)
    assert api_settings.playback_key() == DEV_PLAYBACK_SIGNING_KEY.encode()
    past, future = int(time.time()) - 1, int(time.time()) + 60
    expired = client.get(f"{path}?{signer.query(path, past)}", headers=NO_TOKEN)
    assert expired.status_code == 403
    assert client.get(f"{path}?{signer.query(path, future)}", headers=NO_TOKEN).status_code == 200


def test_an_unknown_stream_needs_a_signature_before_it_is_404(
    client: TestClient, new_stream: str
) -> None:
    path = "/api/hls/streams/no-such-stream/playlist.m3u8"
    assert client.get(path, headers=NO_TOKEN).status_code == 403  # ids are not probed unsigned
    assert client.get("/api/streams/no-such-stream/playback").status_code == 404


def test_api_answers_are_never_cached_by_shared_caches(client: TestClient, new_stream: str) -> None:
    for path in (
        "/api/streams",
        f"/api/streams/{new_stream}",
        f"/api/streams/{new_stream}/playback",
    ):
        control = client.get(path).headers["cache-control"]
        assert control.split(",")[0] == "private", (path, control)
    assert "public" not in client.get("/api/streams").headers["cache-control"]
    denied = client.get("/api/streams", headers=NO_TOKEN)
    assert denied.status_code == 401
    assert denied.headers["cache-control"].startswith("private")


def _tampered(signature: str) -> str:
    """`signature` with its first character changed (always changed: a signature that begins
    with the replacement character must not come back intact, as 1 run in 64 did)."""
    return ("B" if signature.startswith("A") else "A") + signature[1:]
