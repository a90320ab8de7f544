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

from processing.decibel import energy_mean, level
from processing.rollups import sum_by

__all__ = ["Events", "emergence", "facade_correction", "find_events", "intermittency_ratio"]

FACADE_CORRECTION_DB = -3.0


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

    Only the readings above the lowest threshold are sorted, so the cost follows the loud part of the data.
    """
    lv = np.asarray(laeq, dtype=np.float64)
    n = lv.shape[0]
    dur = np.broadcast_to(np.asarray(interval_s, dtype=np.float64), (n,))
    lowest = min(thresholds_db) if len(thresholds_db) else np.inf
    loud = np.flatnonzero(np.isfinite(lv) & (lv > lowest) & (dur > 0))
    s = np.asarray(sensor, dtype=np.int64)[loud]
    t = np.asarray(start_s, dtype=np.float64)[loud]
    order = np.lexsort((t, s))
    s, t, lv_l, dur_l = s[order], t[order], lv[loud][order], np.asarray(dur[loud], dtype=np.float64)[order]
    peak = lv_l.copy()
    if lafmax is not None:
        fm = np.asarray(lafmax, dtype=np.float64)[loud][order]
        peak = np.where(np.isfinite(fm), fm, lv_l)
    contiguous = np.zeros(s.shape, dtype=bool)
    if s.size > 1:
        contiguous[1:] = (s[1:] == s[:-1]) & (np.abs(t[1:] - (t[:-1] + dur_l[:-1])) <= tolerance_s)
    parts: list[
        tuple[
            NDArray[np.int64],
            NDArray[np.float64],
            NDArray[np.float64],
            NDArray[np.float64],
            NDArray[np.int64],
            NDArray[np.float64],
            NDArray[np.float64],
        ]
    ] = []
    for thr in sorted(thresholds_db):
        above = lv_l > thr
        idx = np.flatnonzero(above)
        if idx.size == 0:
            continue
        prev_above = np.zeros(idx.size, dtype=bool)
        prev_above[1:] = idx[1:] == idx[:-1] + 1
        new = ~(prev_above & contiguous[idx])
        event = np.cumsum(new) - 1
        first = idx[new]
        m = int(first.size)
        e = sum_by(event, dur_l[idx] * np.power(10.0, lv_l[idx] / 10.0), m)
        mx = np.full(m, -np.inf)
        np.maximum.at(mx, event, peak[idx])
        parts.append(
            (
                s[first],
                np.full(m, float(thr)),
                t[first],
                sum_by(event, dur_l[idx], m),
                np.bincount(event, minlength=m).astype(np.int64),
                mx,
                level(e),
            )
        )
    if not parts:
        f = np.zeros(0)
        i = np.zeros(0, dtype=np.int64)
        return Events(i, f, f, f, i, f, f)
    cols = [np.concatenate([p[k] for p in parts]) for k in range(7)]
    return Events(cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6])


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
