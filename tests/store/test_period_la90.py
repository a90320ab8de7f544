"""LA90 per period: the raw path (``noiselab compute``) and the rollup path (API ``/daily`` from the store's
hourly histograms) give the same 0.1 dB class on SQLite and on InfluxDB, across the autumn DST night.

The two noise days hold nights with a known LA90: 24 October (22:00 -> 07:00, 10 h with the repeated hour)
is quiet (42.0 dB) for exactly 10 % of its time, so LA90_night = 42.0; 25 October (9 h) is quiet for one
reading less than 10 %, so LA90_night is the loud level, 65.0. Days and evenings are random levels.
"""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from noiselab.api.app import create_app
from noiselab.cli.main import main
from noiselab.domain.readings import Reading
from noiselab.domain.settings import Settings
from noiselab.store.base import ReadingStore
from noiselab.store.registry import SqliteRegistry

STEP_S = 10
QUIET, LOUD = 42.0, 65.0
SENSOR = "bg-1"
PERIOD_KEYS = ("la90_day", "la90_evening", "la90_night")


def _local_s(y: int, m: int, d: int, h: int) -> int:
    return int(datetime(y, m, d, h, tzinfo=ZoneInfo("Europe/Copenhagen")).timestamp())


def _readings() -> list[Reading]:
    """10-s readings over the noise days of 24 and 25 October 2026 (07:00 -> 07:00 -> 07:00)."""
    t = np.arange(_local_s(2026, 10, 24, 7), _local_s(2026, 10, 26, 7), STEP_S, dtype=np.int64)
    lv = np.round(np.random.default_rng(14).uniform(45, 80, t.size), 1)
    for night_start, night_end, quiet in (
        (_local_s(2026, 10, 24, 22), _local_s(2026, 10, 25, 7), 3600),  # 10 h: 10 % = 3600 s
        (_local_s(2026, 10, 25, 22), _local_s(2026, 10, 26, 7), 3240 - STEP_S),  # 9 h: one reading short
    ):
        night = (t >= night_start) & (t < night_end)
        lv[night] = LOUD
        lv[night & (t >= night_end - quiet)] = QUIET
    return [Reading(SENSOR, int(s) * 1000, float(STEP_S), float(v)) for s, v in zip(t, lv, strict=True)]


def _compute(tmp_path: Path, readings: list[Reading], fmt: str) -> str:
    path = tmp_path / "readings.csv"
    lines = ["sensor_id,ts,laeq,interval_s"]
    lines += [f"{r.sensor_id},{r.start_ms // 1000},{r.laeq},{r.interval_s:g}" for r in readings]
    random.Random(3).shuffle(body := lines[1:])
    path.write_text("\n".join([lines[0], *body]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["compute", str(path), "--format", fmt])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def filled(store: ReadingStore) -> tuple[ReadingStore, list[Reading]]:
    readings = _readings()
    shuffled = readings[:]
    random.Random(5).shuffle(shuffled)
    for i in range(0, len(shuffled), 4000):
        store.write(shuffled[i : i + 4000])
    return store, readings


def test_raw_path_equals_rollup_path_on_both_stores(
    filled: tuple[ReadingStore, list[Reading]], tmp_path: Path
) -> None:
    store, readings = filled
    raw = {r["date"]: r for r in json.loads(_compute(tmp_path, readings, "json"))}
    raw_csv = {r["date"]: r for r in _csv_rows(_compute(tmp_path, readings, "csv"))}

    settings = Settings(data_dir=tmp_path)
    registry = SqliteRegistry(settings.registry_path)
    registry.ensure_sensors([SENSOR], vendor="acme")
    _, key = registry.keys.create("engineer")
    try:
        with TestClient(create_app(settings, store, registry)) as client:
            url = f"/v1/sensors/{SENSOR}/daily?start=2026-10-24&end=2026-10-25"
            auth = {"Authorization": f"Bearer {key}"}
            api = {r["date"]: r for r in client.get(url, headers=auth).json()}
            api_csv_text = client.get(url + "&format=csv", headers=auth).text
    finally:
        registry.close()
    api_csv = {r["date"]: r for r in _csv_rows(api_csv_text)}

    assert set(raw) == set(api) == {"2026-10-24", "2026-10-25"}
    for day in raw:
        for key_ in (*PERIOD_KEYS, "la10", "la50", "la90", "la95"):
            assert raw[day][key_] == api[day][key_], (day, key_)
            assert raw_csv[day][key_] == api_csv[day][key_] == str(api[day][key_]), (day, key_)
        assert raw[day]["coverage_night"] == api[day]["coverage_night"] == 1.0
    assert api["2026-10-24"]["la90_night"] == QUIET  # the 10-h DST night: quiet exactly 10 % of it
    assert api["2026-10-25"]["la90_night"] == LOUD  # quiet one reading less than 10 %
    for day in raw:  # random 45–80 dB: the background is near the low end, never the night's levels
        assert 45.0 <= api[day]["la90_day"] <= 50.0 and 45.0 <= api[day]["la90_evening"] <= 50.0


def test_rollup_path_reads_every_hour_of_the_dst_night(filled: tuple[ReadingStore, list[Reading]]) -> None:
    """The night of 24 October in the store's hourly rollups: 10 UTC hours, 36 000 s, 3 600 of them quiet."""
    store, _ = filled
    lo_ms, hi_ms = _local_s(2026, 10, 24, 22) * 1000, _local_s(2026, 10, 25, 7) * 1000
    r = store.rollups(SENSOR, lo_ms, hi_ms)
    assert len(r) == 10 and float(r.seconds.sum()) == 36_000.0
    quiet = r.hist_bin == round(QUIET * 10)
    assert float(r.hist_seconds[quiet].sum()) == 3600.0
    assert datetime.fromtimestamp(int(r.bucket_s[0]), UTC).hour == 20  # 22:00 CEST
