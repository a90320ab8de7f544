"""A reading store that applies field calibration offsets on read (``registry.history``), never on write.

Every level a reader gets (``read``, ``latest``, ``rollups``, ``minute_levels``) has the offset in force at
its start added (:func:`noiselab.processing.calibration.offsets_at`): raw readings each by their own start,
minute buckets by the minute, hourly rollups by the hour's start (a check made in the middle of an hour
applies from the next hour in rollup-based answers: daily and annual values, compliance). Writes and
everything else pass straight through, so the stored readings stay as the sensor sent them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np

from noiselab.domain.readings import Reading
from noiselab.processing.calibration import offsets_at
from noiselab.processing.rollups import Rollups
from noiselab.store.base import LevelBuckets, ReadingColumns, ReadingStore, WriteResult
from noiselab.store.registry.base import HistoryRegistry


class CalibratedStore:
    """:class:`ReadingStore` over another one, with calibration offsets added on read."""

    def __init__(self, inner: ReadingStore, history: HistoryRegistry) -> None:
        self.inner = inner
        self.history = history

    def _offsets(self, sensor_id: str, times_s: np.ndarray) -> np.ndarray | None:
        found = self.history.offsets(sensor_id)
        if not found:
            return None
        return offsets_at(times_s, [ms / 1000 for ms, _ in found], [off for _, off in found])

    def write(self, readings: Sequence[Reading]) -> WriteResult:
        return self.inner.write(readings)

    def latest(self, sensor_id: str) -> Reading | None:
        r = self.inner.latest(sensor_id)
        if r is None:
            return None
        off = self._offsets(sensor_id, np.array([r.start_ms / 1000]))
        if off is None or off[0] == 0:
            return r
        d = float(off[0])
        return replace(
            r,
            laeq=r.laeq + d,
            lafmax=None if r.lafmax is None else r.lafmax + d,
            lafmin=None if r.lafmin is None else r.lafmin + d,
            lcpeak=None if r.lcpeak is None else r.lcpeak + d,
        )

    def read(
        self,
        sensor_id: str,
        start_ms: int,
        end_ms: int,
        *,
        limit: int | None = None,
        min_laeq_db: float | None = None,
    ) -> ReadingColumns:
        found = self.history.offsets(sensor_id)
        if min_laeq_db is not None and found:
            # the threshold applies to corrected levels: read with the lowest threshold any offset allows
            lowest = min_laeq_db - max(0.0, *(off for _, off in found))
            cols = self.inner.read(sensor_id, start_ms, end_ms, limit=None, min_laeq_db=lowest)
        else:
            cols = self.inner.read(sensor_id, start_ms, end_ms, limit=limit, min_laeq_db=min_laeq_db)
        if not found or not len(cols):
            return cols
        off = offsets_at(cols.start_ms / 1000, [ms / 1000 for ms, _ in found], [o for _, o in found])
        out = ReadingColumns(
            cols.start_ms,
            cols.interval_s,
            cols.laeq + off,
            cols.lafmax + off,
            cols.lafmin + off,
            cols.lcpeak + off,
        )
        if min_laeq_db is not None:
            keep = out.laeq > min_laeq_db
            out = ReadingColumns(*(np.asarray(getattr(out, f))[keep] for f in _COLUMNS))
            if limit is not None:
                out = ReadingColumns(*(np.asarray(getattr(out, f))[:limit] for f in _COLUMNS))
        return out

    # Optional capabilities stay optional: a store without hourly or minute rollups (or a test that
    # removes them) shows ``None`` here too, and the views fall back to raw readings.
    @property
    def rollups(self) -> Callable[[str, int, int], Rollups] | None:
        inner = getattr(self.inner, "rollups", None)
        return None if inner is None else partial(self._rollups, inner)

    @property
    def minute_levels(self) -> Callable[..., LevelBuckets] | None:
        inner = getattr(self.inner, "minute_levels", None)
        return None if inner is None else partial(self._minute_levels, inner)

    def _rollups(
        self, inner: Callable[[str, int, int], Rollups], sensor_id: str, start_ms: int, end_ms: int
    ) -> Rollups:
        r = inner(sensor_id, start_ms, end_ms)
        off = self._offsets(sensor_id, r.bucket_s.astype(np.float64)) if len(r) else None
        if off is None or not np.any(off):
            return r
        steps = np.rint(off * 10).astype(np.int64)  # histogram classes are 0.1 dB
        return replace(
            r,
            energy=r.energy * np.power(10.0, off / 10.0),
            lafmax=r.lafmax + off,
            lcpeak=r.lcpeak + off,
            hist_bin=np.clip(r.hist_bin.astype(np.int64) + steps[r.hist_row], 0, 2000).astype(np.int16),
        )

    def _minute_levels(
        self,
        inner: Callable[..., LevelBuckets],
        sensor_id: str,
        start_ms: int,
        end_ms: int,
        *,
        bucket_s: int = 60,
    ) -> LevelBuckets:
        b = inner(sensor_id, start_ms, end_ms, bucket_s=bucket_s)
        off = self._offsets(sensor_id, b.bucket_s.astype(np.float64)) if len(b) else None
        if off is None or not np.any(off):
            return b
        return replace(
            b, energy=b.energy * np.power(10.0, off / 10.0), lafmax=b.lafmax + off, lcpeak=b.lcpeak + off
        )

    def __getattr__(self, name: str) -> Any:  # sensor_ids, apply_retention, ping, close, store extras
        return getattr(self.inner, name)


_COLUMNS = ("start_ms", "interval_s", "laeq", "lafmax", "lafmin", "lcpeak")
