"""Every MQTT-borne fixture format end to end: published to a real Mosquitto on its standard topic,
collected, stored, and read back through the API exactly as the decoder reads it. Plus a broker restart
in the middle of ingest."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from noiselab.api.app import create_app
from noiselab.domain.settings import Settings
from noiselab.ingest.collector import Collector, CollectorConfig
from noiselab.ingest.decoders import Message, decode, format_for_topic
from noiselab.store.registry import SqliteRegistry
from noiselab.store.sqlite import SqliteStore
from tests.ingest.test_delivery import count, messages
from tests.services import Mosquitto, publish, wait_until

pytestmark = pytest.mark.mqtt
FIXTURES = Path(__file__).parent.parent / "fixtures" / "payloads"
CASES = [
    ("noise/acme/vb-native-1/levels", "native-single.json"),
    ("noise/acme/vb-native-2/levels", "native-batch.json"),
    ("noise/acme/vb-native-3/levels", "native-glossary-case.json"),
    (
        "application/17c82e96-be03-4f38-aef3-f83d48582d97/device/24e124743c210001/event/up",
        "chirpstack-v4-ws302.json",
    ),
    ("v3/silent-city@ttn/devices/elsys-ers-01/up", "tts-v3-elsys.json"),
    ("v3/silent-city@ttn/devices/ws302-vb-01/up", "tts-v3-ws302.json"),
    ("v1.1/Datastreams(17)/Observations", "sensorthings-observation.json"),
]


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def test_every_fixture_format_through_mosquitto_store_and_api(mosquitto: Mosquitto, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "noise.db")
    registry = SqliteRegistry(tmp_path / "registry.db")
    collector = Collector(
        CollectorConfig(url=mosquitto.url, client_id="formats", batch_wait_s=0.05), store, registry
    )
    collector.start()
    items = []
    expected = []
    for topic, name in CASES:
        body = (FIXTURES / name).read_bytes()
        if "devices/" in topic and "/up" in topic:  # TTS device id in the topic must match the body's
            device = json.loads(body)["end_device_ids"]["device_id"]
            topic = f"v3/silent-city@ttn/devices/{device}/up"
        fmt = format_for_topic(topic)
        assert fmt is not None, topic
        decoded = decode(fmt, Message(topic=topic, headers={}, body=body, received_s=time.time()))
        assert decoded.readings and not decoded.refused, name
        expected.extend(decoded.readings)
        items.append((topic, body))
    publish(mosquitto.url, items)
    wait_until(lambda: collector.acked >= len(items), what="every fixture acknowledged")
    collector.stop()
    assert collector.refused == 0 and collector.stored == len(expected)

    keys = SqliteRegistry(tmp_path / "registry.db").keys
    engineer = {"Authorization": f"Bearer {keys.create('engineer')[1]}"}
    with TestClient(
        create_app(Settings(data_dir=tmp_path), store, registry, keys=keys), headers=engineer
    ) as http:
        for r in expected:
            start = iso(r.start_ms)
            end = iso(r.start_ms + 1000)
            got = http.get(
                f"/v1/sensors/{r.sensor_id}/levels", params={"start": start, "end": end, "interval": "raw"}
            )
            assert got.status_code == 200, got.text
            [row] = got.json()
            assert (row["start"], row["laeq"], row["lafmax"], row["interval_s"]) == (
                start,
                r.laeq,
                r.lafmax,
                r.interval_s,
            ), r.sensor_id
        ids = {s["sensor_id"] for s in http.get("/v1/sensors").json()}
        assert ids == {r.sensor_id for r in expected}


def test_broker_restart_during_ingest_loses_nothing(mosquitto: Mosquitto, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "noise.db")
    cfg = CollectorConfig(url=mosquitto.url, client_id="restart", batch_wait_s=0.05, max_backoff_s=1)
    collector = Collector(cfg, store, SqliteRegistry(tmp_path / "registry.db"))
    collector.start()
    batch = messages(1000)
    publish(mosquitto.url, batch[:500])
    mosquitto.restart()  # persistence on: the session and its queued messages survive
    wait_until(lambda: collector.connected, what="the collector reconnected")
    publish(mosquitto.url, batch[500:])
    wait_until(lambda: count(tmp_path / "noise.db") == 10_000, timeout_s=60, what="all 10 000 readings")
    collector.stop()
    cols = store.read("d-1", 0, 2**62)
    assert len(cols) == 10_000 and len(set(cols.start_ms.tolist())) == 10_000
    assert timedelta(milliseconds=int(cols.start_ms[-1] - cols.start_ms[0])) == timedelta(seconds=9_999)
