from __future__ import annotations

from datetime import date

import numpy as np

from noiselab.processing.annual import annual_from_sums
from noiselab.processing.daysums import day_sums_from_raw, day_sums_from_rollups
from noiselab.processing.periods import SCHEMES
from noiselab.processing.rollups import rollup
from tests.processing.layout import CPH, local_midnight_utc


def test_full_year_of_hourly_constant_data() -> None:
    t0 = local_midnight_utc(date(2026, 1, 1))
    t1 = local_midnight_utc(date(2027, 1, 1))
    t = np.arange(t0, t1, 3600)
    assert t.size == 8760
    sums = day_sums_from_raw(
        np.zeros(t.size, int), t, 3600, np.full(t.size, 60.0), scheme=SCHEMES["dk"], tz=CPH
    )
    (rec,) = annual_from_sums(sums, sensor_ids=["a"]).to_records()
    assert rec["year"] == 2026 and rec["lden"] == 66.67 and rec["coverage"] == 1.0
    assert rec["indicative"] is False


def test_annual_levels_pool_all_period_data_and_partial_year_is_indicative() -> None:
    t0 = local_midnight_utc(date(2026, 6, 1))
    t = np.arange(t0, t0 + 30 * 86400, 60)
    lv = np.where(np.arange(t.size) % 2 == 0, 50.0, 70.0)
    sums = day_sums_from_raw(np.zeros(t.size, int), t, 60, lv, scheme=SCHEMES["eu"], tz=CPH)
    table = annual_from_sums(sums)
    assert abs(table.levels[0, 0] - 10 * np.log10((1e5 + 1e7) / 2)) < 1e-9
    assert bool(table.indicative[0]) is True and 0.08 < table.coverage[0] < 0.09
    from_rollups = annual_from_sums(
        day_sums_from_rollups(rollup(np.zeros(t.size, int), t, 60, lv), scheme=SCHEMES["eu"], tz=CPH)
    )
    np.testing.assert_allclose(from_rollups.lden, table.lden, atol=1e-9)
