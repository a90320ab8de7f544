from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from noiselab.store.registry import SqlRegistry
from tests.influx_service import InfluxServer, start_influx
from tests.pg_service import PostgresServer, start_postgres
from tests.services import Mosquitto, start_mosquitto


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    broker = start_mosquitto(tmp_path / "mosquitto")
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def influx_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxServer]:
    """Debian's influxd 1.6 behind the /api/v2 shim, once per session; use a fresh database per test."""
    server = start_influx(tmp_path_factory.mktemp("influxd"))
    yield server
    server.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Debian's PostgreSQL on a free port, once per session; use a fresh database per test."""
    server = start_postgres()
    yield server
    server.close()


@pytest.fixture
def fresh_pg_database(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = postgres_server.create_database(name)
    yield url
    postgres_server.drop_database(name)


@pytest.fixture
def fresh_pg_registry(fresh_pg_database: str) -> Iterator[SqlRegistry]:
    """A PostgresRegistry (migrated) on a fresh database."""
    from noiselab.store.registry.postgres import PostgresRegistry

    registry = PostgresRegistry(fresh_pg_database)
    yield registry
    registry.close()
