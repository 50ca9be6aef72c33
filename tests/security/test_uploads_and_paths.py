"""Logo uploads and media paths of a running results-api: typed by bytes, size-limited, and no
object key ever taken from what a client sent (no way into another stream's objects)."""

from __future__ import annotations

import http.client
import re
import struct
import zlib
from collections.abc import Iterator

import cv2
import httpx
import pytest

from sightline_analysis.synthetic import make_logo
from sightline_common.storage import ObjectStore
from sightline_testkit.plugin import Isolated

from .conftest import ResultsApi, start_results_api

# The module's tests share one results-api (`api`), so they run on one worker.
# Uploads and paths through the API: one topic partition each is enough (testkit).
pytestmark = [
    pytest.mark.integration,
    pytest.mark.xdist_group("uploads"),
    pytest.mark.topic_partitions(1),
]

LIMIT = 100_000
# Real images: an upload is decoded and judged for detectability, so signatures alone are refused.
PNG = cv2.imencode(".png", make_logo("ACME", seed=1))[1].tobytes()
WEBP = cv2.imencode(".webp", make_logo("ACME", seed=1))[1].tobytes()
SERVER_KEY = re.compile(r"^logos/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.")
PLAYLIST = b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n00000000.ts\n"
SEGMENT = b"\x47" + b"other stream's secret video" + b"\x00" * 160


@pytest.fixture(scope="module")
def api(isolated_module: Isolated) -> ResultsApi:
    """One results-api with the upload limit for the module's tests (a start and its token cost
    ~6 CPU-s). Each test counts only the logos and objects it added."""
    return start_results_api(isolated_module, SIGHTLINE_MAX_LOGO_BYTES=str(LIMIT))


def all_objects(isolated: Isolated) -> dict[str, set[str]]:
    """Every object key in the test's two buckets."""
    store = ObjectStore.from_settings(isolated.settings())
    return {
        bucket: set(store.list_keys(bucket, ""))
        for bucket in (
            isolated.env["SIGHTLINE_LOGOS_BUCKET"],
            isolated.env["SIGHTLINE_SEGMENTS_BUCKET"],
        )
    }


def logo_ids(client: httpx.Client) -> set[str]:
    """The ids of the logos the API lists."""
    return {logo["id"] for logo in client.get("/api/logos").json()}


def upload(
    client: httpx.Client, brand: str, filename: str, data: bytes, declared: str
) -> httpx.Response:
    return client.post(
        "/api/logos", data={"brand": brand}, files={"image": (filename, data, declared)}
    )


def test_the_image_type_comes_from_the_bytes_never_the_name_or_declared_type(
    api: ResultsApi,
) -> None:
    logos_bucket = api.isolated.env["SIGHTLINE_LOGOS_BUCKET"]
    stored_before = all_objects(api.isolated)[logos_bucket]
    with api.client() as client:
        listed_before = logo_ids(client)
        png = upload(client, "Acme", "logo.txt", PNG, "text/plain")
        assert png.status_code == 201, png.text
        assert png.json()["content_type"] == "image/png"
        webp = upload(client, "Acme", "logo.html", WEBP, "text/html")
        assert webp.status_code == 201, webp.text
        assert webp.json()["content_type"] == "image/webp"
        served = client.get(png.json()["image_url"])
        assert (served.content, served.headers["content-type"]) == (PNG, "image/png")

        refused = {
            "page.png": b"<!doctype html><html><script>alert(1)</script></html>",
            "vector.png": b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
            "notes.png": b"just some text, not an image",
            "anim.png": b"GIF89a\x01\x00\x01\x00",
            "empty.png": b"",
        }
        for filename, data in refused.items():
            response = upload(client, "Acme", filename, data, "image/png")
            assert response.status_code == 415, (filename, response.status_code, response.text)
        assert len(logo_ids(client) - listed_before) == 2
    logos = all_objects(api.isolated)[logos_bucket] - stored_before
    assert {key.rsplit(".", 1)[1] for key in logos} == {"png", "webp"}  # nothing refused stored


