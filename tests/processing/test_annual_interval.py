"""95 % intervals of annual Lden and period levels: constant data, determinism, coverage over seeds."""

from __future__ import annotations

from datetime import date

import numpy as np

from noiselab.processing.annual import annual_from_sums
from noiselab.processing.daily import composite_level
from noiselab.processing.daysums import day_sums_from_raw
from noiselab.processing.periods import SCHEMES
from tests.processing.layout import local_midnight_utc

TZ = "UTC"  # the statistics do not depend on the zone; UTC keeps the loop over seeds quick
DIURNAL = np.array(
    [-12, -13, -14, -14, -12, -6, 0, 3, 3, 2, 1, 1, 1, 1, 2, 3, 3, 2, 0, -2, -4, -6, -8, -10.0]
)


def _year(seed: int, *, days: int, day_sd: float) -> tuple[np.ndarray, np.ndarray]:
    """Hourly levels on ``days`` random dates of 2026: 60 dB + diurnal pattern + a day effect N(0, day_sd)."""
    rng = np.random.default_rng(seed)
    t0 = local_midnight_utc(date(2026, 1, 1), TZ)
    chosen = np.sort(rng.choice(365, size=days, replace=False))
    t = (t0 + chosen[:, None] * 86400 + np.arange(24)[None, :] * 3600).ravel()
    lv = (60.0 + DIURNAL[None, :] + rng.normal(0, day_sd, (days, 1))).ravel()
    return t, lv


def _table(t: np.ndarray, lv: np.ndarray, resamples: int = 2000):  # type: ignore[no-untyped-def]
    sums = day_sums_from_raw(np.zeros(t.size, int), t, 3600, lv, scheme=SCHEMES["dk"], tz=TZ)
    return annual_from_sums(sums, sensor_ids=["a"], resamples=resamples)


def test_constant_days_give_a_zero_width_interval_beside_the_value() -> None:
    t, lv = _year(1, days=50, day_sd=0.0)
    (rec,) = _table(t, lv).to_records()
    assert rec["lden_ci95"] == [rec["lden"], rec["lden"]]
    assert rec["lnight_ci95"] == [rec["lnight"], rec["lnight"]]


def test_intervals_are_deterministic_and_contain_the_value() -> None:
    t, lv = _year(2, days=120, day_sd=2.0)
    a, b = _table(t, lv).to_records()[0], _table(t, lv).to_records()[0]
    assert a == b
    lo, hi = a["lden_ci95"]
    assert lo < a["lden"] < hi and 0.2 < hi - lo < 2.0
    assert _table(t, lv, resamples=0).to_records()[0]["lden_ci95"] is None


def test_annual_lden_interval_covers_the_true_value_in_90_to_99_percent_of_200_seeds() -> None:
    day_sd = 2.0
    # the long-run annual period level of a day effect X ~ N(0, s): 10·log10 E[10^(X/10)] = (ln 10/20)·s²
    lift = np.log(10) / 20 * day_sd**2
    scheme = SCHEMES["dk"]
    table = scheme.hour_table()
    periods = np.array([10 * np.log10(np.mean(10 ** ((60 + DIURNAL[table == j]) / 10))) for j in range(3)])
    true_lden = float(composite_level(periods + lift, scheme))
    hits = []
    for seed in range(200):
        t, lv = _year(500 + seed, days=60, day_sd=day_sd)
        lo, hi = _table(t, lv, resamples=500).lden_ci95[0]  # type: ignore[index]
        hits.append(lo <= true_lden <= hi)
    assert 0.90 <= float(np.mean(hits)) <= 0.99, float(np.mean(hits))
