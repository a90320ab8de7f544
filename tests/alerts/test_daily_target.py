"""A ``daily`` rule without ``above_db`` (SPEC §11: "a day's Lden or Lnight over the sensor's target"): the
threshold is the sensor's own target (its profile's strictest limit for the metric at its area), a façade
sensor's level is façade-corrected first (as compliance compares it), and a rule for sensors without such a
target is a precise 422."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from noiselab.domain.targets import sensor_limits
from tests.alerts.conftest import Lab

DAY1 = datetime(2026, 6, 10, 5, 0, tzinfo=UTC).timestamp()  # 07:00 in Copenhagen: a noise day starts
DAY_S = 86400.0
LDEN_PLUS_DB = 10 * np.log10((12 + 3 * 10**0.5 + 9 * 10) / 24)  # Lden - L for a constant L (Danish periods)


def _rule(lab: Lab, **kw: Any) -> dict[str, Any]:
    body = lab.rule(rule_id="target", kind="daily", metric="lden", channels=[lab.rule()["channels"][0]])
    body.pop("above_db")
    body.update(kw)
    return body


def _days(lab: Lab, sensor_id: str, levels_db: list[float]) -> None:
    for k, level in enumerate(levels_db):
        lab.write_levels(sensor_id, DAY1 + k * DAY_S, [level] * 1440, step_s=60.0)


def _tick_days(lab: Lab, n: int) -> None:
    ev = lab.evaluator()
    for k in range(1, n + 1):
        ev.tick(DAY1 + k * DAY_S + 600)  # 07:10 the next morning: day k is complete


def test_fires_over_the_sensors_own_target_and_resolves_under_it(lab: Lab) -> None:
    sensor = lab.registry.get_sensor("vb-01")
    assert sensor is not None
    target = min(
        (lim.value_db for lim in sensor_limits([], None, sensor.source_type, sensor.area_category)
         if lim.metric == "lden"),
    )  # fmt: skip
    assert lab.send("POST", "/v1/alert-rules", json=_rule(lab)).status_code == 201
    over, under = target - LDEN_PLUS_DB + 0.5, target - LDEN_PLUS_DB - 1.0  # Lden 0.5 dB over, 1 dB under
    _days(lab, "vb-01", [over, under])
    _tick_days(lab, 2)
    firing, resolved = (h.json for h in lab.hook.received)
    assert (firing["state"], resolved["state"]) == ("firing", "resolved")
    assert firing["threshold_db"] == target and resolved["threshold_db"] == target
    assert abs(firing["value_db"] - (target + 0.5)) < 0.05
    assert abs(resolved["value_db"] - (target - 1.0)) < 0.05
    assert "lden of 2026-06-10" in firing["detail"] and f"({target:g} dB)" in firing["detail"]


def test_a_facade_sensor_is_corrected_before_the_comparison(lab: Lab) -> None:
    sensor = lab.registry.get_sensor("vb-02")
    assert sensor is not None
    lab.registry.upsert_sensor(replace(sensor, facade=True))
    correction = lab.settings.facade_correction_db
    assert lab.send("POST", "/v1/alert-rules", json=_rule(lab, sensor_ids=["vb-02"])).status_code == 201
    target = 58.0  # dk-road, the preset for a road sensor without an area
    # day 1: measured Lden 1 dB over the target, but under it once façade-corrected; day 2: over even so
    _days(lab, "vb-02", [target - LDEN_PLUS_DB + 1.0, target - LDEN_PLUS_DB + correction + 1.0])
    _tick_days(lab, 2)
    [firing] = (h.json for h in lab.hook.received)
    assert firing["state"] == "firing" and firing["started_at"].startswith("2026-06-12")
    assert abs(firing["value_db"] - (target + 1.0)) < 0.05 and firing["threshold_db"] == target
    assert f"façade level {-correction:+g} dB" in firing["detail"]


def test_the_strictest_limit_of_a_custom_profile_is_the_target(lab: Lab) -> None:
    profile = {
        "id": "lab-strict",
        "name": "Lab trial targets",
        "limits": [
            {"metric": "lden", "value_db": 66.0, "kind": "label"},
            {"metric": "lden", "value_db": 61.0, "kind": "limit"},
            {"metric": "lnight", "value_db": 50.0, "kind": "limit"},
        ],
    }
    assert lab.send("POST", "/v1/targets", json=profile).status_code == 201
    assert lab.send("PATCH", "/v1/sensors/vb-01", json={"target_profile": "lab-strict"}).status_code == 200
    assert lab.send("POST", "/v1/alert-rules", json=_rule(lab)).status_code == 201
    _days(lab, "vb-01", [61.0 - LDEN_PLUS_DB + 2.0])  # over 61, under 66
    _tick_days(lab, 1)
    [firing] = (h.json for h in lab.hook.received)
    assert firing["threshold_db"] == 61.0 and "lab-strict" in firing["detail"]


def test_a_rule_for_sensors_without_a_target_is_a_precise_422(lab: Lab) -> None:
    # the road preset has no Lnight limit
    resp = lab.send(
        "POST", "/v1/alert-rules", json=_rule(lab, metric="lnight", sensor_ids=["vb-01", "vb-02"])
    )
    assert resp.status_code == 422
    assert "no lnight target for 'vb-01', 'vb-02'" in resp.json()["detail"]
    assert lab.send("GET", "/v1/alert-rules").json() == []
    # with an explicit above_db the same rule is fine: the admin's own number
    ok = lab.send("POST", "/v1/alert-rules", json=_rule(lab, metric="lnight", above_db=45))
    assert ok.status_code == 201
