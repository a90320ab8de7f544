"""Sensors: the registry and each sensor's current level."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Path

from api.current import current_view
from api.deps import RegistryDep, SettingsDep, StoreDep
from noiselab.errors import UnknownSensor

router = APIRouter(prefix="/v1/sensors", tags=["sensors"])

SensorId = Path(pattern=r"^[A-Za-z0-9._-]{1,64}$", description="Sensor id", examples=["sim-001"])


@router.get("", summary="All sensors in the registry")
def list_sensors(registry: RegistryDep) -> list[dict[str, Any]]:
    return [s.as_dict() for s in registry.list_sensors()]


@router.get("/{sensor_id}", summary="One sensor's registry entry")
def get_sensor(registry: RegistryDep, sensor_id: str = SensorId) -> dict[str, Any]:
    sensor = registry.get_sensor(sensor_id)
    if sensor is None:
        raise UnknownSensor(f"no sensor {sensor_id!r} in the registry")
    return sensor.as_dict()


@router.get("/{sensor_id}/current", summary="Latest reading, last-hour LAeq (energy mean), live or stale")
def current(store: StoreDep, settings: SettingsDep, sensor_id: str = SensorId) -> dict[str, Any]:
    view = current_view(store, sensor_id, now_s=time.time(), stale_after_s=settings.stale_after_s)
    if view is None:
        raise UnknownSensor(f"no readings for sensor {sensor_id!r}")
    return view
