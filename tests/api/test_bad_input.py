"""Bad queries are 4xx problem+json with a readable detail, never 500."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api

BAD = [
    ("/v1/sensors/pub-1/levels?start=2026-06-10T00:00:00&end=2026-06-10T01:00:00Z", 422, "timezone"),
    ("/v1/sensors/pub-1/levels?start=2026-06-10T02:00:00Z&end=2026-06-10T01:00:00Z", 422, "after start"),
    ("/v1/sensors/pub-1/levels?start=2026-06-10T00:00:00Z&end=2026-06-10T00:00:00Z", 422, "after start"),
    (
        "/v1/sensors/pub-1/levels?start=2026-06-01T00:00:00Z&end=2026-06-10T00:00:00Z&interval=1min",
        422,
        "10000",
    ),
    # long raw and events ranges are paged, not refused (tests/api/test_metric_params.py)
    (
        "/v1/sensors/pub-1/levels?start=2026-06-01T00:00:00Z&end=2026-06-10T00:00:00Z&interval=raw&schem=eu",
        422,
        "unknown query parameter 'schem'",
    ),
    (
        "/v1/sensors/pub-1/levels?start=2000-01-01T00:00:00Z&end=2026-06-10T00:00:00Z&interval=1d",
        422,
        "range",
    ),
    (
        "/v1/sensors/pub-1/levels?start=2026-06-10T00:00:00Z&end=2026-06-10T01:00:00Z&interval=5min",
        422,
        "interval",
    ),
    ("/v1/sensors/pub-1/levels?start=yesterday&end=2026-06-10T01:00:00Z", 422, "start"),
    ("/v1/sensors/pub-1/levels?end=2026-06-10T01:00:00Z", 422, "start"),
    ("/v1/sensors/pub-1/daily?start=2026-06-10&end=2026-06-01", 422, "before start"),
    ("/v1/sensors/pub-1/daily?start=2025-01-01&end=2026-06-01", 422, "366"),
    ("/v1/sensors/pub-1/daily?start=2026-13-01&end=2026-06-01", 422, "start"),
    ("/v1/sensors/pub-1/annual?year=99999", 422, "year"),
    ("/v1/sensors/pub-1/events?start=2026-05-01T00:00:00Z&end=2026-06-10T00:00:00Z&limit=0", 422, "limit"),
    (
        "/v1/sensors/pub-1/events?start=2026-06-10T00:00:00Z&end=2026-06-10T01:00:00Z&threshold=loud",
        422,
        "threshold",
    ),
    ("/v1/sensors/nobody/daily?start=2026-06-10&end=2026-06-10", 404, "nobody"),
    ("/v1/sensors/bad%20id!/daily?start=2026-06-10&end=2026-06-10", 422, "sensor_id"),
    (f"/v1/sensors/{'x' * 65}", 422, "sensor_id"),
    ("/v1/sensors/pub-1/ngsi?format=v3", 422, "format"),
    ("/v1/compliance?start=2026-06-10&end=2026-06-01", 422, "before start"),
    ("/v1/sensors/pub-1/daily?start=2026-06-10&end=2026-06-10&format=xml", 422, "format"),
]


@pytest.mark.parametrize(("url", "status", "mentions"), BAD)
def test_bad_query_is_a_problem(api: Api, url: str, status: int, mentions: str) -> None:
    resp = api.get(url, "engineer")
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    assert body["status"] == status and mentions.lower() in body["detail"].lower()


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/v1/sensors", {"sensor_id": "a b"}),
        ("POST", "/v1/sensors", {"sensor_id": "ok-1", "lat": 91}),
        ("POST", "/v1/sensors", {"sensor_id": "ok-1", "area_category": "moon"}),
        ("POST", "/v1/sensors", {"sensor_id": "ok-1", "colour": "red"}),
        ("PATCH", "/v1/sensors/pub-1", {"interval_s": -1}),
        ("POST", "/v1/targets", {"id": "x", "name": "x", "limits": []}),
        ("POST", "/v1/targets", {"id": "x", "name": "x", "limits": [{"metric": "lmoon", "value_db": 50}]}),
        ("POST", "/v1/keys", {"role": "vendor"}),
        ("POST", "/v1/keys", {"role": "root"}),
    ],
)
def test_bad_admin_bodies(api: Api, method: str, url: str, body: dict[str, object]) -> None:
    resp = api.send(method, url, "admin", json=body)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "url",
    [
        "/v1/sensors/pub-1/levels?start=0001-01-01T00:00:00Z&end=0001-01-01T01:00:00Z",
        "/v1/sensors/pub-1/levels?start=9999-12-31T00:00:00%2B14:00&end=9999-12-31T01:00:00Z",
        "/v1/sensors/pub-1/events?start=0001-01-01T00:00:00-12:00&end=0001-01-01T01:00:00Z",
        "/v1/sensors/pub-1/daily?start=0001-01-01&end=0001-01-02",
        "/v1/compliance?start=9999-12-30&end=9999-12-31",
    ],
)
def test_times_outside_the_supported_years_are_refused(api: Api, url: str) -> None:
    resp = api.get(url, "engineer")
    assert resp.status_code == 422 and "between 2000-01-01 and 2099-12-31" in resp.json()["detail"]


@pytest.mark.parametrize("field", ["facade", "public", "placed", "source_type"])
def test_patch_null_for_a_required_registry_field_is_422(api: Api, field: str) -> None:
    r = api.send("PATCH", "/v1/sensors/pub-1", "admin", json={field: None})
    assert r.status_code == 422 and field in r.json()["detail"]
    assert r.headers["content-type"].startswith("application/problem+json")
    assert api.get("/v1/sensors/pub-1", "admin").status_code == 200
