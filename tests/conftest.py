from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.influx_service import InfluxServer, start_influx
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
