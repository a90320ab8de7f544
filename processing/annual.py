"""Annual period levels and Lden from all data of each period in a calendar year (local dates).

Directive 2002/49/EC Annex I defines Lday, Levening and Lnight as long-term averages "determined over all the
day [evening, night] periods of a year"; Lden is then formed from the three annual levels:

    L_p,year = 10·log10( Σ_{readings in period p of the year} interval·10^(LAeq/10) / Σ interval )
    Lden,year = 10·log10( (1/Σd) · Σ_p d_p·10^((L_p,year + K_p)/10) )      (nominal hours d_p)

This is *not* the energy mean of daily Lden values (DST days and uneven coverage make them differ slightly).

Coverage per period = measured seconds / actual seconds of that period over all local dates of the year
(8 760 or 8 784 h in all). ``indicative`` is true when any period's coverage is below the threshold (75 % by
default); a year computed from less than a year of data is therefore indicative, as reference/metrics.md §1.5
asks for anything shorter than a year.

95 % intervals (``lden_ci95``, ``levels_ci95``): a day-block bootstrap (:mod:`processing.bootstrap`) over the
local dates with data in the year: each resample draws that many days with replacement and recomputes the
annual L_p (sums of the drawn days' energies over sums of their measured seconds, so a poorly covered day
weighs less) and Lden from them. The interval reflects day-to-day variation and uneven coverage; it assumes
the measured days stand for the unmeasured ones. Seeded from the SHA-256 of the sums: deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from noiselab.processing.bootstrap import day_counts, digest, percentile_interval, seed_from
from noiselab.processing.daily import composite_level
from noiselab.processing.daysums import DaySums
from noiselab.processing.decibel import level
from noiselab.processing.periods import PeriodScheme, period_seconds
from noiselab.processing.rollups import sum_by

__all__ = ["AnnualTable", "annual_from_sums"]


@dataclass(frozen=True)
class AnnualTable:
    """One row per (sensor, year); ``levels``/``coverage_periods`` have one column per period."""

    scheme: PeriodScheme
    sensor_ids: list[str]
    sensor: NDArray[np.int64]
    year: NDArray[np.int64]
    lden: NDArray[np.float64]
    levels: NDArray[np.float64]
    coverage: NDArray[np.float64]
    coverage_periods: NDArray[np.float64]
    indicative: NDArray[np.bool_]
    lden_ci95: NDArray[np.float64] | None = None  # (rows, 2)
    levels_ci95: NDArray[np.float64] | None = None  # (rows, periods, 2)

    def __len__(self) -> int:
        return int(self.sensor.shape[0])

    def to_records(self, *, decimals: int = 2) -> list[dict[str, object]]:
        """Records with ``sensor_id, year, lden, l<period>..., coverage_<period>..., indicative``."""
        out: list[dict[str, object]] = []
        names = self.scheme.names
        for i in range(len(self)):
            rec: dict[str, object] = {
                "sensor_id": self.sensor_ids[int(self.sensor[i])],
                "year": int(self.year[i]),
            }
            rec["lden"] = None if np.isnan(self.lden[i]) else round(float(self.lden[i]), decimals)
            rec["lden_ci95"] = _interval(self.lden_ci95, (i,), decimals)
            for j, name in enumerate(names):
                v = float(self.levels[i, j])
                rec[f"l{name}"] = None if np.isnan(v) else round(v, decimals)
                rec[f"l{name}_ci95"] = _interval(self.levels_ci95, (i, j), decimals)
            rec["coverage"] = round(float(self.coverage[i]), 4)
            for j, name in enumerate(names):
                rec[f"coverage_{name}"] = round(float(self.coverage_periods[i, j]), 4)
            rec["indicative"] = bool(self.indicative[i])
            out.append(rec)
        return out


def _interval(ci: NDArray[np.float64] | None, at: tuple[int, ...], decimals: int) -> list[float] | None:
    if ci is None or not np.all(np.isfinite(ci[at])):
        return None
    return [round(float(ci[at][0]), decimals), round(float(ci[at][1]), decimals)]


def _bootstrap(
    inv: NDArray[np.intp], sums: DaySums, n: int, resamples: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Day-block intervals of Lden (n, 2) and of each period's level (n, p, 2), one group at a time."""
    p = len(sums.scheme.periods)
    lden_ci = np.full((n, 2), np.nan)
    levels_ci = np.full((n, p, 2), np.nan)
    for g in range(n):  # loop over (sensor, year) groups, not days
        rows = np.flatnonzero(inv == g)
        e, sec = sums.energy[rows], sums.seconds[rows]
        rng = np.random.default_rng(seed_from(digest([e, sec, sums.date_ordinal[rows], sums.tz])))
        counts = day_counts(rng, rows.size, resamples)
        with np.errstate(invalid="ignore", divide="ignore"):
            lv = level((counts @ e) / np.where((s := counts @ sec) > 0, s, np.nan))
        levels_ci[g] = percentile_interval(lv, axis=0)
        lden_ci[g] = percentile_interval(composite_level(lv, sums.scheme), axis=0)
    return lden_ci, levels_ci


