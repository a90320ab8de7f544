"""Every MQTT-borne fixture format end to end: published to a real Mosquitto on its standard topic,
collected, stored, and read back through the API as worked out by hand from each payload (docs/vendors.md).
Plus a broker restart in the middle of ingest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from noiselab.api.app import create_app
from noiselab.domain.settings import Settings
from noiselab.ingest.collector import Collector, CollectorConfig
from noiselab.store.registry import SqliteRegistry
from noiselab.store.sqlite import SqliteStore
from tests.ingest.test_delivery import count, messages
from tests.services import Mosquitto, publish, wait_until

pytestmark = pytest.mark.mqtt
FIXTURES = Path(__file__).parent.parent / "fixtures" / "payloads"


def _ms(iso: str) -> int:
    return round(datetime.fromisoformat(iso).timestamp() * 1000)


# topic, fixture, and the readings it must give, worked out by hand from the payload and docs/vendors.md:
# (sensor, start ms, interval_s, laeq, lafmax)
CASES: list[tuple[str, str, list[tuple[str, int, float, float, float | None]]]] = [
    (
        "noise/acme/vb-native-1/levels",
        "native-single.json",
        [("vb-native-1", _ms("2026-06-10T07:00:00+00:00"), 1.0, 58.2, 66.0)],
    ),
    (
        "noise/acme/vb-native-2/levels",
        "native-batch.json",  # start 07:00+02:00 = 05:00Z, reading i at start + i s
        [
            ("vb-native-2", _ms("2026-06-10T05:00:00+00:00") + 1000 * i, 1.0, laeq, lafmax)
            for i, (laeq, lafmax) in enumerate(
                [(58.2, 63.1), (58.9, 64.0), (61.0, 70.2), (63.4, 71.9), (59.7, 62.5)]
            )
        ],
    ),
    (
        "noise/acme/vb-native-3/levels",
        "native-glossary-case.json",  # epoch seconds 1781074800 = 2026-06-10T07:00:00Z, default 1 s
        [
            ("vb-native-3", _ms("2026-06-10T07:00:00+00:00"), 1.0, 55.0, 61.2),
            ("vb-native-3", _ms("2026-06-10T07:00:01+00:00"), 1.0, 55.4, 60.8),
        ],
    ),
    (
        "application/17c82e96-be03-4f38-aef3-f83d48582d97/device/24e124743c210001/event/up",
        "chirpstack-v4-ws302.json",  # 60 s ending at `time` 09:34:15.775023242
        [("24e124743c210001", _ms("2026-06-10T09:33:15.775+00:00"), 60.0, 47.4, 61.8)],
    ),
    (
        "v3/silent-city@ttn/devices/ers-sound-kulturhus/up",
        "tts-v3-elsys.json",  # soundAvg/soundPeak, 60 s ending at uplink received_at 12:00:00.989585559
        [("ers-sound-kulturhus", _ms("2026-06-10T11:59:00.990+00:00"), 60.0, 42.0, 49.0)],  # nearest ms
    ),
    (
        "v3/silent-city@ttn/devices/ws302-ishoj-2/up",
        "tts-v3-ws302.json",  # 60 s ending at uplink received_at 21:15:00.4
        [("ws302-ishoj-2", _ms("2026-06-10T21:14:00.400+00:00"), 60.0, 50.3, 58.6)],
    ),
    (
        "v1.1/Datastreams(17)/Observations",
        "sensorthings-observation.json",  # phenomenonTime 11:00/11:01
        [("datastream-17", _ms("2026-06-10T11:00:00+00:00"), 60.0, 61.4, None)],
    ),
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
    items = [(topic, (FIXTURES / name).read_bytes()) for topic, name, _ in CASES]
    expected = [reading for _, _, readings in CASES for reading in readings]
    publish(mosquitto.url, items)
    wait_until(lambda: collector.acked >= len(items), what="every fixture acknowledged")
    collector.stop()
    assert collector.refused == 0 and collector.stored == len(expected)

    keys = SqliteRegistry(tmp_path / "registry.db").keys
    engineer = {"Authorization": f"Bearer {keys.create('engineer')[1]}"}
    with TestClient(
        create_app(Settings(data_dir=tmp_path), store, registry, keys=keys), headers=engineer
    ) as http:
        for sensor, start_ms, interval_s, laeq, lafmax in expected:
            start, end = iso(start_ms), iso(start_ms + 1000)
            got = http.get(
                f"/v1/sensors/{sensor}/levels", params={"start": start, "end": end, "interval": "raw"}
            )
            assert got.status_code == 200, got.text
            [row] = got.json()
            assert datetime.fromisoformat(row["start"]) == datetime.fromisoformat(start), sensor
            assert (row["laeq"], row["lafmax"], row["interval_s"]) == (laeq, lafmax, interval_s), sensor
        ids = {s["sensor_id"] for s in http.get("/v1/sensors").json()}
        assert ids == {sensor for sensor, *_ in expected}


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
