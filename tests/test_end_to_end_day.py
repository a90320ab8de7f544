"""A simulated day published over a real Mosquitto, collected, then reported by the engineers' API: daily
record (calendar day and the default 07:00 noise day), compliance and CSV agree with the plain-Python
reference (tests/processing/reference.py) on the readings that arrived."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from noiselab.api.app import create_app
from noiselab.domain.settings import Settings
from noiselab.ingest.collector import Collector, CollectorConfig
from noiselab.store.registry import SqliteRegistry
from noiselab.store.sqlite import SqliteStore
from tests.processing import reference
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
    zone = ZoneInfo("Europe/Copenhagen")
    rows = [
        (start_ms / 1000, interval_s, laeq, lafmax)
        for start_ms, interval_s, laeq, lafmax in zip(
            cols.start_ms.tolist(),
            cols.interval_s.tolist(),
            cols.laeq.tolist(),
            cols.lafmax.tolist(),
            strict=True,
        )
    ]
    # the oracle: the plain per-reading Python reference (tests/processing/reference.py), not the core
    calendar = reference.daily([("sim-001", t, i, laeq) for t, i, laeq, _ in rows], "dk", str(zone))
    noise_day = reference.daily(
        [("sim-001", t, i, laeq) for t, i, laeq, _ in rows], "dk", str(zone), day_start_h=7
    )
    on_day = [r for r in rows if datetime.fromtimestamp(r[0], zone).date() == day]
    assert sum(r[1] for r in on_day) == 86_400  # the whole calendar day arrived
    want = dict(calendar["sim-001", day.isoformat()])
    for n in (10, 50, 90, 95):
        want[f"la{n}"] = reference.exceedance_level([r[2] for r in on_day], [r[1] for r in on_day], n)
    want["lafmax"] = max(r[3] for r in on_day)

    keys = SqliteRegistry(tmp_path / "registry.db").keys
    engineer = {"Authorization": f"Bearer {keys.create('engineer')[1]}"}
    app = create_app(Settings(data_dir=tmp_path), store, registry, keys=keys)
    with TestClient(app, headers=engineer) as http:
        params = {"start": day.isoformat(), "end": day.isoformat(), "day_start": "00:00"}
        [rec] = http.get("/v1/sensors/sim-001/daily", params=params).json()
        for key in ("lden", "lday", "levening", "lnight", "laeq24"):
            assert abs(rec[key] - want[key]) <= 0.005 + 1e-9, (key, rec[key], want[key])  # 0.01 dB rounding
        for key in ("la10", "la50", "la90", "la95"):
            assert rec[key] == want[key], key  # 0.1 dB classes: exact
        assert rec["lafmax"] == round(want["lafmax"], 2)
        assert rec["coverage"] == 1.0 and rec["valid"] is True
        assert rec["coverage_day"] == rec["coverage_evening"] == rec["coverage_night"] == 1.0

        # the default noise day (07:00 -> 07:00): this calendar day's 07:00-24:00, 17 of its 24 hours
        [noise] = http.get(
            "/v1/sensors/sim-001/daily", params={"start": day.isoformat(), "end": day.isoformat()}
        ).json()
        ref = noise_day["sim-001", day.isoformat()]
        assert noise["date"] == day.isoformat()
        for key in ("lday", "levening", "lnight"):
            assert abs(noise[key] - ref[key]) <= 0.005 + 1e-9, (key, noise[key], ref[key])  # type: ignore[operator]
        assert noise["coverage"] == round(17 / 24, 4) and noise["valid"] is False
        assert (noise["coverage_day"], noise["coverage_evening"]) == (1.0, 1.0)
        assert noise["coverage_night"] == round(2 / 9, 4)  # 22:00-24:00 of the night's nine hours

        rows_c = http.get("/v1/compliance", params=params).json()
        lden_rows = [r for r in rows_c if r["sensor_id"] == "sim-001" and r["metric"] == "lden"]
        assert lden_rows and all(r["indicative"] for r in lden_rows)  # one day is never more than indicative
        assert all(abs(r["value_db"] - want["lden"]) <= 0.005 + 1e-9 for r in lden_rows)
        csv = http.get("/v1/sensors/sim-001/daily", params={**params, "format": "csv"}).text.splitlines()
        header = csv[0].split(",")
        assert header[:3] == ["sensor_id", "date", "lden"] and len(csv) == 2
        cells = dict(zip(header, csv[1].split(","), strict=True))
        assert cells["sensor_id"] == "sim-001" and cells["date"] == day.isoformat()
        assert float(cells["lden"]) == rec["lden"] and float(cells["la90"]) == want["la90"]
