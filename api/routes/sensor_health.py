"""Sensor health (engineer), sensor history and sensor pairs (admin writes, engineer reads), SPEC §11.

History records are dated: ``placement`` (placed or moved), ``calibration`` (a field check: calibrator
reference level, measured level, the offset applied from then on, by whom) and ``replacement`` (microphone
or unit). Pairs mark two sensors as ``co-located`` or ``neighbour`` for the ``drift`` check.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, ConfigDict, Field, model_validator

from noiselab.api.auth import RequireAdmin, RequireEngineer
from noiselab.api.deps import RegistryDep, SettingsDep, StoreDep
from noiselab.api.routes.alerts import Now
from noiselab.api.routes.audit import actor_of
from noiselab.api.sensor_health import all_health, iso, sensor_health
from noiselab.api.views.query import SENSOR_ID
from noiselab.domain.errors import UnknownSensor
from noiselab.store.registry import Registry

router = APIRouter(tags=["sensor health"])

SensorId = Annotated[str, SENSOR_ID]
SID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


def _known(registry: Registry, sensor_id: str) -> None:
    if registry.get_sensor(sensor_id) is None:
        raise UnknownSensor(f"no sensor {sensor_id!r}")


@router.get("/v1/sensors/{sensor_id}/health", summary="One sensor's health checks (engineer)")
def one(
    sensor_id: SensorId,
    store: StoreDep,
    registry: RegistryDep,
    settings: SettingsDep,
    _: RequireEngineer,
    now: Now,
) -> dict[str, Any]:
    _known(registry, sensor_id)
    return sensor_health(store, registry, settings, sensor_id, now_s=now)


@router.get("/v1/health/sensors", summary="Every sensor's health (engineer)")
def every(
    store: StoreDep, registry: RegistryDep, settings: SettingsDep, _: RequireEngineer, now: Now
) -> list[dict[str, Any]]:
    return all_health(store, registry, settings, now_s=now)


class HistoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["placement", "calibration", "replacement"]
    at: datetime = Field(description="When it happened (ISO 8601 with a zone)")
    by: str | None = Field(None, max_length=100, examples=["K. Hansen"])
    note: str | None = Field(None, max_length=1000)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    location: str | None = Field(None, max_length=300, examples=["Mast 3, 4 m above ground"])
    reference_db: float | None = Field(None, ge=30, le=140, examples=[94.0])
    measured_db: float | None = Field(None, ge=30, le=140, examples=[94.6])
    offset_db: float | None = Field(None, ge=-20, le=20, description="Default: reference − measured")
    part: Literal["microphone", "unit", "other"] | None = None
    serial: str | None = Field(None, max_length=100)

    @model_validator(mode="after")
    def _fits_kind(self) -> HistoryIn:
        if self.at.tzinfo is None:
            raise ValueError("at needs a time zone (Z or an offset)")
        if self.kind == "calibration" and (self.reference_db is None or self.measured_db is None):
            raise ValueError("a calibration record needs reference_db and measured_db")
        if self.kind == "placement" and self.location is None and (self.lat is None or self.lon is None):
            raise ValueError("a placement record needs lat and lon, or a location")
        if self.kind == "replacement" and self.part is None:
            raise ValueError("a replacement record needs part (microphone, unit or other)")
        if self.kind != "calibration" and self.offset_db is not None:
            raise ValueError("offset_db belongs to calibration records only")
        return self


def _record_view(r: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in r.items() if k != "at_ms"}
    out["at"] = iso(r["at_ms"] / 1000)
    return out


@router.post("/v1/sensors/{sensor_id}/history", status_code=201, summary="Add a dated history record (admin)")
def add_record(
    sensor_id: SensorId, record: HistoryIn, registry: RegistryDep, caller: RequireAdmin
) -> dict[str, Any]:
    _known(registry, sensor_id)
    body = record.model_dump(exclude={"kind", "at", "by", "offset_db"}, exclude_none=True)
    offset = None
    if record.kind == "calibration":
        assert record.reference_db is not None and record.measured_db is not None
        offset = (
            record.offset_db
            if record.offset_db is not None
            else round(record.reference_db - record.measured_db, 2)
        )
    at_ms = round(record.at.timestamp() * 1000)
    rid = registry.history.add(sensor_id, record.kind, at_ms, body, offset_db=offset, by=record.by)
    registry.audit.record(
        actor_of(caller),
        f"sensor.history.{record.kind}",
        f"sensor:{sensor_id}",
        {"id": rid, "at": iso(at_ms / 1000), **body, "offset_db": offset, "by": record.by},
    )
    return _record_view(
        {
            "id": rid,
            "sensor_id": sensor_id,
            "kind": record.kind,
            "at_ms": at_ms,
            **body,
            **({"offset_db": offset} if record.kind == "calibration" else {}),
            "by": record.by,
        }
    )


@router.get("/v1/sensors/{sensor_id}/history", summary="A sensor's dated history, oldest first (engineer)")
def list_records(sensor_id: SensorId, registry: RegistryDep, _: RequireEngineer, now: Now) -> dict[str, Any]:
    _known(registry, sensor_id)
    offsets = [off for at, off in registry.history.offsets(sensor_id) if at <= now * 1000]
    return {
        "sensor_id": sensor_id,
        "calibration_offset_db": offsets[-1] if offsets else 0.0,
        "records": [_record_view(r) for r in registry.history.records(sensor_id)],
    }


class PairIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sensor_ids: list[Annotated[str, Field(pattern=SID)]] = Field(min_length=2, max_length=2)
    relation: Literal["co-located", "neighbour"]


@router.post("/v1/sensor-pairs", status_code=201, summary="Mark two sensors co-located or neighbours (admin)")
def add_pair(pair: PairIn, registry: RegistryDep, caller: RequireAdmin) -> dict[str, Any]:
    a, b = pair.sensor_ids
    if a == b:
        raise HTTPException(422, "sensor_ids: a sensor cannot be paired with itself")
    unknown = [s for s in (a, b) if registry.get_sensor(s) is None]
    if unknown:
        raise HTTPException(422, f"sensor_ids: unknown sensor(s) {', '.join(map(repr, unknown))}")
    registry.history.set_pair(a, b, pair.relation)
    first, second = sorted((a, b))
    detail = {"relation": pair.relation}
    registry.audit.record(actor_of(caller), "sensor_pair.set", f"sensor_pair:{first},{second}", detail)
    return {"sensor_ids": [first, second], "relation": pair.relation}


@router.get("/v1/sensor-pairs", summary="Co-located and neighbouring sensor pairs (engineer)")
def list_pairs(registry: RegistryDep, _: RequireEngineer) -> list[dict[str, Any]]:
    return [{"sensor_ids": [a, b], "relation": r} for a, b, r in registry.history.pairs()]


@router.delete(
    "/v1/sensor-pairs/{sensor_a}/{sensor_b}", status_code=204, summary="Unpair two sensors (admin)"
)
def delete_pair(
    sensor_a: Annotated[str, Path(pattern=SID)],
    sensor_b: Annotated[str, Path(pattern=SID)],
    registry: RegistryDep,
    caller: RequireAdmin,
) -> None:
    if not registry.history.delete_pair(sensor_a, sensor_b):
        raise HTTPException(404, f"{sensor_a!r} and {sensor_b!r} are not paired")
    first, second = sorted((sensor_a, sensor_b))
    registry.audit.record(actor_of(caller), "sensor_pair.delete", f"sensor_pair:{first},{second}")
