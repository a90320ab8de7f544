from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from noiselab.store.registry import Registry, SqliteRegistry
from noiselab.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Europe/Copenhagen")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "noise.db")
    yield s
    s.close()


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    r = SqliteRegistry(tmp_path / "registry.db")
    yield r
    r.close()


def write_csv(path: Path, rows: list[list[object]], header: tuple[str, ...]) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def diurnal_rows(sensor: str, day: str, n_days: int, step_s: int = 60, seed: int = 3) -> list[list[object]]:
    """Readings every ``step_s`` with day 62 / evening 58 / night 50 dB (local Copenhagen time)."""
    rng = np.random.default_rng(seed)
    t0 = datetime.fromisoformat(day).replace(tzinfo=TZ).timestamp()
    rows: list[list[object]] = []
    for i in range(n_days * 86400 // step_s):
        t = t0 + i * step_s
        hour = datetime.fromtimestamp(t, TZ).hour
        base = 62.0 if 7 <= hour < 19 else 58.0 if 19 <= hour < 22 else 50.0
        la = round(base + float(rng.normal(0, 1.5)), 1)
        rows.append([sensor, int(t), la, round(la + 7.5, 1), "", "", step_s])
    return rows
