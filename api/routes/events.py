"""Pass-by events of a sensor: readings at or above a threshold, short dips bridged, short runs dropped."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request

from noiselab.api.csv import AsCsv, respond
from noiselab.api.deps import StoreDep
from noiselab.api.options import MetricOptionsDep
from noiselab.api.paging import Cursor, limit_query, with_next
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
        "n_readings": 7,
        "max_db": 81.2,
        "sel_db": 84.6,
        "threshold_db": 70.0,
    }
]


@router.get(
    "/{sensor_id}/events",
    summary="Pass-by events above a threshold (paged)",
    description=(
        "An event is a pass-by: readings with LAeq at or above `threshold` (default 70 dB), where dips "
        "below it shorter than `merge_gap_s` (5 s) are bridged, and runs shorter than `min_duration_s` "
        "(3 s) are dropped. Per event: start and end (UTC), duration, number of loud readings, maximum (of "
        "LAFmax where reported, else LAeq) and SEL (L_AE re 1 s, of the loud readings). Any range; at most "
        "`limit` events per page, the next page in the `Link: rel=next` header. CSV columns: "
        + ",".join(h for _, h in view.COLUMNS)
    ),
    responses={200: {"content": {"application/json": {"example": EXAMPLE}, "text/csv": {}}}},
)
def events(
    request: Request,
    sensor: VisibleSensor,
    store: StoreDep,
    as_csv: AsCsv,
    options: MetricOptionsDep,
    start: Start,
    end: End,
    cursor: Cursor = None,
    limit: Annotated[int, limit_query(view.DEFAULT_LIMIT, view.MAX_LIMIT)] = view.DEFAULT_LIMIT,
) -> Any:
    start_ms, end_ms = time_range_ms(start, end, max_s=100 * 366 * 86_400)
    if cursor is not None:
        start_ms = max(start_ms, cursor)
    rows, nxt = view.event_page(store, sensor.sensor_id, start_ms, end_ms, options.events, limit=limit)
    return with_next(respond(rows, as_csv, view.COLUMNS, f"{sensor.sensor_id}-events"), request, nxt)
