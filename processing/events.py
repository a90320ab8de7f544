"""Pass-by events, NAT counts, intermittency ratio, emergence and the façade correction.

Event (a pass-by, not a sample; SPEC §5): per sensor, the readings whose LAeq is AT OR ABOVE the threshold,
in time order, are joined into runs. Two loud readings belong to the same event when the silence between
them (next start − end of the previous loud reading) is shorter than ``merge_gap_s``: a short dip below the
threshold, or a short hole in the data, is bridged. A dip of exactly ``merge_gap_s`` splits. A run whose
duration (end of its last loud reading − start of its first) is shorter than ``min_duration_s`` is not an
event (an isolated 1-s spike); a run of exactly ``min_duration_s`` is. Per event:

    start    = start of the first loud reading;  end = end of the last one;  duration = end − start
    max      = max over the loud readings of LAFmax where the sensor reported it, else of LAeq
    SEL      = L_AE = 10·log10( Σ_loud interval_i·10^(LAeq_i/10) )   (re 1 s; ISO 1996-1:2016 §3.1.6)
    n_readings = number of loud readings (bridged dips are not counted and add no energy)

Only readings at or above the threshold take part, so events are the same whether the caller passes all
readings or only the loud ones (the store's ``min_laeq_db`` read): bridged dips are below the threshold and
contribute at most ``merge_gap_s·10^(threshold/10)`` of energy, which SEL leaves out on purpose.

NAT_N (number above threshold): the number of events whose max reaches N dB (``max ≥ N``), counted per
day and per night by :mod:`processing.daily`.

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

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from noiselab.processing.decibel import energy_mean, level
from noiselab.processing.workspace import Workspace

__all__ = [
    "DEFAULT_EVENTS",
    "EventParams",
    "Events",
    "detect_passbys",
    "emergence",
    "event_starts",
    "facade_correction",
    "find_events",
    "intermittency_ratio",
]

FACADE_CORRECTION_DB = -3.0
_CHUNK_ROWS = 1 << 16


@dataclass(frozen=True)
class EventParams:
    """The one source of event defaults (settings and every shell take theirs from here).

    ``threshold_db``: readings at or above it are loud (70 dB; 65 dB is the other common choice, offered as
    ``thresholds_db``, the thresholds daily records count). ``merge_gap_s``: dips shorter than this are
    bridged. ``min_duration_s``: shorter runs are not events. ``nat_levels_db``: the N of the NAT_N counts.
    """

    threshold_db: float = 70.0
    merge_gap_s: float = 5.0
    min_duration_s: float = 3.0
    thresholds_db: tuple[float, ...] = (65.0, 70.0)
    nat_levels_db: tuple[float, ...] = (70.0, 75.0, 80.0)

    def __post_init__(self) -> None:
        for name in ("threshold_db", "merge_gap_s", "min_duration_s"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be a finite number")
        if self.merge_gap_s < 0 or self.min_duration_s < 0:
            raise ValueError("merge_gap_s and min_duration_s must not be negative")
        if not all(math.isfinite(x) for x in (*self.thresholds_db, *self.nat_levels_db)):
            raise ValueError("thresholds_db and nat_levels_db must be finite")

    def with_overrides(
        self,
        *,
        threshold_db: float | None = None,
        merge_gap_s: float | None = None,
        min_duration_s: float | None = None,
    ) -> EventParams:
        """These parameters with the given ones replaced (``None`` keeps this one's): per-request values."""
        return replace(
            self,
            threshold_db=self.threshold_db if threshold_db is None else threshold_db,
            merge_gap_s=self.merge_gap_s if merge_gap_s is None else merge_gap_s,
            min_duration_s=self.min_duration_s if min_duration_s is None else min_duration_s,
        )


DEFAULT_EVENTS = EventParams()


@dataclass(frozen=True)
class Events:
    """One row per event, sorted by (threshold, sensor, start). Times are UTC epoch seconds."""

    sensor: NDArray[np.int64]
    threshold_db: NDArray[np.float64]
    start_s: NDArray[np.float64]
    end_s: NDArray[np.float64]
    duration_s: NDArray[np.float64]
    n_readings: NDArray[np.int64]
    max_db: NDArray[np.float64]
    sel_db: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.sensor.shape[0])

    @staticmethod
    def empty() -> Events:
        f = np.zeros(0)
        i = np.zeros(0, dtype=np.int64)
        return Events(i, f, f, f, f, i, f, f)


