"""At-least-once delivery against a real Mosquitto (SPEC §8): crash, SIGTERM, back-pressure, shared
subscriptions. Every test ends with an exact count: published = stored, no duplicates in the store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from noiselab.ingest.collector import Collector, CollectorConfig
from noiselab.store.registry import SqliteRegistry
from noiselab.store.sqlite import SqliteStore
from tests.services import Mosquitto, SwitchableStore, free_port, publish, wait_port, wait_until

pytestmark = pytest.mark.mqtt

T0 = 1_780_000_000  # 2026-05-28, in the past


def messages(n: int, per: int = 10, sensor: str = "d-1") -> list[tuple[str, bytes]]:
    out = []
    for i in range(n):
        body = {"start": T0 + i * per, "interval_s": 1, "laeq": [50.0 + (i + k) % 30 for k in range(per)]}
        out.append((f"noise/acme/{sensor}/levels", json.dumps(body).encode()))
    return out


def count(db: Path, sensor: str = "d-1") -> int:
    return len(SqliteStore(db).read(sensor, 0, 2**62))


def progress(proc: subprocess.Popen, data: Path, target: int) -> bool:  # type: ignore[type-arg]
    """True once ``target`` readings are stored; fails at once if the collector died."""
    if proc.poll() not in (None, -9):
        pytest.fail(
            f"collector exited with {proc.returncode}: {(data / 'collector.log').read_text()[-2000:]}"
        )
    return count(data / "noise.db") >= target


def spawn_collector(  # type: ignore[type-arg]
    mosquitto: Mosquitto, data: Path, *, wait_ready: bool = False, port: int | None = None
) -> subprocess.Popen:
    """``noiselab collect`` as a subprocess (its HTTP on ``port``); with ``wait_ready``, return once its
    /health answers (its signal handlers are installed by then, so a SIGTERM means a graceful stop)."""
    port = port or free_port()
    env = {
        **os.environ,
        "NOISELAB_MQTT_URL": mosquitto.url,
        "NOISELAB_DATA_DIR": str(data),
        "NOISELAB_BATCH_SIZE": "200",
        "NOISELAB_LOG_LEVEL": "WARNING",
        "NOISELAB_HTTP_PORT": str(port),
    }
    with open(data / "collector.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "noiselab.cli", "collect"], env=env, stdout=subprocess.DEVNULL, stderr=log
        )
    if wait_ready:
        wait_port(port, timeout_s=30)
    return proc


def subscribe_once(mosquitto: Mosquitto, data: Path) -> None:
    """Create the collector's persistent session, then stop it gracefully."""
    proc = spawn_collector(mosquitto, data, wait_ready=True)
    first = messages(1)

    def subscribed() -> bool:  # re-publishing the same readings is harmless: writes are idempotent
        publish(mosquitto.url, first)
        return (data / "noise.db").exists() and count(data / "noise.db") == 10

    wait_until(subscribed, interval_s=0.3, what="the collector's subscription")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0


def test_sigkill_loses_nothing(mosquitto: Mosquitto, tmp_path: Path) -> None:
    subscribe_once(mosquitto, tmp_path)
    items = messages(3000)[1:]  # 2999 messages x 10 readings, the broker queues them for our session
    publish(mosquitto.url, items)
    kills = 0
    for _ in range(4):  # start, let it write some, SIGKILL at an arbitrary point
        proc = spawn_collector(mosquitto, tmp_path)
        before = count(tmp_path / "noise.db")
        wait_until(lambda p=proc, b=before: progress(p, tmp_path, b + 1), what="progress")
        proc.kill()
        proc.wait(10)
        kills += 1
    proc = spawn_collector(mosquitto, tmp_path, wait_ready=True)
    wait_until(lambda: progress(proc, tmp_path, 30_000), timeout_s=120, what="all readings stored")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    cols = SqliteStore(tmp_path / "noise.db").read("d-1", 0, 2**62)
    assert len(cols) == 30_000 and len(set(cols.start_ms.tolist())) == 30_000 and kills == 4


