"""InfluxDB rollups under concurrent writers (store.generations), against the real influxd 1.6: a write
leaves its hours dirty until reconciled, a lost update is repaired from raw, a stale recompute never
wins, duplicates stamp their hours, hours without raw readings are left alone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from noiselab.domain.readings import Reading
from noiselab.store import generations
from noiselab.store.base import HOUR_S
from noiselab.store.influx import ROLLUPS, InfluxStore
from tests.store.rawcheck import hour_mismatches

pytestmark = pytest.mark.influx

H0 = 1_780_000_000 // HOUR_S * HOUR_S  # an hour start in 2026


def readings(sensor: str, first_s: int, n: int, *, level: float = 50.0) -> list[Reading]:
    return [
        Reading(
            sensor, (first_s + i) * 1000, 1.0, level + (i % 37) / 10, lafmax=70.0 + i % 3, source="native"
        )
        for i in range(n)
    ]


@pytest.fixture
def backend() -> str:
    return "influx"  # generations are InfluxDB's answer; SQLite's writes are transactions


@pytest.fixture
def influx(make_store: Any) -> InfluxStore:
    store: InfluxStore = make_store()
    return store


def whole() -> tuple[int, int]:
    return (H0 - 2 * HOUR_S) * 1000, (H0 + 6 * HOUR_S) * 1000


def test_a_write_leaves_its_hours_dirty_until_reconciled(influx: InfluxStore) -> None:
    influx.write(readings("s-1", H0 + 3000, 1200))  # spans two hours
    lo, hi = whole()
    assert generations.dirty_hours(influx, lo, hi) == [("s-1", H0), ("s-1", H0 + HOUR_S)]
    assert hour_mismatches(influx, "s-1", lo, hi) == []  # one writer: the provisional merge is exact
    assert influx.reconcile(lo, hi) == 2
    assert generations.dirty_hours(influx, lo, hi) == []
    assert influx.reconcile(lo, hi) == 0
    assert hour_mismatches(influx, "s-1", lo, hi) == []


def test_a_lost_update_is_repaired_from_raw(influx: InfluxStore, make_store: Any) -> None:
    """Two writers merge into the same stored rollup: the second overwrites the first one's seconds."""
    other: InfluxStore = make_store()
    influx.write(readings("s-2", H0, 100))
    real_query = other._query
    stale = real_query(
        "SELECT laeq FROM readings WHERE sensor_id = 's-2';"
        f"SELECT energy, seconds, lafmax, lcpeak, hist FROM {ROLLUPS} WHERE sensor_id = 's-2'"
    )

    def before_the_first_write(q: str) -> list[dict[str, Any]]:
        results = real_query(q)
        if "max(cutoff_ms)" in q:  # the write's look-up: its stored rollups as before the first write
            statements = q.split(";")
            results = [stale[1] if ROLLUPS in s else r for s, r in zip(statements, results, strict=True)]
        return results

    influx.write(readings("s-2", H0 + 100, 100))
    other._query = before_the_first_write  # type: ignore[method-assign]
    other.write(readings("s-2", H0 + 200, 100))
    lo, hi = whole()
    assert hour_mismatches(influx, "s-2", lo, hi) != []  # the race, reproduced: seconds were lost
    assert generations.dirty_hours(influx, lo, hi) == [("s-2", H0)]
    assert influx.reconcile(lo, hi) == 1
    assert hour_mismatches(influx, "s-2", lo, hi) == []
    assert influx.rollups("s-2", lo, hi).seconds.tolist() == [300.0]


