"""Target profiles as the API shows them, and the limits that apply to one sensor."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from noiselab.domain.targets import Limit, all_profiles, limits_for, presets, profile_id_for
from noiselab.store.profiles import TargetProfiles
from noiselab.store.registry import Sensor


def profiles_view(profiles: TargetProfiles) -> dict[str, Any]:
    return {
        "data_version": presets()["data_version"],
        "profiles": list(all_profiles(profiles.latest()).values()),
    }


def sensor_limits(profiles: TargetProfiles, sensor: Sensor) -> list[Limit]:
    pid = profile_id_for(sensor.target_profile, sensor.source_type)
    return limits_for(all_profiles(profiles.latest()).get(pid or ""), sensor.area_category)


def profile_exists(profiles: TargetProfiles, profile_id: str) -> bool:
    return profile_id in all_profiles(profiles.latest())


def _profiles(request: Request) -> TargetProfiles:
    return request.app.state.profiles  # type: ignore[no-any-return]


ProfilesDep = Annotated[TargetProfiles, Depends(_profiles)]
