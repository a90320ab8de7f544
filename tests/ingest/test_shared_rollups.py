"""SPEC §13: three ``noiselab collect`` processes on one MQTT 5 shared subscription write the same sensors
at once, two of them are SIGKILLed and restarted while messages flow; afterwards every reading is stored
once and every hourly rollup, minute level and daily record equals a recomputation from the raw readings,
on SQLite and on InfluxDB (the 1.6 engine behind the shim)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from noiselab.processing.daily import daily_from_raw, daily_from_rollups
from noiselab.processing.events import DEFAULT_EVENTS
from noiselab.store.base import HOUR_S, ReadingStore
from noiselab.store.influx import InfluxStore
from noiselab.store.sqlite import SqliteStore
from tests.influx_service import InfluxServer
from tests.services import Mosquitto, free_port, publish, wait_port, wait_until
from tests.store.rawcheck import hour_mismatches
from tests.store.test_stored_events import _assert_events_equal, _from_raw

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

T0 = 1_780_000_000 // 86400 * 86400 - 3600  # 22:00 UTC: the run crosses a UTC and a local midnight
SENSORS = ("m-1", "m-2", "m-3")
HOURS = 3
PER = 10  # readings per message


def messages() -> list[tuple[str, bytes]]:
    out = []
    for k in range(HOURS * HOUR_S // PER):
        for j, sensor in enumerate(SENSORS):
            start = T0 + k * PER
            t = [k * PER + i for i in range(PER)]  # a 6-s pass-by at 75+ dB every 97 s
            levels = [75.0 + j if s % 97 < 6 else 45.0 + (s * (j + 3)) % 41 / 2 for s in t]
            body = {"start": start, "interval_s": 1, "laeq": levels, "lafmax": [v + 3 for v in levels]}
            out.append((f"noise/acme/{sensor}/levels", json.dumps(body).encode()))
    return out


@pytest.fixture(params=["sqlite", pytest.param("influx", marks=pytest.mark.influx)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'noise.db'}", {}
        return
    server: InfluxServer = request.getfixturevalue("influx_server")
    bucket = f"t_{uuid.uuid4().hex[:12]}"
    server.create_database(bucket)
    yield server.url, {"NOISELAB_INFLUX_BUCKET": bucket}
    server.drop_database(bucket)


def open_store(url: str, env: dict[str, str]) -> ReadingStore:
    if url.startswith("sqlite"):
        return SqliteStore.from_url(url)
    return InfluxStore(url, bucket=env["NOISELAB_INFLUX_BUCKET"])


class Collectors:
    def __init__(self, mosquitto: Mosquitto, data: Path, store_url: str, extra: dict[str, str]) -> None:
        self.mosquitto, self.data, self.store_url, self.extra = mosquitto, data, store_url, extra
        self.procs: dict[int, subprocess.Popen[bytes]] = {}

    def start(self, i: int) -> None:
        port = free_port()
        env = {
            **os.environ,
            **self.extra,
            "NOISELAB_MQTT_URL": self.mosquitto.url,
            "NOISELAB_DATA_DIR": str(self.data),
            "NOISELAB_STORE_URL": self.store_url,
            "NOISELAB_MQTT_CLIENT_ID": f"shared-{i}",
            "NOISELAB_MQTT_SHARED_GROUP": "noiselab",
            "NOISELAB_BATCH_SIZE": "300",
            "NOISELAB_LOG_LEVEL": "WARNING",
            "NOISELAB_HTTP_PORT": str(port),
        }
        with open(self.data / f"collector-{i}.log", "ab") as log:
            self.procs[i] = subprocess.Popen(
                [sys.executable, "-m", "noiselab.cli", "collect"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        wait_port(port, timeout_s=60)

    def kill(self, i: int) -> None:
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait(30)

    def kill_all(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.kill()
                p.wait(30)

    def stop_all(self) -> None:
        for p in self.procs.values():
            p.send_signal(signal.SIGTERM)
        for i, p in self.procs.items():
            assert p.wait(60) == 0, (self.data / f"collector-{i}.log").read_text()[-2000:]


def stored(store: ReadingStore) -> int:
    return sum(len(store.read(s, 0, 2**62)) for s in SENSORS)


def run(collectors: Collectors, mosquitto: Mosquitto, store: ReadingStore) -> None:
    """Publish in three parts while collectors are killed (SIGKILL) and restarted; stop them gracefully."""
    for i in range(3):
        collectors.start(i)
    items = messages()
    total = len(items) * PER
    third = len(items) // 3
    publisher = threading.Thread(target=publish, args=(mosquitto.url, items[:third]))
    publisher.start()
    wait_until(lambda: stored(store) > total // 12, timeout_s=120, what="first readings")
    collectors.kill(0)
    publisher.join()
    publisher = threading.Thread(target=publish, args=(mosquitto.url, items[third : 2 * third]))
    publisher.start()
    collectors.start(0)
    wait_until(lambda: stored(store) > total // 2, timeout_s=120, what="half of the readings")
    collectors.kill(1)
    collectors.kill(0)
    publisher.join()
    collectors.start(1)
    collectors.start(0)
    publish(mosquitto.url, items[2 * third :])
    wait_until(lambda: stored(store) == total, timeout_s=180, interval_s=0.5, what="every reading")
    collectors.stop_all()  # each reconciles the hours it wrote on the way out


def test_three_collectors_with_sigkills_keep_rollups_exact(
    mosquitto: Mosquitto, tmp_path: Path, store_url: tuple[str, dict[str, str]]
) -> None:
    url, extra = store_url
    store = open_store(url, extra)
    collectors = Collectors(mosquitto, tmp_path, url, extra)
    try:
        run(collectors, mosquitto, store)
    finally:
        collectors.kill_all()
    lo, hi = T0 * 1000 - 86400_000, (T0 + HOURS * HOUR_S) * 1000 + 86400_000
    for sensor in SENSORS:
        assert hour_mismatches(store, sensor, lo, hi) == []
        raw = store.read(sensor, lo, hi)
        assert len(raw) == HOURS * HOUR_S and len(set(raw.start_ms.tolist())) == HOURS * HOUR_S
        from_raw = daily_from_raw(
            np.zeros(len(raw), dtype=np.int64), raw.start_ms / 1000.0, raw.interval_s, raw.laeq, raw.lafmax,
            sensor_ids=[sensor], event_thresholds=None, valid_threshold=0.0,
        ).to_records()  # fmt: skip
        from_rollups = daily_from_rollups(
            store.rollups(sensor, lo, hi), sensor_ids=[sensor], valid_threshold=0.0
        ).to_records()
        assert len(from_raw) == len(from_rollups) >= 1
        for a, b in zip(from_raw, from_rollups, strict=True):
            assert a.keys() == b.keys()
            for key, value in a.items():
                assert b[key] == (pytest.approx(value, abs=1e-9) if isinstance(value, float) else value), key
        kept = store.events(sensor, lo, hi, DEFAULT_EVENTS)  # type: ignore[attr-defined]
        if kept is not None:  # pass-by events kept by the store: equal to events found on raw readings
            _assert_events_equal(kept, _from_raw(store, sensor, DEFAULT_EVENTS))
            assert len(kept) >= HOURS * HOUR_S // 97
    generations = getattr(store, "reconcile", None)
    if generations is not None:  # InfluxDB: nothing was left for anyone else to recompute
        assert generations(lo, hi) == 0
    store.close()
