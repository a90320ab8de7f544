"""The OpenAPI document against the behaviour, hand-checked where schemathesis cannot tell: invalid
credentials, bounds, nullable fields, ingest bodies, ``Allow``."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from faults.schema import config_text
from noiselab.api import bodies
from tests.api.conftest import Api

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
BAD_CREDENTIALS = [
    {"Authorization": "Token abc"},
    {"Authorization": "Basic " + base64.b64encode(b"user:nlk_x").decode()},
    {"Authorization": "Bearer"},
    {"Authorization": ""},
    {"X-API-Key": ""},
    {"X-API-Key": "junk"},
    {"X-API-Key": "nlk_" + "A" * 43},
]


def _invalid(reason: str) -> float:
    return REGISTRY.get_sample_value("noiselab_api_invalid_credentials_total", {"reason": reason}) or 0.0


@pytest.mark.parametrize("headers", BAD_CREDENTIALS, ids=lambda h: repr(h)[:40])
@pytest.mark.parametrize("path", ["/v1/sensors", "/v1/targets", "/health", "/v1/public/overview", "/nowhere"])
def test_credentials_that_are_not_a_key_are_401_everywhere(
    api: Api, path: str, headers: dict[str, str]
) -> None:
    r = api.client.get(path, headers=headers)
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["status"] == 401 and r.json()["detail"]


def test_revoked_key_and_two_different_keys_are_401(api: Api) -> None:
    assert api.client.get("/v1/sensors", headers={"X-API-Key": api.keys["revoked"]}).status_code == 401
    both = {"X-API-Key": api.keys["engineer"], "Authorization": f"Bearer {api.keys['admin']}"}
    assert api.client.get("/v1/sensors", headers=both).status_code == 401
    same = {"X-API-Key": api.keys["engineer"], "Authorization": f"Bearer {api.keys['engineer']}"}
    assert api.client.get("/v1/sensors", headers=same).status_code == 200


def test_invalid_credentials_are_counted_by_reason(api: Api) -> None:
    before = {r: _invalid(r) for r in ("bad_scheme", "empty", "unknown_key")}
    api.client.get("/v1/sensors", headers={"Authorization": "Token abc"})
    api.client.get("/v1/sensors", headers={"X-API-Key": ""})
    api.client.get("/v1/sensors", headers={"X-API-Key": "junk"})
    api.client.get("/v1/sensors", headers={"X-API-Key": "junk2"})
    assert {r: _invalid(r) - before[r] for r in before} == {"bad_scheme": 1, "empty": 1, "unknown_key": 2}


def test_basic_carries_the_key_only_on_sensor_community_ingest(api: Api) -> None:
    good = "Basic " + base64.b64encode(f"esp8266-1:{api.keys['vendor']}".encode()).decode()
    body = json.loads((FIXTURES / "sensor-community-dnms.json").read_text())
    r = api.client.post(
        "/v1/ingest/sensor-community", json=body, headers={"Authorization": good, "X-Sensor": "esp8266-1"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 1
    assert api.client.get("/v1/sensors", headers={"Authorization": good}).status_code == 401
    wrong = "Basic " + base64.b64encode(b"esp8266-1:nlk_wrong").decode()
    r = api.client.post("/v1/ingest/sensor-community", json=body, headers={"Authorization": wrong})
    assert r.status_code == 401 and "Basic" in r.headers["www-authenticate"]


def test_admin_revokes_its_own_key_only_with_confirmation(api: Api) -> None:
    me = {"X-API-Key": api.keys["admin"]}
    [mine] = [k for k in api.client.get("/v1/keys", headers=me).json() if k["role"] == "admin"]
    r = api.client.delete(f"/v1/keys/{mine['key_id']}", headers=me)
    assert r.status_code == 409 and "confirm=true" in r.json()["detail"]
    assert api.client.get("/v1/keys", headers=me).status_code == 200  # still works
    assert api.client.delete(f"/v1/keys/{mine['key_id']}?confirm=true", headers=me).status_code == 204
    assert api.client.get("/v1/keys", headers=me).status_code == 401


@pytest.mark.parametrize(
    "url",
    [
        "/v1/dead-letters?since_id=9223372036854775808",
        "/v1/dead-letters?since_id=-1",
        "/v1/dead-letters?limit=99999999999999999999",
        "/v1/sensors/pub-1/annual?year=1999",
        "/v1/sensors/pub-1/annual?year=2100",
        "/v1/sensors/pub-1/daily?start=1999-12-31&end=2000-01-01",
        "/v1/keys/9223372036854775808",
    ],
)
def test_out_of_range_numbers_and_dates_are_422_never_500(api: Api, url: str) -> None:
    method = "DELETE" if url.startswith("/v1/keys") else "GET"
    r = api.client.request(method, url, headers={"X-API-Key": api.keys["admin"]})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_annual_accepts_its_whole_declared_range_and_names_year(api: Api) -> None:
    doc = api.client.get("/openapi.json").json()
    [year] = [
        p for p in doc["paths"]["/v1/sensors/{sensor_id}/annual"]["get"]["parameters"] if p["name"] == "year"
    ]
    low, high = year["schema"]["minimum"], year["schema"]["maximum"]
    assert (low, high) == (2000, 2099)
    for y in (low, high):
        assert api.get(f"/v1/sensors/pub-1/annual?year={y}").status_code == 200
    r = api.get(f"/v1/sensors/pub-1/annual?year={high + 1}")
    assert r.json()["errors"][0]["loc"] == ["query", "year"]


@pytest.mark.parametrize("interval_s", [1e-300, 0.0999, 86400.5, 0])
def test_interval_outside_0_1_to_86400_s_is_refused(api: Api, interval_s: float) -> None:
    body = {"sensor_id": "pub-1", "ts": "2026-06-10T07:00:00Z", "interval_s": interval_s, "laeq": 55.0}
    r = api.send("POST", "/v1/readings", "vendor", json=body)
    assert r.status_code == 422 and r.json()["reason"] == "bad_interval", r.text
    patch = api.send("PATCH", "/v1/sensors/pub-1", "admin", json={"interval_s": interval_s})
    assert patch.status_code == 422


def test_interval_at_the_bounds_is_accepted(api: Api) -> None:
    for interval_s, ts in ((0.1, "2026-06-10T07:00:30Z"), (86400, "2026-06-11T07:00:30Z")):
        body = {"sensor_id": "pub-1", "ts": ts, "interval_s": interval_s, "laeq": 55.0}
        r = api.send("POST", "/v1/readings", "vendor", json=body)
        assert r.status_code == 200 and r.json()["stored"] == 1, r.text


def test_patch_null_clears_nullable_fields_and_the_schema_says_which(api: Api) -> None:
    doc = api.client.get("/openapi.json").json()
    fields = doc["components"]["schemas"]["SensorFields"]["properties"]
    nullable = {k for k, v in fields.items() if {"type": "null"} in v.get("anyOf", [])}
    assert nullable == {
        "name",
        "vendor",
        "lat",
        "lon",
        "area_category",
        "sonometer_class",
        "interval_s",
        "target_profile",
    }
    r = api.send("PATCH", "/v1/sensors/pub-1", "admin", json=dict.fromkeys(nullable))
    assert r.status_code == 200, r.text
    assert all(r.json()[k] is None for k in nullable if k not in ("lat", "lon"))
    for field in set(fields) - nullable:
        assert api.send("PATCH", "/v1/sensors/pub-1", "admin", json={field: None}).status_code == 422


def test_ingest_needs_its_body(api: Api) -> None:
    for url in ("/v1/readings", "/v1/ingest/native", "/v1/ingest/ngsi"):
        r = api.send("POST", url, "vendor")
        assert r.status_code == 422 and r.json()["reason"] == "empty_body", r.text
    for body in ("null", "0"):
        r = api.client.post("/v1/readings", content=body, headers={"X-API-Key": api.keys["vendor"]})
        assert r.status_code == 422


def test_ingest_examples_are_the_fixture_payloads() -> None:
    """The document's examples are the shared fixtures plus what HTTP adds (sensor_id, Datastream)."""
    pairs = {
        ("native", "single"): ("native-single.json", {"sensor_id": "vb-strandvej-1"}),
        ("native", "batch"): ("native-batch.json", {"sensor_id": "vb-strandvej-1"}),
        ("sensor-community", "dnms"): ("sensor-community-dnms.json", {}),
        ("ngsi", "v2-keyvalues"): ("ngsi-v2-keyvalues.json", {}),
        ("sensorthings", "observation"): ("sensorthings-observation.json", {"Datastream": {"@iot.id": 17}}),
    }
    for (fmt, name), (file, added) in pairs.items():
        fixture = json.loads((FIXTURES / file).read_text())
        assert bodies.EXAMPLES[fmt][name] == {**fixture, **added}, (fmt, name)
    chirp = json.loads((FIXTURES / "chirpstack-v4-ws302.json").read_text())
    assert bodies.EXAMPLES["chirpstack"]["ws302"]["object"] == chirp["object"]


