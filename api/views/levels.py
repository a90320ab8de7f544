"""Levels per interval: raw readings, or energy-averaged LAeq with max LAFmax/LCpeak per 1min/15min/1h/1d.

    LAeq,bucket = 10·log10( Σ interval_s·10^(LAeq/10) / Σ interval_s )     (ISO 1996-1; never a dB mean)
    coverage    = measured seconds / length of the bucket

``1d`` buckets are days starting at the request's day start (settings.tz, 23/24/25 h; ``day_start=00:00``:
calendar dates); the others are UTC-aligned. Raw readings come in pages (:mod:`noiselab.api.paging`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from noiselab.api.csv import key_columns
from noiselab.api.current import iso_utc
from noiselab.api.views.query import bad_query
from noiselab.api.views.source import finer_rollups, hourly_rollups, raw_pages
from noiselab.processing.daysums import day_sums_from_rollups
from noiselab.processing.decibel import level
from noiselab.processing.localtime import hour_starts
from noiselab.processing.periods import SCHEMES
from noiselab.processing.rollups import Rollups
from noiselab.store.base import ReadingStore

BUCKET_S = {"1min": 60, "15min": 900, "1h": 3600, "1d": 86_400}
MAX_ROWS = 10_000  # per response, bucketed intervals
RAW_DEFAULT_LIMIT = 10_000  # raw readings per page
RAW_MAX_LIMIT = 100_000

COLUMNS = key_columns("start", "interval_s", "laeq", "lafmax", "lcpeak", "seconds", "coverage")


def check_span(interval: str, start_ms: int, end_ms: int) -> None:
    span_s = (end_ms - start_ms) / 1000
    if interval == "raw":
        return  # paged, any range
    if span_s / BUCKET_S[interval] > MAX_ROWS:
        raise bad_query("end", f"range too large: at most {MAX_ROWS} {interval} intervals per request")


def _num(v: float, nd: int = 2) -> float | None:
    return None if math.isnan(v) else round(v, nd)


def raw_page(
    store: ReadingStore, sensor_id: str, start_ms: int, end_ms: int, *, limit: int = RAW_DEFAULT_LIMIT
) -> tuple[list[dict[str, Any]], int | None]:
    """At most ``limit`` readings from ``start_ms`` on, and the next page's cursor (None at the end)."""
    page = next(raw_pages(store, sensor_id, start_ms, end_ms, page_rows=limit + 1), None)
    if page is None:
        return [], None
    cursor = int(page.start_ms[limit]) if len(page) > limit else None
    return _raw_rows(page, limit), cursor


def _raw_rows(page: Any, limit: int) -> list[dict[str, Any]]:
    return [
        {
            "start": iso_utc(int(t)),
            "interval_s": float(d),
            "laeq": _num(lv),
            "lafmax": _num(fm),
            "lcpeak": _num(cp),
            "seconds": float(d),
            "coverage": 1.0,
        }
        for t, d, lv, fm, cp in zip(
            page.start_ms[:limit].tolist(),
            page.interval_s[:limit].tolist(),
            page.laeq[:limit].tolist(),
            page.lafmax[:limit].tolist(),
            page.lcpeak[:limit].tolist(),
            strict=True,
        )
    ]


def _rows(
    starts_s: np.ndarray,
    lens_s: np.ndarray,
    energy: np.ndarray,
    seconds: np.ndarray,
    fmax: np.ndarray,
    cpk: np.ndarray,
) -> list[dict[str, Any]]:
    with np.errstate(invalid="ignore", divide="ignore"):
        laeq = level(energy / seconds)
    cov = np.minimum(1.0, seconds / lens_s)
    return [
        {
            "start": iso_utc(int(t) * 1000),
            "interval_s": float(n),
            "laeq": _num(lv),
            "lafmax": _num(fm),
            "lcpeak": _num(cp),
            "seconds": float(s),
            "coverage": round(c, 4),
        }
        for t, n, lv, fm, cp, s, c in zip(
            starts_s.tolist(),
            lens_s.tolist(),
            laeq.tolist(),
            fmax.tolist(),
            cpk.tolist(),
            seconds.tolist(),
            cov.tolist(),
            strict=True,
        )
    ]


def bucket_rows(
    store: ReadingStore,
    sensor_id: str,
    start_ms: int,
    end_ms: int,
    interval: str,
    tz: str,
    day_start_h: int = 0,
) -> list[dict[str, Any]]:
    """Rows of energy-averaged buckets (only buckets with data)."""
    if interval == "1d":
        return _local_days(hourly_rollups(store, sensor_id, start_ms, end_ms), tz, day_start_h)
    size = BUCKET_S[interval]
    r: Rollups = (
        hourly_rollups(store, sensor_id, start_ms, end_ms)
        if size == 3600
        else finer_rollups(store, sensor_id, start_ms, end_ms, bucket_s=size)
    )
    return _rows(r.bucket_s, np.full(len(r), float(size)), r.energy, r.seconds, r.lafmax, r.lcpeak)


def _local_days(r: Rollups, tz: str, day_start_h: int) -> list[dict[str, Any]]:
    sums = day_sums_from_rollups(r, scheme=SCHEMES["dk"], tz=tz, day_start_h=day_start_h)
    bounds = hour_starts(sums.date_ordinal, tz, day_start_h=day_start_h)
    return _rows(
        bounds[:, 0],
        (bounds[:, 24] - bounds[:, 0]).astype(np.float64),
        sums.energy.sum(axis=1),
        sums.seconds.sum(axis=1),
        sums.lafmax,
        sums.lcpeak,
    )
