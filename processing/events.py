"""Noise events, intermittency ratio, emergence and the façade correction.

Event (our rule, SPEC §5): a run of consecutive readings of one sensor, each contiguous in time with the
previous one (``start == previous start + previous interval``, no gap) and each with LAeq strictly above the
threshold. Per event: start, duration, number of readings, max, SEL:

    max = max over the run of LAFmax where the sensor reported it, else of LAeq
    SEL = L_AE = 10·log10( Σ interval_i·10^(LAeq_i/10) )   (re 1 s; ISO 1996-1:2016 §3.1.6)

Intermittency ratio (Wunderli et al. 2016, J Expo Sci Environ Epidemiol 26:575, doi:10.1038/jes.2015.56):

    K   = LAeq,tot + C            (C = 3 dB)
    IR  = 100 · Σ_{L_i > K} w_i·10^(L_i/10) / Σ_i w_i·10^(L_i/10)   [%]

i.e. 10^((LAeq,Ev − LAeq,tot)/10)·100 with LAeq,Ev divided by the FULL time, as in NOISEtools ``im_ratio_dB``.

Emergence here is the monitoring convention ``LAeq − LA90`` (not the French regulatory emergence, which
compares ambient and residual noise measured separately). The façade correction lowers a façade-mounted
sensor's levels by 3 dB (configurable) before comparison with free-field limits
(Directive 2002/49/EC Annex I).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from noiselab.processing.decibel import energy_mean, level
from noiselab.processing.workspace import Workspace

__all__ = ["Events", "emergence", "event_starts", "facade_correction", "find_events", "intermittency_ratio"]

FACADE_CORRECTION_DB = -3.0
_CHUNK_ROWS = 1 << 16


@dataclass(frozen=True)
class Events:
    """One row per event, sorted by (threshold, sensor, start)."""

    sensor: NDArray[np.int64]
    threshold_db: NDArray[np.float64]
    start_s: NDArray[np.float64]
    duration_s: NDArray[np.float64]
    n_readings: NDArray[np.int64]
    max_db: NDArray[np.float64]
    sel_db: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.sensor.shape[0])


def _loud_rows(lv_in: NDArray[np.generic], dur: NDArray[np.float64], lowest: float) -> NDArray[np.intp]:
    """Indices of readings with a finite LAeq above ``lowest`` and a positive interval, chunk by chunk."""
    n = lv_in.shape[0]
    ws = Workspace(_CHUNK_ROWS)
    parts: list[NDArray[np.intp]] = []
    for lo in range(0, n, _CHUNK_ROWS):
        lv = ws.levels(lv_in[lo : lo + _CHUNK_ROWS])
        mask = (lv > lowest) & (lv < np.inf)
        if dur.strides[0] != 0:
            mask &= dur[lo : lo + _CHUNK_ROWS] > 0
        parts.append(np.flatnonzero(mask) + lo)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)


def _energies(lv: NDArray[np.float64]) -> NDArray[np.float64]:
    out = np.empty_like(lv)
    ws = Workspace(min(_CHUNK_ROWS, max(lv.size, 1)))
    for lo in range(0, lv.size, _CHUNK_ROWS):
        out[lo : lo + _CHUNK_ROWS] = ws.energies(lv[lo : lo + _CHUNK_ROWS])[0]
    return out


@dataclass(frozen=True)
class _LoudRuns:
    """Readings above the lowest threshold in (sensor, start) order, and the runs above each threshold.

    ``runs[k] = (threshold, idx, starts)``: ``idx`` indexes the loud readings above the threshold, ``starts``
    the positions in ``idx`` where an event begins.
    """

    rows: NDArray[np.intp]
    sensor: NDArray[np.generic]
    start_s: NDArray[np.generic]
    laeq: NDArray[np.float64]
    interval_s: NDArray[np.float64] | float
    runs: list[tuple[float, NDArray[np.intp], NDArray[np.intp]]]


def _contiguous(
    s: NDArray[np.generic], t: NDArray[np.generic], dur: NDArray[np.float64] | float, tolerance_s: float
) -> NDArray[np.bool_]:
    """``out[k]``: reading k continues reading k-1 (same sensor, starts where it ends), in blocks."""
    out = np.zeros(s.shape, dtype=bool)
    exact = np.issubdtype(t.dtype, np.integer) and isinstance(dur, float) and dur.is_integer()
    for lo in range(1, s.shape[0], _CHUNK_ROWS):
        hi = min(s.shape[0], lo + _CHUNK_ROWS)
        same = s[lo:hi] == s[lo - 1 : hi - 1]
        if exact:  # whole seconds: equality, no float temporaries
            gap = np.subtract(t[lo:hi], t[lo - 1 : hi - 1])
            out[lo:hi] = same & (gap == int(dur))
        else:
            d = dur if isinstance(dur, float) else dur[lo - 1 : hi - 1]
            prev_end = np.asarray(t[lo - 1 : hi - 1], dtype=np.float64) + d
            out[lo:hi] = same & (np.abs(np.asarray(t[lo:hi], dtype=np.float64) - prev_end) <= tolerance_s)
    return out


def _loud_runs(
    sensor: ArrayLike,
    start_s: ArrayLike,
    interval_s: ArrayLike,
    laeq: ArrayLike,
    thresholds_db: Sequence[float],
    tolerance_s: float,
) -> _LoudRuns:
    lv_in = np.asarray(laeq)
    n = lv_in.shape[0]
    dur_in = np.asarray(interval_s, dtype=np.float64)
    dur = np.broadcast_to(dur_in, (n,))
    lowest = float(min(thresholds_db)) if len(thresholds_db) else np.inf
    if dur_in.ndim == 0 and not dur_in > 0:
        lowest = np.inf
    loud = _loud_rows(lv_in, dur, lowest) if np.isfinite(lowest) else np.zeros(0, dtype=np.intp)
    s = np.asarray(sensor)[loud]
    t = np.asarray(start_s)[loud]
    lv_l = np.asarray(lv_in[loud], dtype=np.float64)
    dur_l: NDArray[np.float64] | float = float(dur_in) if dur_in.ndim == 0 else np.asarray(dur[loud])
    same = s[1:] == s[:-1]
    ordered = bool(np.all((s[1:] > s[:-1]) | (same & (t[1:] >= t[:-1]))))
    if not ordered:
        order = np.lexsort((t, s))
        s, t, lv_l, loud = s[order], t[order], lv_l[order], loud[order]
        dur_l = dur_l if isinstance(dur_l, float) else dur_l[order]
    contiguous = _contiguous(s, t, dur_l, tolerance_s)
    runs = []
    for thr in sorted(thresholds_db):
        idx = np.flatnonzero(lv_l > thr)
        if idx.size == 0:
            continue
        new = ~contiguous[idx]
        new[1:] |= idx[1:] != idx[:-1] + 1
        new[0] = True
        runs.append((float(thr), idx, np.flatnonzero(new)))
    return _LoudRuns(loud, s, t, lv_l, dur_l, runs)


def event_starts(
    sensor: ArrayLike,
    start_s: ArrayLike,
    interval_s: ArrayLike,
    laeq: ArrayLike,
    *,
    thresholds_db: Sequence[float] = (65.0, 70.0),
    tolerance_s: float = 1e-6,
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
    """(threshold, sensor, start) of each event of :func:`find_events`, in its order, without the rest.

    What event counts need, at a fraction of the cost of the full table.
    """
    lr = _loud_runs(sensor, start_s, interval_s, laeq, thresholds_db, tolerance_s)
    thr = [np.full(st.size, th) for th, _, st in lr.runs]
    first = [idx[st] for _, idx, st in lr.runs]
    if not first:
        return np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0)
    rows = np.concatenate(first)
    return (
        np.concatenate(thr),
        lr.sensor[rows].astype(np.int64),
        np.asarray(lr.start_s[rows], dtype=np.float64),
    )


def find_events(
    sensor: ArrayLike,
    start_s: ArrayLike,
    interval_s: ArrayLike,
    laeq: ArrayLike,
    lafmax: ArrayLike | None = None,
    *,
    thresholds_db: Sequence[float] = (65.0, 70.0),
    tolerance_s: float = 1e-6,
) -> Events:
    """Events of readings above each threshold (see module docstring); readings may come in any order.

    Only the readings above the lowest threshold are gathered, and sorted by (sensor, start) only when they
    are not in that order already (a cheap check), so the cost follows the loud part of the data. Runs are
    found with one comparison of neighbours and summed with ``reduceat`` over their starts.
    """
    lr = _loud_runs(sensor, start_s, interval_s, laeq, thresholds_db, tolerance_s)
    peak = lr.laeq
    if lafmax is not None:
        fm = np.asarray(np.asarray(lafmax)[lr.rows], dtype=np.float64)
        peak = np.where(np.isfinite(fm), fm, lr.laeq)
    energy = _energies(lr.laeq)
    if not isinstance(lr.interval_s, float):
        energy *= lr.interval_s
    cols: list[list[NDArray[np.generic]]] = [[] for _ in range(7)]
    for thr, idx, starts in lr.runs:
        first = idx[starts]
        count = np.diff(np.r_[starts, idx.size])
        e = np.add.reduceat(energy[idx], starts)
        if isinstance(lr.interval_s, float):
            e *= lr.interval_s
            duration = count * lr.interval_s
        else:
            duration = np.add.reduceat(lr.interval_s[idx], starts)
        for col, value in zip(
            cols,
            (
                lr.sensor[first].astype(np.int64),
                np.full(first.size, thr),
                np.asarray(lr.start_s[first], dtype=np.float64),
                np.asarray(duration, dtype=np.float64),
                count.astype(np.int64),
                np.maximum.reduceat(peak[idx], starts),
                level(e),
            ),
            strict=True,
        ):
            col.append(value)
    if not cols[0]:
        f = np.zeros(0)
        i = np.zeros(0, dtype=np.int64)
        return Events(i, f, f, f, i, f, f)
    c = [np.concatenate(col) for col in cols]
    return Events(c[0], c[1], c[2], c[3], c[4], c[5], c[6])


def intermittency_ratio(
    levels_db: ArrayLike, *, weights: ArrayLike | None = None, c_db: float = 3.0, axis: int | None = None
) -> NDArray[np.float64]:
    """Intermittency ratio IR in % (Wunderli et al. 2016), time-weighted by ``weights``; NaN readings ignored.

    The event energy (readings strictly above LAeq,tot + C) is divided by the full energy of all readings.
    """
    lv = np.asarray(levels_db, dtype=np.float64)
    w = (
        np.ones_like(lv)
        if weights is None
        else np.broadcast_to(np.asarray(weights, dtype=np.float64), lv.shape)
    )
    total_db = energy_mean(lv, weights=w, axis=axis)
    k = total_db + c_db if axis is None else np.expand_dims(total_db + c_db, axis)
    ok = np.isfinite(lv)
    lv0 = np.where(ok, lv, 0.0)
    peak = np.max(np.where(ok, lv, -np.inf), axis=axis, keepdims=True, initial=-np.inf)
    shift = np.where(np.isfinite(peak), peak, 0.0)
    e = np.where(ok, w * np.power(10.0, (lv0 - shift) / 10.0), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.sum(np.where(lv > k, e, 0.0), axis=axis) / np.sum(e, axis=axis)
    return np.asarray(100.0 * ratio, dtype=np.float64)


def emergence(laeq_db: ArrayLike, la90_db: ArrayLike) -> NDArray[np.float64]:
    """Emergence as a monitoring convention: ``LAeq − LA90`` in dB (how far events rise above background)."""
    return np.asarray(np.asarray(laeq_db, dtype=np.float64) - np.asarray(la90_db, dtype=np.float64))


def facade_correction(
    levels_db: ArrayLike, *, facade: ArrayLike = True, correction_db: float = FACADE_CORRECTION_DB
) -> NDArray[np.float64]:
    """Free-field equivalent of levels: ``L + correction_db`` where ``facade`` is true (−3 dB by default).

    Source: Directive 2002/49/EC Annex I ("as a general rule, this implies a 3 dB correction").
    """
    lv = np.asarray(levels_db, dtype=np.float64)
    return np.asarray(np.where(np.asarray(facade, dtype=bool), lv + correction_db, lv), dtype=np.float64)
