"""The live path with real parts: readings published to a real Mosquitto, collected into the store, the
evaluator reading the store (not the collector), a webhook to a real HTTP receiver."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from noiselab.ingest.collector import Collector, CollectorConfig
from tests.alerts.conftest import SECRET, Lab
from tests.services import Mosquitto, publish, wait_until

pytestmark = pytest.mark.mqtt


def batch(start_s: float, levels: list[float]) -> bytes:
    start = datetime.fromtimestamp(start_s, UTC).isoformat().replace("+00:00", "Z")
    return json.dumps({"start": start, "interval_s": 1, "laeq": levels}).encode()


def test_mqtt_to_webhook(lab: Lab, mosquitto: Mosquitto) -> None:
    sensor = lab.registry.get_sensor("vb-01")
    assert sensor is not None
    sensor.vendor = "acme"  # the vendor that publishes it
    lab.registry.upsert_sensor(sensor)
    collector = Collector(
        CollectorConfig(url=mosquitto.url, client_id="alerts-live", batch_wait_s=0.05),
        lab.store,
        lab.registry,
    )
    collector.start()
    try:
        assert (
            lab.send(
                "POST", "/v1/alert-rules", json=lab.rule(channels=[lab.rule()["channels"][0]])
            ).status_code
            == 201
        )
        now = float(int(time.time()))
        topic = "noise/acme/vb-01/levels"
        # two minutes ago: one minute loud, then one minute quiet, 60 readings per message
        items = [(topic, batch(now - 120, [82.0] * 60)), (topic, batch(now - 60, [55.0] * 60))]
        publish(mosquitto.url, items)
        wait_until(lambda: collector.acked >= 2, what="both messages written and acknowledged")
        ev = lab.evaluator()
        ev.tick(now - 60)  # the loud minute is in the window
        ev.tick(now)  # the quiet minute is
        states = [h.json["state"] for h in lab.hook.received]
        assert states == ["firing", "resolved"] and all(h.signed_with(SECRET) for h in lab.hook.received)
        assert lab.hook.received[0].json["value_db"] == 82.0
        status = lab.registry.status.get("vb-01")
        assert status is not None and status.reading_end_ms == int(now * 1000)
        assert status.arrival_ms is not None and abs(status.arrival_ms / 1000 - time.time()) < 60
    finally:
        collector.stop()
