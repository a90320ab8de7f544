"""Per (sensor, local date, period) sums: the common ground of daily and annual metrics.

Raw readings and rollup rows are the same kind of thing for this module: a row with a start time, an energy
``Σ interval_s·10^(LAeq/10)``, measured seconds, maxima and a 0.1 dB histogram of seconds. Each row goes to
the
local date and period of its start; sums add and maxima max. Both entry points run the *same* accumulation,
so metrics from raw readings and from rollups of them agree (exactly for percentiles and coverage, to
floating-point rounding of the energy sums for levels).

Raw readings are processed in chunks (``chunk_rows``) into dense accumulators indexed by (sensor, date), so
the temporary memory is bounded by the chunk, not by the number of readings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from processing.localtime import zone_offsets
from processing.periods import PeriodScheme, assign
from processing.rollups import Rollups, level_bins, sum_by

__all__ = ["DaySums", "day_sums_from_raw", "day_sums_from_rollups"]

_DENSE_HIST_LIMIT = 1 << 24


@dataclass(frozen=True)
class DaySums:
    """Sums per group = (sensor index, local date); ``energy``/``seconds`` have shape (groups, periods).

    The histogram ``hist_*`` is sorted by (group, bin) with unique entries; bins are 0.1 dB classes.
    """

    scheme: PeriodScheme
    tz: str
    sensor: NDArray[np.int64]
    date_ordinal: NDArray[np.int64]
    energy: NDArray[np.float64]
    seconds: NDArray[np.float64]
    lafmax: NDArray[np.float64]
    lcpeak: NDArray[np.float64]
    hist_group: NDArray[np.int64]
    hist_bin: NDArray[np.int64]
    hist_seconds: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.sensor.shape[0])


class _Accumulator:
    """Dense accumulators over (sensor, date offset) keys; histogram dense or sparse by size."""

    def __init__(self, n_sensors: int, date_lo: int, date_hi: int, bin_lo: int, bin_hi: int, n_periods: int):
        self.n_dates = date_hi - date_lo + 1
        self.date_lo = date_lo
        self.n_keys = n_sensors * self.n_dates
        self.n_periods = n_periods
        self.bin_lo = bin_lo
        self.n_bins = bin_hi - bin_lo + 1
        self.energy = np.zeros(self.n_keys * n_periods)
        self.seconds = np.zeros(self.n_keys * n_periods)
        self.lafmax = np.full(self.n_keys, np.nan)
        self.lcpeak = np.full(self.n_keys, np.nan)
        self.dense = self.n_keys * self.n_bins <= _DENSE_HIST_LIMIT
        self.hist = np.zeros(self.n_keys * self.n_bins if self.dense else 0)
        self.sparse: list[tuple[NDArray[np.int64], NDArray[np.float64]]] = []

    def add_rows(
        self,
        key: NDArray[np.int64],
        period: NDArray[np.intp],
        energy: NDArray[np.float64],
        seconds: NDArray[np.float64],
        lafmax: NDArray[np.float64] | None,
        lcpeak: NDArray[np.float64] | None,
    ) -> None:
        slot = key * self.n_periods + period
        size = self.n_keys * self.n_periods
        self.energy += sum_by(slot, energy, size)
        self.seconds += sum_by(slot, seconds, size)
        if lafmax is not None:
            np.fmax.at(self.lafmax, key, lafmax)
        if lcpeak is not None:
            np.fmax.at(self.lcpeak, key, lcpeak)

    def add_hist(self, key: NDArray[np.int64], bin_: NDArray[np.int64], seconds: NDArray[np.float64]) -> None:
        flat = key * self.n_bins + (bin_ - self.bin_lo)
        if self.dense:
            self.hist += sum_by(flat, seconds, self.hist.size)
        else:
            uniq, inv = np.unique(flat, return_inverse=True)
            self.sparse.append((uniq, sum_by(inv.reshape(-1), seconds, uniq.size)))

    def finish(self, scheme: PeriodScheme, tz: str) -> DaySums:
        seconds = self.seconds.reshape(self.n_keys, self.n_periods)
        energy = self.energy.reshape(self.n_keys, self.n_periods)
        present = np.flatnonzero(seconds.sum(axis=1) > 0)
        new_index = np.full(self.n_keys, -1, dtype=np.int64)
        new_index[present] = np.arange(present.size)
        if self.dense:
            flat = np.flatnonzero(self.hist)
            hsec = self.hist[flat]
        elif self.sparse:
            allk = np.concatenate([k for k, _ in self.sparse])
            alls = np.concatenate([s for _, s in self.sparse])
            flat, inv = np.unique(allk, return_inverse=True)
            hsec = sum_by(inv.reshape(-1), alls, flat.size)
        else:
            flat, hsec = np.zeros(0, dtype=np.int64), np.zeros(0)
        hkey = flat // self.n_bins
        hgroup = new_index[hkey]
        keep = hgroup >= 0
        return DaySums(
            scheme=scheme,
            tz=tz,
            sensor=(present // self.n_dates).astype(np.int64),
            date_ordinal=(present % self.n_dates + self.date_lo).astype(np.int64),
            energy=energy[present],
            seconds=seconds[present],
            lafmax=self.lafmax[present],
            lcpeak=self.lcpeak[present],
            hist_group=hgroup[keep],
            hist_bin=(flat[keep] % self.n_bins + self.bin_lo).astype(np.int64),
            hist_seconds=hsec[keep],
        )


def _date_range(t_min: float, t_max: float, scheme: PeriodScheme, tz: str) -> tuple[int, int]:
    a = assign(np.asarray([t_min, t_max]), scheme, tz)
    return int(a.date_ordinal[0]), int(a.date_ordinal[1])


def _empty(scheme: PeriodScheme, tz: str) -> DaySums:
    i = np.zeros(0, dtype=np.int64)
    f = np.zeros(0)
    p = np.zeros((0, len(scheme.periods)))
    return DaySums(scheme, tz, i, i, p, p, f, f, i, i, f)


def day_sums_from_raw(
    sensor: ArrayLike,
    start_s: ArrayLike,
    interval_s: ArrayLike,
    laeq: ArrayLike,
    lafmax: ArrayLike | None = None,
    lcpeak: ArrayLike | None = None,
    *,
    scheme: PeriodScheme,
    tz: str,
    chunk_rows: int = 1 << 18,
) -> DaySums:
    """Sums per (sensor index, local date, period) from raw readings, in chunks of ``chunk_rows``.

    Readings with a non-finite LAeq or a non-positive interval are ignored (not measured time).
    """
    lv_all = np.asarray(laeq)
    n = lv_all.shape[0]
    sensor_all = np.asarray(sensor)
    t_all = np.asarray(start_s)
    dur_all = np.broadcast_to(np.asarray(interval_s), (n,))
    fmax_all = None if lafmax is None else np.asarray(lafmax)
    cpk_all = None if lcpeak is None else np.asarray(lcpeak)
    if n == 0:
        return _empty(scheme, tz)
    t_min, t_max = float(np.min(t_all)), float(np.max(t_all))
    d_lo, d_hi = _date_range(t_min, t_max, scheme, tz)
    lo_db, hi_db = np.inf, -np.inf
    for lo in range(0, n, chunk_rows):  # chunked min/max: no full-size temporaries
        part = np.asarray(lv_all[lo : lo + chunk_rows], dtype=np.float64)
        part = part[np.isfinite(part)]
        if part.size:
            lo_db, hi_db = min(lo_db, float(part.min())), max(hi_db, float(part.max()))
    if not np.isfinite(lo_db):
        return _empty(scheme, tz)
    b_lo = int(level_bins(lo_db)[()])
    b_hi = int(level_bins(hi_db)[()])
    acc = _Accumulator(int(np.max(sensor_all)) + 1, d_lo, d_hi, b_lo, b_hi, len(scheme.periods))
    offsets = zone_offsets(tz, t_min, t_max)
    for lo in range(0, n, chunk_rows):
        hi = min(n, lo + chunk_rows)
        lv = np.asarray(lv_all[lo:hi], dtype=np.float64)
        dur = np.asarray(dur_all[lo:hi], dtype=np.float64)
        ok = np.isfinite(lv) & np.isfinite(dur) & (dur > 0)
        all_ok = bool(ok.all())
        sel = slice(None) if all_ok else ok
        lv, dur = lv[sel], dur[sel]
        a = assign(np.asarray(t_all[lo:hi], dtype=np.float64)[sel], scheme, tz, offsets=offsets)
        key = np.asarray(sensor_all[lo:hi], dtype=np.int64)[sel] * acc.n_dates + (a.date_ordinal - d_lo)
        fmax = None if fmax_all is None else np.asarray(fmax_all[lo:hi], dtype=np.float64)[sel]
        cpk = None if cpk_all is None else np.asarray(cpk_all[lo:hi], dtype=np.float64)[sel]
        acc.add_rows(key, a.period, dur * np.power(10.0, lv / 10.0), dur, fmax, cpk)
        acc.add_hist(key, level_bins(lv).astype(np.int64), dur)
    return acc.finish(scheme, tz)


def day_sums_from_rollups(r: Rollups, *, scheme: PeriodScheme, tz: str) -> DaySums:
    """Sums per (sensor index, local date, period) from rollup rows.

    Raises ValueError when a bucket straddles a local period or date boundary (buckets not aligned with
    local hours, e.g. 3600-s buckets in a +05:45 zone): the result would not equal the raw computation.
    """
    if len(r) == 0:
        return _empty(scheme, tz)
    t = r.bucket_s.astype(np.float64)
    t_min, t_max = float(np.min(t)), float(np.max(t)) + r.bucket_size_s
    offsets = zone_offsets(tz, t_min, t_max)
    a = assign(t, scheme, tz, offsets=offsets)
    last = assign(t + (r.bucket_size_s - 1), scheme, tz, offsets=offsets)
    if np.any((last.period != a.period) | (last.date_ordinal != a.date_ordinal)):
        raise ValueError(
            f"{r.bucket_size_s}-s buckets do not align with local periods in {tz}; use smaller buckets"
        )
    d_lo, d_hi = int(a.date_ordinal.min()), int(a.date_ordinal.max())
    bins = r.hist_bin.astype(np.int64)
    b_lo = int(bins.min()) if bins.size else 0
    b_hi = int(bins.max()) if bins.size else 0
    acc = _Accumulator(int(r.sensor.max()) + 1, d_lo, d_hi, b_lo, b_hi, len(scheme.periods))
    key = r.sensor * acc.n_dates + (a.date_ordinal - d_lo)
    acc.add_rows(key, a.period, r.energy, r.seconds, r.lafmax, r.lcpeak)
    acc.add_hist(key[r.hist_row], bins, r.hist_seconds)
    return acc.finish(scheme, tz)