def chunks(data: bytes, size: int = 16_384) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_uploads_over_the_size_limit_are_413_with_or_without_a_content_length(
    api: ResultsApi,
) -> None:
    at_limit = PNG + b"\x00" * (LIMIT - len(PNG))
    over = at_limit + b"\x00"
    with api.client() as client:
        listed_before = logo_ids(client)
        assert upload(client, "Acme", "ok.png", at_limit, "image/png").status_code == 201
        assert upload(client, "Acme", "big.png", over, "image/png").status_code == 413
        far_over = upload(client, "Acme", "big.png", over * 3, "image/png")
        assert far_over.status_code == 413  # refused on Content-Length before parsing
        # A chunked body has no Content-Length: the route still counts the image's bytes.
        boundary = "sightline-boundary"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="brand"\r\n\r\nAcme\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="image"; '
                'filename="big.png"\r\n'
                "Content-Type: image/png\r\n\r\n"
            ).encode()
            + over
            + f"\r\n--{boundary}--\r\n".encode()
        )
        chunked = client.post(
            "/api/logos",
            content=chunks(body),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert "content-length" not in chunked.request.headers
        assert chunked.status_code == 413, chunked.text
        assert len(logo_ids(client) - listed_before) == 1


def test_object_keys_are_generated_by_the_server_whatever_the_filename_or_brand(
    api: ResultsApi,
) -> None:
    isolated = api.isolated
    segments = isolated.env["SIGHTLINE_SEGMENTS_BUCKET"]
    with api.client() as client:
        other = client.post("/api/streams", json={"name": "other", "source": {"kind": "rtmp"}})
        other_id = other.json()["id"]
    store = ObjectStore.from_settings(isolated.settings())
    store.put_bytes(segments, f"streams/{other_id}/index.m3u8", PLAYLIST)
    store.put_bytes(segments, f"streams/{other_id}/00000000.ts", SEGMENT, "video/mp2t")
    before = all_objects(isolated)

    hostile = [
        ("../../other-stream/x.png", "Acme"),
        (f"../../../{segments}/streams/{other_id}/00000000.ts", "Acme"),
        ("/etc/passwd", "Acme"),
        ("x.png", f"../../streams/{other_id}/00000000.ts"),
        ("%2e%2e%2fx.png", "brand/with/slashes\\and\\back"),
        ("..\\..\\x.png", "..%2F..%2F"),
    ]
    with api.client() as client:
        for filename, brand in hostile:
            response = upload(client, brand, filename, PNG, "image/png")
            assert response.status_code == 201, (filename, brand, response.text)
            assert response.json()["brand"] == brand  # kept as data, never used as a path
    after = all_objects(isolated)
    assert after[segments] == before[segments]
    assert store.get_bytes(segments, f"streams/{other_id}/00000000.ts") == SEGMENT
    logos_bucket = isolated.env["SIGHTLINE_LOGOS_BUCKET"]
    added = after[logos_bucket] - before[logos_bucket]
    assert len(added) == len(hostile)
    assert all(SERVER_KEY.match(key) for key in added), added


def raw_get(base_url: str, path: str, token: str) -> tuple[int, bytes]:
    """GET `path` byte for byte: http.client neither normalises `..` nor re-encodes."""
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_no_media_or_logo_route_reaches_another_streams_objects(api: ResultsApi) -> None:
    isolated = api.isolated
    segments = isolated.env["SIGHTLINE_SEGMENTS_BUCKET"]
    with api.client() as client:
        mine = client.post("/api/streams", json={"name": "mine", "source": {"kind": "rtmp"}})
        other = client.post("/api/streams", json={"name": "other", "source": {"kind": "rtmp"}})
    mine_id, other_id = mine.json()["id"], other.json()["id"]
    store = ObjectStore.from_settings(isolated.settings())
    store.put_bytes(segments, f"streams/{mine_id}/index.m3u8", PLAYLIST)
    store.put_bytes(
        segments, f"streams/{other_id}/index.m3u8", PLAYLIST.replace(b"EXTM3U", b"EXTM3U\n#OTHER")
    )
    store.put_bytes(segments, f"streams/{other_id}/00000000.ts", SEGMENT, "video/mp2t")

    # The control: the other stream's own routes do serve its objects.
    status, body = raw_get(api.base_url, f"/api/streams/{other_id}/segments/00000000.ts", api.token)
    assert (status, body) == (200, SEGMENT)

    attempts = [
        f"/api/streams/{mine_id}/../{other_id}/playlist.m3u8",
        f"/api/streams/{mine_id}/..%2F{other_id}/playlist.m3u8",
        f"/api/streams/{mine_id}%2F..%2F{other_id}/playlist.m3u8",
        f"/api/streams/..%2F{other_id}/playlist.m3u8",
        f"/api/streams/%2e%2e%2f{other_id}/playlist.m3u8",
        f"/api/streams/%2E%2E/{other_id}/playlist.m3u8",
        "/api/streams/%2e%2e/playlist.m3u8",
        f"/api/streams/{mine_id}/segments/../../{other_id}/segments/00000000.ts",
        f"/api/streams/{mine_id}/segments/..%2F..%2F{other_id}%2F00000000.ts",
        f"/api/streams/{mine_id}/segments/%2e%2e%2f{other_id}%2f00000000.ts",
        f"/api/streams/{mine_id}/segments/%252e%252e%252f{other_id}%252f00000000.ts",
        f"/api/streams/{mine_id}/segments/..%5C{other_id}%5C00000000.ts",
        f"/api/streams/streams%2F{other_id}/segments/00000000.ts",
        f"/api/logos/..%2F..%2F{segments}%2Fstreams%2F{other_id}%2F00000000.ts/image",
        f"/api/logos/%2e%2e%2fstreams%2f{other_id}%2f00000000.ts/image",
        f"/api/logos/../streams/{other_id}/segments/00000000.ts",
    ]
    leaks = []
    for path in attempts:
        status, body = raw_get(api.base_url, path, api.token)
        if status < 300 or b"secret video" in body or b"#OTHER" in body:
            leaks.append(f"{path}: {status} {body[:80]!r}")
    assert leaks == []


def png_bomb(width: int, height: int) -> bytes:
    """A real PNG of `width` x `height` black gray pixels: a few hundred kB that decode to
    width * height bytes (400 MB for 20,000 x 20,000)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        checksum = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + checksum

    deflate = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte + pixels
    pixels = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_refused_at_upload_without_being_decoded(
    isolated: Isolated,
) -> None:
    bomb = png_bomb(20_000, 20_000)
    assert len(bomb) < 5 * 1024 * 1024
    api = start_results_api(isolated)
    with api.client() as client:
        refused = upload(client, "Acme", "bomb.png", bomb, "image/png")
        assert refused.status_code == 422, refused.text
        assert "20000x20000" in refused.json()["detail"]
        assert client.get("/api/logos").json() == []
    assert all_objects(isolated)[isolated.env["SIGHTLINE_LOGOS_BUCKET"]] == set()
