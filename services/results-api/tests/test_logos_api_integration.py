"""`/api/logos` against real MinIO, Postgres and Kafka: typed by bytes, size-limited, judged for
detectability (an undetectable reference refused), announced."""

from __future__ import annotations

import hashlib

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from sightline_analysis.synthetic import make_logo, make_transparent_logo
from sightline_common.messages import LogoEntry
from sightline_common.storage import ObjectStore
from sightline_common.topics import Topic
from sightline_results_api.settings import ResultsApiSettings
from sightline_testkit.kafka import read_messages
from sightline_testkit.plugin import Isolated

pytestmark = pytest.mark.integration


def encoded(image: np.ndarray, extension: str) -> bytes:
    ok, data = cv2.imencode(extension, image)
    assert ok
    return data.tobytes()


PNG = encoded(make_transparent_logo("NOVA", seed=3), ".png")
JPEG = encoded(make_logo("ACME", seed=1), ".jpg")


def _entries(isolated: Isolated) -> list[LogoEntry]:
    return [
        m.payload
        for m in read_messages(isolated.bootstrap, isolated.topics.name(Topic.LOGO_LIBRARY))
    ]


def _stored_keys(api_settings: ResultsApiSettings) -> list[str]:
    store = ObjectStore.from_settings(api_settings)
    return list(store.list_keys(api_settings.logos_bucket, "logos/"))


def test_upload_list_fetch_and_delete_a_logo(
    client: TestClient, isolated: Isolated, api_settings: ResultsApiSettings
) -> None:
    created = client.post(
        "/api/logos", data={"brand": "Acme"}, files={"image": ("acme.bin", PNG, "text/plain")}
    )
    assert created.status_code == 201, created.text
    logo = created.json()
    assert logo["brand"] == "Acme"
    assert logo["content_type"] == "image/png"  # from the bytes, not the declared type
    assert logo["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert [entry["id"] for entry in client.get("/api/logos").json()] == [logo["id"]]

    image = client.get(logo["image_url"])
    assert image.status_code == 200
    assert image.content == PNG
    assert image.headers["content-type"] == "image/png"

    [entry] = _entries(isolated)
    assert entry.logo_id == logo["id"]
    assert entry.brand == "Acme"
    assert entry.bucket == api_settings.logos_bucket
    assert entry.sha256 == logo["sha256"]
    assert not entry.deleted

    assert client.delete(f"/api/logos/{logo['id']}").status_code == 204
    assert client.get("/api/logos").json() == []
    assert client.get(logo["image_url"]).status_code == 404
    assert client.delete(f"/api/logos/{logo['id']}").status_code == 404
    _added, removed = _entries(isolated)
    assert removed.deleted
    assert removed.logo_id == logo["id"]
    assert _stored_keys(api_settings) == []


def test_the_upload_says_how_detectable_the_logo_is(client: TestClient) -> None:
    transparent = client.post(
        "/api/logos", data={"brand": "Nova"}, files={"image": ("nova.png", PNG, "image/png")}
    )
    assert transparent.status_code == 201, transparent.text
    judged = transparent.json()["detectability"]
    assert judged["detectable"] is True
    assert judged["transparent"] is True
    assert 0 < judged["opaque_share"] < 1
    # The transparent margin is cropped: the opaque content is smaller than the 400x240 canvas.
    assert judged["width_px"] < 400
    assert judged["height_px"] < 240
    assert judged["features"] > 0
    assert 0 < judged["min_width_px"] <= 200
    assert isinstance(judged["warnings"], list)

    opaque = client.post(
        "/api/logos", data={"brand": "Acme"}, files={"image": ("acme.jpg", JPEG, "image/jpeg")}
    )
    assert opaque.status_code == 201, opaque.text
    assert opaque.json()["detectability"]["transparent"] is False
    assert (opaque.json()["detectability"]["width_px"], opaque.json()["content_type"]) == (
        400,
        "image/jpeg",
    )


def test_a_logo_that_cannot_be_found_at_all_is_422_and_leaves_nothing_behind(
    client: TestClient, isolated: Isolated, api_settings: ResultsApiSettings
) -> None:
    flat = encoded(np.full((120, 300, 3), 200, np.uint8), ".png")
    see_through = encoded(np.zeros((120, 300, 4), np.uint8), ".png")
    for name, image in (("flat.png", flat), ("clear.png", see_through)):
        response = client.post(
            "/api/logos", data={"brand": "Blank"}, files={"image": (name, image, "image/png")}
        )
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["detail"].startswith("this logo cannot be detected in video: cannot be found")
        assert body["detectability"]["detectable"] is False
    assert client.get("/api/logos").json() == []
    assert _entries(isolated) == []
    assert _stored_keys(api_settings) == []


def test_a_damaged_image_is_415(
    client: TestClient, isolated: Isolated, api_settings: ResultsApiSettings
) -> None:
    damaged = PNG[:64]  # the signature and header, the pixels cut off
    response = client.post(
        "/api/logos", data={"brand": "Acme"}, files={"image": ("cut.png", damaged, "image/png")}
    )
    assert response.status_code == 415, response.text
    assert "cannot be decoded" in response.json()["detail"]
    assert client.get("/api/logos").json() == []
    assert _entries(isolated) == []
    assert _stored_keys(api_settings) == []


def test_a_non_image_is_415_and_leaves_nothing_behind(
    client: TestClient, isolated: Isolated, api_settings: ResultsApiSettings
) -> None:
    response = client.post(
        "/api/logos",
        data={"brand": "Acme"},
        files={"image": ("logo.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/png")},
    )
    assert response.status_code == 415
    assert "PNG" in response.json()["detail"]
    assert client.get("/api/logos").json() == []
    assert _entries(isolated) == []
    assert _stored_keys(api_settings) == []


def test_an_oversize_upload_is_413_and_leaves_nothing_behind(
    client: TestClient, isolated: Isolated, api_settings: ResultsApiSettings
) -> None:
    too_big = PNG + b"\x00" * api_settings.max_logo_bytes
    response = client.post(
        "/api/logos", data={"brand": "Acme"}, files={"image": ("big.png", too_big, "image/png")}
    )
    assert response.status_code == 413
    far_too_big = too_big + b"\x00" * 200_000  # refused from Content-Length, before parsing
    response = client.post(
        "/api/logos", data={"brand": "Acme"}, files={"image": ("big.png", far_too_big, "image/png")}
    )
    assert response.status_code == 413
    assert "request larger" in response.json()["detail"]
    assert client.get("/api/logos").json() == []
    assert _entries(isolated) == []
    assert _stored_keys(api_settings) == []


def test_missing_fields_and_unknown_logos(client: TestClient) -> None:
    assert (
        client.post("/api/logos", files={"image": ("a.png", PNG, "image/png")}).status_code == 422
    )
    assert client.post("/api/logos", data={"brand": "Acme"}).status_code == 422
    assert client.get("/api/logos/nope/image").status_code == 404
    assert client.delete("/api/logos/nope").status_code == 404
    assert client.get("/api/logos", headers={"Authorization": ""}).status_code == 401
