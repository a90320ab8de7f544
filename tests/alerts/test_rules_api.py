"""Alert rules and sensor history through the API: CRUD, roles, and a precise 422 for every bad input."""

from __future__ import annotations

from typing import Any

import pytest

from noiselab.api.alerting.rules import UnsafeUrl, check_webhook_url
from tests.alerts.conftest import Lab


def detail(resp: Any) -> str:
    body = resp.json()
    return str(body.get("detail")) + " " + str(body.get("errors", ""))


def test_rule_crud_masks_secrets_and_refuses_duplicates(lab: Lab) -> None:
    created = lab.send("POST", "/v1/alert-rules", json=lab.rule())
    assert created.status_code == 201
    assert created.json()["clear_below_db"] == 67 and created.json()["channels"][0]["secret"] == "********"
    assert lab.send("POST", "/v1/alert-rules", json=lab.rule()).status_code == 409
    assert [r["rule_id"] for r in lab.send("GET", "/v1/alert-rules").json()] == ["loud"]
    assert lab.send("GET", "/v1/alert-rules/loud").json()["channels"][0]["secret"] == "********"
    assert lab.send("GET", "/v1/alert-rules", role="engineer").status_code == 403
    assert lab.send("POST", "/v1/alert-rules", role="engineer", json=lab.rule(rule_id="x")).status_code == 403
    assert lab.send("GET", "/v1/alert-rules", role="public").status_code == 401
    assert lab.send("DELETE", "/v1/alert-rules/loud").status_code == 204
    assert lab.send("DELETE", "/v1/alert-rules/loud").status_code == 404
    assert lab.send("GET", "/v1/alert-rules/loud").status_code == 404


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"sensor_ids": ["vb-01", "nope-9"]}, "unknown sensor(s) 'nope-9'"),
        ({"clear_below_db": 70}, "clear_below_db (70) must be below above_db (70)"),
        ({"clear_below_db": 75}, "clear_below_db (75) must be below above_db (70)"),
        ({"above_db": None}, "a level rule needs above_db"),
        ({"kind": "loudness"}, "kind"),
        ({"sensor_ids": []}, "sensor_ids"),
        ({"sensor_ids": ["vb-01", "vb-01"]}, "duplicates"),
        ({"channels": []}, "channels"),
        ({"channels": [{"type": "sms", "to": "+45"}]}, "sms"),
        ({"channels": [{"type": "webhook", "url": "ftp://example.org/x", "secret": "12345678"}]}, "http://"),
        ({"channels": [{"type": "webhook", "url": "https://", "secret": "12345678"}]}, "no host"),
        (
            {"channels": [{"type": "webhook", "url": "https://u:p@example.org/", "secret": "12345678"}]},
            "credentials",
        ),
        ({"channels": [{"type": "webhook", "url": "https://example.org/", "secret": "short"}]}, "secret"),
        ({"channels": [{"type": "email", "to": ["not-an-address"]}]}, "to"),
        ({"quiet_hours": {"start": "22:00", "end": "22:00"}}, "must differ"),
        ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, "start"),
        ({"window_s": 0}, "window_s"),
        ({"cooldown_s": -1}, "cooldown_s"),
        ({"rule_id": "bad id!"}, "rule_id"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_rules_get_a_precise_422(lab: Lab, change: dict[str, Any], expected: str) -> None:
    body = {k: v for k, v in {**lab.rule(), **change}.items() if v is not None}
    resp = lab.send("POST", "/v1/alert-rules", json=body)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert expected in detail(resp)
    assert lab.send("GET", "/v1/alert-rules").json() == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x",
        "http://localhost/x",
        "http://10.1.2.3/x",
        "http://192.168.1.10/x",
        "http://172.16.0.1/x",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/x",
        "http://[::1]/x",
        "http://[fd00::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://0.0.0.0/x",
    ],
)
def test_private_webhook_urls_are_refused_unless_allowed(lab: Lab, url: str) -> None:
    with pytest.raises(UnsafeUrl, match="SSRF"):
        check_webhook_url(url, allow_private=False)
    check_webhook_url(url, allow_private=True)
    lab.settings.alert_allow_private_urls = False
    try:
        channels = [{"type": "webhook", "url": url, "secret": "12345678"}]
        resp = lab.send("POST", "/v1/alert-rules", json=lab.rule(channels=channels))
    finally:
        lab.settings.alert_allow_private_urls = True
    assert resp.status_code == 422 and "channels[0].url" in detail(resp) and "private" in detail(resp)


