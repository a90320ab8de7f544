"""Compliance over a range of local dates: per sensor and limit, the value, limit, margin, exceedance,
coverage and whether the answer is only indicative.

The range's period levels use all data of each period in the range (as annual values do, Directive
2002/49/EC Annex I), then Lden from them with the scheme's nominal hours:

    L_p = 10·log10( Σ_range E_p / Σ_range T_p ),   coverage_p = Σ T_p / actual seconds of p in the range

``indicative`` is true when the range is shorter than a year (365 days) or the coverage behind the value is
below the threshold. The façade correction is applied where the sensor is façade-mounted.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from noiselab.api.csv import key_columns
from noiselab.api.options import MetricOptions
from noiselab.api.views.query import date_range_ms
from noiselab.api.views.source import hourly_rollups
from noiselab.domain.targets import Limit, compare
from noiselab.processing.daily import composite_level
from noiselab.processing.daysums import day_sums_from_rollups
from noiselab.processing.decibel import level
from noiselab.processing.periods import period_seconds
from noiselab.store.base import ReadingStore
from noiselab.store.registry import Sensor

MAX_DAYS = 366

COLUMNS = key_columns(
    "sensor_id",
    "start",
    "end",
    "metric",
    "measured_db",
    "facade_correction_db",
    "value_db",
    "limit_db",
    "margin_db",
    "exceeded",
    "coverage",
    "indicative",
    "profile",
    "profile_version",
    "kind",
    "label",
    "source_url",
)


def _round(v: float) -> float | None:
    return None if np.isnan(v) else round(float(v), 2)


def range_levels(
    store: ReadingStore, sensor_id: str, start: date, end: date, options: MetricOptions
) -> tuple[dict[str, float | None], dict[str, float]]:
    """Levels by metric name and coverage by metric name over the days start..end (request's day start)."""
    scheme, tz, ds = options.scheme, options.tz, options.day_start_h
    start_ms, end_ms = date_range_ms(start, end, tz, max_days=MAX_DAYS, day_start_h=ds)
    sums = day_sums_from_rollups(
        hourly_rollups(store, sensor_id, start_ms, end_ms), scheme=scheme, tz=tz, day_start_h=ds
    )
    dates = np.arange(start.toordinal(), end.toordinal() + 1)
    period_len = period_seconds(dates, scheme, tz, day_start_h=ds).sum(axis=0).astype(np.float64)
    energy, seconds = sums.energy.sum(axis=0), sums.seconds.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        periods = level(energy / np.where(seconds > 0, seconds, np.nan))
        laeq = level(energy.sum() / seconds.sum()) if seconds.sum() > 0 else np.float64(np.nan)
    cov_p = np.minimum(1.0, seconds / period_len)
    cov = float(min(1.0, seconds.sum() / period_len.sum()))
    values: dict[str, float | None] = {
        "lden": _round(float(composite_level(periods, scheme))),
        "laeq24": _round(float(laeq)),
    }
    coverage = {"lden": float(cov_p.min()), "laeq24": cov, "lafmax": cov}
    for j, name in enumerate(scheme.names):
        values[f"l{name}"] = _round(periods[j])
        coverage[f"l{name}"] = float(cov_p[j])
    fmax = sums.lafmax[np.isfinite(sums.lafmax)]
    values["lafmax"] = _round(fmax.max()) if fmax.size else None
    return values, coverage


def compliance_rows(
    store: ReadingStore, sensor: Sensor, limits: list[Limit], start: date, end: date, options: MetricOptions
) -> list[dict[str, Any]]:
    if not limits:
        return []
    values, coverage = range_levels(store, sensor.sensor_id, start, end, options)
    short = (end - start).days + 1 < 365
    rows = []
    for lim in limits:
        cov = round(coverage.get(lim.metric, 0.0), 4)
        indicative = short or cov < options.coverage_threshold or values.get(lim.metric) is None
        row = compare(
            values.get(lim.metric),
            lim,
            facade=sensor.facade,
            correction_db=options.facade_correction_db,
            indicative=indicative,
        )
        rows.append(
            {
                "sensor_id": sensor.sensor_id,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "measured_db": values.get(lim.metric),
                "coverage": cov,
                **row,
            }
        )
    return rows