def test_every_example_body_is_accepted(api: Api) -> None:
    """Each format's example, posted to its path as the vendor, stores readings (the example is true)."""
    for fmt, examples in bodies.EXAMPLES.items():
        headers = {"X-API-Key": api.keys["vendor"], "X-Sensor": "esp8266-13597771"}
        for name, body in examples.items():
            r = api.client.post(f"/v1/ingest/{fmt}", json=body, headers=headers)
            assert r.status_code == 200 and r.json()["stored"] >= 1, (fmt, name, r.text)


def test_document_declares_errors_as_problem_json_and_csv(api: Api) -> None:
    doc = api.client.get("/openapi.json").json()
    ops = [(p, m, op) for p, item in doc["paths"].items() for m, op in item.items()]
    for path, method, op in ops:
        assert "401" in op["responses"], (path, method)
        for code, resp in op["responses"].items():
            if int(code) >= 400:
                assert list(resp["content"]) == ["application/problem+json"], (path, method, code)
        for param in op.get("parameters", []):
            schema = param["schema"]
            for variant in [schema, *schema.get("anyOf", [])]:
                if variant.get("type") in ("integer", "number"):
                    assert "minimum" in variant or "exclusiveMinimum" in variant, (path, param["name"])
                    assert "maximum" in variant or "exclusiveMaximum" in variant, (path, param["name"])
                if variant.get("format") in ("date", "date-time"):
                    assert variant["pattern"].startswith("^20"), (path, param["name"])
    daily = doc["paths"]["/v1/sensors/{sensor_id}/daily"]["get"]
    assert "text/csv" in daily["responses"]["200"]["content"]
    assert {} in doc["paths"]["/v1/sensors"]["get"]["security"]  # public: a key is optional
    assert {} not in doc["paths"]["/v1/keys"]["get"]["security"]  # admin only
    assert "/v1/ingest/{fmt}" not in doc["paths"]
    native = doc["paths"]["/v1/ingest/native"]["post"]["requestBody"]
    assert native["required"] is True and "anyOf" in native["content"]["application/json"]["schema"]


