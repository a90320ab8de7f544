"""Pass-by events kept at write time equal a recomputation from all raw readings: contract tests, run
against SqliteStore and InfluxStore (real influxd 1.6 behind the shim) through the store fixtures."""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from noiselab.domain.readings import Reading
from noiselab.processing.events import DEFAULT_EVENTS, EventParams, Events, find_events
from noiselab.store.base import ReadingBatch, write_batch
from noiselab.store.passbys import thresholds
from tests.store.series import local_midnight_s

T0 = local_midnight_s("2026-05-04")
ALL = (0, 2**62)


def _passby_series(sensor_id: str, n: int, seed: int) -> list[Reading]:
    """1-s readings around 55 dB with pass-bys (65-85 dB for 2-12 s) and short dips inside them."""
    rng = np.random.default_rng(seed)
    level = rng.normal(55, 3, n)
    for start in rng.integers(0, n - 15, n // 40):
        level[start : start + rng.integers(2, 12)] = rng.uniform(65, 85)
    level = np.clip(np.round(level, 1), 20, 140)
    return [
        Reading(sensor_id, int((T0 + i) * 1000), 1.0, float(lv), lafmax=float(lv) + 2 if i % 4 else None)
        for i, lv in enumerate(level)
    ]


def _from_raw(store: Any, sensor_id: str, params: EventParams) -> Events:
    cols = store.read(sensor_id, *ALL)
    return find_events(
        np.zeros(len(cols), dtype=np.int64), cols.start_ms / 1000.0, cols.interval_s, cols.laeq, cols.lafmax,
        thresholds_db=thresholds(params), merge_gap_s=params.merge_gap_s,
        min_duration_s=params.min_duration_s,
    )  # fmt: skip


def _assert_events_equal(got: Events | None, want: Events) -> None:
    assert got is not None
    order = np.lexsort((got.start_s, got.threshold_db))
    for name in ("threshold_db", "start_s", "end_s", "duration_s", "n_readings", "max_db"):
        np.testing.assert_array_equal(getattr(got, name)[order], getattr(want, name), err_msg=name)
    np.testing.assert_allclose(got.sel_db[order], want.sel_db, rtol=0, atol=1e-9)


def test_events_maintained_at_write_equal_events_from_raw(store: Any) -> None:
    rs = _passby_series("s-1", 3000, seed=1)
    shuffled = rs[:]
    random.Random(2).shuffle(shuffled)
    late = shuffled[:300]
    for i in range(300, len(shuffled), 250):  # out of order, in batches
        store.write(sorted(shuffled[i : i + 250], key=lambda r: r.start_ms))
    write_batch(store, ReadingBatch.from_readings(late))  # late readings through the bulk path
    store.write(rs[1000:1500])  # a re-send changes nothing
    want = _from_raw(store, "s-1", DEFAULT_EVENTS)
    assert len(want) > 40
    _assert_events_equal(store.events("s-1", *ALL, DEFAULT_EVENTS), want)


def test_a_late_loud_reading_joins_two_events(store: Any) -> None:
    quiet = [Reading("s-1", int((T0 + i) * 1000), 1.0, 50.0) for i in range(60)]
    loud = [Reading("s-1", int((T0 + i) * 1000), 1.0, 75.0) for i in (*range(60, 65), *range(71, 76))]
    store.write(quiet + loud)
    params = EventParams(thresholds_db=(70.0,))
    ev = store.events("s-1", *ALL, params)
    assert ev is not None and (ev.start_s - T0).tolist() == [60.0, 71.0]
    store.write([Reading("s-1", int((T0 + 66) * 1000), 1.0, 71.0)])  # 1-s gaps now: one pass-by
    ev = store.events("s-1", *ALL, params)
    assert ev is not None and (ev.start_s - T0).tolist() == [60.0] and ev.n_readings.tolist() == [11]
    _assert_events_equal(ev, _from_raw(store, "s-1", params))


def test_other_parameters_are_not_served(make_store: Any, backend: str) -> None:
    store = make_store()
    store.write(_passby_series("s-1", 1500, seed=3))
    other = EventParams(merge_gap_s=1.0, min_duration_s=5.0, thresholds_db=(75.0,), threshold_db=75.0)
    assert store.events("s-1", *ALL, other) is None
    assert store.events("s-1", *ALL, EventParams(thresholds_db=(60.0,))) is None  # a threshold not kept
    reopened = make_store(event_params=other)
    assert reopened.events("s-1", *ALL, DEFAULT_EVENTS) is None
    if backend == "sqlite":  # SQLite rebuilds them from raw readings (once); InfluxDB keeps none then
        _assert_events_equal(reopened.events("s-1", *ALL, other), _from_raw(reopened, "s-1", other))
    else:
        assert reopened.events("s-1", *ALL, other) is None


def test_events_are_selected_by_start(store: Any) -> None:
    store.write(_passby_series("s-1", 2000, seed=4))
    every = store.events("s-1", *ALL, DEFAULT_EVENTS)
    assert every is not None and len(every) > 10
    mid_ms = int((T0 + 1000) * 1000)
    first = store.events("s-1", 0, mid_ms, DEFAULT_EVENTS)
    second = store.events("s-1", mid_ms, 2**62, DEFAULT_EVENTS)
    assert first is not None and second is not None and len(first) + len(second) == len(every)
    assert (first.start_s < T0 + 1000).all() and (second.start_s >= T0 + 1000).all()
    assert len(store.events("nobody", *ALL, DEFAULT_EVENTS) or []) == 0
