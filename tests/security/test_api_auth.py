"""Every `/api` route of a running results-api refuses requests without a live token.

The routes are read from the application itself (every route under `/api`, whether or not it is
in the OpenAPI document), so a route added later is checked without touching this test; the
OpenAPI document the server publishes must list the same operations.
"""

from __future__ import annotations

import re

import cv2
import httpx
import pytest
from fastapi.routing import APIWebSocketRoute, RouteContext, iter_route_contexts

from sightline_analysis.synthetic import make_logo
from sightline_results_api.api.app import create_app
from sightline_results_api.api.deps import AppContext
from sightline_results_api.settings import ResultsApiSettings

from .conftest import ResultsApi

pytestmark = pytest.mark.integration

# Real images: an upload is decoded and judged for detectability, so signatures alone are refused.
PNG = cv2.imencode(".png", make_logo("ACME", seed=1))[1].tobytes()
OPEN_PATHS = ("/healthz", "/readyz", "/metrics")
DOCS_PATHS = ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")


def app_routes() -> list[RouteContext]:
    """Every route results-api serves, included routers flattened; building the app needs no
    server (nothing is called)."""
    context = AppContext(
        settings=ResultsApiSettings(),
        engine=None,  # only used by requests
        publisher=None,
        store=None,
        ready=lambda: True,
    )
    return list(iter_route_contexts(create_app(context).routes))


def api_operations() -> list[tuple[str, str]]:
    """(method, path template) of every HTTP route under `/api`."""
    routes = [r for r in app_routes() if (r.path or "").startswith("/api")]
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


def body_of(method: str) -> dict[str, object]:
    """An empty JSON body for methods that take one (auth is checked before the body)."""
    return {"json": {}} if method in {"POST", "PATCH", "PUT"} else {}


def unauthenticated_variants(api: ResultsApi, revoked: str) -> dict[str, dict[str, object]]:
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
    }


def test_every_api_route_refuses_missing_wrong_and_revoked_tokens(results_api: ResultsApi):
    operations = api_operations()
    assert len(operations) >= 15
    with httpx.Client(base_url=results_api.base_url, timeout=30) as anonymous:
        spec = anonymous.get("/openapi.json").json()
    documented = sorted(
        (method.upper(), path)
        for path, item in spec["paths"].items()
        if path.startswith("/api")
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


def test_only_ops_and_docs_live_outside_api_and_stay_open(results_api: ResultsApi):
    outside = {r.path for r in app_routes() if not (r.path or "").startswith("/api")}
    assert outside == {*OPEN_PATHS, *DOCS_PATHS}  # a new open route must be a conscious choice
    with httpx.Client(base_url=results_api.base_url, timeout=30) as anonymous:
        for path in OPEN_PATHS:
            assert anonymous.get(path).status_code == 200, path
        assert "# TYPE" in anonymous.get("/metrics").text
