"""End to end through real parts: native readings -> Mosquitto -> collector -> SQLite -> API."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from noiselab.api.app import create_app
from noiselab.domain.settings import Settings
from noiselab.ingest.collector import Collector, CollectorConfig
from noiselab.store.registry import SqliteRegistry
from noiselab.store.sqlite import SqliteStore
from tests.services import Mosquitto, free_port, publish, wait_port, wait_until

pytestmark = pytest.mark.mqtt


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_native_readings_flow_to_the_api(mosquitto: Mosquitto, tmp_path: Path, protocol: str) -> None:
    store = SqliteStore(tmp_path / "noise.db")
    registry = SqliteRegistry(tmp_path / "registry.db")
    cfg = CollectorConfig(url=mosquitto.url, protocol=protocol, client_id=f"c-{protocol}", batch_wait_s=0.05)
    collector = Collector(cfg, store, registry)
    collector.start()
    assert collector.connected
    now = int(time.time()) - 120
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    batch = {"start": start, "interval_s": 1, "laeq": [58.2, 58.9, 61.0], "lafmax": [63.1, 64.0, 70.2]}
    single = {"ts": now + 3, "interval_s": 1, "LAeq": 60.0, "LCpeak": 90.5}
    publish(
        mosquitto.url,
        [
            ("noise/acme/s-1/levels", json.dumps(batch).encode()),
            ("noise/acme/s-1/levels", json.dumps(single).encode()),
            ("noise/acme/s-1/levels", json.dumps(single).encode()),  # a re-send: stored once
            ("noise/acme/s-1/levels", b'{"ts": "2026-06-10T07:00:00", "laeq": 50}'),  # no zone: refused
        ],
        protocol=protocol,
    )
    wait_until(lambda: collector.acked >= 4, what="4 messages acknowledged")
    collector.stop()

    cols = store.read("s-1", 0, 2**62)
    assert cols.laeq.tolist() == [58.2, 58.9, 61.0, 60.0]
    assert collector.stored == 4 and collector.duplicates == 1 and collector.refused == 1
    letters = registry.dead_letters()
    assert [d["reason"] for d in letters] == ["time_without_zone"]
    assert letters[0]["raw"] == b'{"ts": "2026-06-10T07:00:00", "laeq": 50}'

    keys = SqliteRegistry(tmp_path / "registry.db").keys
    engineer = {"Authorization": f"Bearer {keys.create('engineer')[1]}"}
    app = create_app(Settings(data_dir=tmp_path, stale_after_s=10**9), store, registry, keys=keys)
    with TestClient(app, headers=engineer) as http:
        assert http.get("/health").json()["status"] == "ok"
        # auto-registered: unplaced and not public until an admin places it
        sensors = http.get("/v1/sensors").json()
        assert [(s["sensor_id"], s["vendor"], s["public"], s["placed"]) for s in sensors] == [
            ("s-1", "acme", False, False)
        ]
        cur = http.get("/v1/sensors/s-1/current").json()
        assert cur["latest"]["laeq"] == 60.0 and cur["latest"]["lcpeak"] == 90.5
        # energy mean of 58.2, 58.9, 61.0, 60.0 (1 s each), not their arithmetic mean 59.5
        assert cur["laeq_last_hour"] == 59.7
        missing = http.get("/v1/sensors/nope/current")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
        assert http.get("/v1/sensors/bad id!/current").status_code == 422
        assert "Hvor højt" in http.get("/").text


def test_noiselab_up_on_embedded_defaults(tmp_path: Path) -> None:
    """The README's first command: no broker, no database installed, simulated sensors."""
    http_port, mqtt_port = free_port(), free_port()
    env = {
        **os.environ,
        "NOISELAB_DATA_DIR": str(tmp_path),
        "NOISELAB_HTTP_PORT": str(http_port),
        "NOISELAB_EMBEDDED_BROKER_PORT": str(mqtt_port),
        "NOISELAB_SIMULATE": "2",
    }
    env.pop("NOISELAB_MQTT_URL", None)
    env.pop("NOISELAB_STORE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "noiselab.cli", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_port(http_port, timeout_s=30)

        def current() -> dict | None:  # type: ignore[type-arg]
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{http_port}/v1/sensors/sim-001/current", timeout=2
                ) as r:
                    body: dict = json.loads(r.read())  # type: ignore[type-arg]
            except OSError:
                return None
            # a registered sensor without readings yet answers 200 with latest = null (status no_data)
            return body if body.get("latest") is not None else None

        cur = wait_until(current, timeout_s=30, what="a simulated reading in the API")
        assert 20 <= cur["latest"]["laeq"] <= 140 and cur["status"] == "live"
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/v1/sensors", timeout=2) as r:
            sensors = json.loads(r.read())
        assert {s["sensor_id"] for s in sensors} >= {"sim-001", "sim-002"}
        assert all(s["public"] for s in sensors if s["sensor_id"].startswith("sim-"))
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out.decode(errors="replace")[-3000:]
