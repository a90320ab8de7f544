"""Levels per interval: raw readings (engineer) or energy-averaged 1min/15min/1h/1d buckets."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from noiselab.api.auth import Caller, demand
from noiselab.api.csv import AsCsv, respond
from noiselab.api.deps import StoreDep
from noiselab.api.options import MetricOptionsDep
from noiselab.api.paging import Cursor, limit_query, with_next
from noiselab.api.views import levels as view
from noiselab.api.views.query import VisibleSensor, ZonedDatetime, time_range_ms

router = APIRouter(prefix="/v1/sensors", tags=["levels"])

Start = Annotated[
    ZonedDatetime,
    Query(description="Start (included), ISO 8601 with a zone", examples=["2026-06-10T00:00:00Z"]),
]
End = Annotated[
    ZonedDatetime,
    Query(description="End (excluded), ISO 8601 with a zone", examples=["2026-06-11T00:00:00+02:00"]),
]
Interval = Literal["raw", "1min", "15min", "1h", "1d"]

EXAMPLE = [
    {
        "start": "2026-06-10T07:00:00Z",
        "interval_s": 3600.0,
        "laeq": 61.3,
        "lafmax": 78.4,
        "lcpeak": None,
        "seconds": 3600.0,
        "coverage": 1.0,
    }
]


@router.get(
    "/{sensor_id}/levels",
    summary="Levels per interval (energy-averaged LAeq, max LAFmax)",
    description=(
        "LAeq per interval as the energy mean of the readings (time-weighted by interval_s), the maximum of "
        "reported LAFmax and LCpeak, and the measured seconds and coverage of each interval. Intervals: "
        "`raw` (readings as stored; engineer key; any range, paged: at most `limit` readings per page, the "
        "next page in the `Link: rel=next` header), `1min` (engineer key), `15min`, `1h`, `1d` (days "
        "from `day_start`, 07:00 by default). At most 10 000 intervals per request. Only intervals with "
        "data are returned. CSV columns: " + ",".join(h for _, h in view.COLUMNS)
    ),
    responses={200: {"content": {"application/json": {"example": EXAMPLE}, "text/csv": {}}}},
)
def levels(
    request: Request,
    sensor: VisibleSensor,
    caller: Caller,
    store: StoreDep,
    options: MetricOptionsDep,
    as_csv: AsCsv,
    start: Start,
    end: End,
    interval: Annotated[Interval, Query(description="Interval length")] = "1h",
    cursor: Cursor = None,
    limit: Annotated[int, limit_query(view.RAW_DEFAULT_LIMIT, view.RAW_MAX_LIMIT)] = view.RAW_DEFAULT_LIMIT,
) -> Any:
    if interval in ("raw", "1min"):
        demand(caller, "engineer", f"{interval} levels")
    start_ms, end_ms = time_range_ms(start, end, max_s=10 * 366 * 86_400)
    view.check_span(interval, start_ms, end_ms)
    name = f"{sensor.sensor_id}-levels-{interval}"
    if interval == "raw":
        first = start_ms if cursor is None else max(start_ms, cursor)
        rows, nxt = view.raw_page(store, sensor.sensor_id, first, end_ms, limit=limit)
        return with_next(respond(rows, as_csv, view.COLUMNS, name), request, nxt)
    rows = view.bucket_rows(
        store, sensor.sensor_id, start_ms, end_ms, interval, options.tz, options.day_start_h
    )
    return respond(rows, as_csv, view.COLUMNS, name)
