"""Pass-by events of one sensor (see :mod:`processing.events` for the definition), page by page.

Events are found on the loud readings alone (at or above the lowest threshold asked for): the store reads
only those (``min_laeq_db``), which is exact because readings below the threshold never change an event.
A store that keeps events at write time for the requested parameters (``store.events``, SQLite; see
docs/storage.md) answers instead, with the events that START in the range, whole.
A page of events is complete: loud readings are read on until an event follows the last one returned (so
that one has ended), and the next page starts at that following event's start (the cursor). An event that
started before the range is cut at the range start.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from noiselab.api.csv import key_columns
from noiselab.api.current import iso_utc
from noiselab.processing.events import EventParams, Events, find_events
from noiselab.store.base import ReadingColumns, ReadingStore

PAGE_ROWS = 100_000
DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000

COLUMNS = key_columns(
    "sensor_id", "start", "end", "duration_s", "n_readings", "max_db", "sel_db", "threshold_db"
)


def _loud_pages(store: ReadingStore, sensor_id: str, start_ms: int, end_ms: int, lowest_db: float) -> Any:
    """Readings at or above ``lowest_db`` in [start_ms, end_ms), page by page in time order."""
    below = float(np.nextafter(lowest_db, -np.inf))  # the store's filter is "strictly above"
    cursor = start_ms
    while cursor < end_ms:
        page = store.read(sensor_id, cursor, end_ms, limit=PAGE_ROWS, min_laeq_db=below)
        if len(page):
            yield page
        if len(page) < PAGE_ROWS:
            return
        cursor = int(page.start_ms[-1]) + 1


def _concat(parts: list[ReadingColumns]) -> ReadingColumns:
    if not parts:
        return ReadingColumns.empty()
    return ReadingColumns(*(np.concatenate([getattr(p, f) for p in parts]) for f in ReadingColumns.__slots__))


def _events(cols: ReadingColumns, params: EventParams, thresholds: tuple[float, ...]) -> Events:
    return find_events(
        np.zeros(len(cols), dtype=np.int64),
        cols.start_ms / 1000.0,
        cols.interval_s,
        cols.laeq,
        cols.lafmax,
        thresholds_db=thresholds,
        merge_gap_s=params.merge_gap_s,
        min_duration_s=params.min_duration_s,
    )


def _stored(
    store: ReadingStore, sensor_id: str, start_ms: int, end_ms: int, params: EventParams
) -> Events | None:
    """The events the store keeps (maintained at write time) that START in the range, when it keeps them
    for these parameters; None otherwise (then they are found on the loud readings)."""
    stored = getattr(store, "events", None)
    return None if stored is None else stored(sensor_id, start_ms, end_ms, params)


def loud_events(
    store: ReadingStore, sensor_id: str, start_ms: int, end_ms: int, params: EventParams
) -> Events:
    """All events in the range at ``params.thresholds_db`` and ``params.threshold_db`` (for daily counts)."""
    kept = _stored(store, sensor_id, start_ms, end_ms, params)
    if kept is not None:
        return kept
    thresholds = tuple(sorted({*params.thresholds_db, params.threshold_db}))
    parts = list(_loud_pages(store, sensor_id, start_ms, end_ms, min(thresholds)))
    return _events(_concat(parts), params, thresholds)


def event_page(
    store: ReadingStore, sensor_id: str, start_ms: int, end_ms: int, params: EventParams, *, limit: int
) -> tuple[list[dict[str, Any]], int | None]:
    """At most ``limit`` events from ``start_ms`` on, and the cursor of the next page (None at the end)."""
    parts: list[ReadingColumns] = []
    thresholds = (params.threshold_db,)
    kept = _stored(store, sensor_id, start_ms, end_ms, replace(params, thresholds_db=thresholds))
    ev = Events.empty() if kept is None else kept
    for page in (
        [] if kept is not None else _loud_pages(store, sensor_id, start_ms, end_ms, params.threshold_db)
    ):
        parts.append(page)
        ev = _events(_concat(parts), params, thresholds)
        if len(ev) > limit:  # event `limit` is followed by another: it is complete
            break
    cursor = round(float(ev.start_s[limit]) * 1000) if len(ev) > limit else None
    n = min(limit, len(ev))
    rows = [
        {
            "sensor_id": sensor_id,
            "start": iso_utc(round(t * 1000)),
            "end": iso_utc(round(e * 1000)),
            "duration_s": round(d, 3),
            "n_readings": int(k),
            "max_db": round(m, 2),
            "sel_db": round(s, 2),
            "threshold_db": params.threshold_db,
        }
        for t, e, d, k, m, s in zip(
            ev.start_s[:n].tolist(),
            ev.end_s[:n].tolist(),
            ev.duration_s[:n].tolist(),
            ev.n_readings[:n].tolist(),
            ev.max_db[:n].tolist(),
            ev.sel_db[:n].tolist(),
            strict=True,
        )
    ]
    return rows, cursor