def metric_sum(port: int, name: str) -> float:
    """The sum over labels of counter ``name`` on a collector's /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        lines = r.read().decode().splitlines()
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith(name + "{"))


N_MESSAGES = 10_000  # a backlog of 100 000 readings takes seconds to drain: the stop lands part-way
TOTAL = 10 * N_MESSAGES


def test_sigterm_flushes_and_acknowledges_only_what_is_written(mosquitto: Mosquitto, tmp_path: Path) -> None:
    """A graceful stop writes what it holds and acknowledges exactly that: the next collector stores the rest
    (published = stored, exactly) and sees no re-sends (nothing written went unacknowledged)."""
    subscribe_once(mosquitto, tmp_path)
    publish(mosquitto.url, messages(N_MESSAGES)[1:])  # with subscribe_once's message: N x 10 readings
    proc = spawn_collector(mosquitto, tmp_path, wait_ready=True)
    wait_until(lambda: progress(proc, tmp_path, 11), interval_s=0.01, what="some progress")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    after_term = count(tmp_path / "noise.db")
    assert 100 < after_term < TOTAL, after_term  # stopped part-way
    assert after_term % 10 == 0  # whole messages only
    port = free_port()
    proc = spawn_collector(mosquitto, tmp_path, wait_ready=True, port=port)
    try:
        wait_until(lambda: progress(proc, tmp_path, TOTAL), timeout_s=90, what="the rest after restart")
        wait_until(
            lambda: metric_sum(port, "noiselab_readings_stored_total") >= TOTAL - after_term,
            what="the second collector's counters",
        )
        assert metric_sum(port, "noiselab_readings_stored_total") == TOTAL - after_term
        assert metric_sum(port, "noiselab_readings_duplicate_total") == 0  # nothing written came back
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    cols = SqliteStore(tmp_path / "noise.db").read("d-1", 0, 2**62)
    assert len(cols) == TOTAL and len(set(cols.start_ms.tolist())) == TOTAL
    expected = {T0 + i * 10 + k: 50.0 + (i + k) % 30 for i in range(N_MESSAGES) for k in range(10)}
    assert dict(zip((cols.start_ms // 1000).tolist(), cols.laeq.tolist(), strict=True)) == expected


def test_store_away_means_back_pressure_not_loss(mosquitto: Mosquitto, tmp_path: Path) -> None:
    store = SwitchableStore(SqliteStore(tmp_path / "noise.db"))
    cfg = CollectorConfig(
        url=mosquitto.url,
        client_id="bp",
        max_unacked=50,
        batch_size=100,
        batch_wait_s=0.05,
        max_backoff_s=0.5,
    )
    collector = Collector(cfg, store, SqliteRegistry(tmp_path / "registry.db"))  # type: ignore[arg-type]
    collector.start()
    store.down.set()
    publish(mosquitto.url, messages(500))
    wait_until(lambda: store.failures >= 3, what="failed writes while the store is away")
    assert collector.acked == 0 and collector.held <= 50  # bounded, nothing acknowledged
    store.down.clear()
    wait_until(lambda: count(tmp_path / "noise.db") == 5000, timeout_s=60, what="everything after recovery")
    collector.stop()
    assert collector.acked == 500 and collector.duplicates == 0


def test_shared_subscription_splits_the_load(mosquitto: Mosquitto, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "noise.db")
    collectors = [
        Collector(
            CollectorConfig(
                url=mosquitto.url, client_id=f"share-{i}", shared_group="noiselab", batch_wait_s=0.05
            ),
            store,
            SqliteRegistry(tmp_path / "registry.db"),
        )
        for i in range(2)
    ]
    for c in collectors:
        c.start()
    publish(mosquitto.url, messages(400))
    wait_until(lambda: count(tmp_path / "noise.db") == 4000, timeout_s=60, what="all readings")
    for c in collectors:
        c.stop()
    assert sum(c.acked for c in collectors) == 400  # each message went to exactly one collector
    assert all(c.acked > 0 for c in collectors)
    assert sum(c.duplicates for c in collectors) == 0


def test_collect_serves_health_ready_and_metrics(mosquitto: Mosquitto, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "NOISELAB_MQTT_URL": mosquitto.url,
        "NOISELAB_DATA_DIR": str(tmp_path),
        "NOISELAB_HTTP_PORT": str(port),
        "NOISELAB_LOG_LEVEL": "WARNING",
    }
    with open(tmp_path / "collector.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "noiselab.cli", "collect"], env=env, stdout=subprocess.DEVNULL, stderr=log
        )
    try:

        def ready() -> dict | None:  # type: ignore[type-arg]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as r:
                    return json.loads(r.read())  # type: ignore[no-any-return]
            except OSError:
                return None

        assert wait_until(ready, what="/ready")["checks"] == {"store": "ok", "broker": "ok"}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
            assert b"noiselab_mqtt_reconnects_total" in r.read()
        mosquitto.stop()
        with pytest.raises(urllib.error.HTTPError) as err:
            wait_until(
                lambda: ready() is None and urllib.request.urlopen(f"http://127.0.0.1:{port}/ready"),
                what="/ready to fail",
            )
        assert err.value.code == 503
        err.value.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
