"""Per (sensor, day, period) sums: the common ground of daily and annual metrics.

A *day* starts at local ``day_start_h``:00 (:mod:`processing.periods`: the noise day 07→07 by default in
the daily shells, calendar dates with 0). Accumulators are kept per (sensor, day, hour of that day).

Raw readings and rollup rows are the same kind of thing for this module: a row with a start time, an energy
``Σ interval_s·10^(LAeq/10)``, measured seconds, maxima and a 0.1 dB histogram of seconds. Each row goes to
the local date and period of its start; sums add and maxima max. Both entry points run the *same*
accumulation, so metrics from raw readings and from rollups of them agree (exactly for percentiles and
coverage, to floating-point rounding of the energy sums for levels). Histograms are kept per (sensor, day,
period), so that LA_N of each period (LA90 of the night) is as exact as LA_N of the day: to the 0.1 dB class,
identical from raw readings and from hourly rollups (a UTC hour lies in one local period wherever the zone's
offset is a whole number of hours).

Raw readings are processed in chunks (``chunk_rows``) into dense accumulators indexed by (sensor, date), so
the temporary memory is bounded by the chunk, not by the number of readings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from noiselab.processing.localtime import DAY_S, EPOCH_ORDINAL, HOUR_S, zone_offsets
from noiselab.processing.periods import PeriodScheme, assign
from noiselab.processing.rollups import Rollups, level_bins, sum_by
from noiselab.processing.workspace import Workspace

__all__ = ["DaySums", "day_sums_from_raw", "day_sums_from_rollups"]

_DENSE_HIST_LIMIT = 1 << 24
_LOCAL_HIST_LIMIT = 1 << 18


@dataclass(frozen=True)
class DaySums:
    """Sums per group = (sensor index, local date); ``energy``/``seconds`` have shape (groups, periods).

    The histogram ``hist_*`` is sorted by (group, bin) with unique entries; bins are 0.1 dB classes.
    ``period_hist_*`` is the same per period: its group is ``group·len(scheme.periods) + period``.
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
    period_hist_group: NDArray[np.int64]
    period_hist_bin: NDArray[np.int64]
    period_hist_seconds: NDArray[np.float64]
    lafmax_periods: NDArray[np.float64]  # (groups, periods): max of reported LAFmax per period
    day_start_h: int = 0

    def __len__(self) -> int:
        return int(self.sensor.shape[0])


def _hour_groups(hour_period: NDArray[np.intp], n_periods: int) -> list[slice | NDArray[np.intp]]:
    """The hours of the day (0 = day start) of each period: a slice when they are consecutive."""
    out: list[slice | NDArray[np.intp]] = []
    for i in range(n_periods):
        hours = np.flatnonzero(hour_period == i)
        whole = hours.size > 0 and int(hours[-1] - hours[0]) + 1 == hours.size
        out.append(slice(int(hours[0]), int(hours[-1]) + 1) if whole else hours)
    return out


