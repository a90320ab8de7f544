"""Target profiles (limit values with sources) and compliance over a range of dates."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from noiselab.api.auth import Caller, RequireAdmin
from noiselab.api.csv import AsCsv, respond
from noiselab.api.deps import RegistryDep, StoreDep
from noiselab.api.options import MetricOptionsDep
from noiselab.api.routes.audit import actor_of
from noiselab.api.views import compliance as view
from noiselab.api.views.query import date_range_ms
from noiselab.api.views.targets import ProfilesDep, profiles_view, sensor_limits
from noiselab.domain.targets import AREA_CATEGORIES, presets

router = APIRouter(tags=["targets"])

Metric = Literal["lden", "lday", "levening", "lnight", "laeq24", "lafmax"]


class LimitIn(BaseModel):
    metric: Metric
    value_db: float = Field(ge=0, le=200, examples=[58.0])
    area_categories: list[Literal[(*AREA_CATEGORIES, "*")]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: ["*"],
        min_length=1,
        description="Area categories the limit applies to; * = all",
    )
    label: str = Field("", max_length=200)
    kind: Literal["guideline", "limit", "recommendation", "reporting", "label", "custom"] = "custom"
    source_url: str | None = Field(None, max_length=500)


class ProfileIn(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$", examples=["vallensbaek-2026"])
    name: str = Field(max_length=200, examples=["Vallensbæk trial targets"])
    description: str = Field("", max_length=2000)
    source_type: str | None = Field(None, max_length=32)
    limits: list[LimitIn] = Field(min_length=1, max_length=100)


@router.get(
    "/v1/targets",
    summary="Target profiles: versioned presets (SPEC §6) and custom profiles, each limit with its source",
)
def list_targets(profiles: ProfilesDep, _: Caller) -> dict[str, Any]:
    return profiles_view(profiles)


@router.post(
    "/v1/targets",
    status_code=201,
    summary="Create or update a custom target profile (admin); each save is a new version",
)
def save_target(
    body: ProfileIn, caller: RequireAdmin, profiles: ProfilesDep, registry: RegistryDep
) -> dict[str, Any]:
    if body.id in {p["id"] for p in presets()["profiles"]}:
        raise HTTPException(409, f"{body.id!r} is a preset; choose another id for a custom profile")
    version = profiles.save(body.id, body.model_dump())
    registry.audit.record(actor_of(caller), "target.save", f"target:{body.id}", {"version": version})
    return {**body.model_dump(), "version": str(version), "preset": False}


@router.get(
    "/v1/compliance",
    summary="Compliance per sensor and limit: value, limit, margin, exceeded, coverage, indicative",
    description=(
        "For every sensor the caller may see (or `sensor_id`), the period levels over the local dates "
        "`start`..`end` (both included, at most 366 days; all data of each period, as annual values), "
        "compared with each limit of the sensor's target profile. Façade-mounted sensors are lowered by "
        "the façade correction first. `margin_db` = limit - free-field value (negative = exceeded). "
        "`indicative` when the range is shorter than 365 days or coverage is below the threshold. "
        "CSV columns: " + ",".join(h for _, h in view.COLUMNS)
    ),
)
def compliance(
    caller: Caller,
    store: StoreDep,
    registry: RegistryDep,
    options: MetricOptionsDep,
    profiles: ProfilesDep,
    as_csv: AsCsv,
    start: Annotated[date, Query(description="First local date", examples=["2025-01-01"])],
    end: Annotated[date, Query(description="Last local date (included)", examples=["2025-12-31"])],
    sensor_id: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9._-]{1,64}$")] = None,
) -> Any:
    date_range_ms(start, end, options.tz, max_days=view.MAX_DAYS)  # validates the range
    sensors = [
        s
        for s in registry.list_sensors(public_only=not caller.engineer)
        if sensor_id is None or s.sensor_id == sensor_id
    ]
    rows = [
        row
        for s in sensors
        for row in view.compliance_rows(store, s, sensor_limits(profiles, s), start, end, options)
    ]
    return respond(rows, as_csv, view.COLUMNS, "compliance")
