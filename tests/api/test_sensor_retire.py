"""Retire, reinstate and delete a sensor (admin): a retired sensor keeps its data (engineers read it by id)
but leaves sensor lists, compliance, the residents' page and the public API; delete needs a retired sensor
and keeps the readings, and says so; every action is in the audit log."""

from __future__ import annotations

from tests.api.conftest import Api

DAY = "start=2026-06-10&end=2026-06-10&day_start=00:00"


def _listed(api: Api, url: str, role: str) -> set[str]:
    resp = api.get(url, role)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    items = body["sensors"] if isinstance(body, dict) else body
    return {item["sensor_id"] for item in items}


def test_a_retired_sensor_leaves_current_answers_and_keeps_its_data(api: Api) -> None:
    assert "pub-1" in _listed(api, "/v1/public/overview", "public")
    assert "pub-1" in _listed(api, f"/v1/compliance?{DAY}", "engineer")
    daily_before = api.get(f"/v1/sensors/pub-1/daily?{DAY}", "engineer").json()

    resp = api.send("POST", "/v1/sensors/pub-1/retire", "admin")
    assert resp.status_code == 200 and resp.json()["retired"] is True and resp.json()["retired_ms"] > 0

    assert "pub-1" not in _listed(api, "/v1/public/overview", "public")
    assert "pub-1" not in _listed(api, "/v1/sensors", "engineer")
    assert "pub-1" not in _listed(api, "/v1/sensors", "public")
    assert "pub-1" in _listed(api, "/v1/sensors?include_retired=true", "engineer")
    assert "pub-1" not in _listed(api, "/v1/sensors?include_retired=true", "public")  # engineers only
    assert "pub-1" not in _listed(api, f"/v1/compliance?{DAY}", "engineer")
    assert {"fac-1"} <= _listed(api, f"/v1/compliance?{DAY}", "engineer")
    assert api.get("/v1/public/overview?sensor=pub-1").status_code == 404
    assert api.get("/v1/public/sensors/pub-1").status_code == 404
    assert api.get("/sensors/pub-1").status_code == 404  # the residents' page
    assert api.get(f"/v1/sensors/pub-1/daily?{DAY}").status_code == 404  # public API
    # the data stays: an engineer reads the same daily record by id
    assert api.get(f"/v1/sensors/pub-1/daily?{DAY}", "engineer").json() == daily_before
    assert api.get("/v1/sensors/pub-1", "engineer").json()["retired"] is True

    assert api.send("POST", "/v1/sensors/pub-1/reinstate", "admin").json()["retired"] is False
    assert "pub-1" in _listed(api, "/v1/public/overview", "public")
    assert api.get("/sensors/pub-1").status_code == 200


def test_delete_needs_a_retired_sensor_and_keeps_the_readings(api: Api) -> None:
    refused = api.send("DELETE", "/v1/sensors/fac-1", "admin")
    assert refused.status_code == 409 and "retire it first" in refused.json()["detail"]
    assert api.send("POST", "/v1/sensors/fac-1/retire", "admin").status_code == 200
    resp = api.send("DELETE", "/v1/sensors/fac-1", "admin")
    assert resp.status_code == 200
    body = resp.json()
    assert body["deleted"] is True and body["readings_kept"] is True and "readings are kept" in body["detail"]
    assert api.registry.get_sensor("fac-1") is None
    assert api.store.latest("fac-1") is not None
    assert "fac-1" not in _listed(api, "/v1/sensors?include_retired=true", "engineer")
    assert "fac-1" not in _listed(api, f"/v1/compliance?{DAY}", "engineer")
    assert api.send("DELETE", "/v1/sensors/fac-1", "admin").status_code == 404  # gone


def test_deleting_a_sensor_without_readings_says_so(api: Api) -> None:
    assert api.send("POST", "/v1/sensors", "admin", json={"sensor_id": "test-9"}).status_code == 201
    api.send("POST", "/v1/sensors/test-9/retire", "admin")
    body = api.send("DELETE", "/v1/sensors/test-9", "admin").json()
    assert body["readings_kept"] is False and "no stored readings" in body["detail"]


def test_bad_requests(api: Api) -> None:
    assert api.send("POST", "/v1/sensors/nope/retire", "admin").status_code == 404
    assert api.send("POST", "/v1/sensors/nope/reinstate", "admin").status_code == 404
    assert api.send("DELETE", "/v1/sensors/nope", "admin").status_code == 404
    assert api.send("POST", "/v1/sensors/bad..id!/retire", "admin").status_code in (404, 422)
    assert api.send("POST", "/v1/sensors/pub-1/reinstate", "admin").status_code == 409  # not retired
    assert api.send("POST", "/v1/sensors/pub-1/retire", "admin").status_code == 200
    twice = api.send("POST", "/v1/sensors/pub-1/retire", "admin")
    assert twice.status_code == 409 and "already retired" in twice.json()["detail"]
    for role, status in (("public", 401), ("vendor", 403), ("engineer", 403)):
        assert api.send("POST", "/v1/sensors/fac-1/retire", role).status_code == status
        assert api.send("DELETE", "/v1/sensors/fac-1", role).status_code == status
    assert api.registry.get_sensor("fac-1") is not None and not api.registry.get_sensor("fac-1").retired  # type: ignore[union-attr]
    assert api.send("POST", "/v1/sensors/pub-1/retire?force=1", "admin").status_code == 422  # strict query


def test_admin_actions_on_sensors_are_audited(api: Api) -> None:
    api.send("POST", "/v1/sensors/pub-1/retire", "admin")
    api.send("POST", "/v1/sensors/pub-1/retire", "admin")  # refused: not audited
    api.send("POST", "/v1/sensors/pub-1/reinstate", "admin")
    api.send("POST", "/v1/sensors/pub-1/retire", "admin")
    api.send("DELETE", "/v1/sensors/pub-1", "admin")
    entries = api.get("/v1/audit?target=sensor:pub-1", "admin").json()
    assert [e["action"] for e in entries] == [
        "sensor.retire",
        "sensor.reinstate",
        "sensor.retire",
        "sensor.delete",
    ]
    assert all(e["actor"].startswith("key:") for e in entries)
    assert entries[-1]["detail"]["readings_kept"] is True and entries[-1]["detail"]["public"] is True