def _loud_rows(lv_in: NDArray[np.generic], dur: NDArray[np.float64], lowest: float) -> NDArray[np.intp]:
    """Indices of readings with a finite LAeq at or above ``lowest`` and a positive interval, by chunks."""
    n = lv_in.shape[0]
    ws = Workspace(_CHUNK_ROWS)
    parts: list[NDArray[np.intp]] = []
    for lo in range(0, n, _CHUNK_ROWS):
        lv = ws.levels(lv_in[lo : lo + _CHUNK_ROWS])
        mask = (lv >= lowest) & (lv < np.inf)
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
class _Run:
    """Events above one threshold: ``idx`` indexes the loud readings above it, ``starts`` the positions in
    ``idx`` where an event begins (kept events only are ``keep``), ``begin_s``/``end_s`` per event."""

    threshold_db: float
    idx: NDArray[np.intp]
    starts: NDArray[np.intp]
    keep: NDArray[np.bool_]
    begin_s: NDArray[np.float64]
    end_s: NDArray[np.float64]


@dataclass(frozen=True)
class _LoudRuns:
    """Readings at or above the lowest threshold in (sensor, start) order, and the runs above each one."""

    rows: NDArray[np.intp]
    sensor: NDArray[np.generic]
    start_s: NDArray[np.float64]
    laeq: NDArray[np.float64]
    interval_s: NDArray[np.float64]
    runs: list[_Run]


def _loud_runs(
    sensor: ArrayLike,
    start_s: ArrayLike,
    interval_s: ArrayLike,
    laeq: ArrayLike,
    thresholds_db: Sequence[float],
    merge_gap_s: float,
    min_duration_s: float,
    tolerance_s: float,
) -> _LoudRuns:
    if not (0 <= merge_gap_s < math.inf and 0 <= min_duration_s < math.inf):
        raise ValueError("merge_gap_s and min_duration_s must be finite and not negative")
    lv_in = np.asarray(laeq)
    n = lv_in.shape[0]
    dur_in = np.asarray(interval_s, dtype=np.float64)
    dur = np.broadcast_to(dur_in, (n,))
    lowest = float(min(thresholds_db)) if len(thresholds_db) else np.inf
    if dur_in.ndim == 0 and not dur_in > 0:
        lowest = np.inf
    loud = _loud_rows(lv_in, dur, lowest) if np.isfinite(lowest) else np.zeros(0, dtype=np.intp)
    s = np.asarray(sensor)[loud]
    t = np.asarray(np.asarray(start_s)[loud], dtype=np.float64)
    lv_l = np.asarray(lv_in[loud], dtype=np.float64)
    d_l = np.asarray(dur[loud], dtype=np.float64)
    same = s[1:] == s[:-1]
    ordered = bool(np.all((s[1:] > s[:-1]) | (same & (t[1:] >= t[:-1]))))
    if not ordered:
        order = np.lexsort((t, s))
        s, t, lv_l, d_l, loud = s[order], t[order], lv_l[order], d_l[order], loud[order]
    end = t + d_l
    runs = []
    for thr in sorted(thresholds_db):
        idx = np.flatnonzero(lv_l >= thr)
        if idx.size == 0:
            continue
        prev, nxt = idx[:-1], idx[1:]
        gap = t[nxt] - end[prev]
        bridged = (s[nxt] == s[prev]) & ((gap <= tolerance_s) | (gap < merge_gap_s - tolerance_s))
        starts = np.flatnonzero(np.r_[True, ~bridged])
        begin = t[idx[starts]]
        # the end of an event: the latest end among its readings (a running max restarted at each event)
        stop = np.maximum.reduceat(end[idx], starts)
        keep = stop - begin >= min_duration_s - tolerance_s
        runs.append(_Run(float(thr), idx, starts, keep, begin, stop))
    return _LoudRuns(loud, s, t, lv_l, d_l, runs)


