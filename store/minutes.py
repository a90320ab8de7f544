"""Minute and quarter-hour rollups as the stores keep them: one row per sensor and UTC bucket (60 s or
900 s), maintained at write time.

A row holds ``energy`` (Σ interval_s·10^(LAeq/10)), ``seconds`` (Σ interval_s), ``lafmax`` and ``lcpeak``
(maxima; NULL when never reported) of the readings whose start falls in the bucket: the same sums as the
hourly rollups (:mod:`store.hourly`) without the histogram. 1-minute and 15-minute levels are read from
them directly (other multiples of a minute are sums of minute rows), so they are exact energy means (no dB
averaging), and a late reading updates its bucket. SQLite keeps both tables (``rollups_minute``,
``rollups_quarter``; the column ``minute_s`` is the bucket's start in both); InfluxDB keeps the minute
points and sums them with ``GROUP BY time(...)``.

The update is an upsert that adds: ``energy = stored + new``, ``seconds = stored + new``, maxima the larger
(portable SQL, SQLite 3.24+ and PostgreSQL). Only readings that were actually new are rolled up, so
re-sends never count twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from noiselab.processing.rollups import group, sum_by

MINUTE_S = 60

TABLES = {MINUTE_S: "rollups_minute", 900: "rollups_quarter"}  # bucket seconds -> table

_DDL = """
CREATE TABLE IF NOT EXISTS {t} (
    sensor_id   TEXT    NOT NULL,
    minute_s    INTEGER NOT NULL,   -- UTC epoch seconds of the bucket's start
    energy      REAL    NOT NULL,   -- Σ interval_s·10^(LAeq/10)
    seconds     REAL    NOT NULL,   -- Σ interval_s
    lafmax      REAL,
    lcpeak      REAL,
    PRIMARY KEY (sensor_id, minute_s)
) WITHOUT ROWID;
"""
TABLE = "".join(_DDL.format(t=t) for t in TABLES.values())


def upsert(table: str) -> str:
    """Add new sums to a stored bucket (or insert it); maxima the larger, NULL = never reported."""
    return (
        f"INSERT INTO {table} (sensor_id, minute_s, energy, seconds, lafmax, lcpeak)"
        " VALUES (?, ?, ?, ?, ?, ?)"
        f" ON CONFLICT (sensor_id, minute_s) DO UPDATE SET energy = {table}.energy + excluded.energy,"
        f" seconds = {table}.seconds + excluded.seconds,"
        f" lafmax = CASE WHEN excluded.lafmax IS NULL OR {table}.lafmax >= excluded.lafmax"
        f" THEN {table}.lafmax ELSE excluded.lafmax END,"
        f" lcpeak = CASE WHEN excluded.lcpeak IS NULL OR {table}.lcpeak >= excluded.lcpeak"
        f" THEN {table}.lcpeak ELSE excluded.lcpeak END"
    )


def select(table: str) -> str:
    """Stored buckets of one sensor starting in [?, ?), in order."""
    return (
        f"SELECT minute_s, energy, seconds, lafmax, lcpeak FROM {table}"
        " WHERE sensor_id = ? AND minute_s >= ? AND minute_s < ? ORDER BY minute_s"
    )


SELECT_GROUPED = (  # bucket start, sums and maxima per bucket of ? seconds (a multiple of 60), from minutes
    "SELECT (minute_s / ?) * ?, SUM(energy), SUM(seconds), MAX(lafmax), MAX(lcpeak) FROM rollups_minute"
    " WHERE sensor_id = ? AND minute_s >= ? AND minute_s < ? GROUP BY 1 ORDER BY 1"
)

BACKFILL_QUARTERS = (  # quarter-hour rollups from the minute rollups (migration)
    "INSERT INTO rollups_quarter (sensor_id, minute_s, energy, seconds, lafmax, lcpeak)"
    " SELECT sensor_id, (minute_s / 900) * 900, SUM(energy), SUM(seconds), MAX(lafmax), MAX(lcpeak)"
    " FROM rollups_minute GROUP BY sensor_id, minute_s / 900"
)

BACKFILL = (  # minute rollups of readings already stored (migration; SQLite's math functions)
    "INSERT INTO rollups_minute (sensor_id, minute_s, energy, seconds, lafmax, lcpeak)"
    " SELECT sensor_id, (start_ms / 60000) * 60, SUM(interval_s * pow(10.0, laeq / 10.0)), SUM(interval_s),"
    " MAX(lafmax), MAX(lcpeak) FROM readings WHERE interval_s > 0 GROUP BY sensor_id, start_ms / 60000"
)


@dataclass(frozen=True)
class MinuteSums:
    """A batch's new readings summed per (sensor, minute); ``sensor`` indexes the batch's sensor ids."""

    sensor: np.ndarray
    minute_s: np.ndarray
    energy: np.ndarray
    seconds: np.ndarray
    lafmax: np.ndarray
    lcpeak: np.ndarray

    def rows(self, sensor_ids: Sequence[str]) -> list[tuple[object, ...]]:
        """Parameters for :data:`UPSERT` (NaN binds as NULL in SQLite; None elsewhere)."""

        def opt(values: np.ndarray) -> list[float | None]:
            return [None if v != v else v for v in values.tolist()]

        ids = [sensor_ids[i] for i in self.sensor.tolist()]
        return list(
            zip(
                ids, self.minute_s.tolist(), self.energy.tolist(), self.seconds.tolist(), opt(self.lafmax),
                opt(self.lcpeak), strict=True,
            )
        )  # fmt: skip


def minute_sums(
    sensor: np.ndarray,
    start_ms: np.ndarray,
    interval_s: np.ndarray,
    laeq: np.ndarray,
    lafmax: np.ndarray,
    lcpeak: np.ndarray,
    *,
    bucket_s: int = MINUTE_S,
) -> MinuteSums:
    """Sum readings per (sensor, UTC bucket of ``bucket_s`` of their start); non-finite LAeq or non-positive
    intervals are not measured time and are left out (as in the hourly rollups)."""
    lv = np.asarray(laeq, dtype=np.float64)
    dur = np.asarray(interval_s, dtype=np.float64)
    ok = np.isfinite(lv) & np.isfinite(dur) & (dur > 0)
    s = np.asarray(sensor, dtype=np.int64)[ok]
    minute = np.asarray(start_ms, dtype=np.int64)[ok] // (bucket_s * 1000)
    lv, dur = lv[ok], dur[ok]
    if s.size == 0:
        empty_f, empty_i = np.zeros(0), np.zeros(0, dtype=np.int64)
        return MinuteSums(empty_i, empty_i, empty_f, empty_f, empty_f, empty_f)
    lo = int(minute.min())
    span = int(minute.max()) - lo + 1
    keys, row = group(s * span + (minute - lo))
    m = keys.size
    fmax = np.full(m, np.nan)
    cpk = np.full(m, np.nan)
    np.fmax.at(fmax, row, np.asarray(lafmax, dtype=np.float64)[ok])
    np.fmax.at(cpk, row, np.asarray(lcpeak, dtype=np.float64)[ok])
    return MinuteSums(
        sensor=keys // span,
        minute_s=(keys % span + lo) * bucket_s,
        energy=sum_by(row, dur * np.power(10.0, lv / 10.0), m),
        seconds=sum_by(row, dur, m),
        lafmax=fmax,
        lcpeak=cpk,
    )


StoredMinute = tuple[float, float, float | None, float | None]  # energy, seconds, lafmax, lcpeak


def merged(
    sums: MinuteSums, stored: dict[tuple[int, int], StoredMinute]
) -> list[tuple[int, int, float, float, float | None, float | None]]:
    """Rows to write back (stores without an adding upsert): (sensor index, minute_s, energy, seconds,
    lafmax, lcpeak) = the stored row of the minute (keyed by sensor index and minute_s) plus the new sums."""
    out = []
    columns = (sums.sensor, sums.minute_s, sums.energy, sums.seconds, sums.lafmax, sums.lcpeak)
    for i, m, e, sec, fm, cp in zip(*(c.tolist() for c in columns), strict=True):
        fmax: float | None = None if fm != fm else fm
        cpk: float | None = None if cp != cp else cp
        old = stored.get((i, m))
        if old is not None:
            e, sec = old[0] + e, old[1] + sec
            fmax = max((v for v in (old[2], fmax) if v is not None), default=None)
            cpk = max((v for v in (old[3], cpk) if v is not None), default=None)
        out.append((i, m, e, sec, fmax, cpk))
    return out
