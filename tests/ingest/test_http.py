"""HTTP ingest: native and other formats, vendor ownership, precise answers, bad input kept and counted."""

from __future__ import annotations

import json
import math
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from noiselab.api.app import create_app
from noiselab.domain.settings import Settings
from noiselab.store.registry import Registry, Sensor, SqliteRegistry
from noiselab.store.sqlite import SqliteStore
from tests.services import free_port, wait_port

FIXTURES = Path(__file__).parent.parent / "fixtures" / "payloads"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[tuple[TestClient, SqliteStore, Registry, dict[str, str]]]:
    store = SqliteStore(tmp_path / "noise.db")
    registry = SqliteRegistry(tmp_path / "registry.db")
    keys = SqliteRegistry(tmp_path / "registry.db").keys
    auth = {
        name: keys.create(role, vendor=vendor)[1]
        for name, role, vendor in [
            ("acme", "vendor", "acme"),
            ("other", "vendor", "other"),
            ("engineer", "engineer", None),
        ]
    }
    app = create_app(Settings(data_dir=tmp_path, max_body_bytes=50_000), store, registry, keys=keys)
    with TestClient(app) as client:
        yield client, store, registry, auth


def hdr(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def now_iso(offset_s: int = -60) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset_s))


def test_native_batch_is_stored_and_resend_is_a_duplicate(env) -> None:  # type: ignore[no-untyped-def]
    client, store, registry, auth = env
    body = {"sensor_id": "a-1", "start": now_iso(), "interval_s": 1, "laeq": [58.2, 58.9, 61.0]}
    r = client.post("/v1/readings", json=body, headers=hdr(auth["acme"]))
    assert r.status_code == 200, r.text
    assert r.json() == {"stored": 3, "duplicates": 0, "refused": []}
    r = client.post("/v1/readings", json=body, headers={"X-API-Key": auth["acme"]})
    assert r.json() == {"stored": 0, "duplicates": 3, "refused": []}
    assert registry.get_sensor("a-1").vendor == "acme"  # type: ignore[union-attr]
    assert store.read("a-1", 0, 2**62).laeq.tolist() == [58.2, 58.9, 61.0]


def test_one_bad_item_refuses_only_that_item(env) -> None:  # type: ignore[no-untyped-def]
    client, _, registry, auth = env
    body = {"sensor_id": "a-1", "start": now_iso(), "interval_s": 1, "laeq": [58.2, 200.0, "x", 60.0]}
    r = client.post("/v1/readings", json=body, headers=hdr(auth["acme"]))
    assert r.status_code == 200
    answer = r.json()
    assert answer["stored"] == 2
    assert [(x["index"], x["reason"]) for x in answer["refused"]] == [(1, "out_of_range"), (2, "bad_type")]
    assert [d["reason"] for d in registry.dead_letters()] == ["out_of_range", "bad_type"]


def test_vendor_cannot_write_another_vendors_sensor(env) -> None:  # type: ignore[no-untyped-def]
    client, store, registry, auth = env
    registry.upsert_sensor(Sensor("b-1", vendor="other"))
    body = [
        {"sensor_id": "b-1", "ts": now_iso(), "laeq": 50.0},
        {"sensor_id": "a-2", "ts": now_iso(), "laeq": 51.0},
    ]
    r = client.post("/v1/readings", json=body, headers=hdr(auth["acme"]))
    assert r.status_code == 200
    assert r.json()["stored"] == 1
    assert [x["reason"] for x in r.json()["refused"]] == ["not_your_sensor"]
    assert len(store.read("b-1", 0, 2**62)) == 0


