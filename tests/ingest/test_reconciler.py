"""ingest.reconciler against the real InfluxDB engine: passes on time and on stop, the span of every write
is covered, a store that is away keeps the span for the next pass, SQLite needs none."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from noiselab.domain.errors import StoreUnavailable
from noiselab.domain.readings import Reading
from noiselab.ingest.reconciler import Reconciler
from noiselab.store import generations
from noiselab.store.base import HOUR_S
from noiselab.store.influx import InfluxStore
from noiselab.store.sqlite import SqliteStore
from tests.influx_service import InfluxServer

H0 = 1_780_000_000 // HOUR_S * HOUR_S
WHOLE = ((H0 - HOUR_S) * 1000, (H0 + 5 * HOUR_S) * 1000)


def readings(first_s: int, n: int) -> list[Reading]:
    return [Reading("r-1", (first_s + i) * 1000, 1.0, 50.0 + i % 7, source="x") for i in range(n)]


@pytest.fixture
def influx(influx_server: InfluxServer) -> Iterator[InfluxStore]:
    bucket = f"t_{uuid.uuid4().hex[:12]}"
    influx_server.create_database(bucket)
    store = InfluxStore(influx_server.url, bucket=bucket)
    yield store
    store.close()
    influx_server.drop_database(bucket)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.influx
def test_passes_on_time_cover_every_written_hour(influx: InfluxStore) -> None:
    clock = Clock()
    rec = Reconciler(influx, every_s=10.0, clock=clock)
    assert rec.active
    batch = readings(H0 + 3500, 200)  # two hours
    influx.write(batch)
    rec.note(batch)
    assert rec.maybe_run() == 0  # not yet
    clock.now = 10.0
    assert rec.maybe_run() == 2
    assert generations.dirty_hours(influx, *WHOLE) == []
    assert rec.maybe_run(force=True) == 0  # nothing noted since


@pytest.mark.influx
def test_a_store_away_keeps_the_span(influx: InfluxStore) -> None:
    class AwayOnce:
        """The real store, whose first reconcile fails as if InfluxDB were unreachable."""

        failed = False

        def reconcile(self, start_ms: int, end_ms: int) -> int:
            if not self.failed:
                self.failed = True
                raise StoreUnavailable("away")
            return influx.reconcile(start_ms, end_ms)

    rec = Reconciler(AwayOnce())
    batch = readings(H0 + 10, 50)
    influx.write(batch)
    rec.note(batch)
    assert rec.maybe_run(force=True) == 0
    assert generations.dirty_hours(influx, *WHOLE) == [("r-1", H0)]
    assert rec.maybe_run(force=True) == 1
    assert generations.dirty_hours(influx, *WHOLE) == []


@pytest.mark.influx
def test_run_passes_until_stopped_and_once_more(influx: InfluxStore) -> None:
    rec = Reconciler(influx, every_s=0.05)
    stop = threading.Event()
    thread = threading.Thread(target=rec.run, args=(stop,))
    thread.start()
    batch = readings(H0 + 7200, 30)
    influx.write(batch)
    rec.note(batch)
    stop.set()
    thread.join(30)
    assert not thread.is_alive() and rec.recomputed == 1
    assert generations.dirty_hours(influx, *WHOLE) == []


def test_sqlite_needs_no_reconciliation(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "noise.db")
    rec = Reconciler(store, every_s=0.0)
    assert not rec.active
    rec.note(readings(H0, 10))
    assert rec.maybe_run(force=True) == 0
    rec.run(threading.Event())  # returns at once
    store.close()


def test_nothing_noted_nothing_done() -> None:
    rec = Reconciler(object())
    rec.note([])
    assert not rec.active and rec.maybe_run(force=True) == 0
