"""The simulator publishes realistic levels in every MQTT format, and the collector accepts all of them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from noiselab.ingest.collector import Collector, CollectorConfig
from noiselab.ingest.simulator import SimSensor, simulate_levels
from noiselab.processing.decibel import energy_mean
from noiselab.store.registry import SqliteRegistry
from noiselab.store.sqlite import SqliteStore
from tests.services import Mosquitto, wait_until


def test_levels_follow_the_traffic_day() -> None:
    sensor = SimSensor("sim-x", "x", 55.6, 12.4, 0.0, seed=7)
    rng = np.random.default_rng(7)
    day0 = 1_780_005_600  # 2026-05-28 22:00 UTC = 29 May 00:00 in Copenhagen (CEST)
    levels = simulate_levels(sensor, day0, 86_400, rng=rng)
    hourly = energy_mean(levels["laeq"].reshape(24, 3600), axis=1)
    assert hourly[3] < hourly[8] - 10  # small hours are much quieter than the morning rush
    assert ((levels["laeq"] >= 20) & (levels["laeq"] <= 140)).all()
    assert (levels["lafmax"] >= levels["laeq"]).all() and (levels["lcpeak"] > levels["lafmax"]).all()
    assert (levels["laeq"] > hourly.repeat(3600) + 10).sum() > 20  # loud events happen


@pytest.mark.mqtt
def test_simulate_command_every_format_is_accepted(mosquitto: Mosquitto, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "noise.db")
    registry = SqliteRegistry(tmp_path / "registry.db")
    collector = Collector(
        CollectorConfig(url=mosquitto.url, client_id="sim-test", batch_wait_s=0.05), store, registry
    )
    collector.start()
    start = time.strftime("%Y-%m-%dT%H:00:00Z", time.gmtime(time.time() - 3 * 3600))
    env = {**os.environ, "NOISELAB_MQTT_URL": mosquitto.url, "NOISELAB_LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "noiselab.cli",
            "simulate",
            "--sensors",
            "2",
            "--speed",
            "3600",
            "--duration",
            "600",
            "--start",
            start,
            "--formats",
            "native,chirpstack,tts,sensorthings",
        ],
        env=env,
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert b"published 1200 readings" in done.stdout
    # 2 sensors x 600 native 1-s readings + 10 minutes x 2 sensors x 3 LoRaWAN/SensorThings formats
    wait_until(lambda: collector.stored + collector.duplicates >= 1200 + 60, what="every simulated message")
    collector.stop()
    assert collector.refused == 0, registry.dead_letters()
    assert set(store.sensor_ids()) == {
        "sim-001",
        "sim-002",  # native
        "a8404100000003e8",
        "a8404100000003e9",  # ChirpStack devEUIs
        "sim-001-tts",
        "sim-002-tts",  # The Things Stack device ids
        "datastream-1000",
        "datastream-1001",  # SensorThings datastreams without a registered sensor
    }
    assert collector.stored == 1200 + 60
