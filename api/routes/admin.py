"""Admin: create, edit (placing auto-registered ones), retire, reinstate and delete sensors, and API keys.

Retiring keeps a sensor's data and registry entry but takes it out of current answers: sensor lists, the
compliance table, health, and the residents' page and public API (404 there). Deleting removes the registry
entry of a retired sensor; its readings stay in the reading store (docs/api.md "Retire or delete a sensor").
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from noiselab.api.auth import KeysDep, RequireAdmin
from noiselab.api.deps import RegistryDep, StoreDep
from noiselab.api.openapi import problems, refused_when_valid
from noiselab.api.routes.audit import actor_of
from noiselab.api.views.query import SENSOR_ID
from noiselab.api.views.targets import ProfilesDep, profile_exists
from noiselab.domain.errors import UnknownSensor
from noiselab.domain.readings import MAX_INTERVAL_S, MIN_INTERVAL_S
from noiselab.domain.targets import AREA_CATEGORIES
from noiselab.store.registry import Registry, Sensor

router = APIRouter(tags=["admin"])

AreaCategory = Literal[AREA_CATEGORIES]  # type: ignore[valid-type]
SourceType = Literal["road", "rail", "industry", "aircraft", "wind", "mixed", "other"]


class SensorFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200, examples=["Vallensbæk Torvevej"])
    vendor: str | None = Field(None, max_length=64, examples=["simlab"])
    lat: float | None = Field(None, ge=-90, le=90, examples=[55.619])
    lon: float | None = Field(None, ge=-180, le=180, examples=[12.386])
    area_category: AreaCategory | None = Field(None, description="Land use at the receiver")
    # the four below always have a value: leave them out to keep it; null is not in the schema (422)
    source_type: SourceType | SkipJsonSchema[None] = Field(None, description="Dominant noise source")
    facade: bool | SkipJsonSchema[None] = Field(
        None, description="Mounted on a façade (levels lowered before comparison)"
    )
    sonometer_class: Literal["1", "2"] | None = Field(None, description="IEC 61672-1 class")
    interval_s: float | None = Field(
        None, ge=MIN_INTERVAL_S, le=MAX_INTERVAL_S, description="Reporting interval in seconds"
    )
    target_profile: str | None = Field(None, max_length=64, examples=["dk-road"])
    public: bool | SkipJsonSchema[None] = Field(
        None, description="Shown on the resident page and to the public API"
    )
    placed: bool | SkipJsonSchema[None] = Field(None, description="Default: true once lat and lon are known")


class SensorIn(SensorFields):
    sensor_id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$", examples=["vb-torvevej-01"])


NOT_NULL = ("source_type", "facade", "public", "placed")  # registry columns that always have a value
UNKNOWN_PROFILE = "a `target_profile` that is neither a preset nor a saved custom profile (GET /v1/targets)"


def _apply(sensor: Sensor, fields: dict[str, Any], profiles: Any) -> Sensor:
    nulls = [key for key in NOT_NULL if key in fields and fields[key] is None]
    if nulls:
        raise HTTPException(422, f"{', '.join(nulls)} cannot be null; leave a field out to keep its value")
    profile = fields.get("target_profile")
    if profile is not None and not profile_exists(profiles, profile):
        raise HTTPException(422, f"unknown target profile {profile!r}; see GET /v1/targets")
    for key, value in fields.items():
        setattr(sensor, key, value)
    if "placed" not in fields and sensor.lat is not None and sensor.lon is not None:
        sensor.placed = True
    return sensor


@router.post(
    "/v1/sensors",
    status_code=201,
    summary="Register a sensor (admin)",
    responses=problems(409),
    openapi_extra=refused_when_valid(UNKNOWN_PROFILE),
)
def create_sensor(
    body: SensorIn, caller: RequireAdmin, registry: RegistryDep, profiles: ProfilesDep
) -> dict[str, Any]:
    if registry.get_sensor(body.sensor_id) is not None:
        raise HTTPException(409, f"sensor {body.sensor_id!r} exists; use PATCH to change it")
    fields = body.model_dump(exclude_none=True, exclude={"sensor_id"})
    sensor = _apply(Sensor(body.sensor_id), fields, profiles)
    registry.upsert_sensor(sensor)
    registry.audit.record(actor_of(caller), "sensor.create", f"sensor:{sensor.sensor_id}", fields)
    return sensor.as_dict()


@router.patch(
    "/v1/sensors/{sensor_id}",
    summary="Edit or place a sensor (admin)",
    description="Only the fields given change. Giving lat and lon places an auto-registered sensor.",
    openapi_extra=refused_when_valid(UNKNOWN_PROFILE),
)
def patch_sensor(
    body: SensorFields,
    caller: RequireAdmin,
    registry: RegistryDep,
    profiles: ProfilesDep,
    sensor_id: str = SENSOR_ID,
) -> dict[str, Any]:
    sensor = registry.get_sensor(sensor_id)
    if sensor is None:
        raise UnknownSensor(f"no sensor {sensor_id!r} in the registry")
    changes = body.model_dump(exclude_unset=True)
    sensor = _apply(sensor, changes, profiles)
    registry.upsert_sensor(sensor)
    registry.audit.record(actor_of(caller), "sensor.update", f"sensor:{sensor_id}", changes)
    return sensor.as_dict()


def _registered(registry: Registry, sensor_id: str) -> Sensor:
    sensor = registry.get_sensor(sensor_id)
    if sensor is None:
        raise UnknownSensor(f"no sensor {sensor_id!r} in the registry")
    return sensor


@router.post(
    "/v1/sensors/{sensor_id}/retire",
    summary="Retire a sensor (admin): it keeps its data but leaves current answers",
    description="A retired sensor stays readable by id (daily, levels, events; `retired: true`) but leaves "
    "sensor lists (`?include_retired=true` shows it), compliance, health and the residents' page. 409 when "
    "it is already retired; `POST .../reinstate` undoes it.",
    responses=problems(409),
)
def retire_sensor(caller: RequireAdmin, registry: RegistryDep, sensor_id: str = SENSOR_ID) -> dict[str, Any]:
    sensor = _registered(registry, sensor_id)
    if not registry.retire_sensor(sensor_id, at_ms=int(time.time() * 1000)):
        raise HTTPException(
            409, f"sensor {sensor_id!r} is already retired (since retired_ms={sensor.retired_ms})"
        )
    registry.audit.record(actor_of(caller), "sensor.retire", f"sensor:{sensor_id}")
    return _registered(registry, sensor_id).as_dict()


@router.post(
    "/v1/sensors/{sensor_id}/reinstate",
    summary="Bring a retired sensor back into current answers (admin)",
    responses=problems(409),
)
def reinstate_sensor(
    caller: RequireAdmin, registry: RegistryDep, sensor_id: str = SENSOR_ID
) -> dict[str, Any]:
    _registered(registry, sensor_id)
    if not registry.reinstate_sensor(sensor_id):
        raise HTTPException(409, f"sensor {sensor_id!r} is not retired")
    registry.audit.record(actor_of(caller), "sensor.reinstate", f"sensor:{sensor_id}")
    return _registered(registry, sensor_id).as_dict()


@router.delete(
    "/v1/sensors/{sensor_id}",
    summary="Delete a retired sensor's registry entry (admin); its readings are kept",
    description="Only a retired sensor can be deleted (409 otherwise: retire it first). The registry entry "
    "goes (name, place, target, owner); **the stored readings are not deleted**: they stay in the reading "
    "store, readable by id with an engineer key and exported by `noiselab export`, but in no list, "
    "compliance table or public answer. `readings_kept` says whether there are any. Readings sent later "
    "under the same id register it anew, owned by the first vendor that writes them.",
    responses=problems(409),
)
def delete_sensor(
    caller: RequireAdmin, registry: RegistryDep, store: StoreDep, sensor_id: str = SENSOR_ID
) -> dict[str, Any]:
    sensor = _registered(registry, sensor_id)
    if not sensor.retired:
        raise HTTPException(409, f"sensor {sensor_id!r} is not retired; retire it first (POST .../retire)")
    kept = store.latest(sensor_id) is not None
    registry.delete_sensor(sensor_id)
    registry.audit.record(
        actor_of(caller), "sensor.delete", f"sensor:{sensor_id}", {**sensor.as_dict(), "readings_kept": kept}
    )
    detail = (
        "registry entry deleted; the stored readings are kept in the reading store (orphans: readable by id, "
        "in no list or public answer)"
        if kept
        else "registry entry deleted; there were no stored readings"
    )
    return {"sensor_id": sensor_id, "deleted": True, "readings_kept": kept, "detail": detail}


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["vendor", "engineer", "admin"]
    vendor: str | None = Field(None, pattern=r"^[A-Za-z0-9._-]{1,64}$", description="Vendor keys only")
    label: str | None = Field(None, max_length=200)


@router.get("/v1/keys", summary="API keys (admin); the keys themselves are never shown again")
def list_keys(_: RequireAdmin, keys: KeysDep) -> list[dict[str, Any]]:
    return [k.as_dict() for k in keys.list()]


@router.post("/v1/keys", status_code=201, summary="Create an API key (admin); the key is in the answer once")
def create_key(body: KeyIn, caller: RequireAdmin, keys: KeysDep, registry: RegistryDep) -> dict[str, Any]:
    try:
        info, key = keys.create(body.role, vendor=body.vendor, label=body.label)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    detail = {"role": info.role, "vendor": info.vendor, "label": info.label, "hint": info.hint}
    registry.audit.record(actor_of(caller), "key.create", f"key:{info.key_id}", detail)
    return {**info.as_dict(), "key": key}


@router.delete(
    "/v1/keys/{key_id}",
    status_code=204,
    summary="Revoke an API key (admin)",
    description="The key of the request itself is revoked only with `?confirm=true` (else 409): revoking it "
    "locks this caller out.",
    responses=problems(409),
)
def revoke_key(
    caller: RequireAdmin,
    keys: KeysDep,
    registry: RegistryDep,
    key_id: Annotated[int, Path(ge=1, le=2**62)],
    confirm: Annotated[bool, Query(description="Needed to revoke the key of this request")] = False,
) -> None:
    if key_id == caller.key_id and not confirm:
        raise HTTPException(409, "this is the key of this request; add ?confirm=true to revoke it anyway")
    if not keys.revoke(key_id):
        raise HTTPException(404, f"no active key {key_id}")
    registry.audit.record(actor_of(caller), "key.revoke", f"key:{key_id}")
