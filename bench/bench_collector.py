"""Collector throughput against a real Mosquitto: readings/s of one collector writing to SqliteStore.

Method: for each case, a persistent session is created and left, a bounded publisher queues N messages on
the broker (max_queued_messages 0, so none is dropped), then the subscriber reconnects and we time how long
it takes to drain the queue. Baseline: a bare paho subscriber (QoS 1, automatic acknowledgement, no
decoding, no store) in the same run; the ratio collector / baseline is what the numbers mean elsewhere.

    .venv/bin/python bench/bench_collector.py [--messages 20000] [--batch 60]
"""

from __future__ import annotations

import argparse
import getpass
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from noiselab.ingest.collector import Collector, CollectorConfig
from noiselab.store.registry import SqliteRegistry
from noiselab.store.sqlite import SqliteStore

SENSORS = 50
CONF = """listener {port} 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
max_inflight_messages 0
max_packet_size 4000000
user {user}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_broker(tmp: Path) -> tuple[subprocess.Popen, int]:  # type: ignore[type-arg]
    port = free_port()
    conf = tmp / "mosquitto.conf"
    conf.write_text(CONF.format(port=port, user=getpass.getuser()))  # no privilege drop
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("mosquitto did not start")


def payloads(n_messages: int, batch: int, t0: float) -> list[tuple[str, bytes]]:
    out = []
    for i in range(n_messages):
        sensor, k = i % SENSORS, i // SENSORS
        start = t0 + k * batch
        if batch == 1:
            body = {"ts": start, "interval_s": 1, "laeq": 50 + (i % 200) / 10, "lafmax": 70.0}
        else:
            body = {"start": start, "interval_s": 1, "laeq": [50 + (j % 200) / 10 for j in range(batch)]}
        out.append((f"noise/bench/s{sensor:03d}/levels", json.dumps(body).encode()))
    return out


def session(port: int, client_id: str) -> None:
    """Create the persistent session (subscribe, leave) so the broker queues for it."""
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    c.connect("127.0.0.1", port, clean_start=False, properties=props)
    done = threading.Event()
    c.on_subscribe = lambda *a: done.set()
    c.loop_start()
    c.subscribe("noise/+/+/levels", qos=1)
    done.wait(10)
    c.disconnect()
    c.loop_stop()


def publish(port: int, messages: list[tuple[str, bytes]]) -> None:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-pub", protocol=mqtt.MQTTv5)
    c.max_inflight_messages_set(1000)  # bounded publisher
    c.connect("127.0.0.1", port)
    c.loop_start()
    infos = [c.publish(t, p, qos=1) for t, p in messages]
    for info in infos:
        info.wait_for_publish(60)
    c.disconnect()
    c.loop_stop()


def baseline(port: int, n: int) -> float:
    """Seconds for a bare paho subscriber to drain n queued messages."""
    got = 0
    done = threading.Event()

    def on_message(_c: object, _u: object, _m: object) -> None:
        nonlocal got
        got += 1
        if got >= n:
            done.set()

    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-raw", protocol=mqtt.MQTTv5)
    c.on_message = on_message
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    t = time.perf_counter()
    c.connect("127.0.0.1", port, clean_start=False, properties=props)
    c.loop_start()
    if not done.wait(600):
        raise RuntimeError(f"baseline got {got}/{n}")
    elapsed = time.perf_counter() - t
    c.disconnect()
    c.loop_stop()
    return elapsed


def collector_run(port: int, n_readings: int, tmp: Path, tag: str) -> float:
    store, registry = SqliteStore(tmp / f"{tag}.db"), SqliteRegistry(tmp / f"{tag}-registry.db")
    cfg = CollectorConfig(url=f"mqtt://127.0.0.1:{port}", client_id="bench-collector", sources=("native",))
    coll = Collector(cfg, store, registry)
    t = time.perf_counter()
    coll.start()
    while coll.stored + coll.duplicates < n_readings:
        if time.perf_counter() - t > 600:
            raise RuntimeError(f"collector stored {coll.stored}/{n_readings}")
        time.sleep(0.01)
    elapsed = time.perf_counter() - t
    coll.stop()
    store.close()
    registry.close()
    return elapsed


def case(port: int, tmp: Path, n_messages: int, batch: int) -> None:
    msgs = payloads(n_messages, batch, time.time() - 86400 * 3)
    n_readings = n_messages * batch
    session(port, "bench-raw")
    publish(port, msgs)
    raw_s = baseline(port, n_messages)
    session(port, "bench-collector")
    publish(port, msgs)
    coll_s = collector_run(port, n_readings, tmp, f"b{batch}")
    raw_rps, coll_rps = n_readings / raw_s, n_readings / coll_s
    print(
        f"{n_messages} messages x {batch} readings: baseline paho receive {n_messages / raw_s:,.0f} msg/s "
        f"({raw_rps:,.0f} readings/s); collector + SqliteStore {n_messages / coll_s:,.0f} msg/s "
        f"= {coll_rps:,.0f} readings/s; ratio collector/baseline {coll_rps / raw_rps:.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=60, help="readings per message in the batch case")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        proc, port = start_broker(tmp)
        try:
            case(port, tmp, args.messages, 1)
            case(port, tmp, max(args.messages // 10, 1), args.batch)
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
