"""Pass-by events kept by the SQLite store, maintained at write time like the rollups.

For the store's event parameters (``EventParams``: every threshold of ``thresholds_db`` and
``threshold_db``, ``merge_gap_s``, ``min_duration_s``), the ``events`` table holds what
``processing.events.find_events`` gives on all the stored readings of each sensor. A write that adds loud
readings (LAeq at or above the lowest threshold) recomputes only the chains of loud readings those touch
(:mod:`processing.event_updates`), inside the write transaction: it reads the loud readings of a window
around them (widened while a chain may continue past it), and replaces the stored events that start in the
affected span. Writes without a new loud reading cost nothing here.

The parameters are stored with the events; opening the store with other parameters rebuilds the table
from the raw readings (once), and :func:`read_events` answers None for parameters it does not keep, so
callers fall back to computing from raw readings.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

import numpy as np

from noiselab.processing.event_updates import affected_span, events_in_span
from noiselab.processing.events import EventParams, Events, find_events

TABLE = """
CREATE TABLE IF NOT EXISTS events (
    sensor_id    TEXT    NOT NULL,
    threshold_db REAL    NOT NULL,
    start_s      REAL    NOT NULL,   -- UTC epoch seconds, as processing.events gives them
    end_s        REAL    NOT NULL,
    n_readings   INTEGER NOT NULL,
    max_db       REAL    NOT NULL,
    sel_db       REAL    NOT NULL,
    PRIMARY KEY (sensor_id, threshold_db, start_s)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS event_params (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    params  TEXT    NOT NULL          -- JSON: thresholds_db, merge_gap_s, min_duration_s
);
"""

MAX_INTERVAL_MS = 86_400_000  # the longest valid reading: how far back a bridging loud reading can start
_WINDOW_S = 600.0  # loud readings read around the new ones, doubled while a chain continues past it

_LOUD = (
    "SELECT start_ms, interval_s, laeq, lafmax FROM readings"
    " WHERE sensor_id = ? AND start_ms >= ? AND start_ms < ? AND laeq >= ? ORDER BY start_ms"
)
_BEFORE = (
    "SELECT start_ms, interval_s FROM readings WHERE sensor_id = ? AND start_ms < ? AND start_ms >= ?"
    " AND laeq >= ? ORDER BY start_ms DESC LIMIT 1"
)
_AFTER = (
    "SELECT start_ms FROM readings WHERE sensor_id = ? AND start_ms >= ? AND start_ms < ? AND laeq >= ?"
    " ORDER BY start_ms LIMIT 1"
)
_INSERT = (
    "INSERT INTO events (sensor_id, threshold_db, start_s, end_s, n_readings, max_db, sel_db)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def thresholds(params: EventParams) -> tuple[float, ...]:
    return tuple(sorted({*map(float, params.thresholds_db), float(params.threshold_db)}))


def params_key(params: EventParams) -> str:
    return json.dumps(
        {"thresholds_db": thresholds(params), "merge_gap_s": params.merge_gap_s,
         "min_duration_s": params.min_duration_s},
        sort_keys=True,
    )  # fmt: skip


def _insert(conn: sqlite3.Connection, sensor_id: str, ev: Events) -> None:
    conn.executemany(
        _INSERT,
        zip(
            [sensor_id] * len(ev), ev.threshold_db.tolist(), ev.start_s.tolist(), ev.end_s.tolist(),
            ev.n_readings.tolist(), ev.max_db.tolist(), ev.sel_db.tolist(), strict=True,
        ),
    )  # fmt: skip


def update(conn: sqlite3.Connection, sensor_id: str, new_loud_ms: np.ndarray, params: EventParams) -> None:
    """Inside the write transaction, after the insert: recompute the events the new loud readings touch."""
    if new_loud_ms.size == 0:
        return
    thr = thresholds(params)
    lowest = thr[0]
    first, last = int(new_loud_ms.min()), int(new_loud_ms.max())
    margin_ms = int(_WINDOW_S * 1000)
    while True:
        lo, hi = first - margin_ms, last + margin_ms + 1
        rows = conn.execute(_LOUD, (sensor_id, lo, hi, lowest)).fetchall()
        cols = np.array(rows, dtype=np.float64)  # None (no LAFmax) -> nan
        before = conn.execute(_BEFORE, (sensor_id, lo, lo - MAX_INTERVAL_MS, lowest)).fetchone()
        after = conn.execute(_AFTER, (sensor_id, hi, hi + MAX_INTERVAL_MS, lowest)).fetchone()
        start_s = cols[:, 0] / 1000.0
        is_new = np.isin(cols[:, 0].astype(np.int64), new_loud_ms)
        span = affected_span(
            start_s, cols[:, 1], is_new, merge_gap_s=params.merge_gap_s,
            before=None if before is None else (before[0] / 1000.0, float(before[1])),
            after=None if after is None else after[0] / 1000.0,
        )  # fmt: skip
        if span is None:
            return
        if not (span.widen_left or span.widen_right):
            break
        margin_ms *= 2
    ev = events_in_span(
        span, start_s, cols[:, 1], cols[:, 2], cols[:, 3],
        thresholds_db=thr, merge_gap_s=params.merge_gap_s, min_duration_s=params.min_duration_s,
    )  # fmt: skip
    for t in thr:
        conn.execute(
            "DELETE FROM events WHERE sensor_id = ? AND threshold_db = ? AND start_s >= ? AND start_s <= ?",
            (sensor_id, t, span.start_s, span.end_s),
        )
    _insert(conn, sensor_id, ev)


def update_batch(
    conn: sqlite3.Connection,
    sensor_ids: Sequence[str],
    sensor: np.ndarray,
    start_ms: np.ndarray,
    laeq: np.ndarray,
    params: EventParams,
) -> None:
    """:func:`update` for every sensor of a batch of new readings (only the loud ones matter)."""
    loud = laeq >= thresholds(params)[0]
    if not loud.any():
        return
    for i in np.unique(sensor[loud]).tolist():
        update(conn, sensor_ids[i], start_ms[loud & (sensor == i)], params)


def rebuild(conn: sqlite3.Connection, params: EventParams) -> None:
    """Every sensor's events from its stored loud readings (new parameters, or a file from before)."""
    conn.execute("DELETE FROM events")
    lowest = thresholds(params)[0]
    sensors = [r[0] for r in conn.execute("SELECT DISTINCT sensor_id FROM rollups_hourly")]
    for sensor_id in sensors:
        rows = conn.execute(_LOUD, (sensor_id, -(2**62), 2**62, lowest)).fetchall()
        if not rows:
            continue
        cols = np.array(rows, dtype=np.float64)
        ev = find_events(
            np.zeros(len(rows), dtype=np.int64), cols[:, 0] / 1000.0, cols[:, 1], cols[:, 2], cols[:, 3],
            thresholds_db=thresholds(params), merge_gap_s=params.merge_gap_s,
            min_duration_s=params.min_duration_s,
        )  # fmt: skip
        _insert(conn, sensor_id, ev)
    conn.execute(
        "INSERT INTO event_params (id, params) VALUES (1, ?)"
        " ON CONFLICT (id) DO UPDATE SET params = excluded.params",
        (params_key(params),),
    )


def stored_params(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT params FROM event_params WHERE id = 1").fetchone()
    return None if row is None else str(row[0])


def read_events(
    rows: list[tuple[float, float, float, int, float, float]],
) -> Events:
    """Stored rows (threshold, start, end, count, max, SEL) -> Events (sensor 0), in the stored order."""
    if not rows:
        return Events.empty()
    a = np.array(rows, dtype=np.float64)
    return Events(
        sensor=np.zeros(len(rows), dtype=np.int64),
        threshold_db=a[:, 0],
        start_s=a[:, 1],
        end_s=a[:, 2],
        duration_s=a[:, 2] - a[:, 1],
        n_readings=a[:, 3].astype(np.int64),
        max_db=a[:, 4],
        sel_db=a[:, 5],
    )
