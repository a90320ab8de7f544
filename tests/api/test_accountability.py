"""Issue #13 over the API: ownership over HTTP (atomic first claim, not_your_sensor), provenance of a sensor's
data (route and key), the audit log of admin actions, and one request with 4 000 refused items adding less
than 1 MB to the registry."""

from __future__ import annotations

import json
import time

from tests.api.conftest import Api

NOW_S = int(time.time()) - 3600


def _post(api: Api, key: str, body: object) -> dict:  # type: ignore[type-arg]
    resp = api.client.post("/v1/readings", content=json.dumps(body), headers={"X-API-Key": key})
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


def test_http_ownership_claim_and_provenance(api: Api) -> None:
    rival = api.registry.keys.create("vendor", vendor="rival")
    new = {"sensor_id": "acme-new-1", "start": NOW_S, "interval_s": 1, "laeq": [55.0, 56.0]}
    assert _post(api, api.keys["vendor"], new)["stored"] == 2  # acme's first write claims it
    answer = _post(api, rival[1], {**new, "start": NOW_S + 10, "laeq": [120.0]})
    assert answer["stored"] == 0 and [r["reason"] for r in answer["refused"]] == ["not_your_sensor"]
    taken = _post(api, rival[1], {"sensor_id": "pub-1", "ts": NOW_S, "laeq": 60.0})  # acme's, admin-made
    assert [r["reason"] for r in taken["refused"]] == ["not_your_sensor"]
    sensor = api.registry.get_sensor("acme-new-1")
    assert sensor is not None and sensor.vendor == "acme"

    resp = api.get("/v1/sensors/acme-new-1/provenance", "engineer")
    assert resp.status_code == 200
    [row] = resp.json()
    vendor_key_id = api.registry.keys.verify(api.keys["vendor"]).key_id  # type: ignore[union-attr]
    assert (row["route"], row["credential"], row["source"]) == ("http", f"key:{vendor_key_id}", "native")
    assert (row["batches"], row["readings"]) == (1, 2)
    assert row["first_start"].endswith("Z")
    assert api.get("/v1/sensors/acme-new-1/provenance", "vendor").status_code == 403
    assert api.get("/v1/sensors/acme-new-1/provenance").status_code == 401
    assert api.get("/v1/sensors/nope/provenance", "engineer").status_code == 404
    assert api.get("/v1/sensors/..%0A/provenance", "engineer").status_code in (404, 422)

    # the rival's refused write is its own dead letter, invisible to acme
    acme_letters = api.get("/v1/dead-letters", "vendor").json()
    assert acme_letters == []
    rival_letters = api.client.get("/v1/dead-letters", headers={"X-API-Key": rival[1]}).json()
    assert {d["reason"] for d in rival_letters} == {"not_your_sensor"}


def test_admin_actions_are_in_the_audit_log(api: Api) -> None:
    admin_id = api.registry.keys.verify(api.keys["admin"]).key_id  # type: ignore[union-attr]
    assert (
        api.send("POST", "/v1/sensors", "admin", json={"sensor_id": "new-1", "name": "N"}).status_code == 201
    )
    assert api.send("PATCH", "/v1/sensors/new-1", "admin", json={"public": True}).status_code == 200
    made = api.send("POST", "/v1/keys", "admin", json={"role": "vendor", "vendor": "zeta"})
    assert made.status_code == 201
    key_id = made.json()["key_id"]
    assert api.send("DELETE", f"/v1/keys/{key_id}", "admin").status_code == 204
    resp = api.get("/v1/audit", "admin")
    assert resp.status_code == 200
    entries = resp.json()
    assert [(e["action"], e["target"]) for e in entries] == [
        ("sensor.create", "sensor:new-1"),
        ("sensor.update", "sensor:new-1"),
        ("key.create", f"key:{key_id}"),
        ("key.revoke", f"key:{key_id}"),
    ]
    assert {e["actor"] for e in entries} == {f"key:{admin_id}"}
    assert entries[1]["detail"] == {"public": True}
    assert made.json()["key"] not in json.dumps(entries)  # never the key itself
    page = api.get("/v1/audit?limit=2", "admin")
    assert len(page.json()) == 2 and 'rel="next"' in page.headers["link"]
    assert [e["id"] for e in api.get(f"/v1/audit?since_id={page.json()[-1]['id']}", "admin").json()] == [
        e["id"] for e in entries[2:]
    ]
    assert api.get("/v1/audit", "engineer").status_code == 403
    assert api.get("/v1/audit?target=key:" + str(key_id), "admin").json()[0]["action"] == "key.create"


def _registry_bytes(api: Api) -> int:
    db = api.registry.db
    db.query("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = db.query("PRAGMA page_count")[0][0] - db.query("PRAGMA freelist_count")[0][0]
    return int(pages) * int(db.query("PRAGMA page_size")[0][0])


def test_4000_refused_items_add_less_than_a_megabyte(api: Api) -> None:
    body = {"sensor_id": "pub-1", "start": NOW_S, "interval_s": 1, "laeq": [200.0] * 4000}
    raw = json.dumps(body)
    assert 20_000 < len(raw) < 40_000
    _registry_bytes(api)
    before = _registry_bytes(api)
    answer = _post(api, api.keys["vendor"], body)
    assert answer["stored"] == 0 and len(answer["refused"]) == 4000
    added = _registry_bytes(api) - before
    assert added < 1_000_000, added
    stored_raw = api.registry.db.query("SELECT SUM(LENGTH(raw)) FROM dead_letter_bodies")[0][0]
    assert int(stored_raw) == len(raw)  # the body once, not 4 000 times
    print(f"4000 refused items added {added} bytes to the registry (body {len(raw)} bytes)")
