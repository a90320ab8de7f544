"""Issue #13 over real Mosquitto with per-vendor passwords and the ACL of test_acl: a vendor cannot store
readings on another vendor's sensor through its own topic (``noise/rival/acme-ws-01/levels``), and when two
vendors write the same new sensors at the same instant through two collectors on one shared subscription,
exactly one vendor owns each sensor and only that vendor's readings are stored; the other's are refused as
``not_your_sensor``, dead-lettered under that vendor and counted."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from prometheus_client import REGISTRY

from noiselab.ingest.collector import Collector, CollectorConfig
from noiselab.store.registry import SqliteRegistry
from noiselab.store.sqlite import SqliteStore
from tests.reliability.test_acl import USERS, broker  # noqa: F401 - the ACL broker fixture, reused
from tests.services import Mosquitto, wait_until

pytestmark = pytest.mark.mqtt

START_S = int(time.time()) // 60 * 60 - 3600
LEVEL_DB = {"acme": 50.0, "other": 70.0}


def refused_count(reason: str) -> float:
    return REGISTRY.get_sample_value("noiselab_refused_total", {"source": "native", "reason": reason}) or 0.0


def publisher(port: int, vendor: str) -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{vendor}", protocol=mqtt.MQTTv5)
    c.username_pw_set(vendor, USERS[vendor])
    c.connect("127.0.0.1", port)
    c.loop_start()
    return c


def body(vendor: str, start_s: int, n: int = 10) -> bytes:
    return json.dumps({"start": start_s, "interval_s": 1, "laeq": [LEVEL_DB[vendor]] * n}).encode()


def collector(b: Mosquitto, tmp_path: Path, name: str, *, shared: bool) -> Collector:
    cfg = CollectorConfig(
        url=f"mqtt://collector:{USERS['collector']}@127.0.0.1:{b.port}",
        client_id=name,
        shared_group="noiselab" if shared else None,
        batch_wait_s=0.05,
        batch_size=200,
    )
    c = Collector(cfg, SqliteStore(tmp_path / "noise.db"), SqliteRegistry(tmp_path / "registry.db"))
    c.start()
    return c


def test_a_rival_cannot_write_acmes_sensor_over_mqtt(broker: Mosquitto, tmp_path: Path) -> None:  # noqa: F811
    coll = collector(broker, tmp_path, "own-coll", shared=False)
    before = refused_count("not_your_sensor")
    acme, rival = publisher(broker.port, "acme"), publisher(broker.port, "other")
    try:
        acme.publish("noise/acme/acme-ws-01/levels", body("acme", START_S), qos=1).wait_for_publish(10)
        wait_until(lambda: coll.acked >= 1, what="acme's first message")
        # the same times (pre-empting acme's next readings) and new ones, on the rival's own topic
        for start in (START_S, START_S + 10, START_S + 20):
            rival.publish("noise/other/acme-ws-01/levels", body("other", start), qos=1).wait_for_publish(10)
        acme.publish("noise/acme/acme-ws-01/levels", body("acme", START_S + 10), qos=1).wait_for_publish(10)
        wait_until(lambda: coll.acked >= 5, what="every message to be handled")
    finally:
        acme.disconnect()
        rival.disconnect()
        coll.stop()
    store = SqliteStore(tmp_path / "noise.db")
    laeq = store.read("acme-ws-01", (START_S - 60) * 1000, (START_S + 120) * 1000).laeq.tolist()
    assert len(laeq) == 20 and set(laeq) == {LEVEL_DB["acme"]}  # acme's 2 × 10 readings, none of rival's
    assert refused_count("not_your_sensor") - before == 30
    registry = SqliteRegistry(tmp_path / "registry.db")
    sensor = registry.get_sensor("acme-ws-01")
    assert sensor is not None and sensor.vendor == "acme"
    rival_letters = registry.dead_letters(vendor="other", limit=1000)
    assert {d["reason"] for d in rival_letters} == {"not_your_sensor"} and len(rival_letters) == 30
    assert len({d["body_id"] for d in rival_letters}) == 3  # one body per message
    assert registry.dead_letters(vendor="acme") == []
    [prov] = registry.provenance.list("acme-ws-01")
    assert (prov["route"], prov["credential"], prov["readings"]) == ("mqtt", "mqtt-user:acme", 20)


def test_concurrent_first_writers_through_two_collectors(broker: Mosquitto, tmp_path: Path) -> None:  # noqa: F811
    SqliteRegistry(tmp_path / "registry.db").close()  # migrated once before the race
    a = collector(broker, tmp_path, "coll-a", shared=True)
    b = collector(broker, tmp_path, "coll-b", shared=True)
    sensors = [f"race-{i:02d}" for i in range(40)]
    pubs = {v: publisher(broker.port, v) for v in ("acme", "other")}
    go = threading.Barrier(2)

    def send(vendor: str) -> None:
        go.wait()
        infos = [
            pubs[vendor].publish(f"noise/{vendor}/{sid}/levels", body(vendor, START_S), qos=1)
            for sid in sensors
        ]
        for info in infos:
            info.wait_for_publish(10)

    threads = [threading.Thread(target=send, args=(v,)) for v in pubs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    try:
        wait_until(lambda: a.acked + b.acked >= 80, timeout_s=30, what="both vendors' messages")
    finally:
        for p in pubs.values():
            p.disconnect()
        a.stop()
        b.stop()
    assert a.acked > 0 and b.acked > 0  # both collectors took part
    registry = SqliteRegistry(tmp_path / "registry.db")
    owners = registry.ownership.owners(sensors)
    store = SqliteStore(tmp_path / "noise.db")
    for sid in sensors:
        owner = owners[sid]
        assert owner in LEVEL_DB, sid
        laeq = store.read(sid, 0, (START_S + 60) * 1000).laeq.tolist()
        assert laeq == [LEVEL_DB[owner]] * 10, sid  # exactly one vendor's readings
    losers = registry.dead_letters(limit=1000)
    assert len(losers) == 40 * 10 and {d["reason"] for d in losers} == {"not_your_sensor"}
    for d in losers:
        assert d["vendor"] != owners[d["topic"].split("/")[2]]
