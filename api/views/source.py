"""Bounded reads from the store: raw readings page by page, and hourly (or finer) rollups built from them.

Nothing here reads an unbounded range into memory: raw readings come in keyset pages of ``PAGE_ROWS``, and
each page is folded into rollups at once. When the store keeps hourly rollups itself (``store.rollups``),
hourly requests use them directly, and 1- and 15-minute requests use its minute rollups (``minute_levels``).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from noiselab.processing.rollups import Rollups, merge, rollup
from noiselab.store.base import ReadingColumns, ReadingStore

PAGE_ROWS = 100_000


def raw_pages(
    store: ReadingStore, sensor_id: str, start_ms: int, end_ms: int, *, page_rows: int = PAGE_ROWS
) -> Iterator[ReadingColumns]:
    """Readings with start in [start_ms, end_ms) in pages of at most ``page_rows``, in time order."""
    cursor = start_ms
    while cursor < end_ms:
        page = store.read(sensor_id, cursor, end_ms, limit=page_rows)
        if len(page):
            yield page
        if len(page) < page_rows:
            return
        cursor = int(page.start_ms[-1]) + 1


def _concat(parts: list[Rollups], bucket_s: int) -> Rollups:
    if not parts:
        return Rollups.empty(bucket_s=bucket_s)
    offsets = np.cumsum([0] + [len(p) for p in parts[:-1]])
    joined = Rollups(
        sensor=np.concatenate([p.sensor for p in parts]),
        bucket_s=np.concatenate([p.bucket_s for p in parts]),
        energy=np.concatenate([p.energy for p in parts]),
        seconds=np.concatenate([p.seconds for p in parts]),
        lafmax=np.concatenate([p.lafmax for p in parts]),
        lcpeak=np.concatenate([p.lcpeak for p in parts]),
        hist_row=np.concatenate([p.hist_row + o for p, o in zip(parts, offsets, strict=True)]),
        hist_bin=np.concatenate([p.hist_bin for p in parts]),
        hist_seconds=np.concatenate([p.hist_seconds for p in parts]),
        bucket_size_s=bucket_s,
    )
    return merge(joined, Rollups.empty(bucket_s=bucket_s))  # folds the buckets split across pages


def rollups_from_raw(
    store: ReadingStore, sensor_id: str, start_ms: int, end_ms: int, *, bucket_s: int
) -> Rollups:
    """Rollups (sensor index 0) of the readings in [start_ms, end_ms), built page by page."""
    parts = []
    for page in raw_pages(store, sensor_id, start_ms, end_ms):
        parts.append(
            rollup(
                np.zeros(len(page), dtype=np.int64),
                page.start_ms / 1000.0,
                page.interval_s,
                page.laeq,
                page.lafmax,
                page.lcpeak,
                bucket_s=bucket_s,
            )
        )
    return _concat(parts, bucket_s)


def finer_rollups(
    store: ReadingStore, sensor_id: str, start_ms: int, end_ms: int, *, bucket_s: int
) -> Rollups:
    """1-minute or 15-minute buckets (sensor index 0, no histogram): from the minute rollups the store
    maintains at write time when it has them (``minute_levels``) and the range is whole minutes, which then
    selects exactly the readings a raw scan would; else built from the raw readings page by page."""
    minute_levels = getattr(store, "minute_levels", None)
    if minute_levels is None or bucket_s % 60 or start_ms % 60_000 or end_ms % 60_000:
        return rollups_from_raw(store, sensor_id, start_ms, end_ms, bucket_s=bucket_s)
    b = minute_levels(sensor_id, start_ms, end_ms, bucket_s=bucket_s)
    empty_i = np.zeros(0, dtype=np.int64)
    return Rollups(
        sensor=np.zeros(len(b), dtype=np.int64),
        bucket_s=b.bucket_s,
        energy=b.energy,
        seconds=b.seconds,
        lafmax=b.lafmax,
        lcpeak=b.lcpeak,
        hist_row=empty_i,
        hist_bin=np.zeros(0, dtype=np.int16),
        hist_seconds=np.zeros(0),
        bucket_size_s=bucket_s,
    )


def hourly_rollups(store: ReadingStore, sensor_id: str, start_ms: int, end_ms: int) -> Rollups:
    """Hourly rollups of one sensor (sensor index 0): from the store when it keeps them, else from raw."""
    stored = getattr(store, "rollups", None)
    if stored is not None and start_ms % 3_600_000 == 0 and end_ms % 3_600_000 == 0:
        return stored(sensor_id, start_ms, end_ms)  # type: ignore[no-any-return]
    return rollups_from_raw(store, sensor_id, start_ms, end_ms, bucket_s=3600)
