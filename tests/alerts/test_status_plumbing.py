"""Ingest records what the health checks need besides levels: arrival times (clock) and LoRaWAN battery
levels, through the real pipeline into real SQLite stores."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from noiselab.api.sensor_health import sensor_health
from noiselab.domain.settings import Settings
from noiselab.ingest.decoders import Message
from noiselab.ingest.decoders.lorawan import battery_pct
from noiselab.ingest.pipeline import Pipeline, decode_message
from noiselab.store.registry import SqliteRegistry
from noiselab.store.sqlite import SqliteStore

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "payloads" / "chirpstack-v4-ws302.json"
TOPIC = "application/17c82e96/device/24e124743c210001/event/up"
SENT = datetime(2026, 6, 10, 9, 34, 15, tzinfo=UTC).timestamp()


def uplink(battery: object, time_s: float) -> bytes:
    body = json.loads(FIXTURE.read_text())
    body["object"]["battery"] = battery
    body["time"] = datetime.fromtimestamp(time_s, UTC).isoformat()
    body["deduplicationId"] = f"d-{time_s}"
    return json.dumps(body).encode()


def test_arrival_and_battery_are_recorded_and_judged(tmp_path: Path) -> None:
    store, registry = SqliteStore(tmp_path / "noise.db"), SqliteRegistry(tmp_path / "registry.db")
    pipeline = Pipeline(store, registry)
    settings = Settings(data_dir=tmp_path)

    def receive(battery: object, sent_s: float, received_s: float) -> None:
        message = Message(topic=TOPIC, headers={}, body=uplink(battery, sent_s), received_s=received_s)
        pipeline.commit([decode_message("chirpstack", message, pipeline.rules())])

    receive(15, SENT, SENT + 2)
    status = registry.status.get("24e124743c210001")
    assert status is not None and status.battery_pct == 15.0
    assert status.arrival_ms == round((SENT + 2) * 1000) and status.reading_end_ms == round(SENT * 1000)
    health = sensor_health(store, registry, settings, "24e124743c210001", now_s=SENT + 10)
    checks = {c["check"]: c for c in health["checks"]}
    assert checks["battery"]["status"] == "warning" and checks["battery"]["detail"] == "battery 15 %"
    assert checks["clock"]["status"] == "ok"
    # an uplink that arrives two hours after its network-server time: a lagging clock or a buffer
    receive(80, SENT + 60, SENT + 7260)
    checks = {
        c["check"]: c
        for c in sensor_health(store, registry, settings, "24e124743c210001", now_s=SENT + 7300)["checks"]
    }
    assert checks["clock"]["status"] == "warning" and "2.0 h after they end" in checks["clock"]["detail"]
    assert checks["battery"]["status"] == "ok"
    store.close()
    registry.close()


def test_battery_fields_by_pattern() -> None:
    assert battery_pct({"battery": 100, "LAeq": 50}, "s") == {"s": 100.0}
    assert battery_pct({"Battery_Level": 42.5}, "s") == {"s": 42.5}
    assert battery_pct({"batt": 7}, "s") == {"s": 7.0}
    assert battery_pct({"vdd": 3600}, "s") == {}  # a voltage, not a percentage
    assert battery_pct({"battery": 3600}, "s") == {}  # out of 0..100
    assert battery_pct({"battery": True}, "s") == {}
    assert battery_pct({"battery": "90"}, "s") == {}
    assert battery_pct(["battery"], "s") == {}
