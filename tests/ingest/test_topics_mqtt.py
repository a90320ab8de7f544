"""Topics as devices and bridges really publish them, through a real Mosquitto and the collector:
SensorThings on v1.0 and v1.1, every MQTT format under a bridge prefix, and a wrong topic shape under a
known root, which must become a counted, dead-lettered ``bad_topic`` rather than silence."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from noiselab.domain.errors import ConfigError
from noiselab.domain.settings import Settings
from noiselab.ingest import metrics
from noiselab.ingest.collector import Collector, CollectorConfig
from noiselab.ingest.decoders import parse_prefixes
from noiselab.store.registry import SqliteRegistry
from noiselab.store.sqlite import SqliteStore
from tests.services import Mosquitto, publish, wait_until

pytestmark = pytest.mark.mqtt
FIXTURES = Path(__file__).parent.parent / "fixtures" / "payloads"
CS_TOPIC = "application/17c82e96-be03-4f38-aef3-f83d48582d97/device/24e124743c210001/event/up"


def _observation(datastream: int, minute: int) -> bytes:
    """An Observation as FROST/GOST clients publish it: an instant phenomenonTime and resultTime."""
    t = time.strftime("%Y-%m-%dT%H:%M:00Z", time.gmtime(time.time() - 3600 + 60 * minute))
    return json.dumps({"phenomenonTime": t, "resultTime": t, "result": 55.0 + minute}).encode()


def _refused(source: str, reason: str) -> float:
    return metrics.REFUSED.labels(source, reason)._value.get()


def test_sensorthings_v10_v11_bridged_topics_and_bad_topic(mosquitto: Mosquitto, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "noise.db")
    registry = SqliteRegistry(tmp_path / "registry.db")
    cfg = CollectorConfig(
        url=mosquitto.url,
        client_id="topics",
        batch_wait_s=0.05,
        topic_prefixes=parse_prefixes("bridge/os2iot"),
    )
    collector = Collector(cfg, store, registry)
    collector.start()
    bad_before = _refused("native", "bad_topic")
    native = b'{"ts": %d, "laeq": 51.5}' % int(time.time() - 60)
    good = [
        ("v1.0/Datastreams(17)/Observations", _observation(17, 1)),
        ("v1.1/Datastreams(18)/Observations", _observation(18, 2)),
        ("bridge/os2iot/" + CS_TOPIC, (FIXTURES / "chirpstack-v4-ws302.json").read_bytes()),
        ("bridge/os2iot/noise/acme/vb-bridged/levels", native),
        ("bridge/os2iot/v1.0/Datastreams(19)/Observations", _observation(19, 3)),
    ]
    bad = [
        ("noise/acme/x/y/z", native),
        ("noise/acme/vb-1/level", native),  # a typo of /levels
        ("bridge/os2iot/noise/acme/x/noise/rival/s/levels", native),  # another vendor's id nested inside
        ("v1.1/Datastream(17)/Observations", _observation(17, 4)),
    ]
    publish(mosquitto.url, good + bad)
    wait_until(lambda: collector.acked >= len(good) + len(bad), what="every message acknowledged")
    collector.stop()

    assert collector.stored == len(good) and collector.refused == len(bad)
    sensors = {s.sensor_id: s for s in registry.list_sensors()}
    assert set(sensors) == {
        "datastream-17",
        "datastream-18",
        "datastream-19",
        "24e124743c210001",
        "vb-bridged",
    }
    assert sensors["vb-bridged"].vendor == "acme"  # the vendor comes from the topic after the prefix
    letters = registry.dead_letters(limit=100)
    assert sorted((d["topic"], d["reason"]) for d in letters) == sorted((t, "bad_topic") for t, _ in bad)
    assert {d["source"] for d in letters} == {"native", "sensorthings"}
    assert all("noise/{vendor}/{sensor_id}/levels" in d["detail"] for d in letters if d["source"] == "native")
    assert _refused("native", "bad_topic") - bad_before == 3


def test_unknown_sources_and_bad_prefixes_are_config_errors(tmp_path: Path) -> None:
    from noiselab.cli.wiring import collector_config

    cfg = collector_config(Settings(data_dir=tmp_path, mqtt_topic_prefix="bridge/tts, ingest/os2iot/"))
    assert cfg.sources == ("native", "chirpstack", "tts", "sensorthings")
    assert cfg.topic_prefixes == ("", "bridge/tts/", "ingest/os2iot/")
    with pytest.raises(ConfigError, match="unknown MQTT source"):
        collector_config(Settings(data_dir=tmp_path, mqtt_sources=["native", "ngsi"]))
    with pytest.raises(ConfigError, match="prefix"):
        collector_config(Settings(data_dir=tmp_path, mqtt_topic_prefix="bridge/+"))
