"""The role matrix: who gets 200, 401, 403 (and 404 for sensors hidden from the public)."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from noiselab.api import problems
from noiselab.api.auth import VendorKey, _keys
from tests.api.conftest import Api

DAY = "start=2026-06-10&end=2026-06-10"
T = "start=2026-06-10T00:00:00Z&end=2026-06-10T06:00:00Z"
ROLES = ("public", "vendor", "engineer", "admin", "revoked")

# (method, url, body, expected status for public, vendor, engineer, admin, revoked key)
MATRIX = [
    ("GET", "/v1/sensors", None, (200, 200, 200, 200, 401)),
    ("GET", "/v1/sensors/pub-1", None, (200, 200, 200, 200, 401)),
    ("GET", "/v1/sensors/priv-1", None, (404, 404, 200, 200, 401)),
    ("GET", "/v1/sensors/pub-1/current", None, (200, 200, 200, 200, 401)),
    ("GET", "/v1/sensors/priv-1/current", None, (404, 404, 200, 200, 401)),
    ("GET", f"/v1/sensors/pub-1/levels?{T}&interval=1h", None, (200, 200, 200, 200, 401)),
    ("GET", f"/v1/sensors/pub-1/levels?{T}&interval=15min", None, (200, 200, 200, 200, 401)),
    ("GET", f"/v1/sensors/pub-1/levels?{T}&interval=1min", None, (401, 403, 200, 200, 401)),
    ("GET", f"/v1/sensors/pub-1/levels?{T}&interval=raw", None, (401, 403, 200, 200, 401)),
    ("GET", f"/v1/sensors/pub-1/daily?{DAY}", None, (200, 200, 200, 200, 401)),
    ("GET", f"/v1/sensors/pub-1/daily?{DAY}&format=csv", None, (401, 403, 200, 200, 401)),
    ("GET", "/v1/sensors/pub-1/annual?year=2026", None, (200, 200, 200, 200, 401)),
    ("GET", f"/v1/sensors/pub-1/events?{T}", None, (200, 200, 200, 200, 401)),
    ("GET", f"/v1/sensors/priv-1/events?{T}", None, (404, 404, 200, 200, 401)),
    ("GET", "/v1/sensors/pub-1/ngsi", None, (200, 200, 200, 200, 401)),
    ("GET", "/v1/targets", None, (200, 200, 200, 200, 401)),
    ("GET", f"/v1/compliance?{DAY}", None, (200, 200, 200, 200, 401)),
    ("GET", f"/v1/compliance?{DAY}&format=csv", None, (401, 403, 200, 200, 401)),
    ("GET", "/v1/keys", None, (401, 403, 403, 200, 401)),
    ("POST", "/v1/keys", {"role": "engineer"}, (401, 403, 403, 201, 401)),
    ("POST", "/v1/sensors", {"sensor_id": "new-1"}, (401, 403, 403, 201, 401)),
    ("PATCH", "/v1/sensors/priv-1", {"lat": 55.6, "lon": 12.4}, (401, 403, 403, 200, 401)),
    (
        "POST",
        "/v1/targets",
        {"id": "trial", "name": "Trial", "limits": [{"metric": "lden", "value_db": 55}]},
        (401, 403, 403, 201, 401),
    ),
]


@pytest.mark.parametrize(
    ("method", "url", "body", "expected"), MATRIX, ids=[f"{m} {u}" for m, u, _, _ in MATRIX]
)
@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(
    api: Api, method: str, url: str, body: object, expected: tuple[int, ...], role: str
) -> None:
    resp = api.send(method, url, role, json=body)
    want = expected[ROLES.index(role)]
    assert resp.status_code == want, resp.text
    if want >= 400:
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert resp.json()["status"] == want and resp.json()["detail"]
    if want == 401:
        assert "WWW-Authenticate" in resp.headers


def test_public_list_shows_only_public_sensors(api: Api) -> None:
    public = {s["sensor_id"] for s in api.get("/v1/sensors").json()}
    engineer = {s["sensor_id"]: s for s in api.get("/v1/sensors", "engineer").json()}
    assert public == {"pub-1", "fac-1"}
    assert set(engineer) == {"pub-1", "fac-1", "priv-1"}
    assert engineer["priv-1"]["placed"] is False


def test_x_api_key_header_and_bearer_are_equivalent(api: Api) -> None:
    key = api.keys["engineer"]
    a = api.client.get("/v1/sensors/priv-1", headers={"X-API-Key": key})
    b = api.client.get("/v1/sensors/priv-1", headers={"Authorization": f"Bearer {key}"})
    assert a.status_code == b.status_code == 200


def test_vendor_key_dependency_gives_the_vendor_name(api: Api) -> None:
    app = FastAPI()
    app.state.keys = api.client.app.state.keys  # type: ignore[attr-defined]
    problems.install(app)

    @app.post("/ingest")
    def ingest(vendor: VendorKey, keys: Annotated[object, Depends(_keys)]) -> dict[str, str]:
        return {"vendor": vendor}

    client = TestClient(app)
    assert client.post("/ingest", headers={"X-API-Key": api.keys["vendor"]}).json() == {"vendor": "acme"}
    assert client.post("/ingest").status_code == 401
    assert client.post("/ingest", headers={"X-API-Key": api.keys["engineer"]}).status_code == 403
    assert client.post("/ingest", headers={"X-API-Key": "nlk_forged"}).status_code == 401


def test_keys_are_stored_hashed(api: Api) -> None:
    raw = api.registry.db.query("SELECT key_hash, hint FROM api_keys")
    stored = " ".join(h for row in raw for h in row)
    for key in api.keys.values():
        assert key not in stored
