"""Alert rules end to end through the API, the evaluator and real receivers (an HTTP server for webhooks and
aiosmtpd for email), on a fake clock: hysteresis, retries, restarts, quiet hours."""

from __future__ import annotations

import contextlib
import io
from csv import DictReader
from datetime import UTC, datetime

import numpy as np

from noiselab.api.alerting.evaluator import LEASE
from tests.alerts.conftest import SECRET, T0, Lab


def loud_period_with_dips(seed: int) -> list[float]:
    """5 min at 60 dB, 20 min around 75 dB that dips below 70 dB (not below 67 dB) for a minute or so
    four times, and short quiet gaps, then 10 min at 60 dB; 1-s readings."""
    rng = np.random.default_rng(seed)
    loud = 75 + 1.5 * rng.standard_normal(1200)
    for start in (200, 420, 700, 1000):
        loud[start : start + 70] = 68.5 + 0.3 * rng.standard_normal(70)  # the window mean falls below 70
    loud[300:305] = 50.0  # a 5-s gap of quiet within the loud stretch
    return [60.0] * 300 + list(loud) + [60.0] * 600


def test_one_firing_and_one_resolved_per_channel_for_a_loud_period_with_dips(lab: Lab) -> None:
    assert lab.send("POST", "/v1/alert-rules", json=lab.rule()).status_code == 201
    lab.write_levels("vb-01", T0, loud_period_with_dips(1))
    lab.run(lab.evaluator(), T0 + 2100)
    states = [h.json["state"] for h in lab.hook.received]
    assert states == ["firing", "resolved"]
    firing, resolved = (h.json for h in lab.hook.received)
    assert firing["alert_id"] == resolved["alert_id"]
    assert firing["value_db"] >= 70 and firing["threshold_db"] == 70
    assert resolved["value_db"] < 67 and resolved["threshold_db"] == 67  # default clear = above − 3
    started = datetime.fromisoformat(firing["started_at"]).timestamp()
    assert T0 + 300 <= started <= T0 + 330  # fired within one tick of the loud period reaching the window
    for hook in lab.hook.received:
        assert hook.headers["content-type"] == "application/json"
        assert hook.signed_with(SECRET) and not hook.signed_with("another secret")
        assert hook.headers["idempotency-key"] == f"{hook.json['alert_id']}:{hook.json['state']}"
    assert [m["Subject"].split(":")[0] for m in lab.smtp.messages] == ["Støjalarm", "Ophørt"]
    body = lab.smtp.messages[0].get_content()
    assert "vb-01" in body and "Noise alert" in lab.smtp.messages[0]["Subject"] and "Measured" in body
    listed = lab.send("GET", "/v1/alerts", role="engineer").json()
    assert len(listed) == 1 and listed[0]["state"] == "resolved"
    assert sorted((d["state"], d["channel_type"], d["attempts"]) for d in listed[0]["deliveries"]) == [
        ("firing", "email", 1),
        ("firing", "webhook", 1),
        ("resolved", "email", 1),
        ("resolved", "webhook", 1),
    ]


def test_retries_after_500_and_while_the_receiver_is_down(lab: Lab) -> None:
    lab.hook.script = [500, 503]
    assert (
        lab.send("POST", "/v1/alert-rules", json=lab.rule(channels=[lab.rule()["channels"][0]])).status_code
        == 201
    )
    lab.write_levels("vb-01", T0, [80.0] * 120)
    ev = lab.evaluator()
    ev.tick(T0 + 60)  # fires; first attempt -> 500
    ev.tick(T0 + 62)  # not due yet (backoff 5 s)
    assert len(lab.hook.received) == 1
    ev.tick(T0 + 66)  # second attempt -> 503
    assert len(lab.hook.received) == 2
    lab.hook.stop()  # receiver down: connection refused
    ev.tick(T0 + 77)  # third attempt -> unreachable; next in 20 s
    ev.tick(T0 + 98)  # fourth attempt -> unreachable; next in 40 s
    lab.hook.start()  # back on the same port
    ev.tick(T0 + 120)  # not due yet
    assert len(lab.hook.received) == 2
    ev.tick(T0 + 139)
    keys = [h.headers["idempotency-key"] for h in lab.hook.received]
    assert len(keys) == 3 and len(set(keys)) == 1
    (alert,) = lab.send("GET", "/v1/alerts", role="engineer").json()
    (delivery,) = alert["deliveries"]
    outcomes = [a["outcome"] for a in delivery["attempt_log"]]
    assert outcomes[:2] == ["HTTP 500", "HTTP 503"] and outcomes[-1] == "HTTP 200"
    assert all(o.startswith("unreachable") for o in outcomes[2:4]) and delivery["delivered_at"] is not None
    csv = lab.send("GET", "/v1/alerts?format=csv", role="engineer")
    assert csv.headers["content-type"].startswith("text/csv")
    (row,) = list(DictReader(io.StringIO(csv.text)))
    assert (row["state"], row["notification"], row["channel_type"], row["attempts"]) == (
        "firing",
        "firing",
        "webhook",
        "5",
    )
    assert row["delivered_at"] == delivery["delivered_at"] and row["last_error"] == ""


