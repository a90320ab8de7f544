"""Hourly rollup rows as the stores keep them, and their incremental update.

A stored row is one sensor and one UTC hour: ``energy`` (Σ interval_s·10^(LAeq/10)), ``seconds``
(Σ interval_s), ``lafmax`` and ``lcpeak`` (maxima, NULL/absent when never reported) and a sparse level
histogram ``hist``: little-endian pairs of (0.1 dB class int16, seconds float64), 10 bytes per occupied class.
Seconds are float64, not float32, so histograms of fractional intervals add up exactly as the raw readings
do and percentiles from rollups equal percentiles from raw data.

The arithmetic is :mod:`processing.rollups`; this module only converts between its arrays and stored rows.
An update is ``merge(stored rows of the affected hours, rollup(new readings))``, written back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from noiselab.readings import Reading
from processing.rollups import Rollups, merge, rollup
from store.base import HOUR_S

HIST_DTYPE = np.dtype([("bin", "<i2"), ("seconds", "<f8")])


@dataclass(frozen=True, slots=True)
class HourRow:
    """One stored rollup row; ``lafmax``/``lcpeak`` are None when never reported."""

    sensor_id: str
    hour_s: int
    energy: float
    seconds: float
    lafmax: float | None
    lcpeak: float | None
    hist: bytes


def encode_hist(bins: np.ndarray, seconds: np.ndarray) -> bytes:
    out = np.empty(bins.shape[0], dtype=HIST_DTYPE)
    out["bin"] = bins
    out["seconds"] = seconds
    return out.tobytes()


def _none_if_nan(v: float) -> float | None:
    return None if np.isnan(v) else float(v)


def rollups_from_columns(
    hour_s: Sequence[int],
    energy: Sequence[float],
    seconds: Sequence[float],
    lafmax: Sequence[float | None],
    lcpeak: Sequence[float | None],
    hist: Sequence[bytes],
    sensor: Sequence[int] | None = None,
) -> Rollups:
    """Stored columns (one entry per row) -> Rollups; ``sensor`` indices default to 0."""
    n = len(hour_s)
    if n == 0:
        return Rollups.empty(bucket_s=HOUR_S)
    counts = np.fromiter((len(h) for h in hist), dtype=np.int64, count=n) // HIST_DTYPE.itemsize
    pairs = np.frombuffer(b"".join(hist), dtype=HIST_DTYPE)  # one buffer: fast for a year of hours
    return Rollups(
        sensor=np.zeros(n, dtype=np.int64) if sensor is None else np.asarray(sensor, dtype=np.int64),
        bucket_s=np.asarray(hour_s, dtype=np.int64),
        energy=np.asarray(energy, dtype=np.float64),
        seconds=np.asarray(seconds, dtype=np.float64),
        lafmax=np.array(lafmax, dtype=np.float64),  # None -> nan
        lcpeak=np.array(lcpeak, dtype=np.float64),
        hist_row=np.repeat(np.arange(n, dtype=np.int64), counts),
        hist_bin=pairs["bin"].astype(np.int16),
        hist_seconds=pairs["seconds"].astype(np.float64),
        bucket_size_s=HOUR_S,
    )


def rollups_from_rows(rows: Sequence[HourRow], sensor_ids: Sequence[str] | None = None) -> Rollups:
    """Stored rows -> Rollups; the sensor index is the position in ``sensor_ids`` (default: all 0)."""
    index = {s: i for i, s in enumerate(sensor_ids)} if sensor_ids is not None else None
    return rollups_from_columns(
        [r.hour_s for r in rows],
        [r.energy for r in rows],
        [r.seconds for r in rows],
        [r.lafmax for r in rows],
        [r.lcpeak for r in rows],
        [r.hist for r in rows],
        None if index is None else [index[r.sensor_id] for r in rows],
    )


def rows_from_rollups(r: Rollups, sensor_ids: Sequence[str]) -> list[HourRow]:
    """Rollups (sensor index into ``sensor_ids``) -> stored rows, one per (sensor, hour)."""
    if len(r) == 0:
        return []
    order = np.argsort(r.hist_row, kind="stable")
    bounds = np.searchsorted(r.hist_row[order], np.arange(len(r) + 1))
    rows = []
    for i in range(len(r)):
        sel = order[bounds[i] : bounds[i + 1]]
        rows.append(
            HourRow(
                sensor_id=sensor_ids[int(r.sensor[i])],
                hour_s=int(r.bucket_s[i]),
                energy=float(r.energy[i]),
                seconds=float(r.seconds[i]),
                lafmax=_none_if_nan(r.lafmax[i]),
                lcpeak=_none_if_nan(r.lcpeak[i]),
                hist=encode_hist(r.hist_bin[sel], r.hist_seconds[sel]),
            )
        )
    return rows


def rollup_readings(readings: Sequence[Reading]) -> tuple[Rollups, list[str]]:
    """Hourly rollups of new readings; returns them and the sensor ids their sensor index refers to."""
    ids = sorted({r.sensor_id for r in readings})
    index = {s: i for i, s in enumerate(ids)}

    def col(name: str) -> np.ndarray:
        values = [getattr(r, name) for r in readings]
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

    r = rollup(
        np.array([index[r.sensor_id] for r in readings], dtype=np.int64),
        np.array([r.start_ms for r in readings], dtype=np.int64) // 1000,
        np.array([r.interval_s for r in readings], dtype=np.float64),
        col("laeq"),
        col("lafmax"),
        col("lcpeak"),
        bucket_s=HOUR_S,
    )
    return r, ids


def updated_rows(new_readings: Sequence[Reading], stored: Sequence[HourRow]) -> list[HourRow]:
    """The rows to write back after ``new_readings``: stored rows of the affected hours merged with them.

    ``affected_hours(new_readings)`` tells a store which rows to load as ``stored``.
    """
    fresh, ids = rollup_readings(new_readings)
    old = rollups_from_rows(stored, ids)
    merged = merge(old, fresh) if len(old) else fresh
    return rows_from_rollups(merged, ids)


def affected_hours(readings: Sequence[Reading]) -> dict[str, list[int]]:
    """UTC hour starts (epoch s) touched by the readings, per sensor."""
    out: dict[str, set[int]] = {}
    for r in readings:
        out.setdefault(r.sensor_id, set()).add((r.start_ms // 1000) // HOUR_S * HOUR_S)
    return {s: sorted(h) for s, h in out.items()}
