"""`/api/logos` against real MinIO, Postgres and Kafka: typed by bytes, size-limited, announced."""

from __future__ import annotations

import hashlib

import pytest

from sightline_common.storage import ObjectStore
from sightline_common.topics import Topic
from sightline_testkit.kafka import read_messages

pytestmark = pytest.mark.integration

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 64


def _entries(isolated):
    return [
        m.payload
        for m in read_messages(isolated.bootstrap, isolated.topics.name(Topic.LOGO_LIBRARY))
    ]


def _stored_keys(api_settings) -> list[str]:
    store = ObjectStore.from_settings(api_settings)
    return list(store.list_keys(api_settings.logos_bucket, "logos/"))


def test_upload_list_fetch_and_delete_a_logo(client, isolated, api_settings):
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


def test_a_non_image_is_415_and_leaves_nothing_behind(client, isolated, api_settings):
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


def test_an_oversize_upload_is_413_and_leaves_nothing_behind(client, isolated, api_settings):
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


def test_missing_fields_and_unknown_logos(client):
    assert (
        client.post("/api/logos", files={"image": ("a.png", PNG, "image/png")}).status_code == 422
    )
    assert client.post("/api/logos", data={"brand": "Acme"}).status_code == 422
    assert client.get("/api/logos/nope/image").status_code == 404
    assert client.delete("/api/logos/nope").status_code == 404
    assert client.get("/api/logos", headers={"Authorization": ""}).status_code == 401