def test_a_restarted_evaluator_sends_no_duplicate(lab: Lab) -> None:
    assert (
        lab.send("POST", "/v1/alert-rules", json=lab.rule(channels=[lab.rule()["channels"][0]])).status_code
        == 201
    )
    lab.write_levels("vb-01", T0, [80.0] * 600 + [55.0] * 600)
    first = lab.evaluator("host-a")
    lab.run(first, T0 + 300)
    assert [h.json["state"] for h in lab.hook.received] == ["firing"]
    # host-a is killed without releasing its lease; host-b waits for it to expire, then takes over
    second = lab.evaluator("host-b")
    assert not second.tick(T0 + 310)
    assert lab.registry.leases.holder(LEASE, now_ms=int((T0 + 310) * 1000)) == "host-a"
    lab.clock.now = T0 + 300 + lab.settings.alert_lease_ttl_s + 1
    lab.run(second, T0 + 1500)
    assert [h.json["state"] for h in lab.hook.received] == ["firing", "resolved"]


def test_a_crash_between_send_and_record_resends_with_the_same_key(lab: Lab) -> None:
    assert (
        lab.send("POST", "/v1/alert-rules", json=lab.rule(channels=[lab.rule()["channels"][0]])).status_code
        == 201
    )
    lab.write_levels("vb-01", T0, [80.0] * 120)
    crashing = lab.evaluator("host-a")
    real_send = crashing.senders["webhook"]

    def send_then_die(delivery):  # type: ignore[no-untyped-def]
        real_send(delivery)
        raise SystemExit("killed after sending, before recording")

    crashing.senders["webhook"] = send_then_die
    with contextlib.suppress(SystemExit):
        crashing.tick(T0 + 60)
    lab.clock.now = T0 + 60 + lab.settings.alert_lease_ttl_s + 1
    lab.evaluator("host-b").tick()
    keys = [h.headers["idempotency-key"] for h in lab.hook.received]
    assert len(keys) == 2 and len(set(keys)) == 1 and keys[0].endswith(":firing")


def test_quiet_hours_hold_notifications_then_release_them(lab: Lab) -> None:
    night = datetime(2026, 6, 10, 21, 0, tzinfo=UTC).timestamp()  # 23:00 in Copenhagen
    morning = datetime(2026, 6, 11, 5, 0, tzinfo=UTC).timestamp()  # 07:00 in Copenhagen
    rule = lab.rule(quiet_hours={"start": "22:00", "end": "07:00"})
    assert lab.send("POST", "/v1/alert-rules", json=rule).status_code == 201
    lab.write_levels("vb-01", night, [80.0] * 600 + [55.0] * 600)
    ev = lab.evaluator()
    lab.clock.now = night
    lab.run(ev, night + 1800)
    assert lab.hook.received == [] and lab.smtp.messages == []
    (alert,) = lab.send("GET", "/v1/alerts", role="engineer").json()
    assert alert["state"] == "resolved"
    assert {d["release_at"] for d in alert["deliveries"]} == {"2026-06-11T05:00:00Z"}
    lab.clock.now = morning - 30
    lab.run(ev, morning + 15)
    assert [h.json["state"] for h in lab.hook.received] == ["firing", "resolved"]
    assert len(lab.smtp.messages) == 2


def test_cooldown_and_a_second_alert_get_their_own_ids(lab: Lab) -> None:
    assert lab.send("POST", "/v1/alert-rules", json=lab.rule(cooldown_s=300)).status_code == 201
    lab.write_levels("vb-01", T0, [80.0] * 120 + [55.0] * 120 + [80.0] * 600)
    lab.run(lab.evaluator(), T0 + 900)
    firing = [h.json for h in lab.hook.received if h.json["state"] == "firing"]
    assert len(firing) == 2 and firing[0]["alert_id"] != firing[1]["alert_id"]
    gap = datetime.fromisoformat(firing[1]["started_at"]) - datetime.fromisoformat(firing[0]["started_at"])
    assert gap.total_seconds() >= 300


def test_a_daily_rule_fires_on_a_loud_day_and_resolves_on_a_quiet_one(lab: Lab) -> None:
    rule = lab.rule(
        rule_id="lden", kind="daily", metric="lden", above_db=65, channels=[lab.rule()["channels"][0]]
    )
    assert lab.send("POST", "/v1/alert-rules", json=rule).status_code == 201
    day1 = datetime(2026, 6, 10, 5, 0, tzinfo=UTC).timestamp()  # 07:00 in Copenhagen: a noise day starts
    lab.write_levels("vb-01", day1, [70.0] * 1440, step_s=60.0)  # Lden of a constant 70 dB = 76.4 dB
    lab.write_levels("vb-01", day1 + 86400, [50.0] * 1440, step_s=60.0)
    ev = lab.evaluator()
    ev.tick(day1 + 86400 + 600)  # 07:10 the next morning: day 1 is complete
    ev.tick(day1 + 2 * 86400 + 600)  # day 2 is complete
    firing, resolved = (h.json for h in lab.hook.received)
    assert (firing["state"], resolved["state"]) == ("firing", "resolved")
    assert abs(firing["value_db"] - (70 + 10 * np.log10((12 + 3 * 10**0.5 + 9 * 10) / 24))) < 0.1
    assert firing["threshold_db"] == 65 and resolved["value_db"] < 65
