"""Every `/api` route of a running results-api refuses requests without a live token, a
read-only token on every route that changes something, and an expired token everywhere.

The routes are read from the application itself (every route under `/api`, whether or not it is
in the OpenAPI document), so a route added later is checked without touching this test; the
OpenAPI document the server publishes must list the same operations. The signed HLS routes
(`/api/hls/...`) take a playback signature instead of a token and are checked for that.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import cv2
import httpx
import pytest
from fastapi.routing import APIWebSocketRoute, RouteContext, iter_route_contexts

from sightline_analysis.synthetic import make_logo
from sightline_results_api.api.app import create_app
from sightline_results_api.api.deps import AppContext
from sightline_results_api.settings import ResultsApiSettings

from .conftest import ResultsApi

# One results-api for the module's tests (the `results_api` fixture): on one worker.
# Tokens on every route are the subject, not partitions: one per topic is enough (testkit).
pytestmark = [
    pytest.mark.integration,
    pytest.mark.xdist_group("api-auth"),
    pytest.mark.topic_partitions(1),
]

# Real images: an upload is decoded and judged for detectability, so signatures alone are refused.
PNG = cv2.imencode(".png", make_logo("ACME", seed=1))[1].tobytes()
OPEN_PATHS = ("/healthz", "/readyz", "/metrics")
SIGNED_PREFIX = "/api/hls/"  # a playback signature instead of a token (test_signed_media_*)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
DOCS_PATHS = ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")


def app_routes() -> list[RouteContext]:
    """Every route results-api serves, included routers flattened; building the app needs no
    server (nothing is called)."""
    unused: Any = None  # engine, publisher and store are only used by requests
    context = AppContext(
        settings=ResultsApiSettings(),
        engine=unused,
        publisher=unused,
        store=unused,
        ready=lambda: True,
    )
    return list(iter_route_contexts(create_app(context).routes))


def api_operations(signed: bool = False) -> list[tuple[str, str]]:
    """(method, path template) of every HTTP route under `/api` that takes a token (`signed`:
    the ones that take a playback signature instead)."""
    routes = [
        r
        for r in app_routes()
        if (r.path or "").startswith("/api") and (r.path or "").startswith(SIGNED_PREFIX) == signed
    ]
    assert not [r for r in routes if isinstance(r.original_route, APIWebSocketRoute)], (
        "a WebSocket under /api: check its handshake here too"
    )
    return sorted((method, route.path or "") for route in routes for method in route.methods or ())


def existing_ids(api: ResultsApi) -> dict[str, str]:
    """Ids of real objects, so that a route missing its auth would answer 2xx, not 404."""
    with api.client() as client:
        stream = client.post("/api/streams", json={"name": "cam", "source": {"kind": "rtmp"}})
        assert stream.status_code == 201, stream.text
        stream_id = stream.json()["id"]
        logo = client.post(
            "/api/logos", data={"brand": "Acme"}, files={"image": ("a.png", PNG, "image/png")}
        )
        assert logo.status_code == 201, logo.text
        run = client.post(
            "/api/reanalysis",
            json={"stream_id": stream_id, "from": 0, "to": 10, "detectors": ["logo"]},
        )
        assert run.status_code == 202, run.text
    return {
        "stream_id": stream_id,
        "logo_id": logo.json()["id"],
        "run_id": run.json()["run_id"],
        "name": "00000000.ts",
    }


def concrete(path: str, ids: dict[str, str]) -> str:
    """The path template with real ids (or a placeholder for a parameter this test lacks)."""
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: ids.get(m.group(1), "x"), path)


def body_of(method: str) -> dict[str, Any]:
    """An empty JSON body for methods that take one (auth is checked before the body)."""
    return {"json": {}} if method in {"POST", "PATCH", "PUT"} else {}


def unauthenticated_variants(api: ResultsApi, revoked: str) -> dict[str, dict[str, Any]]:
    """Ways to call without a live token: request kwargs by description."""
    tampered = api.token[:-1] + ("A" if api.token[-1] != "A" else "B")
    return {
        "no token": {},
        "bare scheme": {"headers": {"Authorization": "Bearer"}},
        "wrong bearer": {"headers": {"Authorization": "Bearer sl_not-a-real-token"}},
        "tampered bearer": {"headers": {"Authorization": f"Bearer {tampered}"}},
        "revoked bearer": {"headers": {"Authorization": f"Bearer {revoked}"}},
        "live token, wrong scheme": {"headers": {"Authorization": f"Basic {api.token}"}},
        "wrong query token": {"params": {"access_token": "sl_not-a-real-token"}},
        "revoked query token": {"params": {"access_token": revoked}},
        "live token in the query": {"params": {"access_token": api.token}},  # URLs get logged
    }


def test_every_api_route_refuses_missing_wrong_and_revoked_tokens(results_api: ResultsApi) -> None:
    operations = api_operations()
    assert len(operations) >= 15
    with httpx.Client(base_url=results_api.base_url, timeout=30) as anonymous:
        spec = anonymous.get("/openapi.json").json()
    documented = sorted(
        (method.upper(), path)
        for path, item in spec["paths"].items()
        if path.startswith("/api") and not path.startswith(SIGNED_PREFIX)
        for method in item
    )
    assert documented == operations  # the published document lists exactly the routes served

    ids = existing_ids(results_api)
    revoked = results_api.cli("token", "create", "--name", "revoked").strip().splitlines()[-1]
    results_api.cli("token", "revoke", "revoked")

    accepted: list[str] = []
    with httpx.Client(base_url=results_api.base_url, timeout=30) as anonymous:
        for method, template in operations:
            path = concrete(template, ids)
            for how, kwargs in unauthenticated_variants(results_api, revoked).items():
                response = anonymous.request(method, path, **kwargs, **body_of(method))
                if response.status_code != 401:
                    accepted.append(f"{method} {path} ({how}): {response.status_code}")
                elif response.headers.get("www-authenticate") != "Bearer":
                    accepted.append(f"{method} {path} ({how}): 401 without WWW-Authenticate")
        # The same routes answer a live token (not 401): the refusals above were the token's.
        for method, template in operations:
            response = anonymous.request(
                method,
                concrete(template, ids),
                headers={"Authorization": f"Bearer {results_api.token}"},
                **body_of(method),
            )
            assert response.status_code != 401, f"{method} {template}: live token refused"
    assert accepted == []


def test_only_ops_and_docs_live_outside_api_and_stay_open(results_api: ResultsApi) -> None:
    outside = {r.path for r in app_routes() if not (r.path or "").startswith("/api")}
    assert outside == {*OPEN_PATHS, *DOCS_PATHS}  # a new open route must be a conscious choice
    with httpx.Client(base_url=results_api.base_url, timeout=30) as anonymous:
        for path in OPEN_PATHS:
            assert anonymous.get(path).status_code == 200, path
        assert "# TYPE" in anonymous.get("/metrics").text


def documented_operations(api: ResultsApi) -> list[tuple[str, str]]:
    """(method, path) of every token-protected operation in the OpenAPI document the server
    publishes, so a route added later is covered without touching the tests below."""
    with httpx.Client(base_url=api.base_url, timeout=30) as anonymous:
        spec = anonymous.get("/openapi.json").json()
    return sorted(
        (method.upper(), path)
        for path, item in spec["paths"].items()
        if path.startswith("/api") and not path.startswith(SIGNED_PREFIX)
        for method in item
    )


def test_read_only_and_expired_tokens_on_every_route(results_api: ResultsApi) -> None:
    # One server and one set of objects for both checks: creating them is most of the cost.
    operations = documented_operations(results_api)
    ids = existing_ids(results_api)
    read_only_token_may_read_but_changes_nothing(results_api, operations, ids)
    expired_token_is_refused_on_every_route(results_api, operations, ids)


def read_only_token_may_read_but_changes_nothing(
    results_api: ResultsApi, operations: list[tuple[str, str]], ids: dict[str, str]
) -> None:
    mutating = [(m, p) for m, p in operations if m not in SAFE_METHODS]
    assert len(mutating) >= 10
    created = results_api.cli("token", "create", "--name", "wall", "--scope", "read")
    reader = created.strip().splitlines()[-1]
    assert "read" in created.splitlines()[0]

    wrong: list[str] = []
    with results_api.client(reader) as client:
        for method, template in operations:
            response = client.request(method, concrete(template, ids), **body_of(method))
            expected_refusal = method not in SAFE_METHODS
            if expected_refusal and response.status_code != 403:
                wrong.append(f"{method} {template}: {response.status_code}, not 403")
            if not expected_refusal and response.status_code in {401, 403}:
                wrong.append(f"{method} {template}: {response.status_code} for a read")
        assert client.get(f"/api/streams/{ids['stream_id']}").status_code == 200
    assert wrong == []
    with results_api.client() as writer:  # nothing a refused call named was touched
        assert writer.get(f"/api/streams/{ids['stream_id']}").status_code == 200
        logos = writer.get("/api/logos").json()
        assert ids["logo_id"] in json.dumps(logos)


def expired_token_is_refused_on_every_route(
    results_api: ResultsApi, operations: list[tuple[str, str]], ids: dict[str, str]
) -> None:
    lasting = results_api.cli("token", "create", "--name", "month", "--expires-in", "30d")
    short = results_api.cli("token", "create", "--name", "brief", "--expires-in", "2")
    issued = time.monotonic()
    with results_api.client(lasting.strip().splitlines()[-1]) as client:
        assert client.get("/api/streams").status_code == 200  # expiry in the future: live
    listing = results_api.cli("token", "list")
    assert "live until" in next(line for line in listing.splitlines() if " month " in line)
    time.sleep(max(0.0, issued + 2.5 - time.monotonic()))

    accepted: list[str] = []
    with results_api.client(short.strip().splitlines()[-1]) as client:
        for method, template in operations:
            response = client.request(method, concrete(template, ids), **body_of(method))
            if response.status_code != 401:
                accepted.append(f"{method} {template}: {response.status_code}")
    assert accepted == []
    listing = results_api.cli("token", "list")
    assert "expired" in next(line for line in listing.splitlines() if " brief " in line)
    done = results_api.isolated.run(
        "sightline_results_api.cli", "token", "create", "--name", "x", "--expires-at", "2001-01-01"
    )
    assert done.returncode == 1
    assert "not in the future" in done.stderr


def test_signed_media_routes_refuse_without_a_valid_signature(results_api: ResultsApi) -> None:
    signed = api_operations(signed=True)
    assert signed == [
        ("GET", "/api/hls/streams/{stream_id}/playlist.m3u8"),
        ("GET", "/api/hls/streams/{stream_id}/segments/{name}"),
    ]
    with results_api.client() as client:
        stream = client.post("/api/streams", json={"name": "cam", "source": {"kind": "rtmp"}})
        ids = {"stream_id": stream.json()["id"], "name": "00000000.ts"}
        url = client.get(f"/api/streams/{ids['stream_id']}/playback").json()["playlist_url"]
    query = url.split("?", 1)[1]
    with httpx.Client(base_url=results_api.base_url, timeout=30) as anonymous:
        for _method, template in signed:
            path = concrete(template, ids)
            tries = {
                "nothing": {},
                "the API token": {"headers": {"Authorization": f"Bearer {results_api.token}"}},
                "the token in the query": {"params": {"access_token": results_api.token}},
                "the playlist's signature": {"params": query},
            }
            for how, kwargs in tries.items():
                response = anonymous.get(path, **kwargs)
                if template.endswith("playlist.m3u8") and how == "the playlist's signature":
                    continue  # its own signature: the one allowed case (tested elsewhere)
                assert response.status_code == 403, (template, how, response.status_code)
