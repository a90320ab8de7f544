"""Reading series for the store tests, and a comparison of rollups with processing's own rollup of them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from noiselab.domain.readings import Reading
from noiselab.processing.rollups import Rollups, rollup


def series(
    sensor_id: str,
    start_s: float,
    n: int,
    *,
    interval_s: float = 10.0,
    seed: int = 0,
    with_maxima: bool = True,
) -> list[Reading]:
    """``n`` consecutive readings with random levels (40–80 dB), maxima above them, some maxima missing."""
    rng = np.random.default_rng(seed)
    laeq = np.round(rng.uniform(40, 80, n), 1)
    out = []
    for i in range(n):
        lafmax = float(laeq[i] + 6.3) if with_maxima and i % 5 else None
        lcpeak = float(laeq[i] + 21.7) if with_maxima and i % 7 else None
        out.append(
            Reading(
                sensor_id,
                round((start_s + i * interval_s) * 1000),
                interval_s,
                float(laeq[i]),
                lafmax=lafmax,
                lafmin=float(laeq[i] - 4.0),
                lcpeak=lcpeak,
            )
        )
    return out


def local_midnight_s(day: str, tz: str = "Europe/Copenhagen") -> float:
    return datetime.fromisoformat(day).replace(tzinfo=ZoneInfo(tz)).timestamp()


def expected_rollups(readings: Sequence[Reading]) -> Rollups:
    """processing's rollup of the distinct readings (first of each (sensor, start) wins), as sensor 0."""
    first: dict[tuple[str, int], Reading] = {}
    for r in readings:
        first.setdefault((r.sensor_id, r.start_ms), r)
    rs = list(first.values())

    def col(name: str) -> np.ndarray:
        return np.array([np.nan if getattr(r, name) is None else getattr(r, name) for r in rs], dtype=float)

    return rollup(
        np.zeros(len(rs), dtype=np.int64),
        np.array([r.start_ms // 1000 for r in rs]),
        col("interval_s"),
        col("laeq"),
        col("lafmax"),
        col("lcpeak"),
    )


def _hist(r: Rollups) -> dict[tuple[int, int], float]:
    return {
        (int(r.bucket_s[row]), int(b)): float(s)
        for row, b, s in zip(r.hist_row, r.hist_bin, r.hist_seconds, strict=True)
    }


def assert_rollups_equal(got: Rollups, want: Rollups) -> None:
    assert got.bucket_size_s == want.bucket_size_s == 3600
    np.testing.assert_array_equal(got.bucket_s, want.bucket_s)
    np.testing.assert_array_equal(got.sensor, want.sensor)
    np.testing.assert_allclose(got.energy, want.energy, rtol=1e-12)
    np.testing.assert_array_equal(got.seconds, want.seconds)
    np.testing.assert_array_equal(got.lafmax, want.lafmax)
    np.testing.assert_array_equal(got.lcpeak, want.lcpeak)
    assert _hist(got) == _hist(want)
