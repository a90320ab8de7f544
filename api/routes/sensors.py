"""Sensors: the registry and each sensor's current level.

The public sees public sensors only; engineer and admin keys see every sensor, also the unplaced ones that
were auto-registered from data (``placed: false``).
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter

from noiselab.api.auth import Caller
from noiselab.api.current import current_view
from noiselab.api.deps import RegistryDep, SettingsDep, StoreDep
from noiselab.api.views.query import VisibleSensor
from noiselab.domain.errors import UnknownSensor

router = APIRouter(prefix="/v1/sensors", tags=["sensors"])


@router.get("", summary="Sensors in the registry (public sensors only without an engineer key)")
def list_sensors(registry: RegistryDep, caller: Caller) -> list[dict[str, Any]]:
    return [s.as_dict() for s in registry.list_sensors(public_only=not caller.engineer)]


@router.get("/{sensor_id}", summary="One sensor's registry entry")
def get_sensor(sensor: VisibleSensor) -> dict[str, Any]:
    return sensor.as_dict()


@router.get("/{sensor_id}/current", summary="Latest reading, last-hour LAeq (energy mean), live or stale")
def current(sensor: VisibleSensor, store: StoreDep, settings: SettingsDep) -> dict[str, Any]:
    view = current_view(store, sensor.sensor_id, now_s=time.time(), stale_after_s=settings.stale_after_s)
    if view is None:
        raise UnknownSensor(f"no readings for sensor {sensor.sensor_id!r}")
    return view