def _year_period_seconds(years: NDArray[np.int64], scheme: PeriodScheme, tz: str) -> NDArray[np.float64]:
    out = np.zeros((years.size, len(scheme.periods)))
    for k, y in enumerate(years.tolist()):  # loop over years, not readings
        days = np.arange(date(y, 1, 1).toordinal(), date(y + 1, 1, 1).toordinal())
        out[k] = period_seconds(days, scheme, tz).sum(axis=0)
    return out


def annual_from_sums(
    sums: DaySums,
    *,
    sensor_ids: Sequence[str] | None = None,
    valid_threshold: float = 0.75,
    resamples: int = 2000,
) -> AnnualTable:
    """Annual values per (sensor, calendar year of the local date) from :class:`DaySums`.

    ``resamples`` day-block resamples give the 95 % intervals (0: no intervals).

    Build ``sums`` with :func:`processing.daysums.day_sums_from_raw` or ``day_sums_from_rollups`` on
    calendar dates (``day_start_h=0``): annual values use the calendar year (SPEC §5).
    """
    if sums.day_start_h != 0:
        raise ValueError("annual values need sums over calendar dates (day_start_h=0)")
    scheme = sums.scheme
    n_sensors = int(sums.sensor.max()) + 1 if len(sums) else 0
    ids = list(sensor_ids) if sensor_ids is not None else [str(i) for i in range(n_sensors)]
    years_of = np.asarray([date.fromordinal(d).year for d in np.unique(sums.date_ordinal).tolist()])
    year_lookup = dict(zip(np.unique(sums.date_ordinal).tolist(), years_of.tolist(), strict=True))
    year = np.asarray([year_lookup[d] for d in sums.date_ordinal.tolist()], dtype=np.int64)
    keys = np.stack([sums.sensor, year], axis=1) if len(sums) else np.zeros((0, 2), dtype=np.int64)
    uniq, inv = np.unique(keys, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    n = uniq.shape[0]
    p = len(scheme.periods)
    energy = np.zeros((n, p))
    seconds = np.zeros((n, p))
    for j in range(p):
        energy[:, j] = sum_by(inv, sums.energy[:, j], n)
        seconds[:, j] = sum_by(inv, sums.seconds[:, j], n)
    with np.errstate(invalid="ignore", divide="ignore"):
        levels = level(energy / np.where(seconds > 0, seconds, np.nan))
    uyears, yinv = np.unique(uniq[:, 1], return_inverse=True)
    per_len = _year_period_seconds(uyears.astype(np.int64), scheme, sums.tz)[yinv.reshape(-1)]
    cov_p = np.minimum(1.0, seconds / per_len)
    coverage = np.minimum(1.0, seconds.sum(axis=1) / per_len.sum(axis=1))
    lden_ci, levels_ci = (
        _bootstrap(inv.astype(np.intp), sums, n, resamples) if resamples > 0 else (None, None)
    )
    return AnnualTable(
        scheme=scheme,
        sensor_ids=ids,
        sensor=uniq[:, 0].astype(np.int64),
        year=uniq[:, 1].astype(np.int64),
        lden=composite_level(levels, scheme),
        levels=levels,
        coverage=coverage,
        coverage_periods=cov_p,
        indicative=np.any(cov_p < valid_threshold, axis=1),
        lden_ci95=lden_ci,
        levels_ci95=levels_ci,
    )
