"""Target profiles as the API shows them, and the limits that apply to one sensor."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from noiselab.domain import targets
from noiselab.domain.targets import Limit, all_profiles, presets
from noiselab.store.registry import Sensor
from noiselab.store.registry.base import TargetRegistry


def profiles_view(profiles: TargetRegistry) -> dict[str, Any]:
    return {
        "data_version": presets()["data_version"],
        "profiles": list(all_profiles(profiles.latest()).values()),
    }


def sensor_limits(profiles: TargetRegistry, sensor: Sensor) -> list[Limit]:
    return targets.sensor_limits(
        profiles.latest(), sensor.target_profile, sensor.source_type, sensor.area_category
    )


def daily_target(profiles: TargetRegistry, sensor: Sensor, metric: str) -> Limit | None:
    """The sensor's target for a day's ``metric`` (``lden``, ``lnight``): the strictest (lowest) of its
    profile's limits for that metric at its area, or None when the profile has none. A free-field value:
    compare it with the façade-corrected level (:func:`noiselab.domain.targets.compare`)."""
    found = [lim for lim in sensor_limits(profiles, sensor) if lim.metric == metric]
    return min(found, key=lambda lim: lim.value_db) if found else None


def profile_exists(profiles: TargetRegistry, profile_id: str) -> bool:
    return profile_id in all_profiles(profiles.latest())


def _profiles(request: Request) -> TargetRegistry:
    return request.app.state.profiles  # type: ignore[no-any-return]


ProfilesDep = Annotated[TargetRegistry, Depends(_profiles)]
