"""Sensor health through the API on real SQLite stores: frozen, stale, drift of a co-located pair,
calibration offsets on read, the Prometheus gauges, and a health alert rule."""

from __future__ import annotations

import time

import numpy as np

from noiselab.api.catalog import catalogs
from noiselab.domain.readings import Reading
from noiselab.store.registry import Sensor
from tests.alerts.conftest import T0, Lab


def checks(lab: Lab, sensor_id: str) -> dict[str, dict[str, str]]:
    resp = lab.send("GET", f"/v1/sensors/{sensor_id}/health", role="engineer")
    assert resp.status_code == 200, resp.text
    return {c["check"]: c for c in resp.json()["checks"]}


def traffic(n: int, seed: int) -> list[float]:
    return list(np.round(58 + 5 * np.random.default_rng(seed).standard_normal(n), 1))


def filler(lab: Lab, sensor_id: str, start_s: float, end_s: float, seed: int) -> None:
    """Minute readings of living traffic, so that coverage (the gaps check) is complete."""
    n = int(end_s - start_s) // 60
    lab.write_levels(sensor_id, start_s, traffic(n, seed), step_s=60.0)


def test_a_frozen_and_a_stale_sensor_are_detected(lab: Lab) -> None:
    hour = 3600
    for i, sid in enumerate(("vb-01", "vb-02")):
        filler(lab, sid, T0 - 25 * hour, T0 - hour, seed=10 + i)
    lab.write_levels("vb-01", T0 - hour, traffic(hour - 900, 1) + [50.0] * 900)  # frozen for 15 min
    lab.write_levels("vb-02", T0 - hour, traffic(hour - 1200, 2))  # silent for the last 20 min
    frozen = checks(lab, "vb-01")
    assert frozen["frozen"]["status"] == "warning"
    assert frozen["frozen"]["detail"].startswith("900 identical readings (50.0 dB) in a row")
    assert frozen["frozen"]["since"] == "2026-06-10T09:45:00Z"
    assert frozen["stale"]["status"] == "ok"
    stale = checks(lab, "vb-02")
    assert stale["stale"]["status"] == "warning" and stale["stale"]["since"] == "2026-06-10T09:40:00Z"
    assert stale["frozen"]["status"] == "ok"
    every = lab.send("GET", "/v1/health/sensors", role="engineer").json()
    assert {h["sensor_id"]: h["status"] for h in every} == {"vb-01": "warning", "vb-02": "warning"}
    metrics = lab.client.get("/metrics").text
    assert 'noiselab_sensor_health{sensor_id="vb-01"} 1.0' in metrics
    assert 'noiselab_sensor_last_reading_age_seconds{sensor_id="vb-02"} 1200.0' in metrics
    assert lab.send("GET", "/v1/sensors/vb-01/health", role="public").status_code == 401
    assert lab.send("GET", "/v1/sensors/nope-9/health", role="engineer").status_code == 404


def hourly_pair(lab: Lab, *, days: int, drift_db: float, seed: int) -> None:
    """Two co-located sensors with one 60-s reading per minute... kept small: one reading per 10 min."""
    rng = np.random.default_rng(seed)
    step = 600
    n = days * 86400 // step
    start = T0 - days * 86400
    t = np.arange(n)
    road = 58 + 7 * np.sin(2 * np.pi * t * step / 86400) + 2 * rng.standard_normal(n)
    a = road + 0.3 * rng.standard_normal(n)
    b = road + 0.3 * rng.standard_normal(n)
    a[t * step >= (days - 1) * 86400] += drift_db  # sensor a drifts in the last day
    for sid, levels in (("vb-01", a), ("vb-02", b)):
        lab.store.write(
            [
                Reading(sid, round((start + i * step) * 1000), float(step), float(lv))
                for i, lv in enumerate(levels)
            ]
        )


def test_a_2_db_drift_of_a_colocated_pair_is_found_within_a_day(lab: Lab) -> None:
    hourly_pair(lab, days=30, drift_db=2.0, seed=3)
    resp = lab.send(
        "POST", "/v1/sensor-pairs", json={"sensor_ids": ["vb-01", "vb-02"], "relation": "co-located"}
    )
    assert resp.status_code == 201
    a, b = checks(lab, "vb-01")["drift"], checks(lab, "vb-02")["drift"]
    assert a["status"] == "warning" and "vs vb-02 (co-located)" in a["detail"]
    assert b["status"] == "warning" and "moved -" in b["detail"]
    # a field calibration that corrects the drift (applied on read from its date) clears it
    cal = {"kind": "calibration", "at": "2026-06-09T10:00:00Z", "reference_db": 94.0, "measured_db": 96.0}
    assert lab.send("POST", "/v1/sensors/vb-01/history", json=cal).status_code == 201
    assert checks(lab, "vb-01")["drift"]["status"] == "ok"
    assert checks(lab, "vb-01")["calibration"]["status"] == "ok"


