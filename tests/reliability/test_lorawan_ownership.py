"""Issue #13 for LoRaWAN over real Mosquitto with per-user passwords and an ACL (the network servers write
their own topic trees, vendors theirs): an application an admin mapped to a vendor cannot write another
vendor's sensor (``not_your_sensor``, dead-lettered under the mapped vendor and counted), it claims its
new devices for its vendor, and an unmapped application keeps today's behaviour (stored, no vendor)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from prometheus_client import REGISTRY

from noiselab.ingest.collector import Collector, CollectorConfig
from noiselab.store.registry import Sensor, SqliteRegistry
from noiselab.store.sqlite import SqliteStore
from tests.services import Mosquitto, start_mosquitto_with_acl, wait_until

pytestmark = pytest.mark.mqtt

USERS = {"acme": "acme-pw", "chirpstack": "cs-pw", "tts": "tts-pw", "collector": "coll-pw"}
ACL = """\
user acme
topic write noise/acme/#

user chirpstack
topic write application/#

user tts
topic write v3/#

user collector
topic read #
"""
ACME_APP = "17c82e96-be03-4f38-aef3-f83d48582d97"  # ChirpStack application of acme's devices
RIVAL_APP = "rival-noise"  # The Things Stack application of rival's devices (topics say rival-noise@ttn)
LOOSE_APP = "0b5e9a55-0000-4000-8000-00000000beef"  # nobody mapped it
NOW_S = int(time.time()) // 60 * 60 - 600


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    b = start_mosquitto_with_acl(tmp_path, USERS, ACL)
    yield b
    b.stop()


def publisher(port: int, user: str) -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{user}", protocol=mqtt.MQTTv5)
    c.username_pw_set(user, USERS[user])
    c.connect("127.0.0.1", port)
    c.loop_start()
    return c


def iso(s: float) -> str:
    return datetime.fromtimestamp(s, UTC).isoformat().replace("+00:00", "Z")


def chirpstack(app: str, dev_eui: str, at_s: float, laeq: float) -> tuple[str, bytes]:
    body = {
        "deduplicationId": f"dedupe-{dev_eui}-{at_s}",
        "time": iso(at_s),
        "deviceInfo": {"applicationId": app, "devEui": dev_eui, "deviceName": dev_eui},
        "object": {"LAeq": laeq, "battery": 90},
    }
    return f"application/{app}/device/{dev_eui}/event/up", json.dumps(body).encode()


def tts(device_id: str, at_s: float, laeq: float) -> tuple[str, bytes]:
    body = {
        "end_device_ids": {"device_id": device_id, "application_ids": {"application_id": RIVAL_APP}},
        "uplink_message": {"decoded_payload": {"LAeq": laeq}, "received_at": iso(at_s)},
    }
    return f"v3/{RIVAL_APP}@ttn/devices/{device_id}/up", json.dumps(body).encode()


def refused(source: str) -> float:
    labels = {"source": source, "reason": "not_your_sensor"}
    return REGISTRY.get_sample_value("noiselab_refused_total", labels) or 0.0


def test_a_mapped_application_cannot_write_another_vendors_sensor(broker: Mosquitto, tmp_path: Path) -> None:
    registry = SqliteRegistry(tmp_path / "registry.db")
    registry.lorawan_applications.set(ACME_APP, "acme")
    registry.lorawan_applications.set(RIVAL_APP, "rival")  # matched through the topic's rival-noise@ttn
    registry.upsert_sensor(Sensor("admin-made"))  # registered by an admin without a vendor: nobody's
    cfg = CollectorConfig(
        url=f"mqtt://collector:{USERS['collector']}@127.0.0.1:{broker.port}",
        client_id="lorawan-coll",
        batch_wait_s=0.05,
    )
    coll = Collector(cfg, SqliteStore(tmp_path / "noise.db"), SqliteRegistry(tmp_path / "registry.db"))
    coll.start()
    before = {s: refused(s) for s in ("tts", "chirpstack")}
    pubs = {u: publisher(broker.port, u) for u in ("acme", "chirpstack", "tts")}
    sent = 0

    def send(user: str, topic_body: tuple[str, bytes]) -> None:
        nonlocal sent
        pubs[user].publish(*topic_body, qos=1).wait_for_publish(10)
        sent += 1

    try:
        native = {"start": NOW_S, "interval_s": 60, "laeq": [50.0, 50.0]}  # acme claims acme-ws-01
        send("acme", ("noise/acme/acme-ws-01/levels", json.dumps(native).encode()))
        wait_until(lambda: coll.acked >= 1, what="acme's native message")
        for k in range(3):  # rival's application: acme's sensor (pre-empting its times), then its own
            send("tts", tts("acme-ws-01", NOW_S + 60 * (k + 3), 120.0))
        send("tts", tts("rival-ws-01", NOW_S + 60, 61.0))
        send("chirpstack", chirpstack(ACME_APP, "24e124743c210001", NOW_S + 120, 47.4))  # acme's new device
        send("chirpstack", chirpstack(ACME_APP, "admin-made", NOW_S + 120, 47.0))  # nobody's: refused
        send("chirpstack", chirpstack(LOOSE_APP, "24e124743c2100ff", NOW_S + 120, 44.0))  # unmapped
        wait_until(lambda: coll.acked >= sent, what="every message to be handled")
    finally:
        for p in pubs.values():
            p.disconnect()
        coll.stop()

    store = SqliteStore(tmp_path / "noise.db")
    acme_levels = store.read("acme-ws-01", 0, (NOW_S + 3600) * 1000).laeq.tolist()
    assert acme_levels == [50.0, 50.0]  # none of rival's 120 dB
    assert store.read("admin-made", 0, (NOW_S + 3600) * 1000).laeq.tolist() == []
    assert store.read("rival-ws-01", 0, (NOW_S + 3600) * 1000).laeq.tolist() == [61.0]
    assert store.read("24e124743c210001", 0, (NOW_S + 3600) * 1000).laeq.tolist() == [47.4]
    assert store.read("24e124743c2100ff", 0, (NOW_S + 3600) * 1000).laeq.tolist() == [44.0]

    assert refused("tts") - before["tts"] == 3
    assert refused("chirpstack") - before["chirpstack"] == 1
    owners = registry.ownership.owners(["acme-ws-01", "rival-ws-01", "24e124743c210001", "24e124743c2100ff"])
    assert owners == {
        "acme-ws-01": "acme",
        "rival-ws-01": "rival",
        "24e124743c210001": "acme",
        "24e124743c2100ff": None,  # unmapped application: registered without a vendor, as before
    }
    rival_letters = registry.dead_letters(vendor="rival", limit=100)
    assert len(rival_letters) == 3 and {d["reason"] for d in rival_letters} == {"not_your_sensor"}
    assert {d["topic"] for d in rival_letters} == {f"v3/{RIVAL_APP}@ttn/devices/acme-ws-01/up"}
    [acme_letter] = registry.dead_letters(vendor="acme", limit=100)
    assert acme_letter["reason"] == "not_your_sensor" and "to no vendor" in acme_letter["detail"]
    [prov] = registry.provenance.list("24e124743c210001")
    assert (prov["route"], prov["credential"]) == ("mqtt", f"lorawan-application:{ACME_APP}")
    [loose] = registry.provenance.list("24e124743c2100ff")
    assert loose["credential"] == "mqtt-topic:chirpstack"
    registry.close()
