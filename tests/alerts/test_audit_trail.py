"""Issue #13/#15: the admin actions on trials, alert rules, sensor history and sensor pairs are read back
through ``GET /v1/audit``; refused actions leave no entry, and a webhook secret never enters the log."""

from __future__ import annotations

from typing import Any

from tests.alerts.conftest import SECRET, Lab


def _trial() -> dict[str, Any]:
    return {
        "trial_id": "barrier-a",
        "kind": "barrier",
        "method": "baci",
        "treated": ["vb-01"],
        "reference": ["vb-02"],
        "before": {"start": "2026-05-01", "end": "2026-05-14"},
        "after": {"start": "2026-05-20", "end": "2026-06-02"},
    }


def _audit(lab: Lab, target: str) -> list[dict[str, Any]]:
    resp = lab.send("GET", f"/v1/audit?target={target}")
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


def test_trial_and_alert_rule_actions_are_read_back_through_the_api(lab: Lab) -> None:
    admin = lab.registry.keys.verify(lab.keys["admin"])
    assert admin is not None
    actor = f"key:{admin.key_id}"

    assert lab.send("POST", "/v1/trials", json=_trial()).status_code == 201
    assert lab.send("POST", "/v1/trials", json=_trial()).status_code == 409  # refused: not logged
    assert lab.send("PATCH", "/v1/trials/barrier-a", json={"public": True}).status_code == 200
    assert lab.send("DELETE", "/v1/trials/barrier-a").status_code == 204
    assert lab.send("DELETE", "/v1/trials/barrier-a").status_code == 404

    assert lab.send("POST", "/v1/alert-rules", json=lab.rule()).status_code == 201
    assert lab.send("POST", "/v1/alert-rules", json=lab.rule()).status_code == 409
    assert lab.send("POST", "/v1/alert-rules", role="engineer", json=lab.rule(rule_id="x")).status_code == 403
    assert lab.send("DELETE", "/v1/alert-rules/loud").status_code == 204
    assert lab.send("DELETE", "/v1/alert-rules/loud").status_code == 404

    trial = _audit(lab, "trial:barrier-a")
    assert [e["action"] for e in trial] == ["trial.create", "trial.update", "trial.delete"]
    assert trial[0]["detail"]["treated"] == ["vb-01"] and trial[1]["detail"] == {"public": True}
    rule = _audit(lab, "alert_rule:loud")
    assert [e["action"] for e in rule] == ["alert_rule.create", "alert_rule.delete"]
    assert rule[0]["detail"]["above_db"] == 70 and rule[0]["detail"]["channels"][0]["secret"] == "********"
    assert {e["actor"] for e in trial + rule} == {actor}
    assert all(e["at"].endswith("Z") for e in trial + rule)

    everything = lab.send("GET", "/v1/audit?limit=1000").text
    assert SECRET not in everything
    assert lab.send("GET", "/v1/audit", role="engineer").status_code == 403


def test_history_and_pair_actions_are_audited(lab: Lab) -> None:
    calibration = {
        "kind": "calibration",
        "at": "2026-06-01T09:00:00+02:00",
        "by": "K. Hansen",
        "reference_db": 94.0,
        "measured_db": 94.6,
    }
    assert lab.send("POST", "/v1/sensors/vb-01/history", json=calibration).status_code == 201
    bad = {**calibration, "measured_db": None}
    assert lab.send("POST", "/v1/sensors/vb-01/history", json=bad).status_code == 422
    pair = {"sensor_ids": ["vb-02", "vb-01"], "relation": "co-located"}
    assert lab.send("POST", "/v1/sensor-pairs", json=pair).status_code == 201
    assert lab.send("DELETE", "/v1/sensor-pairs/vb-01/vb-02").status_code == 204
    assert lab.send("DELETE", "/v1/sensor-pairs/vb-01/vb-02").status_code == 404

    [cal] = _audit(lab, "sensor:vb-01")
    assert cal["action"] == "sensor.history.calibration"
    assert cal["detail"]["offset_db"] == -0.6 and cal["detail"]["by"] == "K. Hansen"
    assert cal["detail"]["at"] == "2026-06-01T07:00:00Z"
    pairs = _audit(lab, "sensor_pair:vb-01,vb-02")
    assert [(e["action"], e["detail"]) for e in pairs] == [
        ("sensor_pair.set", {"relation": "co-located"}),
        ("sensor_pair.delete", {}),
    ]
