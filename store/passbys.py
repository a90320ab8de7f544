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

from noiselab.processing.event_updates import Span, affected_span
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
_WINDOW_S = 60.0  # loud readings read around the new ones, doubled while a chain continues past it

_LOUD = (
    "SELECT start_ms, interval_s, laeq, lafmax FROM readings"
    " WHERE sensor_id = ? AND start_ms >= ? AND start_ms < ? AND laeq >= ? ORDER BY start_ms"
)
_WINDOW = (  # 0: the loud readings in [lo, hi); -1: the last loud one before lo; 1: the first from hi
    "SELECT 0, start_ms, interval_s, laeq, lafmax FROM readings"
    " WHERE sensor_id = ? AND start_ms >= ? AND start_ms < ? AND laeq >= ?"
    " UNION ALL SELECT * FROM (SELECT -1, start_ms, interval_s, laeq, lafmax FROM readings"
    " WHERE sensor_id = ? AND start_ms < ? AND start_ms >= ? AND laeq >= ? ORDER BY start_ms DESC LIMIT 1)"
    " UNION ALL SELECT * FROM (SELECT 1, start_ms, interval_s, laeq, lafmax FROM readings"
    " WHERE sensor_id = ? AND start_ms >= ? AND start_ms < ? AND laeq >= ? ORDER BY start_ms LIMIT 1)"
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


def _span(
    conn: sqlite3.Connection, sensor_id: str, new_loud_ms: np.ndarray, params: EventParams
) -> tuple[Span, np.ndarray] | None:
    """The span of events the new loud readings can change, and the loud readings read (start_ms,
    interval_s, laeq, lafmax): one query per window, widened while a chain may continue past it."""
    lowest = thresholds(params)[0]
    first, last = int(new_loud_ms.min()), int(new_loud_ms.max())
    margin_ms = int(_WINDOW_S * 1000)
    while True:
        lo, hi = first - margin_ms, last + margin_ms + 1
        rows = conn.execute(
            _WINDOW, (sensor_id, lo, hi, lowest, sensor_id, lo, lo - MAX_INTERVAL_MS, lowest,
                      sensor_id, hi, hi + MAX_INTERVAL_MS, lowest),
        ).fetchall()  # fmt: skip
        part = np.array([r[0] for r in rows])
        cols = np.array([r[1:] for r in rows], dtype=np.float64)  # None (no LAFmax) -> nan
        before, after = cols[part == -1], cols[part == 1]
        cols = cols[part == 0]
        cols = cols[np.argsort(cols[:, 0], kind="stable")]  # in start order, whatever the plan
        span = affected_span(
            cols[:, 0] / 1000.0, cols[:, 1], np.isin(cols[:, 0].astype(np.int64), new_loud_ms),
            merge_gap_s=params.merge_gap_s,
            before=(before[0, 0] / 1000.0, float(before[0, 1])) if len(before) else None,
            after=after[0, 0] / 1000.0 if len(after) else None,
        )  # fmt: skip
        if span is None:
            return None
        if not (span.widen_left or span.widen_right):
            return span, cols
        margin_ms *= 2


def update_batch(
    conn: sqlite3.Connection,
    sensor_ids: Sequence[str],
    sensor: np.ndarray,
    start_ms: np.ndarray,
    laeq: np.ndarray,
    params: EventParams,
) -> None:
    """Inside the write transaction, after the insert: recompute the events that the batch's new loud
    readings can change, for every sensor at once (one ``find_events`` over all the affected spans)."""
    thr = thresholds(params)
    loud = laeq >= thr[0]
    if not loud.any():
        return
    spans: list[tuple[str, Span]] = []
    parts: list[np.ndarray] = []
    for i in np.unique(sensor[loud]).tolist():
        found = _span(conn, sensor_ids[i], start_ms[loud & (sensor == i)], params)
        if found is not None:
            span, cols = found
            t = cols[:, 0] / 1000.0
            inside = cols[(t >= span.start_s) & (t <= span.end_s)]
            parts.append(np.column_stack([np.full(len(inside), len(spans)), inside]))
            spans.append((sensor_ids[i], span))
    if not spans:
        return
    rows = np.concatenate(parts)
    ev = find_events(
        rows[:, 0].astype(np.int64), rows[:, 1] / 1000.0, rows[:, 2], rows[:, 3], rows[:, 4],
        thresholds_db=thr, merge_gap_s=params.merge_gap_s, min_duration_s=params.min_duration_s,
    )  # fmt: skip
    conn.executemany(
        "DELETE FROM events WHERE sensor_id = ? AND threshold_db = ? AND start_s >= ? AND start_s <= ?",
        [(sid, t, span.start_s, span.end_s) for sid, span in spans for t in thr],
    )
    ids = [spans[j][0] for j in ev.sensor.tolist()]
    conn.executemany(
        _INSERT,
        zip(
            ids, ev.threshold_db.tolist(), ev.start_s.tolist(), ev.end_s.tolist(), ev.n_readings.tolist(),
            ev.max_db.tolist(), ev.sel_db.tolist(), strict=True,
        ),
    )  # fmt: skip


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
