"""Query validation shared by the routes: time ranges with zones, local date ranges, sensor visibility.

Every refusal is a 422 ``RequestValidationError`` (problem+json "Invalid request") naming the parameter, or a
404 for a sensor the caller may not see (private sensors are not revealed to the public).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

import numpy as np
from fastapi import Depends, Path, Request
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, AwareDatetime, BeforeValidator
from pydantic_core import PydanticCustomError

from noiselab.api.auth import Caller, Principal
from noiselab.domain.errors import UnknownSensor
from noiselab.processing.localtime import hour_starts
from noiselab.store.base import ReadingStore
from noiselab.store.registry import Registry, Sensor


def bad_query(param: str, msg: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("query", param), "msg": msg, "type": "value_error"}])


EARLIEST = date(2000, 1, 1)  # readings before 2000 are refused (too_old)
LATEST = date(2099, 12, 31)


def _in_range(param: str, day: date) -> None:
    if not EARLIEST <= day <= LATEST:
        raise bad_query(param, f"must be between {EARLIEST} and {LATEST}")


_ISO_DATETIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T")


def _iso_text(value: object) -> object:
    """Only ISO 8601 text with a ``T`` (what the document's pattern says): no epoch number, no space."""
    if not isinstance(value, str) or not _ISO_DATETIME.match(value):
        # pydantic's own type for an unparseable date-time, so the friendly messages (api/hints.py) apply
        raise PydanticCustomError("datetime_parsing", "not an ISO 8601 date-time")
    return value


def _within(value: datetime) -> datetime:
    if not EARLIEST <= value.date() <= LATEST:
        raise ValueError(f"must be between {EARLIEST} and {LATEST}")
    return value


ZonedDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_within)]
"""A date-time parameter: ISO 8601 text with ``T`` and a zone, its local date in EARLIEST..LATEST (the
document's pattern for date-time parameters, :func:`noiselab.api.openapi._bound_dates`)."""


def time_range_ms(start: datetime, end: datetime, *, max_s: float) -> tuple[int, int]:
    """[start, end) as UTC epoch ms; refuses end <= start and spans longer than ``max_s``."""
    _in_range("start", start.date())
    _in_range("end", end.date())
    start_ms, end_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    if end_ms <= start_ms:
        raise bad_query("end", "end must be after start")
    if end_ms - start_ms > max_s * 1000:
        raise bad_query("end", f"range too large: at most {max_s / 86400:g} days for this query")
    return start_ms, end_ms


def date_range_ms(start: date, end: date, tz: str, *, max_days: int, day_start_h: int = 0) -> tuple[int, int]:
    """Days ``start``..``end`` (both included) as a UTC [start, end) in ms, at most ``max_days``.

    A day starts at local ``day_start_h``:00 (0: calendar dates; 7: the noise day 07:00 -> 07:00).
    """
    _in_range("start", start)
    _in_range("end", end)
    if end < start:
        raise bad_query("end", "end must not be before start")
    if (end - start).days + 1 > max_days:
        raise bad_query("end", f"range too large: at most {max_days} days")
    bounds = hour_starts(np.array([start.toordinal(), end.toordinal()]), tz, day_start_h=day_start_h)
    return int(bounds[0, 0]) * 1000, int(bounds[1, 24]) * 1000


def visible_sensor(registry: Registry, store: ReadingStore, caller: Principal, sensor_id: str) -> Sensor:
    """The sensor if the caller may see it: engineers see every sensor, the public only public ones that are
    not retired."""
    sensor = registry.get_sensor(sensor_id)
    if sensor is None and caller.engineer and store.latest(sensor_id) is not None:
        sensor = Sensor(sensor_id)  # data without a registry entry: visible to engineers as unplaced
    if sensor is None or not ((sensor.public and not sensor.retired) or caller.engineer):
        raise UnknownSensor(f"no sensor {sensor_id!r}")  # retired: engineers only (its data stays readable)
    return sensor


SENSOR_ID = Path(
    pattern=r"^[A-Za-z0-9._-]{1,64}$",
    description="Sensor id (1-64 letters, digits, . _ -)",
    examples=["sim-001"],
)


def _visible(request: Request, caller: Caller, sensor_id: str = SENSOR_ID) -> Sensor:
    return visible_sensor(request.app.state.registry, request.app.state.store, caller, sensor_id)


VisibleSensor = Annotated[Sensor, Depends(_visible)]
"""The path's sensor, if the caller may see it (404 otherwise)."""
