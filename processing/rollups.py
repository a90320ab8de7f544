"""Per-sensor bucket rollups that daily and annual metrics can be computed from exactly.

A rollup row summarises one sensor's readings whose *start* falls in one UTC bucket
``[bucket_s, bucket_s + bucket_size_s)``:

    energy   = Σ interval_s·10^(LAeq/10)        (so LAeq,bucket = 10·log10(energy/seconds))
    seconds  = Σ interval_s                     (measured time, for coverage)
    lafmax   = max LAFmax reported (NaN when none), lcpeak likewise

plus a sparse histogram of time per 0.1 dB class of LAeq (``hist_bin = round(10·LAeq)``), which makes the
percentiles LA10..LA95 of any union of buckets exact (see :mod:`processing.percentiles`). All parts are sums
or maxima, so partial rollups of the same buckets :func:`merge` exactly, in any order.

Local periods computed from rollups equal those from raw readings when bucket boundaries align with local
clock hours: true for 3600-s buckets in whole-hour UTC offsets (Europe/Copenhagen); use ``bucket_s=900`` in
zones such as Asia/Kathmandu (+05:45). :func:`processing.daysums.day_sums_from_rollups` refuses
misaligned buckets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Rollups", "level_bins", "merge", "rollup", "sum_by"]


@dataclass(frozen=True)
class Rollups:
    """Parallel arrays of rollup rows, plus a sparse (row, 0.1-dB class) histogram of seconds."""

    sensor: NDArray[np.int64]
    bucket_s: NDArray[np.int64]
    energy: NDArray[np.float64]
    seconds: NDArray[np.float64]
    lafmax: NDArray[np.float64]
    lcpeak: NDArray[np.float64]
    hist_row: NDArray[np.int64]
    hist_bin: NDArray[np.int16]
    hist_seconds: NDArray[np.float64]
    bucket_size_s: int = 3600

    def __len__(self) -> int:
        return int(self.sensor.shape[0])

    @classmethod
    def empty(cls, *, bucket_s: int = 3600) -> Rollups:
        f = np.zeros(0, dtype=np.float64)
        i = np.zeros(0, dtype=np.int64)
        return cls(i, i, f, f, f, f, i, np.zeros(0, dtype=np.int16), f, bucket_s)


def sum_by(index: ArrayLike, weights: ArrayLike, n: int) -> NDArray[np.float64]:
    """``out[k] = Σ weights[index == k]`` for k < n (``np.bincount`` with float64 typing)."""
    counts = np.bincount(np.asarray(index), weights=np.asarray(weights), minlength=n)
    return np.asarray(counts, dtype=np.float64)


def level_bins(laeq_db: ArrayLike) -> NDArray[np.int16]:
    """0.1 dB class of each level: ``round(10·L)`` (half to even), clipped to 0..2000 (0–200 dB)."""
    lv = np.asarray(laeq_db, dtype=np.float64)
    return np.clip(np.rint(lv * 10.0), 0, 2000).astype(np.int16)


def group(keys: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``np.unique(keys, return_inverse=True)``, by marking and counting when the keys span a small range
    (linear instead of a sort: the usual case for readings in time order)."""
    if keys.size == 0:
        return keys.copy(), np.zeros(0, dtype=np.int64)
    lo = int(keys.min())
    span = int(keys.max()) - lo + 1
    if span > 32 * keys.size + 65536:
        uniq, inverse = np.unique(keys, return_inverse=True)
        return uniq.astype(np.int64), inverse.reshape(-1).astype(np.int64)
    offset = keys - lo
    present = np.zeros(span, dtype=bool)
    present[offset] = True
    rank = np.cumsum(present, dtype=np.int64) - 1
    return np.flatnonzero(present).astype(np.int64) + lo, rank[offset]


