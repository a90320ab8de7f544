"""1- and 15-minute levels from the store's minute rollups equal those computed from the raw readings."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from noiselab.domain.readings import Reading
from noiselab.processing.decibel import level
from noiselab.processing.rollups import rollup
from tests.api.conftest import DAY_START_MS, Api

E = "engineer"


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _readings() -> list[Reading]:
    rng = np.random.default_rng(11)
    start = DAY_START_MS + 7_000  # 10-s readings not aligned to minutes, two hours
    levels = np.round(rng.uniform(40, 90, 720), 1)
    return [
        Reading("fine", start + i * 10_000, 10.0, float(lv), lafmax=float(lv) + 5 if i % 3 else None)
        for i, lv in enumerate(levels)
    ]


Row = tuple[str, float, float, float | None]


def _expected(rs: list[Reading], start_ms: int, end_ms: int, bucket_s: int) -> list[Row]:
    inside = [r for r in rs if start_ms <= r.start_ms < end_ms]
    r = rollup(
        np.zeros(len(inside), dtype=np.int64),
        [x.start_ms / 1000 for x in inside],
        [x.interval_s for x in inside],
        [x.laeq for x in inside],
        [np.nan if x.lafmax is None else x.lafmax for x in inside],
        bucket_s=bucket_s,
    )
    laeq = level(r.energy / r.seconds)
    return [
        (_iso(int(b) * 1000).replace(".000Z", "Z"), round(float(lv), 2), float(s), None if fm != fm else fm)
        for b, lv, s, fm in zip(r.bucket_s, laeq, r.seconds, r.lafmax.tolist(), strict=True)
    ]


@pytest.mark.parametrize("interval", ["15min", "1min"])
@pytest.mark.parametrize("offset_ms", [0, 60_000, 30_500])  # whole minutes use the rollups, else raw
def test_minute_levels_equal_levels_from_raw(api: Api, interval: str, offset_ms: int) -> None:
    rs = _readings()
    api.store.write(rs)
    start_ms, end_ms = DAY_START_MS + offset_ms, DAY_START_MS + 2 * 3_600_000 - offset_ms
    url = f"/v1/sensors/fine/levels?start={_iso(start_ms)}&end={_iso(end_ms)}&interval={interval}"
    rows = api.get(url, E).json()
    bucket_s = 900 if interval == "15min" else 60
    got = [(r["start"], r["laeq"], r["seconds"], r["lafmax"]) for r in rows]
    assert got == _expected(rs, start_ms, end_ms, bucket_s)
    assert len(got) >= (7 if bucket_s == 900 else 110)
    assert len({r["lafmax"] for r in rows}) > 5  # real maxima, not one constant