@pytest.mark.parametrize("who,status", [(None, 401), ("bogus", 401), ("engineer", 403), ("acme", 200)])
def test_ingest_needs_a_vendor_key(env, who: str | None, status: int) -> None:  # type: ignore[no-untyped-def]
    client, _, _, auth = env
    headers = {} if who is None else hdr(auth.get(who, "not-a-key"))
    r = client.post("/v1/readings", json={"sensor_id": "a-1", "ts": now_iso(), "laeq": 50}, headers=headers)
    assert r.status_code == status
    if status != 200:
        assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "body,reason",
    [
        (b"", "empty_body"),
        (b"{not json", "bad_json"),
        (b"\xff\xfe\x00", "bad_encoding"),
        (b"42", "bad_shape"),
        (
            json.dumps({"sensor_id": "a-1", "ts": "2026-06-10T07:00:00", "laeq": 50}).encode(),
            "time_without_zone",
        ),
        (json.dumps({"sensor_id": "a-1", "ts": now_iso(3600), "laeq": 50}).encode(), "in_future"),
        (json.dumps({"sensor_id": "a-1", "ts": now_iso()}).encode(), "missing_field"),
        (json.dumps({"sensor_id": "a 1", "ts": now_iso(), "laeq": 50}).encode(), "bad_sensor_id"),
        (b"[" * 5000 + b"]" * 5000, "too_deep"),
    ],
)
def test_unreadable_bodies_get_a_reason_and_are_kept(env, body: bytes, reason: str) -> None:  # type: ignore[no-untyped-def]
    client, _, registry, auth = env
    r = client.post(
        "/v1/readings", content=body, headers={**hdr(auth["acme"]), "Content-Type": "application/json"}
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["reason"] == reason and r.json()["detail"]
    letters = registry.dead_letters()
    assert [d["reason"] for d in letters] == [reason] and letters[0]["raw"] == body


def test_oversized_body_is_413_and_its_head_kept(env) -> None:  # type: ignore[no-untyped-def]
    client, _, registry, auth = env
    body = b'{"sensor_id": "a-1", "laeq": [' + b"50.0," * 20_000 + b"50.0]}"
    r = client.post(
        "/v1/readings", content=body, headers={**hdr(auth["acme"]), "Content-Type": "application/json"}
    )
    assert r.status_code == 413 and r.json()["reason"] == "too_large"
    letters = registry.dead_letters()
    assert letters[0]["reason"] == "too_large" and letters[0]["raw"] == body[:4096]


def _ms(iso: str) -> int:
    return round(datetime.fromisoformat(iso).timestamp() * 1000)


# each fixture, and what docs/vendors.md says it decodes to, worked out by hand from the payload:
# (sensor, start in ms or None when it ends at our receipt, interval_s, laeq, lafmax, lafmin)
OTHER_FORMATS = [
    (
        "sensor-community",
        "sensor-community-dnms.json",
        {"X-Sensor": "esp8266-13597771"},
        ("esp8266-13597771", None, 145.0, 52.3, 69.28, 45.98),  # 145 s ending at receipt
    ),
    (
        "ngsi",
        "ngsi-v2-keyvalues.json",
        {},
        ("vb-007", _ms("2026-06-10T11:00:00+00:00"), 60.0, 67.8, 84.5, None),  # From..To, LAmax
    ),
    (
        "ngsi",
        "ngsi-ld-normalized.json",
        {},
        ("vb-007", _ms("2026-06-10T11:01:00+00:00"), 60.0, 66.1, 79.0, None),  # refDevice sans urn prefix
    ),
    (
        "tts",
        "tts-v3-ws302.json",
        {},
        ("ws302-ishoj-2", _ms("2026-06-10T21:14:00.400+00:00"), 60.0, 50.3, 58.6, None),  # 60 s to NS time
    ),
    (
        "chirpstack",
        "chirpstack-v4-ws302.json",
        {},
        ("24e124743c210001", _ms("2026-06-10T09:33:15.775+00:00"), 60.0, 47.4, 61.8, None),
    ),
]


@pytest.mark.parametrize("fmt,fixture,headers,want", OTHER_FORMATS, ids=[c[1] for c in OTHER_FORMATS])
def test_other_formats_over_http(  # type: ignore[no-untyped-def]
    env, fmt: str, fixture: str, headers: dict[str, str], want: tuple
) -> None:
    client, store, registry, auth = env
    sensor, start_ms, interval_s, laeq, lafmax, lafmin = want
    body = (FIXTURES / fixture).read_bytes()
    before_s = time.time()
    r = client.post(
        f"/v1/ingest/{fmt}",
        content=body,
        headers={**hdr(auth["acme"]), **headers, "Content-Type": "application/json"},
    )
    after_s = time.time()
    assert r.status_code == 200, r.text
    assert r.json() == {"stored": 1, "duplicates": 0, "refused": []}
    assert store.sensor_ids() == [sensor]
    assert registry.get_sensor(sensor).vendor == "acme"  # type: ignore[union-attr]
    cols = store.read(sensor, 0, 2**62)
    assert len(cols) == 1
    got_start = int(cols.start_ms[0])
    if start_ms is None:  # ends when we received it
        assert (before_s - interval_s) * 1000 - 1 <= got_start <= (after_s - interval_s) * 1000 + 1
    else:
        assert got_start == start_ms
    assert float(cols.interval_s[0]) == interval_s
    assert float(cols.laeq[0]) == laeq
    got_max, got_min = (float(cols.lafmax[0]), float(cols.lafmin[0]))
    assert got_max == lafmax
    assert got_min == lafmin if lafmin is not None else math.isnan(got_min)
    # the same body again is a duplicate, not a second reading
    again = client.post(
        f"/v1/ingest/{fmt}",
        content=body,
        headers={**hdr(auth["acme"]), **headers, "Content-Type": "application/json"},
    )
    if start_ms is not None:  # a receipt-timed body is a new reading at a new time
        assert again.json() == {"stored": 0, "duplicates": 1, "refused": []}


def test_unknown_format_is_404_problem(env) -> None:  # type: ignore[no-untyped-def]
    client, _, _, auth = env
    r = client.post("/v1/ingest/zigbee", content=b"{}", headers=hdr(auth["acme"]))
    assert r.status_code == 404 and r.json()["reason"] == "unknown_format"


def test_check_stores_nothing_and_says_what_is_wrong(env) -> None:  # type: ignore[no-untyped-def]
    client, store, registry, auth = env
    registry.upsert_sensor(Sensor("b-1", vendor="other"))
    body = [
        {"sensor_id": "a-1", "ts": now_iso(), "laeq": 58.2, "laeq_db": 58.2},
        {"sensor_id": "a-1", "ts": now_iso(-59), "laeq": 200},
        {"sensor_id": "b-1", "ts": now_iso(), "laeq": 50},
    ]
    r = client.post("/v1/ingest/native/check", json=body, headers=hdr(auth["acme"]))
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["would_store"] == 1 and report["readings"][0]["laeq"] == 58.2
    refused = [(x["index"], x["reason"]) for x in report["refused"]]
    assert refused == [(1, "out_of_range"), (2, "not_your_sensor")]
    assert report["ignored_fields"] == ["laeq_db"]
    assert store.sensor_ids() == [] and registry.dead_letters() == []  # nothing written, nothing kept


def test_check_of_an_unreadable_body(env) -> None:  # type: ignore[no-untyped-def]
    client, _, _, auth = env
    r = client.post("/v1/ingest/tts/check", content=b"{oops", headers=hdr(auth["acme"]))
    assert r.status_code == 200
    assert r.json()["would_store"] == 0 and r.json()["refused"][0]["reason"] == "bad_json"


def test_dead_letters_are_listed_for_engineers_and_their_own_vendor(env) -> None:  # type: ignore[no-untyped-def]
    client, _, _, auth = env
    client.post("/v1/readings", content=b"\xff\xfe", headers=hdr(auth["acme"]))
    client.post("/v1/readings", content=b"{nope", headers=hdr(auth["acme"]))
    assert client.get("/v1/dead-letters").status_code == 401
    own = client.get("/v1/dead-letters", headers=hdr(auth["acme"])).json()
    assert [d["reason"] for d in own] == ["bad_encoding", "bad_json"]
    assert {d["vendor"] for d in own} == {"acme"}
    assert client.get("/v1/dead-letters", headers=hdr(auth["other"])).json() == []
    assert client.get("/v1/dead-letters?vendor=acme", headers=hdr(auth["other"])).status_code == 403
    letters = client.get("/v1/dead-letters", headers=hdr(auth["engineer"])).json()
    assert [(d["reason"], d["raw"]) for d in letters] == [
        ("bad_encoding", '{"hex": "fffe"}'),
        ("bad_json", "{nope"),
    ]
    assert letters[0]["received"].endswith("Z")
    page = client.get(f"/v1/dead-letters?since_id={letters[0]['id']}", headers=hdr(auth["engineer"])).json()
    assert [d["reason"] for d in page] == ["bad_json"]
    csv = client.get("/v1/dead-letters?format=csv", headers=hdr(auth["engineer"])).text
    assert csv.splitlines()[0] == (
        "id,received_utc,source,reason,detail,topic,sensor_id,raw,vendor,body_id,item_index"
    )


def test_a_body_slower_than_the_read_timeout_gets_408(tmp_path: Path) -> None:
    """A real server and a raw socket that sends half a body and then nothing."""
    store = SqliteStore(tmp_path / "noise.db")
    registry = SqliteRegistry(tmp_path / "registry.db")
    keys = SqliteRegistry(tmp_path / "registry.db").keys
    key = keys.create("vendor", vendor="acme")[1]
    app = create_app(Settings(data_dir=tmp_path, body_read_timeout_s=0.5), store, registry, keys=keys)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_port(port)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                b"POST /v1/readings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Authorization: Bearer " + key.encode() + b"\r\nContent-Length: 60\r\n\r\n"
                b'{"sensor_id": "a-1", '
            )
            answer = sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"application/problem+json" in answer
    finally:
        server.should_exit = True
        thread.join(10)
    assert store.sensor_ids() == []


@pytest.mark.parametrize("query", ["since_id=-1", "limit=0", "limit=1001", "limit=abc", "format=xml"])
def test_dead_letters_bad_query_is_422(env, query: str) -> None:  # type: ignore[no-untyped-def]
    client, _, _, auth = env
    r = client.get(f"/v1/dead-letters?{query}", headers=hdr(auth["engineer"]))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