def _fold_max(index: NDArray[np.int64], values: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    out = np.full(n, np.nan, dtype=np.float64)
    np.fmax.at(out, index, values)
    return out


def _compact(
    sensor: NDArray[np.int64],
    bucket: NDArray[np.int64],
    energy: NDArray[np.float64],
    seconds: NDArray[np.float64],
    lafmax: NDArray[np.float64],
    lcpeak: NDArray[np.float64],
    hist_row: NDArray[np.int64],
    hist_bin: NDArray[np.int16],
    hist_seconds: NDArray[np.float64],
    bucket_size_s: int,
) -> Rollups:
    """Fold rows with equal (sensor, bucket) and histogram entries with equal (row, bin); rows sorted."""
    if sensor.size == 0:
        return Rollups.empty(bucket_s=bucket_size_s)
    b_lo = int(bucket.min()) // bucket_size_s
    b_span = int(bucket.max()) // bucket_size_s - b_lo + 1
    s_lo = int(sensor.min())
    if (int(sensor.max()) - s_lo + 1) * b_span < 2**62:
        uniq, row_of = group(((sensor - s_lo) * b_span + bucket // bucket_size_s - b_lo).astype(np.int64))
        uniq_sensor = uniq // b_span + s_lo
        uniq_bucket = (uniq % b_span + b_lo) * bucket_size_s
    else:  # pragma: no cover - sensor indices and buckets far beyond any real data
        both, row_of = np.unique(np.stack([sensor, bucket], axis=1), axis=0, return_inverse=True)
        row_of = row_of.reshape(-1)
        uniq_sensor, uniq_bucket = both[:, 0], both[:, 1]
    n = uniq_sensor.shape[0]
    hrow = row_of[hist_row]
    hkey = hrow * 4096 + hist_bin.astype(np.int64)
    ukey, hinv = group(hkey)
    return Rollups(
        sensor=np.ascontiguousarray(uniq_sensor, dtype=np.int64),
        bucket_s=np.ascontiguousarray(uniq_bucket, dtype=np.int64),
        energy=sum_by(row_of, energy, n),
        seconds=sum_by(row_of, seconds, n),
        lafmax=_fold_max(row_of, lafmax, n),
        lcpeak=_fold_max(row_of, lcpeak, n),
        hist_row=ukey // 4096,
        hist_bin=(ukey % 4096).astype(np.int16),
        hist_seconds=sum_by(hinv.reshape(-1), hist_seconds, ukey.size),
        bucket_size_s=bucket_size_s,
    )


def rollup(
    sensor: ArrayLike,
    start_s: ArrayLike,
    interval_s: ArrayLike,
    laeq: ArrayLike,
    lafmax: ArrayLike | None = None,
    lcpeak: ArrayLike | None = None,
    *,
    bucket_s: int = 3600,
) -> Rollups:
    """Roll readings up into UTC buckets of ``bucket_s`` seconds (a reading goes to the bucket of its start).

    ``sensor`` is an integer sensor index per reading; ``start_s`` UTC epoch seconds of each interval's start.
    Readings with a non-finite LAeq or a non-positive interval are ignored (they are not measured time).
    ``lafmax``/``lcpeak`` may be None or contain NaN for "not reported".
    """
    lv = np.asarray(laeq, dtype=np.float64)
    n = lv.shape[0]
    dur = np.broadcast_to(np.asarray(interval_s, dtype=np.float64), (n,))
    ok = np.isfinite(lv) & np.isfinite(dur) & (dur > 0)
    s = np.asarray(sensor, dtype=np.int64)[ok]
    t = np.asarray(start_s, dtype=np.float64)[ok]
    lv, dur = lv[ok], dur[ok]
    fmax = np.full(lv.shape, np.nan) if lafmax is None else np.asarray(lafmax, dtype=np.float64)[ok]
    cpk = np.full(lv.shape, np.nan) if lcpeak is None else np.asarray(lcpeak, dtype=np.float64)[ok]
    bucket = (np.floor_divide(t, bucket_s) * bucket_s).astype(np.int64)
    energy = dur * np.power(10.0, lv / 10.0)
    rows = np.arange(lv.shape[0], dtype=np.int64)
    return _compact(s, bucket, energy, dur, fmax, cpk, rows, level_bins(lv), dur, bucket_s)


def merge(a: Rollups, b: Rollups) -> Rollups:
    """Combine two partial rollups (same bucket size): energies, seconds and histograms add, maxima max."""
    if a.bucket_size_s != b.bucket_size_s:
        raise ValueError(f"cannot merge rollups of {a.bucket_size_s}-s and {b.bucket_size_s}-s buckets")
    return _compact(
        np.concatenate([a.sensor, b.sensor]),
        np.concatenate([a.bucket_s, b.bucket_s]),
        np.concatenate([a.energy, b.energy]),
        np.concatenate([a.seconds, b.seconds]),
        np.concatenate([a.lafmax, b.lafmax]),
        np.concatenate([a.lcpeak, b.lcpeak]),
        np.concatenate([a.hist_row, b.hist_row + len(a)]),
        np.concatenate([a.hist_bin, b.hist_bin]),
        np.concatenate([a.hist_seconds, b.hist_seconds]),
        a.bucket_size_s,
    )