def test_public_addresses_pass_and_unresolvable_names_are_refused() -> None:
    check_webhook_url("https://93.184.216.34/hook", allow_private=False)
    with pytest.raises(UnsafeUrl, match="does not resolve"):
        check_webhook_url("https://no-such-host.invalid/hook", allow_private=False)


def test_history_records_and_pairs(lab: Lab) -> None:
    cal = {
        "kind": "calibration",
        "at": "2026-06-01T09:00:00+02:00",
        "reference_db": 94.0,
        "measured_db": 94.6,
        "by": "K. Hansen",
    }
    made = lab.send("POST", "/v1/sensors/vb-01/history", json=cal)
    assert (
        made.status_code == 201
        and made.json()["offset_db"] == -0.6
        and made.json()["at"] == "2026-06-01T07:00:00Z"
    )
    move = {
        "kind": "placement",
        "at": "2026-06-05T10:00:00Z",
        "lat": 55.61,
        "lon": 12.39,
        "location": "mast 4",
    }
    assert lab.send("POST", "/v1/sensors/vb-01/history", json=move).status_code == 201
    swap = {"kind": "replacement", "at": "2026-06-07T10:00:00Z", "part": "microphone", "serial": "M-123"}
    assert lab.send("POST", "/v1/sensors/vb-01/history", json=swap).status_code == 201
    listed = lab.send("GET", "/v1/sensors/vb-01/history", role="engineer").json()
    assert listed["calibration_offset_db"] == -0.6
    assert [r["kind"] for r in listed["records"]] == ["calibration", "placement", "replacement"]
    assert listed["records"][0]["by"] == "K. Hansen"
    changes = lab.registry.history.changes_between("vb-01", 0, 10**13)
    assert len(changes) == 3
    pair = lab.send(
        "POST", "/v1/sensor-pairs", json={"sensor_ids": ["vb-02", "vb-01"], "relation": "co-located"}
    )
    assert pair.status_code == 201 and pair.json()["sensor_ids"] == ["vb-01", "vb-02"]
    assert lab.send("GET", "/v1/sensor-pairs", role="engineer").json() == [pair.json()]
    assert lab.send("DELETE", "/v1/sensor-pairs/vb-01/vb-02").status_code == 204
    assert lab.send("DELETE", "/v1/sensor-pairs/vb-01/vb-02").status_code == 404


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"kind": "calibration", "at": "2026-06-01T09:00:00Z", "reference_db": 94.0},
            "reference_db and measured_db",
        ),
        (
            {"kind": "calibration", "at": "2026-06-01T09:00:00", "reference_db": 94, "measured_db": 94},
            "time zone",
        ),
        ({"kind": "placement", "at": "2026-06-01T09:00:00Z"}, "lat and lon"),
        ({"kind": "replacement", "at": "2026-06-01T09:00:00Z"}, "part"),
        (
            {"kind": "placement", "at": "2026-06-01T09:00:00Z", "location": "x", "offset_db": 1},
            "calibration records",
        ),
        ({"kind": "repaint", "at": "2026-06-01T09:00:00Z"}, "kind"),
        (
            {"kind": "calibration", "at": "2026-06-01T09:00:00Z", "reference_db": 94, "measured_db": 500},
            "measured_db",
        ),
    ],
)
def test_bad_history_records_get_a_precise_422(lab: Lab, body: dict[str, Any], expected: str) -> None:
    resp = lab.send("POST", "/v1/sensors/vb-01/history", json=body)
    assert resp.status_code == 422 and expected in detail(resp)


def test_history_and_pairs_of_unknown_sensors(lab: Lab) -> None:
    body = {"kind": "replacement", "at": "2026-06-01T09:00:00Z", "part": "unit"}
    assert lab.send("POST", "/v1/sensors/nope-9/history", json=body).status_code == 404
    assert lab.send("GET", "/v1/sensors/nope-9/history", role="engineer").status_code == 404
    resp = lab.send(
        "POST", "/v1/sensor-pairs", json={"sensor_ids": ["vb-01", "nope-9"], "relation": "neighbour"}
    )
    assert resp.status_code == 422 and "nope-9" in detail(resp)
    resp = lab.send(
        "POST", "/v1/sensor-pairs", json={"sensor_ids": ["vb-01", "vb-01"], "relation": "neighbour"}
    )
    assert resp.status_code == 422 and "itself" in detail(resp)
    assert lab.send("POST", "/v1/sensors/vb-01/history", role="engineer", json=body).status_code == 403