def test_an_undrifted_pair_is_ok(lab: Lab) -> None:
    hourly_pair(lab, days=30, drift_db=0.0, seed=4)
    lab.registry.history.set_pair("vb-01", "vb-02", "co-located")
    assert checks(lab, "vb-01")["drift"]["status"] == "ok"


def test_a_health_rule_fires_for_a_frozen_sensor_and_resolves(lab: Lab) -> None:
    rule = lab.rule(
        rule_id="broken",
        kind="health",
        above_db=None,
        min_status="warning",
        channels=[lab.rule()["channels"][0]],
    )
    assert lab.send("POST", "/v1/alert-rules", json=rule).status_code == 201
    lab.write_levels("vb-01", T0 - 3600, traffic(2700, 5) + [50.0] * 900)
    filler(lab, "vb-01", T0 - 25 * 3600, T0 - 3600, seed=7)
    ev = lab.evaluator()
    ev.tick(T0)
    lab.write_levels("vb-01", T0, traffic(3600, 6))  # the microphone recovers
    ev.tick(T0 + 3600)
    (firing, resolved) = (h.json for h in lab.hook.received)
    assert (firing["state"], resolved["state"], firing["kind"]) == ("firing", "resolved", "health")
    assert "frozen" in firing["detail"] and firing["value_db"] is None


def test_the_engineers_sensor_list_carries_health(lab: Lab) -> None:
    filler(lab, "vb-01", T0 - 25 * 3600, T0 - 3600, seed=8)
    lab.write_levels("vb-01", T0 - 3600, traffic(2700, 9) + [50.0] * 900)  # frozen for 15 min
    listed = {s["sensor_id"]: s for s in lab.send("GET", "/v1/sensors", role="engineer").json()}
    health = listed["vb-01"]["health"]
    assert health["status"] == "warning" and health["uncertain"] is True
    assert any(p.startswith("frozen: 900 identical readings") for p in health["problems"])
    assert listed["vb-02"]["health"]["status"] == "fault"  # no readings in the last day: gaps
    assert listed["vb-02"]["health"]["uncertain"] is False
    lab.registry.upsert_sensor(Sensor("pub-1", public=True))
    public = lab.send("GET", "/v1/sensors", role="public").json()
    assert [s["sensor_id"] for s in public] == ["pub-1"] and "health" not in public[0]


def test_the_residents_overview_says_when_levels_are_uncertain(lab: Lab) -> None:
    for sid in ("vb-01", "vb-02"):
        lab.registry.upsert_sensor(Sensor(sid, name=sid, lat=55.6, lon=12.4, public=True, placed=True))
    now = time.time()
    lab.write_levels("vb-01", now - 1200, [50.0] * 1200)  # frozen for 20 minutes, up to now
    lab.write_levels("vb-02", now - 1200, traffic(1200, 12))
    cards = {c["sensor_id"]: c for c in lab.client.get("/v1/public/overview?lang=en").json()["sensors"]}
    assert cards["vb-01"]["now"]["uncertain"] is True
    assert cards["vb-02"]["now"]["uncertain"] is False
    assert catalogs()["da"]["page"]["uncertain"] == "Målingerne er usikre lige nu"
    assert catalogs()["en"]["page"]["uncertain"] == "The measurements are uncertain right now"


def test_a_calibration_offset_applies_on_read_from_its_time_and_never_rewrites_readings(lab: Lab) -> None:
    start = T0 - 7200
    lab.write_levels("vb-01", start, [60.0] * 120, step_s=60.0)  # two hours at 60 dB
    cal = {"kind": "calibration", "at": "2026-06-10T09:00:00Z", "reference_db": 94.0, "measured_db": 94.6}
    assert (
        lab.send("POST", "/v1/sensors/vb-01/history", json=cal).status_code == 201
    )  # offset −0.6 from 09:00
    url = "/v1/sensors/vb-01/levels?start=2026-06-10T08:00:00Z&end=2026-06-10T10:00:00Z&interval=1h"
    body = lab.send("GET", url, role="engineer").json()
    rows = body["rows"] if isinstance(body, dict) else body
    key = "laeq" if "laeq" in rows[0] else "laeq_db"
    assert [r[key] for r in rows] == [60.0, 59.4]
    url = "/v1/sensors/vb-01/levels?start=2026-06-10T08:58:00Z&end=2026-06-10T09:02:00Z&interval=1min"
    body = lab.send("GET", url, role="engineer").json()
    rows = body["rows"] if isinstance(body, dict) else body
    assert [r[key] for r in rows] == [60.0, 60.0, 59.4, 59.4]
    raw = lab.store.read("vb-01", int(start * 1000), int(T0 * 1000))
    assert set(raw.laeq.tolist()) == {60.0}  # stored as sent
    latest = lab.send("GET", "/v1/sensors/vb-01/current", role="engineer").json()
    assert latest["latest"]["laeq"] == 59.4
