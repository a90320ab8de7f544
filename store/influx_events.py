"""Pass-by events kept in InfluxDB, maintained at write time (the InfluxDB side of :mod:`store.passbys`).

Layout::

    events,sensor_id=<id>,threshold=<dB>  end_s,max_db,sel_db (float), n_readings (integer), live (integer)
                                          @ event start (ms)
    event_params                          params (string, JSON)                                  @ 0

After :meth:`InfluxStore.write` has stored new readings, :func:`update` reads the loud readings of a
window around the new loud ones (one request: the window, the loud reading just before it and just after
it), asks :func:`processing.event_updates.affected_span` which span of events they can change (widening
the window while a chain may continue past it), and writes the recomputed events of that span. Stored
events of the span that no longer exist (two pass-bys joined by a late reading) are not deleted but marked
``live=0`` (InfluxDB's delete predicates differ between 1.x, 2.7 and 3.x; overwriting a field works on
all); reads keep ``live=1`` only. An event recomputed at the same start overwrites its point.

Kept only for the store's event parameters, recorded in ``event_params``: a database that has readings but
no record (written before this) or another record keeps no events here, and callers compute them from raw
readings. Like the rollup merge, an update is exact with one writer per sensor; with several, the hours
it touched are stamped after it and recomputed from raw (:mod:`noiselab.store.generations`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from noiselab.domain.readings import Reading
from noiselab.processing.event_updates import affected_span, events_in_span
from noiselab.processing.events import EventParams, Events
from noiselab.store.base import ReadingBatch
from noiselab.store.passbys import MAX_INTERVAL_MS, params_key, thresholds

if TYPE_CHECKING:
    from noiselab.store.influx import InfluxStore

EVENTS = "events"
PARAMS = "event_params"
_WINDOW_MS = 60_000


def kept(store: InfluxStore) -> bool:
    """Does this database keep events for the store's parameters? Records them in an empty database."""
    from noiselab.store.influx import READINGS, _series

    if store._events_kept is not None:
        return store._events_kept
    key = params_key(store.event_params)
    results = store._query(f"SELECT last(params) FROM {PARAMS};SELECT laeq FROM {READINGS} LIMIT 1")
    recorded = next((v[0][1] for _, v in _series(results[0])), None)
    empty = not any(values for _, values in _series(results[1]))
    if recorded is None and empty:
        store._write_lines([f'{PARAMS} params="{_escape(key)}" 0'])
        recorded = key
    store._events_kept = recorded == key
    return store._events_kept


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def update(store: InfluxStore, new: Sequence[Reading]) -> None:
    """After the readings ``new`` are stored: recompute the events their loud readings can change."""
    params = store.event_params
    lowest = thresholds(params)[0]
    loud_new = [r for r in new if r.laeq >= lowest]
    if not loud_new or not kept(store):
        return
    batch = ReadingBatch.from_readings(loud_new)
    lines: list[str] = []
    for i, sensor_id in enumerate(batch.sensor_ids):
        lines += _sensor_lines(store, sensor_id, batch.start_ms[batch.sensor == i], params)
    if lines:
        store._write_lines(lines)


def _sensor_lines(store: InfluxStore, sensor_id: str, new_ms: np.ndarray, params: EventParams) -> list[str]:
    from noiselab.store.influx import READINGS, _quote, _series, _tag, _time_range

    lowest = thresholds(params)[0]
    where = f"sensor_id = {_quote(sensor_id)} AND laeq >= {lowest!r}"
    first, last = int(new_ms.min()), int(new_ms.max())
    margin = _WINDOW_MS
    while True:
        lo, hi = first - margin, last + margin + 1
        results = store._query(
            f"SELECT interval_s, laeq, lafmax FROM {READINGS} WHERE {where} AND {_time_range(lo, hi)}"
            " ORDER BY time ASC;"
            f"SELECT interval_s, laeq FROM {READINGS} WHERE {where}"
            f" AND {_time_range(lo - MAX_INTERVAL_MS, lo)} ORDER BY time DESC LIMIT 1;"
            f"SELECT interval_s, laeq FROM {READINGS} WHERE {where}"
            f" AND {_time_range(hi, hi + MAX_INTERVAL_MS)} ORDER BY time ASC LIMIT 1"
        )
        rows = [v for _, values in _series(results[0]) for v in values]
        cols = np.array(rows, dtype=np.float64)  # time, interval, laeq, lafmax (null -> nan)
        before = next((v[0] for _, v in _series(results[1])), None)
        after = next((v[0] for _, v in _series(results[2])), None)
        start_s = cols[:, 0] / 1000.0
        span = affected_span(
            start_s, cols[:, 1], np.isin(cols[:, 0].astype(np.int64), new_ms), merge_gap_s=params.merge_gap_s,
            before=None if before is None else (before[0] / 1000.0, float(before[1])),
            after=None if after is None else after[0] / 1000.0,
        )  # fmt: skip
        if span is None:
            return []
        if not (span.widen_left or span.widen_right):
            break
        margin *= 2
    ev = events_in_span(
        span, start_s, cols[:, 1], cols[:, 2], cols[:, 3],
        thresholds_db=thresholds(params), merge_gap_s=params.merge_gap_s,
        min_duration_s=params.min_duration_s,
    )  # fmt: skip
    old = store._query(
        f"SELECT live FROM {EVENTS} WHERE sensor_id = {_quote(sensor_id)} AND live = 1"
        f" AND {_time_range(round(span.start_s * 1000), round(span.end_s * 1000), closed=True)}"
        " GROUP BY threshold"
    )[0]
    tag = f"{EVENTS},sensor_id={_tag(sensor_id)}"
    lines = [
        f"{tag},threshold={_tag(str(float(s['tags']['threshold'])))} live=0i {int(t)}"
        for s in old.get("series", [])
        for t, _ in s["values"]
    ]  # overwritten below when the event still starts there
    lines += [
        f"{tag},threshold={float(thr)!r} end_s={end!r},n_readings={int(n)}i,max_db={mx!r},sel_db={sel!r},"
        f"live=1i {round(start * 1000)}"
        for thr, start, end, n, mx, sel in zip(
            ev.threshold_db.tolist(), ev.start_s.tolist(), ev.end_s.tolist(), ev.n_readings.tolist(),
            ev.max_db.tolist(), ev.sel_db.tolist(), strict=True,
        )
    ]  # fmt: skip
    return lines


def read(
    store: InfluxStore, sensor_id: str, start_ms: int, end_ms: int, params: EventParams
) -> Events | None:
    """Kept events starting in [start_ms, end_ms) at the thresholds of ``params``, or None (see module)."""
    from noiselab.store.influx import _quote, _series, _time_range

    own = store.event_params
    wanted = thresholds(params)
    if (
        params.merge_gap_s != own.merge_gap_s
        or params.min_duration_s != own.min_duration_s
        or not set(wanted) <= set(thresholds(own))
        or not kept(store)
    ):
        return None
    rows: list[tuple[float, float, float, int, float, float]] = []
    if end_ms > start_ms:
        statements = [
            f"SELECT end_s, n_readings, max_db, sel_db FROM {EVENTS} WHERE sensor_id = {_quote(sensor_id)}"
            f" AND threshold = {_quote(str(float(t)))} AND live = 1 AND {_time_range(start_ms, end_ms)}"
            " ORDER BY time ASC"
            for t in wanted
        ]
        for t, result in zip(wanted, store._query(";".join(statements)), strict=True):
            for _, values in _series(result):
                rows += [(t, v[0] / 1000.0, v[1], v[2], v[3], v[4]) for v in values]
    from noiselab.store.passbys import read_events

    return read_events(rows)