class _Accumulator:
    """Dense accumulators over (sensor, day offset) keys and the 24 hours of each day (0 = day start).

    Energy and seconds are kept per local hour (folded into periods at the end); the 0.1 dB histogram per
    (key, period) (``hour_period``: the period of each hour of the day) is dense when it fits
    ``_DENSE_HIST_LIMIT`` entries, else a list of sparse parts.
    """

    def __init__(
        self,
        n_sensors: int,
        date_lo: int,
        date_hi: int,
        bin_lo: int,
        bin_hi: int,
        hour_period: NDArray[np.intp],
        n_periods: int,
    ):
        self.n_dates = date_hi - date_lo + 1
        self.date_lo = date_lo
        self.n_keys = n_sensors * self.n_dates
        self.bin_lo = bin_lo
        self.n_bins = bin_hi - bin_lo + 1
        self.hour_period = np.asarray(hour_period, dtype=np.intp)
        self.n_p = n_periods
        self.hour_groups = _hour_groups(self.hour_period, n_periods)
        self.energy = np.zeros(self.n_keys * 24)
        self.seconds = np.zeros(self.n_keys * 24)
        self.lafmax = np.full(self.n_keys * 24, np.nan)
        self.lcpeak = np.full(self.n_keys * 24, np.nan)
        self.dense = self.n_keys * self.n_p * self.n_bins <= _DENSE_HIST_LIMIT
        self.hist = np.zeros(self.n_keys * self.n_p * self.n_bins if self.dense else 0)
        self.sparse: list[tuple[NDArray[np.int64], NDArray[np.float64]]] = []

    def add_rows(
        self,
        slot: NDArray[np.intp],
        energy: NDArray[np.float64],
        seconds: NDArray[np.float64],
        lafmax: NDArray[np.float64] | None,
        lcpeak: NDArray[np.float64] | None,
    ) -> None:
        """Add rows by ``slot = key·24 + hour of the day`` (rollup rows: any order, any slots)."""
        self.energy += sum_by(slot, energy, self.energy.size)
        self.seconds += sum_by(slot, seconds, self.seconds.size)
        self._maxima(slot, lafmax, lcpeak)

    def _maxima(
        self, key: NDArray[np.intp], lafmax: NDArray[np.float64] | None, lcpeak: NDArray[np.float64] | None
    ) -> None:
        """Fold maxima into the per-(key, hour) slots ``key``."""
        if (lafmax is None and lcpeak is None) or key.size == 0:
            return
        ordered = bool(np.all(key[1:] >= key[:-1]))
        cuts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if ordered else key
        for acc, values in ((self.lafmax, lafmax), (self.lcpeak, lcpeak)):
            if values is None:
                continue
            if ordered:  # runs of equal keys: one reduceat instead of a scatter
                folded = np.fmax.reduceat(values, cuts)
                np.fmax(acc[key[cuts]], folded, out=folded)
                acc[key[cuts]] = folded
            else:
                np.fmax.at(acc, key, values)

    def add_hist(self, slot: NDArray[np.int64], bin_: NDArray[np.int64], secs: NDArray[np.float64]) -> None:
        """Add histogram entries of rows at ``slot = key·24 + hour of the day``."""
        flat = ((slot // 24) * self.n_p + self.hour_period[slot % 24]) * self.n_bins + (bin_ - self.bin_lo)
        self._add_flat_hist(0, flat, sum_by(flat, secs, 0) if self.dense else secs)

    def _add_flat_hist(self, first: int, flat: NDArray[np.int64], values: NDArray[np.float64]) -> None:
        """Dense: add ``values`` (a histogram from entry ``first`` on). Sparse: fold (flat, values) pairs."""
        if self.dense:
            self.hist[first : first + values.size] += values
        elif flat.size:
            uniq, inv = np.unique(flat, return_inverse=True)
            self.sparse.append((uniq, sum_by(inv.reshape(-1), values, uniq.size)))

    def add_chunk(
        self,
        slot: NDArray[np.intp],
        energy: NDArray[np.float64],
        cls: NDArray[np.intp],
        dur: float | NDArray[np.float64],
        lafmax: NDArray[np.float64] | None,
        lcpeak: NDArray[np.float64] | None,
    ) -> None:
        """Add a chunk of raw readings; ``slot`` and ``cls`` (bins minus ``bin_lo``) are clobbered.

        ``dur`` is a whole-second scalar (then histograms count readings, times the duration at the end) or
        an array. Sorted input touches few slots: the chunk is then binned locally, over its slot range only.
        """
        k_lo = int(slot.min()) // 24
        k_hi = int(slot.max()) // 24
        first, n_local = k_lo * 24, (k_hi - k_lo + 1) * 24
        weights = None if np.isscalar(dur) else np.asarray(dur)
        scale = float(dur) if weights is None else 1.0
        slot -= first
        e = np.bincount(slot, weights=energy, minlength=n_local)
        self.energy[first : first + n_local] += e if scale == 1.0 else e * scale
        if lafmax is not None or lcpeak is not None:
            self._maxima(slot + first, lafmax, lcpeak)
        if n_local * self.n_bins <= _LOCAL_HIST_LIMIT:
            slot *= self.n_bins
            slot += cls
            local = np.bincount(slot, weights=weights, minlength=n_local * self.n_bins).reshape(n_local, -1)
            secs = local.sum(axis=1)
            self.seconds[first : first + n_local] += secs if scale == 1.0 else secs * scale
            hours = local.reshape(k_hi - k_lo + 1, 24, self.n_bins)
            per = np.stack([hours[:, g].sum(axis=1) for g in self.hour_groups], axis=1).reshape(-1)
            per_f = np.asarray(per, dtype=np.float64) * scale
            flat = np.flatnonzero(per_f) if not self.dense else np.zeros(0, dtype=np.int64)
            at = k_lo * self.n_p * self.n_bins
            if self.dense:
                self._add_flat_hist(at, flat, per_f)
            else:
                self._add_flat_hist(0, flat + at, per_f[flat])
            return
        secs = np.bincount(slot, weights=weights, minlength=n_local)
        self.seconds[first : first + n_local] += secs if scale == 1.0 else secs * scale
        key = slot // 24 + k_lo
        key *= self.n_p
        key += self.hour_period[slot % 24]
        key *= self.n_bins
        key += cls
        w = np.full(key.size, scale) if weights is None else weights
        self._add_flat_hist(0, key, sum_by(key, w, self.hist.size) if self.dense else w)

    def finish(self, scheme: PeriodScheme, tz: str, day_start_h: int) -> DaySums:
        table = scheme.day_hour_table(day_start_h)
        n_p = len(scheme.periods)
        hours_e = self.energy.reshape(self.n_keys, 24)
        hours_s = self.seconds.reshape(self.n_keys, 24)
        energy = np.stack([hours_e[:, table == i].sum(axis=1) for i in range(n_p)], axis=1)
        seconds = np.stack([hours_s[:, table == i].sum(axis=1) for i in range(n_p)], axis=1)
        hours_f = self.lafmax.reshape(self.n_keys, 24)
        with np.errstate(invalid="ignore"):
            fmax_p = np.stack([np.fmax.reduce(hours_f[:, table == i], axis=1) for i in range(n_p)], axis=1)
        present = np.flatnonzero(seconds.sum(axis=1) > 0)
        new_index = np.full(self.n_keys, -1, dtype=np.int64)
        new_index[present] = np.arange(present.size)
        if self.dense:
            flat = np.flatnonzero(self.hist)
            hsec = self.hist[flat]
            day_hist = self.hist.reshape(self.n_keys, self.n_p, self.n_bins).sum(axis=1).reshape(-1)
            day_flat = np.flatnonzero(day_hist)
            day_sec = day_hist[day_flat]
        elif self.sparse:
            allk = np.concatenate([k for k, _ in self.sparse])
            alls = np.concatenate([s for _, s in self.sparse])
            flat, inv = np.unique(allk, return_inverse=True)
            hsec = sum_by(inv.reshape(-1), alls, flat.size)
            day_keys = flat // (self.n_p * self.n_bins) * self.n_bins + flat % self.n_bins
            day_flat, inv = np.unique(day_keys, return_inverse=True)
            day_sec = sum_by(inv.reshape(-1), hsec, day_flat.size)
        else:
            flat, hsec = np.zeros(0, dtype=np.int64), np.zeros(0)
            day_flat, day_sec = flat, hsec
        pkey = flat // self.n_bins
        pgroup = new_index[pkey // self.n_p]
        pkeep = pgroup >= 0
        hgroup = new_index[day_flat // self.n_bins]
        keep = hgroup >= 0
        return DaySums(
            scheme=scheme,
            tz=tz,
            sensor=(present // self.n_dates).astype(np.int64),
            date_ordinal=(present % self.n_dates + self.date_lo).astype(np.int64),
            energy=energy[present],
            seconds=seconds[present],
            lafmax=np.fmax.reduce(hours_f, axis=1)[present],
            lcpeak=np.fmax.reduce(self.lcpeak.reshape(self.n_keys, 24), axis=1)[present],
            hist_group=hgroup[keep],
            hist_bin=(day_flat[keep] % self.n_bins + self.bin_lo).astype(np.int64),
            hist_seconds=day_sec[keep],
            period_hist_group=(pgroup * self.n_p + pkey % self.n_p)[pkeep],
            period_hist_bin=(flat[pkeep] % self.n_bins + self.bin_lo).astype(np.int64),
            period_hist_seconds=hsec[pkeep],
            lafmax_periods=fmax_p[present],
            day_start_h=day_start_h,
        )


def _empty(scheme: PeriodScheme, tz: str, day_start_h: int) -> DaySums:
    i = np.zeros(0, dtype=np.int64)
    f = np.zeros(0)
    p = np.zeros((0, len(scheme.periods)))
    return DaySums(scheme, tz, i, i, p, p, f, f, i, i, f, i, i, f, p, day_start_h)


def _level_range(lv_all: NDArray[np.generic], ws: Workspace, chunk_rows: int) -> tuple[float, float]:
    """Smallest and largest finite level (inf, -inf when none), chunk by chunk."""
    lo_db, hi_db = np.inf, -np.inf
    for lo in range(0, lv_all.shape[0], chunk_rows):
        part = ws.levels(lv_all[lo : lo + chunk_rows])
        a, b = float(np.fmin.reduce(part)), float(np.fmax.reduce(part))
        if not (np.isfinite(a) and np.isfinite(b)):  # NaN-only or infinite readings: filter them out
            part = part[np.isfinite(part)]
            if part.size == 0:
                continue
            a, b = float(part.min()), float(part.max())
        lo_db, hi_db = min(lo_db, a), max(hi_db, b)
    return lo_db, hi_db


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
    day_start_h: int = 0,
    chunk_rows: int = 1 << 16,
) -> DaySums:
    """Sums per (sensor index, day, period) from raw readings, in chunks of ``chunk_rows``.

    Days start at local ``day_start_h``:00 (0: calendar dates; ``scheme.day_start_h``: the noise day).

    Readings with a non-finite LAeq or a non-positive interval are ignored (not measured time). One pass
    finds the ranges, one pass accumulates; each reading's local hour comes from one integer division of
    its local seconds, its energy and 0.1 dB class from :meth:`Workspace.energies`.
    """
    lv_all = np.asarray(laeq)
    n = lv_all.shape[0]
    sensor_all = np.asarray(sensor)
    t_all = np.asarray(start_s)
    dur_in = np.asarray(interval_s)
    scalar_dur = dur_in.ndim == 0 and bool(np.isfinite(dur_in)) and float(dur_in).is_integer()
    dur_all = np.broadcast_to(dur_in, (n,))
    fmax_all = None if lafmax is None else np.asarray(lafmax)
    cpk_all = None if lcpeak is None else np.asarray(lcpeak)
    if not 0 <= day_start_h < 24:
        raise ValueError("day_start_h must be within 0..23")
    if n == 0 or (scalar_dur and float(dur_in) <= 0):
        return _empty(scheme, tz, day_start_h)
    ws = Workspace(chunk_rows)
    lo_db, hi_db = _level_range(lv_all, ws, chunk_rows)
    if not np.isfinite(lo_db):
        return _empty(scheme, tz, day_start_h)
    b_lo = int(level_bins(lo_db)[()])
    b_hi = int(level_bins(hi_db)[()])
    clip = lo_db < 0.0 or hi_db > 199.9
    t_min, t_max = float(np.min(t_all)), float(np.max(t_all))
    offsets = zone_offsets(tz, t_min, t_max)
    shift_s = day_start_h * HOUR_S
    d_lo = (int(np.floor(t_min)) + int(offsets.offsets_s.min()) - shift_s) // DAY_S + EPOCH_ORDINAL
    d_hi = (int(np.floor(t_max)) + int(offsets.offsets_s.max()) - shift_s) // DAY_S + EPOCH_ORDINAL
    table = scheme.day_hour_table(day_start_h)
    acc = _Accumulator(int(np.max(sensor_all)) + 1, d_lo, d_hi, b_lo, b_hi, table, len(scheme.periods))
    base_s = (d_lo - EPOCH_ORDINAL) * DAY_S + shift_s
    keys_per_sensor = acc.n_dates * 24
    for lo in range(0, n, chunk_rows):
        hi = min(n, lo + chunk_rows)
        lv = ws.levels(lv_all[lo:hi])
        s = sensor_all[lo:hi]
        t = t_all[lo:hi]
        dur: float | NDArray[np.float64] = float(dur_in) if scalar_dur else 0.0
        fmax = None if fmax_all is None else np.asarray(fmax_all[lo:hi], dtype=np.float64)
        cpk = None if cpk_all is None else np.asarray(cpk_all[lo:hi], dtype=np.float64)
        ok = np.isfinite(lv)
        if not scalar_dur:
            dur = np.asarray(dur_all[lo:hi], dtype=np.float64)
            ok &= np.isfinite(dur) & (dur > 0)
        if not bool(ok.all()):
            lv, s, t = lv[ok], s[ok], t[ok]
            dur = dur if scalar_dur else np.asarray(dur)[ok]
            fmax = None if fmax is None else fmax[ok]
            cpk = None if cpk is None else cpk[ok]
            if lv.size == 0:
                continue
        slot = ws.hours(ws.seconds(t), offsets, base_s)
        s_lo, s_hi = int(s.min()), int(s.max())
        if s_lo == s_hi:
            slot += s_lo * keys_per_sensor
        else:
            slot += np.asarray(s, dtype=np.intp) * keys_per_sensor
        energy, cls = ws.energies(lv)
        if not scalar_dur:
            energy *= dur
        if clip:
            np.clip(cls, 0, 2000, out=cls)
        cls -= b_lo
        acc.add_chunk(slot, energy, cls, dur, fmax, cpk)
    return acc.finish(scheme, tz, day_start_h)


def day_sums_from_rollups(r: Rollups, *, scheme: PeriodScheme, tz: str, day_start_h: int = 0) -> DaySums:
    """Sums per (sensor index, day, period) from rollup rows (days start at local ``day_start_h``:00).

    Raises ValueError when a bucket straddles a local period or date boundary (buckets not aligned with
    local hours, e.g. 3600-s buckets in a +05:45 zone): the result would not equal the raw computation.
    """
    if not 0 <= day_start_h < 24:
        raise ValueError("day_start_h must be within 0..23")
    if len(r) == 0:
        return _empty(scheme, tz, day_start_h)
    t = r.bucket_s.astype(np.float64)
    t_min, t_max = float(np.min(t)), float(np.max(t)) + r.bucket_size_s
    offsets = zone_offsets(tz, t_min, t_max)
    a = assign(t, scheme, tz, offsets=offsets, day_start_h=day_start_h)
    last = assign(t + (r.bucket_size_s - 1), scheme, tz, offsets=offsets, day_start_h=day_start_h)
    if np.any((last.period != a.period) | (last.date_ordinal != a.date_ordinal)):
        raise ValueError(
            f"{r.bucket_size_s}-s buckets do not align with local periods in {tz}; use smaller buckets"
        )
    d_lo, d_hi = int(a.date_ordinal.min()), int(a.date_ordinal.max())
    bins = r.hist_bin.astype(np.int64)
    b_lo = int(bins.min()) if bins.size else 0
    b_hi = int(bins.max()) if bins.size else 0
    table = scheme.day_hour_table(day_start_h)
    acc = _Accumulator(int(r.sensor.max()) + 1, d_lo, d_hi, b_lo, b_hi, table, len(scheme.periods))
    key = r.sensor * acc.n_dates + (a.date_ordinal - d_lo)
    slot = key * 24 + (a.hour - day_start_h) % 24
    acc.add_rows(slot, r.energy, r.seconds, r.lafmax, r.lcpeak)
    acc.add_hist(slot[r.hist_row], bins, r.hist_seconds)
    return acc.finish(scheme, tz, day_start_h)
