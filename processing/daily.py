"""Daily records per (sensor, noise day): Lden and its periods, LAeq,24h, maxima, LA_N, coverage, events.

The record of date D covers the 24 (23, 25) hours from D's local ``day_start_h``:00 to D+1's: by default the
scheme's day start (07:00 in ``dk``/``eu``), so Lnight is one whole night (SPEC §5 "the noise day");
``day_start_h=0`` gives calendar dates. A DST change falls in a night that then lasts 8 or 10 h (``dk``).

Definitions (SPEC §5; Directive 2002/49/EC Annex I; ISO 1996-1:2016 §3.6):

    L_p    = 10·log10( Σ_{readings in period p} interval·10^(LAeq/10) / Σ interval )     (energy mean)
    Lden   = 10·log10( (1/Σd) · Σ_p d_p·10^((L_p + K_p)/10) )   with the scheme's NOMINAL hours d_p
    LAeq,24h = energy mean over all readings of the local date
    coverage_p = measured seconds in p / actual seconds of p on that day (DST days included), at most 1
    coverage   = measured seconds / actual seconds of the day (82 800, 86 400 or 90 000)
    valid      = every period's coverage ≥ ``valid_threshold`` (75 % by default; our convention)

A period without data has a NaN level, and then Lden is NaN too (no gap is ever treated as silence).
``lafmax``/``lcpeak`` are the maxima of what the sensor reported (NaN when never reported); LA10..LA95 follow
:mod:`processing.percentiles`. ``lafmax_<period>`` is the max of LAFmax in each period (``lafmax_night``: the
loudest moment of the night). ``la90_<period>`` is LA90 of the readings in that period alone (the background
level of the day, the evening, the night), by the same method as ``la90`` on the period's own histogram.
Event counts (when events are given, :mod:`processing.events`) are the events
starting in that day (``n_events_<threshold>``) and in its night (``..._night``); ``nat<N>`` counts the
events at the main threshold whose max reaches N dB (``nat<N>_night``: those starting in the night).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from noiselab.processing.daysums import DaySums, day_sums_from_raw, day_sums_from_rollups
from noiselab.processing.decibel import level
from noiselab.processing.events import DEFAULT_EVENTS, EventParams, Events, find_events
from noiselab.processing.percentiles import exceedance_levels
from noiselab.processing.periods import SCHEMES, PeriodScheme, assign, date_seconds, period_seconds
from noiselab.processing.rollups import Rollups

__all__ = [
    "DAILY_KEYS",
    "RECORD_KEYS",
    "DailyTable",
    "daily_from_raw",
    "daily_from_rollups",
    "daily_from_sums",
    "resolve_day_start",
]

PERCENTS = (10, 50, 90, 95)
PERIOD_PERCENTS = (90,)  # LA_N per period: la90_day, la90_evening, la90_night
RECORD_KEYS = (
    "sensor_id",
    "date",
    "lden",
    "lday",
    "levening",
    "lnight",
    "laeq24",
    "lafmax",
    "la10",
    "la50",
    "la90",
    "la95",
    "coverage",
    "valid",
)
_PERIODS = ("day", "evening", "night")
# every column of a daily record but the event counts (which follow, by threshold), in the records' order:
# the JSON keys, the CSV header and ``noiselab compute`` all take it from here
DAILY_KEYS = (
    *RECORD_KEYS,
    "lcpeak",
    *(f"coverage_{p}" for p in _PERIODS),
    *(f"lafmax_{p}" for p in _PERIODS),
    *(f"la{n}_{p}" for n in PERIOD_PERCENTS for p in _PERIODS),
)
_LEVEL_KEYS = {
    "lden",
    "lday",
    "levening",
    "lnight",
    "laeq24",
    "lafmax",
    "lcpeak",
    "la10",
    "la50",
    "la90",
    "la95",
    "lafmax_day",
    "lafmax_evening",
    "lafmax_night",
    *(f"la{n}_{p}" for n in PERIOD_PERCENTS for p in ("day", "evening", "night")),
}


@dataclass(frozen=True)
class DailyTable:
    """Columns of daily records; row i is sensor ``sensor_ids[sensor[i]]`` on local date ``date_ordinal[i]``.

    ``levels``/``coverage_periods`` have one column per period of ``scheme``. ``event_counts`` maps a column
    name (``n_events_65``, ``n_events_65_night``, ...) to per-row counts. ``la_periods[i, p, j]`` is
    LA_N with N = ``PERIOD_PERCENTS[j]`` of period ``p`` on row ``i``.
    """

    scheme: PeriodScheme
    sensor_ids: list[str]
    sensor: NDArray[np.int64]
    date_ordinal: NDArray[np.int64]
    lden: NDArray[np.float64]
    levels: NDArray[np.float64]
    laeq24: NDArray[np.float64]
    lafmax: NDArray[np.float64]
    lcpeak: NDArray[np.float64]
    la: NDArray[np.float64]
    coverage: NDArray[np.float64]
    coverage_periods: NDArray[np.float64]
    valid: NDArray[np.bool_]
    event_counts: dict[str, NDArray[np.int64]] = field(default_factory=dict)
    lafmax_periods: NDArray[np.float64] | None = None
    day_start_h: int = 0
    la_periods: NDArray[np.float64] | None = None

    def __len__(self) -> int:
        return int(self.sensor.shape[0])

    def period_level(self, name: str) -> NDArray[np.float64]:
        """Level column of the period called ``name`` (NaN column when the scheme has no such period)."""
        i = self.scheme.index(name)
        return self.levels[:, i] if i is not None else np.full(len(self), np.nan)

    def period_coverage(self, name: str) -> NDArray[np.float64]:
        i = self.scheme.index(name)
        return self.coverage_periods[:, i] if i is not None else np.full(len(self), np.nan)

    def columns(self) -> dict[str, NDArray[Any]]:
        """All columns by record key, in record order (extras after the SPEC §5 keys)."""
        cols: dict[str, NDArray[Any]] = {
            "lden": self.lden,
            "lday": self.period_level("day"),
            "levening": self.period_level("evening"),
            "lnight": self.period_level("night"),
            "laeq24": self.laeq24,
            "lafmax": self.lafmax,
        }
        for j, n in enumerate(PERCENTS):
            cols[f"la{n}"] = self.la[:, j]
        cols["coverage"] = self.coverage
        cols["valid"] = self.valid
        cols["lcpeak"] = self.lcpeak
        for name in ("day", "evening", "night"):
            cols[f"coverage_{name}"] = self.period_coverage(name)
        for name in ("day", "evening", "night"):
            i = self.scheme.index(name)
            ok = i is not None and self.lafmax_periods is not None
            cols[f"lafmax_{name}"] = self.lafmax_periods[:, i] if ok else np.full(len(self), np.nan)  # type: ignore[index]
        for j, n in enumerate(PERIOD_PERCENTS):
            for name in ("day", "evening", "night"):
                i = self.scheme.index(name)
                have = i is not None and self.la_periods is not None
                cols[f"la{n}_{name}"] = self.la_periods[:, i, j] if have else np.full(len(self), np.nan)  # type: ignore[index]
        cols.update(self.event_counts)
        return cols

    def to_records(self, *, decimals: int = 2) -> list[dict[str, Any]]:
        """Daily records as dicts with the SPEC §5 keys first; NaN → None, levels rounded to ``decimals``."""
        cols = self.columns()
        names = list(cols)
        lists: list[list[Any]] = []
        for name in names:
            col = cols[name]
            if name in _LEVEL_KEYS:
                lists.append([None if math.isnan(v) else round(v, decimals) for v in col.tolist()])
            elif name == "valid":
                lists.append([bool(v) for v in col.tolist()])
            elif col.dtype.kind == "f":
                lists.append([None if math.isnan(v) else round(v, 4) for v in col.tolist()])
            else:
                lists.append([int(v) for v in col.tolist()])
        ids = [self.sensor_ids[i] for i in self.sensor.tolist()]
        days = [date.fromordinal(d).isoformat() for d in self.date_ordinal.tolist()]
        out = []
        for i in range(len(self)):
            rec: dict[str, Any] = {"sensor_id": ids[i], "date": days[i]}
            for name, values in zip(names, lists, strict=True):
                rec[name] = values[i]
            out.append(rec)
        return out


def composite_level(levels_db: ArrayLike, scheme: PeriodScheme) -> NDArray[np.float64]:
    """Lden (or Ldn) over the last axis: ``10·log10(Σ d_p·10^((L_p+K_p)/10) / Σ d_p)``, NaN if any L_p is NaN.

    Source: Directive 2002/49/EC Annex I; ISO 1996-1:2016 eq. 6–7 (composite rating level).
    """
    lv = np.asarray(levels_db, dtype=np.float64)
    w = scheme.weights_h
    e = np.power(10.0, (lv + scheme.penalties_db) / 10.0) * w
    return np.asarray(level(np.sum(e, axis=-1) / w.sum()), dtype=np.float64)


def _resolve(scheme: str | PeriodScheme) -> PeriodScheme:
    return SCHEMES[scheme] if isinstance(scheme, str) else scheme


def _event_counts(
    events: Events, sums: DaySums, thresholds: Sequence[float], params: EventParams
) -> dict[str, NDArray[np.int64]]:
    """Events per row of ``sums`` by threshold (day and night), and NAT_N at ``params.threshold_db``."""
    names = [f"n_events_{t:g}{s}" for t in thresholds for s in ("", "_night")]
    names += [f"nat{n:g}{s}" for n in params.nat_levels_db for s in ("", "_night")]
    if len(sums) == 0:
        return {name: np.zeros(0, dtype=np.int64) for name in names}
    d_lo = int(sums.date_ordinal.min())
    n_dates_span = int(sums.date_ordinal.max()) - d_lo + 1
    row_key = sums.sensor * n_dates_span + (sums.date_ordinal - d_lo)
    a = assign(events.start_s, sums.scheme, sums.tz, day_start_h=sums.day_start_h)
    key = events.sensor * n_dates_span + (a.date_ordinal - d_lo)
    pos = np.clip(np.searchsorted(row_key, key), 0, len(row_key) - 1)
    hit = (row_key[pos] == key) & (a.date_ordinal >= d_lo)
    night_i = sums.scheme.index("night")
    night = a.period == night_i if night_i is not None else np.zeros(hit.shape, dtype=bool)
    out: dict[str, NDArray[np.int64]] = {}

    def count(prefix: str, m: NDArray[np.bool_]) -> None:
        out[prefix] = np.bincount(pos[hit & m], minlength=len(sums)).astype(np.int64)
        out[f"{prefix}_night"] = np.bincount(pos[hit & m & night], minlength=len(sums)).astype(np.int64)

    for thr in thresholds:
        count(f"n_events_{thr:g}", events.threshold_db == thr)
    main = events.threshold_db == params.threshold_db
    for n in params.nat_levels_db:
        count(f"nat{n:g}", main & (events.max_db >= n))
    return out


def resolve_day_start(scheme: PeriodScheme, day_start_h: int | None) -> int:
    """The hour a day starts at: ``day_start_h``, or the scheme's day start when None (SPEC §5)."""
    h = scheme.day_start_h if day_start_h is None else day_start_h
    if not 0 <= h < 24:
        raise ValueError("day_start_h must be within 0..23")
    return h


