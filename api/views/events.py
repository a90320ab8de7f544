"""Noise events of one sensor in a time range (see :mod:`processing.events` for the definition).

Raw readings are read page by page and events found per page; an event that ends exactly where the first
event of the next page starts is the same run cut by the paging, and the two are joined (durations and
counts add, maxima max, SEL energy-sums), so memory stays bounded by the page size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from noiselab.api.current import iso_utc
from noiselab.api.views.query import bad_query
from noiselab.api.views.source import raw_pages
from noiselab.processing.decibel import energy_sum
from noiselab.processing.events import find_events
from noiselab.store.base import ReadingStore

MAX_SPAN_S = 31 * 86_400
MAX_EVENTS = 10_000

COLUMNS = [
    ("sensor_id", "sensor_id"),
    ("start", "start_utc"),
    ("end", "end_utc"),
    ("duration_s", "duration_s"),
    ("n_readings", "n_readings"),
    ("max_db", "max_db"),
    ("sel_db", "sel_db"),
    ("threshold_db", "threshold_db"),
]


def _page_events(page: Any, threshold_db: float) -> list[list[float]]:
    ev = find_events(
        np.zeros(len(page), dtype=np.int64),
        page.start_ms / 1000.0,
        page.interval_s,
        page.laeq,
        page.lafmax,
        thresholds_db=(threshold_db,),
    )
    return [
        list(row)
        for row in zip(
            ev.start_s.tolist(),
            ev.duration_s.tolist(),
            ev.n_readings.tolist(),
            ev.max_db.tolist(),
            ev.sel_db.tolist(),
            strict=True,
        )
    ]


def _join(a: list[float], b: list[float]) -> list[float]:
    sel = float(energy_sum([a[4], b[4]]))
    return [a[0], a[1] + b[1], a[2] + b[2], max(a[3], b[3]), sel]


def event_rows(
    store: ReadingStore, sensor_id: str, start_ms: int, end_ms: int, threshold_db: float
) -> list[dict[str, Any]]:
    """Events as rows, in time order; 422 beyond 31 days or 10 000 events."""
    if end_ms - start_ms > MAX_SPAN_S * 1000:
        raise bad_query("end", "range too large: events cover at most 31 days per request")
    found: list[list[float]] = []
    for page in raw_pages(store, sensor_id, start_ms, end_ms):
        events = _page_events(page, threshold_db)
        if found and events and abs(found[-1][0] + found[-1][1] - events[0][0]) < 1e-6:
            found[-1] = _join(found[-1], events.pop(0))
        found += events
        if len(found) > MAX_EVENTS:
            raise bad_query(
                "end", f"more than {MAX_EVENTS} events; ask for a shorter range or a higher threshold"
            )
    return [
        {
            "sensor_id": sensor_id,
            "start": iso_utc(round(t * 1000)),
            "end": iso_utc(round((t + d) * 1000)),
            "duration_s": d,
            "n_readings": int(n),
            "max_db": round(m, 2),
            "sel_db": round(s, 2),
            "threshold_db": threshold_db,
        }
        for t, d, n, m, s in found
    ]
