"""Daily records from stored rollups equal those from a raw scan on both 2026 DST days (Copenhagen)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from noiselab.processing.daily import daily_from_raw, daily_from_rollups
from noiselab.store.base import ReadingStore
from tests.store.series import local_midnight_s, series

ENERGY_MEANS = {"lden", "lday", "levening", "lnight", "laeq24"}
DECIMALS = 9  # records compared unrounded (to_records rounds levels to 0.01 dB by default)


def _close(key: str, a: object, b: object) -> bool:
    """Energy means agree to float summation order (rollups add energies by hour); everything else is exact:
    coverage ratios (seconds over seconds, documented exact), LA_N (0.1 dB classes), maxima, counts."""
    if key in ENERGY_MEANS and isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=0, abs_tol=1e-6)
    return a == b


@pytest.mark.parametrize(
    ("before", "day", "next_day", "after", "day_seconds"),
    [
        ("2026-03-28", "2026-03-29", "2026-03-30", "2026-03-31", 82_800),
        ("2026-10-24", "2026-10-25", "2026-10-26", "2026-10-27", 90_000),
    ],
)
def test_daily_from_rollups_equals_daily_from_raw_on_dst_days(
    store: ReadingStore, before: str, day: str, next_day: str, after: str, day_seconds: int
) -> None:
    lo_s, hi_s = local_midnight_s(before), local_midnight_s(after)
    readings = series("dst-1", lo_s, int((hi_s - lo_s) // 10), interval_s=10.0, seed=7)
    night_gap = (local_midnight_s(day) + 3600, local_midnight_s(day) + 3 * 3600)  # around the clock change
    readings = [r for r in readings if not night_gap[0] <= r.start_ms / 1000 < night_gap[1]]
    for i in range(0, len(readings), 5000):
        store.write(readings[i : i + 5000][::-1])  # each batch newest first
    start_ms, end_ms = int(lo_s * 1000), int(hi_s * 1000)

    raw = store.read("dst-1", start_ms, end_ms)
    assert len(raw) == len(readings)
    from_raw = daily_from_raw(
        np.zeros(len(raw), dtype=np.int64),
        raw.start_ms / 1000.0,
        raw.interval_s,
        raw.laeq,
        raw.lafmax,
        raw.lcpeak,
        sensor_ids=["dst-1"],
        tz="Europe/Copenhagen",
        scheme="dk",
        event_thresholds=None,
        day_start_h=0,
    ).to_records(decimals=DECIMALS)
    rollups = store.rollups("dst-1", start_ms, end_ms)
    from_rollups = daily_from_rollups(
        rollups, sensor_ids=["dst-1"], tz="Europe/Copenhagen", scheme="dk", day_start_h=0
    ).to_records(decimals=DECIMALS)
    # the noise day (07:00 -> 07:00, the default): rollups and raw agree too, and the DST night is in
    # the record of the day before the change
    noise_raw = daily_from_raw(
        np.zeros(len(raw), dtype=np.int64),
        raw.start_ms / 1000.0,
        raw.interval_s,
        raw.laeq,
        raw.lafmax,
        raw.lcpeak,
        event_thresholds=None,
    ).to_records(decimals=DECIMALS)
    noise = daily_from_rollups(rollups).to_records(decimals=DECIMALS)
    earlier = str(np.datetime64(before) - np.timedelta64(1, "D"))
    assert [r["date"] for r in noise] == [earlier, before, day, next_day]
    for a, b in zip(noise_raw, noise, strict=True):
        assert a.keys() == b.keys()
        assert not {k: (a[k], b[k]) for k in a if not _close(k, a[k], b[k])}

    assert [r["date"] for r in from_rollups] == [before, day, next_day]
    assert len(from_raw) == len(from_rollups) == 3
    for a, b in zip(from_raw, from_rollups, strict=True):
        assert a.keys() == b.keys()
        diffs = {k: (a[k], b[k]) for k in a if not _close(k, a[k], b[k])}
        assert not diffs, diffs
    dst = from_rollups[1]
    day_lo, day_hi = local_midnight_s(day), local_midnight_s(next_day)
    assert day_hi - day_lo == day_seconds
    day_measured = sum(r.interval_s for r in readings if day_lo <= r.start_ms / 1000 < day_hi)
    assert dst["coverage"] == round(day_measured / day_seconds, 4)  # exact, as records give it
    assert dst["lden"] is not None and dst["la90"] is not None
