"""Noise events: runs of consecutive readings above a threshold."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from noiselab.api.csv import AsCsv, respond
from noiselab.api.deps import StoreDep
from noiselab.api.routes.levels import End, Start
from noiselab.api.views import events as view
from noiselab.api.views.query import VisibleSensor, time_range_ms

router = APIRouter(prefix="/v1/sensors", tags=["events"])

EXAMPLE = [
    {
        "sensor_id": "sim-001",
        "start": "2026-06-10T07:12:03Z",
        "end": "2026-06-10T07:12:11Z",
        "duration_s": 8.0,
        "n_readings": 8,
        "max_db": 81.2,
        "sel_db": 84.6,
        "threshold_db": 65.0,
    }
]


@router.get(
    "/{sensor_id}/events",
    summary="Loud events above a threshold",
    description=(
        "An event is a run of consecutive, contiguous readings with LAeq strictly above `threshold` dB. Per "
        "event: start and end (UTC), duration, number of readings, maximum (of LAFmax where reported, else "
        "LAeq) and SEL (L_AE re 1 s). At most 31 days and 10 000 events per request. CSV columns: "
        + ",".join(h for _, h in view.COLUMNS)
    ),
    responses={200: {"content": {"application/json": {"example": EXAMPLE}, "text/csv": {}}}},
)
def events(
    sensor: VisibleSensor,
    store: StoreDep,
    as_csv: AsCsv,
    start: Start,
    end: End,
    threshold: Annotated[float, Query(ge=30, le=140, description="Threshold in dB(A)")] = 65.0,
) -> Any:
    start_ms, end_ms = time_range_ms(start, end, max_s=view.MAX_SPAN_S)
    rows = view.event_rows(store, sensor.sensor_id, start_ms, end_ms, threshold)
    return respond(rows, as_csv, view.COLUMNS, f"{sensor.sensor_id}-events")
