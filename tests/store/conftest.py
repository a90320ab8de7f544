"""One store fixture over both backends: SQLite in tmp_path, the real influxd 1.6 behind the shim."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from noiselab.store.base import ReadingStore
from noiselab.store.influx import InfluxStore
from noiselab.store.registry import SqliteRegistry, SqlRegistry
from noiselab.store.sqlite import SqliteStore

StoreFactory = Callable[..., Any]


@pytest.fixture(params=["sqlite", pytest.param("influx", marks=pytest.mark.influx)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_store(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[StoreFactory]:
    """``make_store(**options)``: a store on this test's own database (SQLite file or Influx database)."""
    opened: list[Any] = []
    database = f"t_{uuid.uuid4().hex[:12]}"
    server = request.getfixturevalue("influx_server") if backend == "influx" else None
    if server is not None:
        server.create_database(database)

    def make(**options: Any) -> Any:
        store: Any
        if server is not None:
            store = InfluxStore(server.url, bucket=database, org="noiselab", **options)
        else:
            store = SqliteStore(tmp_path / "noise.db", **options)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()
    if server is not None and server.proc is not None:
        server.drop_database(database)


@pytest.fixture
def store(make_store: StoreFactory) -> ReadingStore:
    s: ReadingStore = make_store()
    return s


@pytest.fixture(params=["sqlite", "postgresql"])
def reg(request: pytest.FixtureRequest, tmp_path: Path) -> SqlRegistry:
    """A fresh registry on each backend: a SQLite file in tmp_path, and a new database on the test
    PostgreSQL server (``fresh_pg_registry``, tests/conftest.py)."""
    if request.param == "sqlite":
        return SqliteRegistry(tmp_path / "registry.db")
    registry: SqlRegistry = request.getfixturevalue("fresh_pg_registry")
    return registry