def test_405_allow_names_every_method_of_the_path(api: Api) -> None:
    r = api.send("PUT", "/v1/sensors", "admin")
    assert r.status_code == 405
    assert set(r.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    r = api.send("PUT", "/v1/sensors/pub-1", "admin")
    assert set(r.headers["allow"].replace(" ", "").split(",")) == {"GET", "PATCH", "DELETE"}


@pytest.mark.parametrize(
    "value",
    ["0", "1781074800", "2026-06-10 07:00:00Z", "2026-06-10t07:00:00Z", "1999-12-31T23:00:00Z", "2026-06-10"],
)
@pytest.mark.parametrize(
    "where", ["/v1/alerts?since={}", "/v1/sensors/pub-1/levels?start={}&end=2026-06-11T00:00:00Z"]
)
def test_date_time_parameters_refuse_what_their_pattern_refuses(api: Api, where: str, value: str) -> None:
    """An epoch number, a space or a small t instead of T, a year before 2000, a bare date: not the
    document's ISO pattern, so 422 (they used to be read as times)."""
    doc = api.client.get("/openapi.json").json()
    [since] = [p for p in doc["paths"]["/v1/alerts"]["get"]["parameters"] if p["name"] == "since"]
    [variant] = [v for v in since["schema"]["anyOf"] if v.get("format") == "date-time"]
    assert re.match(variant["pattern"], value) is None
    r = api.get(where.format(value), "engineer")
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_date_time_parameters_accept_iso_with_a_zone(api: Api) -> None:
    for value in ("2026-06-10T07:00:00Z", "2026-06-10T09:00:00+02:00"):
        assert api.get(f"/v1/alerts?since={value.replace('+', '%2B')}", "engineer").status_code == 200
    assert api.get("/v1/alerts?since=2026-06-10T07:00:00", "engineer").status_code == 422  # no zone


def test_refusals_of_valid_data_are_declared_where_they_happen(api: Api) -> None:
    """A 422 for schema-valid data is said in the document (in words and as x-refused-when-valid), and
    the schemathesis run lets only those operations answer it."""
    doc = api.client.get("/openapi.json").json()
    refusing = {
        (path, method)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if op.get("x-refused-when-valid")
    }
    assert {
        ("/v1/sensors/{sensor_id}", "patch"),
        ("/v1/sensors", "post"),
        ("/v1/readings", "post"),
        ("/v1/ingest/native", "post"),
        ("/v1/sensors/{sensor_id}/daily", "get"),
        ("/v1/compliance", "get"),
    } <= refusing
    assert ("/v1/ingest/native/check", "post") not in refusing  # the check answers 200 to any body
    assert ("/v1/sensors/{sensor_id}", "get") not in refusing
    patch = doc["paths"]["/v1/sensors/{sensor_id}"]["patch"]
    assert "target_profile" in patch["responses"]["422"]["description"]
    r = api.send("PATCH", "/v1/sensors/pub-1", "admin", json={"target_profile": "no-such-profile"})
    assert r.status_code == 422 and "unknown target profile" in r.json()["detail"]
    toml = config_text(doc)
    assert toml.count("[[operations]]") == len(refusing)
    assert 'include-path = "/v1/sensors/{sensor_id}"\ninclude-method = "PATCH"' in toml
    assert 'include-path = "/v1/sensors/{sensor_id}"\ninclude-method = "GET"' not in toml


def test_a_sensor_just_registered_is_found_before_it_sends(api: Api) -> None:
    """schemathesis' stateful finding: POST /v1/sensors, then GET its /current was 404 "unknown sensor".
    A registered sensor without readings is there: status no_data, latest null; an unknown one is 404."""
    r = api.send("POST", "/v1/sensors", "admin", json={"sensor_id": "q9", "facade": True})
    assert r.status_code == 201, r.text
    for role in ("engineer", "admin"):
        cur = api.get("/v1/sensors/q9/current", role)
        assert cur.status_code == 200, cur.text
        assert cur.json() == {
            "sensor_id": "q9",
            "latest": None,
            "laeq_last_hour": None,
            "seconds_last_hour": 0.0,
            "status": "no_data",
            "age_s": None,
        }
        assert api.get("/v1/sensors/q9", role).json()["sensor_id"] == "q9"
    assert api.get("/v1/sensors/q9/current").status_code == 404  # not public: not revealed
    assert api.get("/v1/sensors/never-made/current", "admin").status_code == 404


@pytest.mark.parametrize("fmt", ["native", "ngsi", "sensorthings"])
def test_array_bodies_refuse_items_in_a_200_and_say_so(api: Api, fmt: str) -> None:
    """schemathesis' vendor finding: an array of strings got 200 (each item refused) where the document typed
    the items as objects. Items are checked one by one, so the document leaves their type open; an empty
    array holds no readings (422) and the document says minItems 1."""
    doc = api.client.get("/openapi.json").json()
    schema = doc["paths"][f"/v1/ingest/{fmt}"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    [array] = [v for v in schema["anyOf"] if v.get("type") == "array"]
    assert array["minItems"] == 1 and "items" not in array
    r = api.send("POST", f"/v1/ingest/{fmt}", "vendor", json=["x", 1, None])
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 0
    assert [(x["index"], x["reason"]) for x in r.json()["refused"]] == [
        (0, "bad_type"),
        (1, "bad_type"),
        (2, "bad_type"),
    ]
    empty = api.send("POST", f"/v1/ingest/{fmt}", "vendor", json=[])
    assert empty.status_code == 422 and empty.json()["reason"] == "no_readings"