def daily_from_sums(
    sums: DaySums,
    *,
    sensor_ids: Sequence[str] | None = None,
    valid_threshold: float = 0.75,
    events: Events | None = None,
    event_thresholds: Sequence[float] = EventParams.thresholds_db,
    event_params: EventParams = DEFAULT_EVENTS,
) -> DailyTable:
    """Daily metrics from per-(sensor, day, period) sums (see module docstring for the formulas)."""
    scheme = sums.scheme
    n_sensors = int(sums.sensor.max()) + 1 if len(sums) else 0
    ids = list(sensor_ids) if sensor_ids is not None else [str(i) for i in range(n_sensors)]
    with np.errstate(invalid="ignore", divide="ignore"):
        levels = level(sums.energy / np.where(sums.seconds > 0, sums.seconds, np.nan))
        laeq24 = level(sums.energy.sum(axis=1) / sums.seconds.sum(axis=1))
    lden = composite_level(levels, scheme)
    uniq_dates, inv = np.unique(sums.date_ordinal, return_inverse=True)
    ds = sums.day_start_h
    day_len = date_seconds(uniq_dates, sums.tz, day_start_h=ds)[inv].astype(np.float64)
    per_len = period_seconds(uniq_dates, scheme, sums.tz, day_start_h=ds)[inv].astype(np.float64)
    coverage = np.minimum(1.0, sums.seconds.sum(axis=1) / day_len)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov_p = np.where(per_len > 0, np.minimum(1.0, sums.seconds / per_len), np.nan)
    valid = np.all(np.where(np.isnan(cov_p), True, cov_p >= valid_threshold), axis=1)
    la = exceedance_levels(sums.hist_group, sums.hist_bin, sums.hist_seconds, len(sums), PERCENTS)
    n_p = len(scheme.periods)
    la_p = exceedance_levels(
        sums.period_hist_group,
        sums.period_hist_bin,
        sums.period_hist_seconds,
        len(sums) * n_p,
        PERIOD_PERCENTS,
    ).reshape(len(sums), n_p, len(PERIOD_PERCENTS))
    counts = _event_counts(events, sums, event_thresholds, event_params) if events is not None else {}
    return DailyTable(
        scheme=scheme,
        sensor_ids=ids,
        sensor=sums.sensor,
        date_ordinal=sums.date_ordinal,
        lden=lden,
        levels=levels,
        laeq24=laeq24,
        lafmax=sums.lafmax,
        lcpeak=sums.lcpeak,
        la=la,
        coverage=coverage,
        coverage_periods=cov_p,
        valid=valid,
        event_counts=counts,
        lafmax_periods=sums.lafmax_periods,
        day_start_h=ds,
        la_periods=la_p,
    )


