"""Devices and servers as they come, over HTTP: the airrohr firmware's custom API (HTTP Basic, the key as
password), and NGSI-LD / NGSI v2 notifications as context brokers send them. Payloads are in
tests/fixtures/payloads/ (see its README)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from noiselab.api.app import create_app
from noiselab.domain.settings import Settings
from noiselab.store.registry import Registry, SqliteRegistry
from noiselab.store.sqlite import SqliteStore

FIXTURES = Path(__file__).parent.parent / "fixtures" / "payloads"
Env = tuple[TestClient, SqliteStore, Registry, dict[str, str]]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    store = SqliteStore(tmp_path / "noise.db")
    registry = SqliteRegistry(tmp_path / "registry.db")
    keys = registry.keys
    auth = {
        "acme": keys.create("vendor", vendor="acme")[1],
        "engineer": keys.create("engineer")[1],
    }
    revoked_key, revoked = keys.create("vendor", vendor="acme")
    keys.revoke(revoked_key.key_id)
    auth["revoked"] = revoked
    app = create_app(Settings(data_dir=tmp_path), store, registry, keys=keys)
    with TestClient(app) as client:
        yield client, store, registry, auth


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def airrohr_headers(authorization: str) -> dict[str, str]:
    """What the airrohr firmware sends to a custom API (its HTTP client, its headers)."""
    return {
        "Authorization": authorization,
        "Content-Type": "application/json",
        "X-PIN": "15",
        "X-Sensor": "esp8266-13597771",
        "User-Agent": "NRZ-2020-133/13597771",
    }


@pytest.mark.parametrize("user", ["acme", "esp8266-13597771", ""])
def test_airrohr_custom_api_with_basic_auth_is_stored(env: Env, user: str) -> None:
    client, store, registry, auth = env
    body = (FIXTURES / "sensor-community-airrohr.json").read_bytes()
    r = client.post(
        "/v1/ingest/sensor-community", content=body, headers=airrohr_headers(basic(user, auth["acme"]))
    )
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 1 and r.json()["refused"] == []
    cols = store.read("esp8266-13597771", 0, 2**62)
    assert cols.laeq.tolist() == [52.3] and cols.lafmax.tolist() == [69.28]
    sensor = registry.get_sensor("esp8266-13597771")
    assert sensor is not None and sensor.vendor == "acme"


@pytest.mark.parametrize(
    "authorization",
    [
        "unknown-key",  # not a key
        "revoked",  # a revoked key
        "engineer",  # a valid key that may not ingest (403 below)
    ],
)
def test_basic_with_a_bad_key_is_refused(env: Env, authorization: str) -> None:
    client, store, _, auth = env
    password = auth.get(authorization, authorization)
    r = client.post(
        "/v1/ingest/sensor-community",
        content=(FIXTURES / "sensor-community-airrohr.json").read_bytes(),
        headers=airrohr_headers(basic("acme", password)),
    )
    assert r.status_code == (403 if authorization == "engineer" else 401), r.text
    assert len(store.read("esp8266-13597771", 0, 2**62)) == 0


@pytest.mark.parametrize(
    "value",
    ["Basic not-base64!", "Basic " + base64.b64encode(b"acme-without-password").decode(), "Basic "],
)
def test_malformed_basic_is_401(env: Env, value: str) -> None:
    client, *_ = env
    r = client.post(
        "/v1/ingest/sensor-community",
        content=(FIXTURES / "sensor-community-airrohr.json").read_bytes(),
        headers=airrohr_headers(value),
    )
    assert r.status_code == 401


@pytest.mark.parametrize("path", ["/v1/readings", "/v1/ingest/native", "/v1/ingest/ngsi"])
def test_basic_is_valid_only_on_the_sensor_community_route(env: Env, path: str) -> None:
    client, _, _, auth = env
    r = client.post(path, content=b"{}", headers={"Authorization": basic("acme", auth["acme"])})
    assert r.status_code == 401


def test_ngsi_ld_notification_from_a_context_broker(env: Env) -> None:
    client, store, _, auth = env
    r = client.post(
        "/v1/ingest/ngsi",
        content=(FIXTURES / "ngsi-ld-notification.json").read_bytes(),
        headers={
            "Authorization": f"Bearer {auth['acme']}",
            "Content-Type": "application/json",
            "Ngsild-Tenant": "vallensbaek",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"stored": 2, "duplicates": 0, "refused": []}
    assert store.read("vb-007", 0, 2**62).laeq.tolist() == [66.1]
    assert store.read("vb-008", 0, 2**62).laeq.tolist() == [61.4]


def test_ngsi_v2_notification_from_orion(env: Env) -> None:
    client, store, _, auth = env
    r = client.post(
        "/v1/ingest/ngsi",
        content=(FIXTURES / "ngsi-v2-notification.json").read_bytes(),
        headers={"X-API-Key": auth["acme"], "Content-Type": "application/json", "Fiware-Service": "noise"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 1
    cols = store.read("vb-009", 0, 2**62)
    assert cols.laeq.tolist() == [64.2] and cols.lafmax.tolist() == [77.5]
    assert cols.interval_s.tolist() == [60.0]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"type": "Notification", "data": {"id": "x"}}', "bad_type"),
        (b'{"subscriptionId": "s", "data": 5}', "bad_type"),
        (b'{"type": "Notification", "subscriptionId": "s", "data": []}', "no_readings"),
    ],
)
def test_bad_notifications_are_refused_with_a_reason(env: Env, body: bytes, reason: str) -> None:
    client, _, registry, auth = env
    r = client.post("/v1/ingest/ngsi", content=body, headers={"X-API-Key": auth["acme"]})
    assert r.status_code == 422 and r.json()["reason"] == reason
    assert [d["reason"] for d in registry.dead_letters()] == [reason]
