"""The tests' face of :mod:`localservices.influx`: a missing influxd skips the test, or fails it in CI."""

from __future__ import annotations

from pathlib import Path

from localservices import ServiceMissing, influx
from localservices.influx import InfluxServer
from tests.services import missing

__all__ = ["InfluxServer", "start_influx"]


def start_influx(tmp: Path) -> InfluxServer:
    try:
        return influx.start_influx(tmp)
    except ServiceMissing as exc:
        missing(exc)
        raise
