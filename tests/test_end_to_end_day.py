"""A simulated day published over a real Mosquitto, collected, then reported by the engineers' API: daily
record, compliance and CSV agree with the metrics core on the same readings."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from fastapi.testclient import TestClient

from noiselab.api.app import create_app
from noiselab.domain.settings import Settings
from noiselab.ingest.collector import Collector, CollectorConfig
from noiselab.processing.daily import daily_from_raw
from noiselab.store.registry import SqliteRegistry
from noiselab.store.sqlite import SqliteStore
from tests.services import Mosquitto, wait_until

pytestmark = pytest.mark.mqtt


def test_a_day_over_mqtt_through_daily_compliance_and_csv(mosquitto: Mosquitto, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "noise.db")
    registry = SqliteRegistry(tmp_path / "registry.db")
    collector = Collector(CollectorConfig(url=mosquitto.url, client_id="day"), store, registry)
    collector.start()
    day = date.today() - timedelta(days=2)
    midnight = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo("Europe/Copenhagen"))
    env = {**os.environ, "NOISELAB_MQTT_URL": mosquitto.url, "NOISELAB_LOG_LEVEL": "WARNING"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "noiselab.cli",
            "simulate",
            "--sensors",
            "1",
            "--speed",
            "36000",
            "--duration",
            "86400",
            "--start",
            midnight.isoformat(),
        ],
        env=env,
        capture_output=True,
        timeout=120,
        check=True,
    )
    wait_until(lambda: collector.stored >= 86_400, timeout_s=60, what="a day of 1-s readings")
    collector.stop()

    cols = store.read("sim-001", 0, 2**62)
    expected = daily_from_raw(
        np.zeros(len(cols), dtype=np.int64),
        cols.start_ms / 1000,
        cols.interval_s,
        cols.laeq,
        cols.lafmax,
        cols.lcpeak,
        sensor_ids=["sim-001"],
        day_start_h=0,  # the simulated day is a calendar day
    ).to_records()
    [want] = [r for r in expected if r["date"] == day.isoformat()]
    assert want["coverage"] == 1.0 and want["valid"]

    keys = SqliteRegistry(tmp_path / "registry.db").keys
    engineer = {"Authorization": f"Bearer {keys.create('engineer')[1]}"}
    app = create_app(Settings(data_dir=tmp_path), store, registry, keys=keys)
    with TestClient(app, headers=engineer) as http:
        params = {"start": day.isoformat(), "end": day.isoformat(), "day_start": "00:00"}
        [rec] = http.get("/v1/sensors/sim-001/daily", params=params).json()
        for key in ("lden", "lday", "levening", "lnight", "laeq24", "la10", "la50", "la90", "la95", "lafmax"):
            assert rec[key] == pytest.approx(want[key], abs=0.01), key
        assert rec["coverage"] == 1.0 and rec["valid"] is True
        rows = http.get("/v1/compliance", params=params).json()
        lden_rows = [r for r in rows if r["sensor_id"] == "sim-001" and r["metric"] == "lden"]
        assert lden_rows and all(r["indicative"] for r in lden_rows)  # one day is never more than indicative
        assert all(r["value_db"] == pytest.approx(want["lden"], abs=0.01) for r in lden_rows)
        csv = http.get("/v1/sensors/sim-001/daily", params={**params, "format": "csv"}).text.splitlines()
        assert csv[0].startswith("sensor_id,date,lden,") and csv[1].startswith(
            f"sim-001,{day.isoformat()},"
        )
