"""``/v1/lorawan-applications/{application_id}`` (#13): admins map a LoRaWAN application to a vendor; every
change is in the audit log; other roles are refused; bad ids and bodies get a precise 422."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api

APP = "2c4f0b8e-5d1a-4c7e-9f10-8d7f3a6b1e22"
URL = f"/v1/lorawan-applications/{APP}"


def test_put_get_list_delete_and_audit(api: Api) -> None:
    created = api.send("PUT", URL, "admin", json={"vendor": "acme"})
    assert created.status_code == 201, created.text
    assert created.json()["application_id"] == APP and created.json()["vendor"] == "acme"
    assert created.json()["created_at"].endswith("Z")
    replaced = api.send("PUT", URL, "admin", json={"vendor": "acme-dk"})
    assert replaced.status_code == 200 and replaced.json()["vendor"] == "acme-dk"
    tenant = api.send("PUT", "/v1/lorawan-applications/rival-noise@ttn", "admin", json={"vendor": "rival"})
    assert tenant.status_code == 201
    assert api.get(URL, "admin").json()["vendor"] == "acme-dk"
    listed = api.get("/v1/lorawan-applications", "admin").json()
    assert [(a["application_id"], a["vendor"]) for a in listed] == [
        (APP, "acme-dk"),
        ("rival-noise@ttn", "rival"),
    ]
    assert api.send("DELETE", URL, "admin").status_code == 204
    assert api.send("DELETE", URL, "admin").status_code == 404
    missing = api.get(URL, "admin")
    assert missing.status_code == 404 and "not mapped" in missing.json()["detail"]

    log = api.get(f"/v1/audit?target=lorawan_application:{APP}", "admin").json()
    assert [(e["action"], e["detail"]) for e in log] == [
        ("lorawan_application.set", {"vendor": "acme", "previous_vendor": None}),
        ("lorawan_application.set", {"vendor": "acme-dk", "previous_vendor": "acme"}),
        ("lorawan_application.delete", {"vendor": "acme-dk"}),
    ]


@pytest.mark.parametrize(
    ("role", "status"), [("public", 401), ("revoked", 401), ("vendor", 403), ("engineer", 403)]
)
def test_only_admins_map_applications(api: Api, role: str, status: int) -> None:
    assert api.send("PUT", URL, role, json={"vendor": "acme"}).status_code == status
    assert api.send("GET", URL, role).status_code == status
    assert api.send("GET", "/v1/lorawan-applications", role).status_code == status
    assert api.send("DELETE", URL, role).status_code == status
    assert api.registry.lorawan_applications.list() == []
    assert api.registry.audit.list() == []


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        (URL, {"vendor": "ac me"}, "vendor"),
        (URL, {"vendor": ""}, "vendor"),
        (URL, {"vendor": "x" * 65}, "vendor"),
        (URL, {}, "vendor"),
        (URL, {"vendor": "acme", "owner": "rival"}, "owner"),
        (URL, {"vendor": 7}, "vendor"),
        ("/v1/lorawan-applications/-starts-with-dash", {"vendor": "acme"}, "application_id"),
        ("/v1/lorawan-applications/a@b@c", {"vendor": "acme"}, "application_id"),
        ("/v1/lorawan-applications/" + "a" * 101, {"vendor": "acme"}, "application_id"),
        ("/v1/lorawan-applications/app%0A", {"vendor": "acme"}, "application_id"),
    ],
)
def test_bad_ids_and_bodies_get_a_precise_422(api: Api, path: str, body: object, expected: str) -> None:
    resp = api.send("PUT", path, "admin", json=body)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert expected in resp.text
    assert api.registry.lorawan_applications.list() == []


def test_a_body_that_is_not_json_is_refused(api: Api) -> None:
    headers = {"X-API-Key": api.keys["admin"], "Content-Type": "application/json"}
    resp = api.client.put(URL, content=b"{vendor", headers=headers)
    assert resp.status_code == 422 and api.registry.lorawan_applications.list() == []