def test_a_stale_recompute_never_wins(influx: InfluxStore, make_store: Any) -> None:
    """A recompute reads the generation, then raw readings; a write lands in between; the recompute writes
    a rollup without it. The hour must stay dirty, and the next pass makes it exact."""
    influx.write(readings("s-3", H0, 50))
    real_read = influx.read
    late = readings("s-3", H0 + 50, 50, level=80.0)

    def read_then_someone_writes(sensor_id: str, start_ms: int, end_ms: int, **kw: Any) -> Any:
        cols = real_read(sensor_id, start_ms, end_ms, **kw)
        if late:
            make_store().write(late)
            late.clear()
        return cols

    influx.read = read_then_someone_writes  # type: ignore[method-assign]
    assert generations.recompute(influx, [("s-3", H0)]) == 1
    influx.read = real_read  # type: ignore[method-assign]
    lo, hi = whole()
    assert generations.dirty_hours(influx, lo, hi) == [("s-3", H0)]
    assert influx.rollups("s-3", lo, hi).seconds.tolist() == [50.0]  # the stale result, for now
    assert influx.reconcile(lo, hi) == 1
    assert influx.rollups("s-3", lo, hi).seconds.tolist() == [100.0]
    assert hour_mismatches(influx, "s-3", lo, hi) == []


def test_duplicates_stamp_their_hours(influx: InfluxStore) -> None:
    batch = readings("s-4", H0, 30)
    influx.write(batch)
    lo, hi = whole()
    influx.reconcile(lo, hi)
    assert generations.dirty_hours(influx, lo, hi) == []
    result = influx.write(batch)  # a redelivery after a writer died between its two requests
    assert (result.stored, result.duplicates) == (0, 30)
    assert generations.dirty_hours(influx, lo, hi) == [("s-4", H0)]


def test_hours_without_raw_readings_are_left_alone(influx: InfluxStore) -> None:
    influx.write(readings("s-5", H0, 60))
    lo, hi = whole()
    before = influx.rollups("s-5", lo, hi)
    influx._client.delete_api().delete(
        "1970-01-01T00:00:00Z", "2100-01-01T00:00:00Z", '_measurement="readings"', bucket=influx.bucket,
        org=influx.org,
    )  # fmt: skip
    assert influx.reconcile(lo, hi) == 0  # nothing to recompute from: the rollup is all that is left
    assert influx.rollups("s-5", lo, hi).seconds.tolist() == before.seconds.tolist() == [60.0]


@pytest.mark.parametrize("hours", [[], [("nobody", H0)]])
def test_recompute_of_nothing_writes_nothing(influx: InfluxStore, hours: Sequence[tuple[str, int]]) -> None:
    assert generations.recompute(influx, hours) == 0
    assert generations.dirty_hours(influx, 10, 5) == []


def test_a_stale_event_update_is_repaired_from_raw(influx: InfluxStore, make_store: Any) -> None:
    """Two writers of one sensor, each computing events from what it saw: the one that saw less writes
    last (its events say one short pass-by where raw readings hold a longer one). Reconciling rewrites the
    events from raw."""
    from noiselab.processing.events import DEFAULT_EVENTS
    from noiselab.store import influx_events
    from tests.store.test_stored_events import _assert_events_equal, _from_raw

    quiet = readings("s-6", H0, 100)
    loud = [Reading("s-6", (H0 + 100 + i) * 1000, 1.0, 80.0, source="x") for i in range(10)]
    more = [Reading("s-6", (H0 + 110 + i) * 1000, 1.0, 82.0, source="x") for i in range(10)]
    influx.write(quiet + loud)
    stale = influx_events._sensor_lines(influx, "s-6", np.array([r.start_ms for r in loud]), DEFAULT_EVENTS)
    make_store().write(more)  # the other writer: the pass-by is 20 s long now
    influx._write_lines(stale)  # the first writer's late event update: a 10-s pass-by
    lo, hi = whole()
    events = influx.events("s-6", lo, hi, DEFAULT_EVENTS)
    assert events is not None and 10.0 in events.duration_s.tolist()  # the race, reproduced
    assert influx.reconcile(lo, hi) >= 1
    _assert_events_equal(
        influx.events("s-6", lo, hi, DEFAULT_EVENTS), _from_raw(influx, "s-6", DEFAULT_EVENTS)
    )