def event_starts(
    sensor: ArrayLike,
    start_s: ArrayLike,
    interval_s: ArrayLike,
    laeq: ArrayLike,
    *,
    thresholds_db: Sequence[float] = EventParams.thresholds_db,
    merge_gap_s: float = EventParams.merge_gap_s,
    min_duration_s: float = EventParams.min_duration_s,
    tolerance_s: float = 1e-6,
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
    """(threshold, sensor, start) of each event of :func:`find_events`, in its order, without the rest."""
    lr = _loud_runs(
        sensor, start_s, interval_s, laeq, thresholds_db, merge_gap_s, min_duration_s, tolerance_s
    )
    if not lr.runs:
        return np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0)
    return (
        np.concatenate([np.full(int(r.keep.sum()), r.threshold_db) for r in lr.runs]),
        np.concatenate([lr.sensor[r.idx[r.starts[r.keep]]] for r in lr.runs]).astype(np.int64),
        np.concatenate([r.begin_s[r.keep] for r in lr.runs]),
    )


def find_events(
    sensor: ArrayLike,
    start_s: ArrayLike,
    interval_s: ArrayLike,
    laeq: ArrayLike,
    lafmax: ArrayLike | None = None,
    *,
    thresholds_db: Sequence[float] = EventParams.thresholds_db,
    merge_gap_s: float = EventParams.merge_gap_s,
    min_duration_s: float = EventParams.min_duration_s,
    tolerance_s: float = 1e-6,
) -> Events:
    """Pass-by events above each threshold (module docstring), for many sensors; readings in any order.

    Only the readings at or above the lowest threshold are gathered, and sorted by (sensor, start) only when
    they are not in that order already (a cheap check), so the cost follows the loud part of the data. Runs
    are found with one comparison of neighbours and summed with ``reduceat`` over their starts.
    """
    lr = _loud_runs(
        sensor, start_s, interval_s, laeq, thresholds_db, merge_gap_s, min_duration_s, tolerance_s
    )
    peak = lr.laeq
    if lafmax is not None:
        fm = np.asarray(np.asarray(lafmax)[lr.rows], dtype=np.float64)
        peak = np.where(np.isfinite(fm), fm, lr.laeq)
    energy = _energies(lr.laeq) * lr.interval_s
    cols: list[list[NDArray[np.generic]]] = [[] for _ in range(8)]
    for r in lr.runs:
        k = r.keep
        first = r.idx[r.starts[k]]
        count = np.diff(np.r_[r.starts, r.idx.size])[k]
        values = (
            lr.sensor[first].astype(np.int64),
            np.full(first.size, r.threshold_db),
            r.begin_s[k],
            r.end_s[k],
            r.end_s[k] - r.begin_s[k],
            count.astype(np.int64),
            np.maximum.reduceat(peak[r.idx], r.starts)[k],
            level(np.add.reduceat(energy[r.idx], r.starts)[k]),
        )
        for col, value in zip(cols, values, strict=True):
            col.append(value)
    if not cols[0]:
        return Events.empty()
    c = [np.concatenate(col) for col in cols]
    return Events(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7])


def detect_passbys(
    ts_s: ArrayLike,
    laeq_db: ArrayLike,
    interval_s: ArrayLike,
    lafmax_db: ArrayLike | None = None,
    *,
    params: EventParams = DEFAULT_EVENTS,
) -> Events:
    """Pass-by events of ONE sensor above ``params.threshold_db`` (module docstring for the rule).

    Stable signature (callers: API, residents' page, report, ``compute``, incremental events at ingest):

    - ``ts_s``: reading starts, UTC epoch seconds (any order); ``laeq_db``: LAeq of each reading;
      ``interval_s``: each reading's interval (array or one number); ``lafmax_db``: LAFmax or None (NaN =
      not reported for that reading).
    - ``params``: threshold, ``merge_gap_s``, ``min_duration_s`` (:class:`EventParams`; ``thresholds_db``
      and ``nat_levels_db`` are not used here).
    - Returns :class:`Events` with ``sensor`` all 0, sorted by start.

    Readings below the threshold never change the result, so it may be given only the loud readings; to
    continue incrementally, re-run it on the loud readings from the start of the last event that ended
    less than ``merge_gap_s`` before the new data.
    """
    t = np.asarray(ts_s)
    return find_events(
        np.zeros(t.shape[0], dtype=np.int64),
        t,
        interval_s,
        laeq_db,
        lafmax_db,
        thresholds_db=(params.threshold_db,),
        merge_gap_s=params.merge_gap_s,
        min_duration_s=params.min_duration_s,
    )


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
