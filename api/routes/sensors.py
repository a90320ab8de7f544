"""Sensors: the registry and each sensor's current level.

The public sees public sensors only; engineer and admin keys see every sensor, also the unplaced ones that
were auto-registered from data (``placed: false``).
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from noiselab.api.auth import Caller
from noiselab.api.current import current_view
from noiselab.api.deps import RegistryDep, SettingsDep, StoreDep
from noiselab.api.routes.alerts import now_s
from noiselab.api.sensor_health import health_cache, health_summary
from noiselab.api.views.query import VisibleSensor

router = APIRouter(prefix="/v1/sensors", tags=["sensors"])


@router.get("", summary="Sensors in the registry (public sensors only without an engineer key)")
def list_sensors(
    request: Request,
    registry: RegistryDep,
    store: StoreDep,
    settings: SettingsDep,
    caller: Caller,
    include_retired: Annotated[
        bool, Query(description="Also retired sensors (engineer key; they are left out by default)")
    ] = False,
) -> list[dict[str, Any]]:
    """With an engineer key each sensor also carries ``health``: its status, the checks that are not ok,
    and whether its levels are doubtful now (docs/alerts.md); computed at most once a minute. Retired
    sensors are left out (``retired: true`` with ``?include_retired=true``, engineer key)."""
    sensors = registry.list_sensors(
        public_only=not caller.engineer, include_retired=include_retired and caller.engineer
    )
    if not caller.engineer:
        return [s.as_dict() for s in sensors]
    cache = health_cache(request.app)
    now = now_s(request)
    return [
        {
            **s.as_dict(),
            "health": health_summary(cache.get(store, registry, settings, s.sensor_id, now_s=now)),
        }
        for s in sensors
    ]


@router.get("/{sensor_id}", summary="One sensor's registry entry")
def get_sensor(sensor: VisibleSensor) -> dict[str, Any]:
    return sensor.as_dict()


@router.get("/{sensor_id}/current", summary="Latest reading, last-hour LAeq (energy mean), live or stale")
def current(sensor: VisibleSensor, store: StoreDep, settings: SettingsDep) -> dict[str, Any]:
    """``status``: ``live``, ``stale`` (nothing for ``NOISELAB_STALE_AFTER_S``), or ``no_data`` with
    ``latest: null`` for a registered sensor that has sent nothing yet."""
    return current_view(store, sensor.sensor_id, now_s=time.time(), stale_after_s=settings.stale_after_s)
