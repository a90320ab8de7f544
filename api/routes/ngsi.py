"""FIWARE NoiseLevelObserved view of a sensor's latest interval."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from noiselab.api.deps import StoreDep
from noiselab.api.views.ngsi import entity_ld, entity_v2
from noiselab.api.views.query import VisibleSensor
from noiselab.domain.errors import UnknownSensor

router = APIRouter(prefix="/v1/sensors", tags=["interoperability"])


@router.get(
    "/{sensor_id}/ngsi",
    summary="Latest interval as a FIWARE NoiseLevelObserved entity (NGSI v2 or NGSI-LD)",
    description=(
        "`format=v2`: NGSI v2 key-values (application/json). `format=ld`: NGSI-LD normalized "
        "(application/ld+json, with @context). LAeq, LAmax (reported LAFmax), LAmin, dateObservedFrom/To, "
        "location (GeoJSON, lon/lat) and refDevice."
    ),
    responses={200: {"content": {"application/ld+json": {}}}},
)
def ngsi(
    sensor: VisibleSensor,
    store: StoreDep,
    format: Annotated[Literal["v2", "ld"], Query(description="v2 key-values or NGSI-LD")] = "v2",
) -> Any:
    latest = store.latest(sensor.sensor_id)
    if latest is None:
        raise UnknownSensor(f"no readings for sensor {sensor.sensor_id!r}")
    if format == "ld":
        return JSONResponse(entity_ld(sensor, latest), media_type="application/ld+json")
    return entity_v2(sensor, latest)