def daily_from_raw(
    sensor: ArrayLike,
    start_s: ArrayLike,
    interval_s: ArrayLike,
    laeq: ArrayLike,
    lafmax: ArrayLike | None = None,
    lcpeak: ArrayLike | None = None,
    *,
    sensor_ids: Sequence[str] | None = None,
    scheme: str | PeriodScheme = "dk",
    tz: str = "Europe/Copenhagen",
    valid_threshold: float = 0.75,
    day_start_h: int | None = None,
    event_thresholds: Sequence[float] | None = EventParams.thresholds_db,
    event_params: EventParams = DEFAULT_EVENTS,
) -> DailyTable:
    """Daily records from raw readings (``sensor`` = index into ``sensor_ids``; ``start_s`` UTC epoch s).

    ``day_start_h=None``: the scheme's day start (the noise day); 0: calendar dates. Event counts are
    included when ``event_thresholds`` is not None (events need raw readings); NAT counts use
    ``event_params.threshold_db``, merging and minimum duration ``event_params``.
    """
    sch = _resolve(scheme)
    ds = resolve_day_start(sch, day_start_h)
    sums = day_sums_from_raw(
        sensor, start_s, interval_s, laeq, lafmax, lcpeak, scheme=sch, tz=tz, day_start_h=ds
    )
    ev = None
    thresholds: tuple[float, ...] = ()
    if event_thresholds is not None:
        thresholds = tuple(event_thresholds)
        ev = find_events(
            sensor,
            start_s,
            interval_s,
            laeq,
            lafmax,
            thresholds_db=tuple(sorted({*thresholds, event_params.threshold_db})),
            merge_gap_s=event_params.merge_gap_s,
            min_duration_s=event_params.min_duration_s,
        )
    return daily_from_sums(
        sums,
        sensor_ids=sensor_ids,
        valid_threshold=valid_threshold,
        events=ev,
        event_thresholds=thresholds,
        event_params=event_params,
    )


def daily_from_rollups(
    rollups: Rollups,
    *,
    sensor_ids: Sequence[str] | None = None,
    scheme: str | PeriodScheme = "dk",
    tz: str = "Europe/Copenhagen",
    valid_threshold: float = 0.75,
    day_start_h: int | None = None,
    events: Events | None = None,
    event_thresholds: Sequence[float] = EventParams.thresholds_db,
    event_params: EventParams = DEFAULT_EVENTS,
) -> DailyTable:
    """Daily records from rollups; equal to :func:`daily_from_raw` on the readings they were made from.

    Rollups carry no event information: pass ``events`` (from :func:`processing.events.find_events` with
    ``event_thresholds`` and ``event_params.threshold_db`` among its thresholds) for the event columns.
    """
    sch = _resolve(scheme)
    ds = resolve_day_start(sch, day_start_h)
    sums = day_sums_from_rollups(rollups, scheme=sch, tz=tz, day_start_h=ds)
    return daily_from_sums(
        sums,
        sensor_ids=sensor_ids,
        valid_threshold=valid_threshold,
        events=events,
        event_thresholds=event_thresholds,
        event_params=event_params,
    )
