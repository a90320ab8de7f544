"""Real processes for the fault runs: Mosquitto on a free loopback port (persistence on,
``max_queued_messages 0``), ``noiselab collect`` as a subprocess, a QoS 1 publisher, exact counts.

Shared by ``faults`` (long runs) and ``tests/reliability`` (short runs). No pytest here: a missing
binary raises :class:`MissingBinary`; the tests turn that into a skip, or a failure in CI.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from localservices import Mosquitto, free_port, poll
from noiselab.ingest.collector import CollectorConfig, MqttTarget, make_client

T0 = 1_780_000_000  # 2026-05-28T20:26:40Z: readings in the past, never "in the future"
PER_MESSAGE = 10


class MissingBinary(RuntimeError):
    pass


def find_binary(name: str, *candidates: str) -> str:
    for c in (name, *candidates):
        path = shutil.which(c) or (c if os.path.isabs(c) and os.access(c, os.X_OK) else None)
        if path:
            return path
    raise MissingBinary(f"{name} is not installed (apt-get install -y mosquitto)")


def start_broker(directory: Path, extra_conf: str = "", *, port: int | None = None) -> Mosquitto:
    directory.mkdir(parents=True, exist_ok=True)
    binary = find_binary("mosquitto", "/usr/sbin/mosquitto")
    # (tests.services.Mosquitto keeps a root-started broker as root, so its persistence file is written)
    return Mosquitto(binary, directory, port or free_port(), extra_conf).start()


def wait_for(predicate: Callable[[], object], timeout_s: float, what: str, interval_s: float = 0.1) -> object:
    """Poll until truthy (bounded); raises TimeoutError naming ``what``."""
    return poll(predicate, timeout_s, what, interval_s)


def messages(
    n: int, *, first: int = 0, sensors: int = 10, vendor: str = "acme", t0: int = T0
) -> list[tuple[str, bytes]]:
    """``n`` native batch messages of :data:`PER_MESSAGE` 1-s readings each, round-robin over sensors;
    message ``i`` covers seconds ``[t0 + (i // sensors) * PER_MESSAGE, +PER_MESSAGE)`` of its sensor."""
    out = []
    for i in range(first, first + n):
        sensor = f"f-{i % sensors}"
        start = t0 + (i // sensors) * PER_MESSAGE
        body = {"start": start, "interval_s": 1, "laeq": [40.0 + (i + k) % 50 for k in range(PER_MESSAGE)]}
        out.append((f"noise/{vendor}/{sensor}/levels", json.dumps(body).encode()))
    return out


class Publisher:
    """A QoS 1 publisher on its own persistent MQTT 5 session that survives broker restarts: paho keeps
    unacknowledged and not-yet-sent QoS 1 messages and sends them again after reconnecting."""

    def __init__(self, url: str, client_id: str = "faults-publisher") -> None:
        self.client = make_client(CollectorConfig(url=url), client_id=client_id, manual_ack=False)
        self.client.max_queued_messages_set(0)
        self.client.max_inflight_messages_set(200)
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        t = MqttTarget.parse(url)
        self.acked = 0  # PUBACKs received (paho calls on_publish once per QoS 1 message)
        self.client.on_publish = self._on_publish
        self.client.connect(t.host, t.port, clean_start=False)
        self.client.loop_start()
        self.infos: list = []  # type: ignore[type-arg]

    def _on_publish(self, client: object, userdata: object, mid: int, reason: object, props: object) -> None:
        self.acked += 1

    def publish(self, items: Sequence[tuple[str, bytes]], *, rate_per_s: float | None = None) -> None:
        t0 = time.monotonic()
        for i, (topic, body) in enumerate(items):
            self.infos.append(self.client.publish(topic, body, qos=1))
            if rate_per_s:
                ahead_s = t0 + i / rate_per_s - time.monotonic()
                if ahead_s > 0:
                    time.sleep(ahead_s)

    def confirmed(self) -> int:
        # not MQTTMessageInfo.is_published(): it raises for a message queued while disconnected,
        # which paho still sends after reconnecting
        return self.acked

    def wait(self, timeout_s: float = 120.0) -> int:
        """Wait until the broker acknowledged every message; returns the count acknowledged."""
        wait_for(lambda: self.confirmed() == len(self.infos), timeout_s, "the broker's PUBACKs", 0.2)
        return self.confirmed()

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def publish_in_thread(
    pub: Publisher, items: Sequence[tuple[str, bytes]], rate_per_s: float
) -> threading.Thread:
    t = threading.Thread(target=pub.publish, args=(items,), kwargs={"rate_per_s": rate_per_s}, daemon=True)
    t.start()
    return t


@dataclass
class CollectorProcess:
    """``noiselab collect`` in a subprocess, logging JSON lines to ``data/collector.log``."""

    url: str
    data: Path
    extra_env: dict[str, str] | None = None
    proc: subprocess.Popen | None = None  # type: ignore[type-arg]
    preexec: Callable[[], None] | None = None

    def start(self) -> CollectorProcess:
        env = {
            **os.environ,
            "NOISELAB_MQTT_URL": self.url,
            "NOISELAB_DATA_DIR": str(self.data),
            "NOISELAB_BATCH_SIZE": "500",
            "NOISELAB_LOG_LEVEL": "INFO",
            **(self.extra_env or {}),
        }
        with open(self.data / "collector.log", "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "noiselab.cli", "collect"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
                preexec_fn=self.preexec,
            )
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def check(self) -> None:
        if self.proc is not None and self.proc.poll() not in (None, -signal.SIGKILL):
            tail = (self.data / "collector.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"collector exited with {self.proc.returncode}:\n{tail}")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def terminate(self, timeout_s: float = 60.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout_s)


def _query(db: Path, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:  # the schema is not created yet
        return []
    finally:
        conn.close()


def stored(data: Path) -> tuple[int, int]:
    """(rows, distinct (sensor_id, start_ms)) in the collector's SQLite store."""
    rows = _query(
        data / "noise.db", "SELECT COUNT(*), COUNT(DISTINCT sensor_id || ':' || start_ms) FROM readings"
    )
    return (int(rows[0][0]), int(rows[0][1])) if rows else (0, 0)


def dead_letters(data: Path) -> dict[str, int]:
    rows = _query(data / "registry.db", "SELECT reason, COUNT(*) FROM dead_letters GROUP BY reason")
    return {str(r): int(n) for r, n in rows}


def log_totals(data: Path) -> dict[str, int]:
    """Sum of the collector's "batch written" lines: messages acknowledged, readings stored, duplicates."""
    totals = {"batches": 0, "messages": 0, "stored": 0, "duplicates": 0, "refused": 0, "store_errors": 0}
    path = data / "collector.log"
    if not path.exists():
        return totals
    for line in path.read_text(errors="replace").splitlines():
        try:
            msg = str(json.loads(line).get("msg", ""))
        except ValueError:
            continue
        if msg.startswith("batch written:"):
            parts = [int(w) for w in msg.replace(",", " ").split() if w.isdigit()]
            if len(parts) == 4:
                totals["batches"] += 1
                for name, n in zip(("messages", "stored", "duplicates", "refused"), parts, strict=True):
                    totals[name] += n
        elif msg.startswith("store unavailable"):
            totals["store_errors"] += 1
    return totals


def prime_session(broker: Mosquitto, data: Path, timeout_s: float = 60.0) -> None:
    """Create the collector's persistent session (subscribe once), then stop it gracefully, so the
    broker queues everything published afterwards even while no collector runs."""
    coll = CollectorProcess(broker.url, data).start()
    probe = messages(1, t0=T0 - 86_400)  # the runs' vendor: the first writer of a sensor owns it (#13)
    pub = Publisher(broker.url, client_id="faults-probe")
    try:

        def subscribed() -> bool:
            coll.check()
            pub.publish(probe)  # re-sending the same reading is harmless: writes are idempotent
            return stored(data)[0] >= PER_MESSAGE

        wait_for(subscribed, timeout_s, "the collector's first subscription", 0.5)
    finally:
        pub.close()
    if coll.terminate() != 0:
        raise RuntimeError("collector did not stop cleanly")
