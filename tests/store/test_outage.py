"""The store going away and coming back: StoreUnavailable, then writes work again, nothing counted twice."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from noiselab.domain.errors import StoreUnavailable
from noiselab.store.influx import InfluxStore
from noiselab.store.sqlite import SqliteStore
from tests.influx_service import InfluxServer
from tests.services import free_port
from tests.store.series import assert_rollups_equal, expected_rollups, local_midnight_s, series

T0 = local_midnight_s("2026-06-01")
ALL = (0, 2**62)


@pytest.mark.influx
def test_influx_stopped_then_restarted(influx_server: InfluxServer) -> None:
    influx_server.create_database("outage")
    store = InfluxStore(influx_server.url, bucket="outage")
    rs = series("s-1", T0, 300)
    try:
        assert store.write(rs[:100]).stored == 100
        influx_server.stop()
        with pytest.raises(StoreUnavailable):
            store.write(rs[100:200])
        with pytest.raises(StoreUnavailable):
            store.ping()
        with pytest.raises(StoreUnavailable):
            store.read("s-1", *ALL)
        with pytest.raises(StoreUnavailable):
            store.rollups("s-1", *ALL)
        influx_server.start()
        store.ping()
        assert store.write(rs[50:300]).stored == 200  # the retried batch and more; the overlap is known
        assert len(store.read("s-1", *ALL)) == 300
        assert_rollups_equal(store.rollups("s-1", *ALL), expected_rollups(rs))
    finally:
        if influx_server.proc is None:
            influx_server.start()
        influx_server.drop_database("outage")
        store.close()


def test_influx_nobody_listening() -> None:
    store = InfluxStore(f"influxdb://127.0.0.1:{free_port()}", bucket="x", timeout_s=2)
    with pytest.raises(StoreUnavailable) as info:
        store.write(series("s-1", T0, 3))
    assert info.value.__cause__ is not None  # translated at the boundary, cause kept
    with pytest.raises(StoreUnavailable):
        store.ping()
    store.close()


@pytest.mark.influx
def test_influx_missing_bucket_is_unavailable(influx_server: InfluxServer) -> None:
    store = InfluxStore(influx_server.url, bucket="no_such_bucket")
    with pytest.raises(StoreUnavailable):
        store.write(series("s-1", T0, 3))
    store.close()


def test_sqlite_locked_then_released(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "noise.db", timeout_s=0.2)
    rs = series("s-1", T0, 300)
    assert store.write(rs[:100]).stored == 100
    other = sqlite3.connect(tmp_path / "noise.db", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # e.g. a long maintenance job in another process
    try:
        with pytest.raises(StoreUnavailable):
            store.write(rs[100:200])
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.write(rs[50:300]).stored == 200
    assert_rollups_equal(store.rollups("s-1", *ALL), expected_rollups(rs))
    store.close()


def test_sqlite_path_that_cannot_exist(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    with pytest.raises(StoreUnavailable):
        SqliteStore(tmp_path / "a-file" / "noise.db")
