"""Collector throughput against a real Mosquitto: readings/s of one collector writing to SqliteStore.

Method: for each case, a persistent session is created and left, a bounded publisher queues N messages on
the broker (max_queued_messages 0, so none is dropped), then the subscriber reconnects and we time how long
it takes to drain the queue. Baseline: a bare paho subscriber (QoS 1, automatic acknowledgement, no
decoding, no store) in the same run; the ratio collector / baseline is what the numbers mean elsewhere.

Scale-out case (``--shared``): one and then two collector *processes* on one MQTT 5 shared subscription
(``$share/bench/...``), writing one SqliteStore file, drain the same queued single-reading messages; the
ratio two / one, measured in the same run, is the scale-out figure. Each process first creates its
persistent session and stops, the messages are queued on the broker, then every process is told to go at
once and the clock runs until the store holds every reading.

    .venv/bin/python bench/bench_collector.py [--messages 20000] [--batch 60] [--shared]
"""

from __future__ import annotations

import argparse
import getpass
import json
import shutil
import socket
import sqlite3
import statistics
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
    for i in range(0, len(messages), 50_000):  # packet ids are 16-bit: never more than that outstanding
        infos = [c.publish(t, p, qos=1) for t, p in messages[i : i + 50_000]]
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


def shared_worker(port: int, db: Path, client_id: str) -> None:
    """In a child process: create the session, say "ready", wait for "go", then collect until killed."""
    store, registry = SqliteStore(db), SqliteRegistry(db.with_name("registry.db"))
    cfg = CollectorConfig(
        url=f"mqtt://127.0.0.1:{port}",
        client_id=client_id,
        sources=("native",),
        shared_group=client_id.rsplit("-", 1)[0],  # one group per run: old sessions stay subscribed
    )
    first = Collector(cfg, store, registry)
    first.start()
    first.stop()
    print("ready", flush=True)
    sys.stdin.readline()
    Collector(cfg, store, registry).start()
    sys.stdin.readline()  # the parent closes stdin when done


def stored(db: Path) -> int:
    with sqlite3.connect(db, timeout=30) as conn:
        return int(conn.execute("SELECT count(*) FROM readings").fetchone()[0])


def shared_run(port: int, tmp: Path, n_processes: int, msgs: list[tuple[str, bytes]], tag: str) -> float:
    """Seconds for ``n_processes`` collectors on one shared subscription to store every message."""
    db = tmp / f"shared-{tag}" / "noise.db"
    db.parent.mkdir()
    SqliteStore(db).close()  # schema first, so the workers do not race to create it
    script = Path(__file__).resolve()
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), "--worker", str(port), str(db), f"bench-{tag}-{i}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(n_processes)
    ]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        publish(port, msgs)
        t = time.perf_counter()
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        while stored(db) < len(msgs):
            if time.perf_counter() - t > 600:
                raise RuntimeError(f"{n_processes} collectors stored {stored(db)}/{len(msgs)}")
            time.sleep(0.02)
        return time.perf_counter() - t
    finally:
        for p in procs:
            p.kill()
            p.wait()


def shared_case(port: int, tmp: Path, n_messages: int, rounds: int = 3) -> None:
    msgs = payloads(n_messages, 1, time.time() - 86400 * 3)
    ratios = []
    for r in range(rounds):  # alternate, so that load from elsewhere hits both alike
        one = n_messages / shared_run(port, tmp, 1, msgs, f"one{r}")
        two = n_messages / shared_run(port, tmp, 2, msgs, f"two{r}")
        ratios.append(two / one)
        print(
            f"shared subscription, {n_messages} single-reading messages: 1 process {one:,.0f} readings/s, "
            f"2 processes {two:,.0f} readings/s; ratio two/one {two / one:.2f}"
        )
    print(f"  median of {rounds}: ratio two/one {statistics.median(ratios):.2f}")


def case(port: int, tmp: Path, n_messages: int, batch: int, rounds: int = 3) -> None:
    """Baseline and collector alternately, ``rounds`` times (a shared machine's load hits both alike)."""
    msgs = payloads(n_messages, batch, time.time() - 86400 * 3)
    n_readings = n_messages * batch
    ratios, rates = [], []
    for r in range(rounds):
        session(port, "bench-raw")
        publish(port, msgs)
        raw_s = baseline(port, n_messages)
        session(port, "bench-collector")
        publish(port, msgs)
        coll_s = collector_run(port, n_readings, tmp, f"b{batch}-{r}")
        raw_rps, coll_rps = n_readings / raw_s, n_readings / coll_s
        ratios.append(coll_rps / raw_rps)
        rates.append(coll_rps)
        print(
            f"{n_messages} messages x {batch} readings: baseline paho {n_messages / raw_s:,.0f} msg/s "
            f"({raw_rps:,.0f} readings/s); collector + SqliteStore {n_messages / coll_s:,.0f} msg/s "
            f"= {coll_rps:,.0f} readings/s; ratio collector/baseline {coll_rps / raw_rps:.2f}"
        )
    print(
        f"  median of {rounds}: collector {statistics.median(rates):,.0f} readings/s, "
        f"ratio {statistics.median(ratios):.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=60, help="readings per message in the batch case")
    ap.add_argument("--rounds", type=int, default=3, help="alternating repetitions of each case")
    ap.add_argument("--shared", action="store_true", help="also: 1 vs 2 collector processes, shared")
    ap.add_argument("--only-shared", action="store_true", help="only the shared-subscription case")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)  # internal: port, db, client id
    args = ap.parse_args()
    if args.worker:
        shared_worker(int(args.worker[0]), Path(args.worker[1]), args.worker[2])
        return
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        proc, port = start_broker(tmp)
        try:
            if not args.only_shared:
                case(port, tmp, args.messages, 1, args.rounds)
                case(port, tmp, max(args.messages // 10, 1), args.batch, args.rounds)
            if args.shared or args.only_shared:
                shared_case(port, tmp, args.messages, args.rounds)
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
