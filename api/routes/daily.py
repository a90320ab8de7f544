"""Daily records (SPEC §5) and annual values, with the comparison against the sensor's target profile."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from noiselab.api.csv import AsCsv, respond
from noiselab.api.deps import StoreDep
from noiselab.api.options import MetricOptionsDep
from noiselab.api.views import daily as view
from noiselab.api.views.query import EARLIEST, LATEST, VisibleSensor
from noiselab.api.views.targets import ProfilesDep, sensor_limits

router = APIRouter(prefix="/v1/sensors", tags=["metrics"])

TARGET_EXAMPLE = {
    "metric": "lden",
    "limit_db": 58.0,
    "value_db": 63.67,
    "facade_correction_db": -3.0,
    "margin_db": -5.67,
    "exceeded": True,
    "indicative": True,
    "profile": "dk-road",
    "profile_version": "MST vejl. 4/2007",
    "label": "Housing, schools, institutions, care homes, hospitals, urban parks",
    "kind": "guideline",
    "source_url": "https://roligbolig.dk/graensevaerdier/",
}
DAILY_EXAMPLE = [
    {
        "sensor_id": "sim-001",
        "date": "2026-06-10",
        "lden": 66.67,
        "lday": 60.0,
        "levening": 60.0,
        "lnight": 60.0,
        "laeq24": 60.0,
        "lafmax": 71.2,
        "la10": 60.0,
        "la50": 60.0,
        "la90": 60.0,
        "la95": 60.0,
        "coverage": 1.0,
        "valid": True,
        "lcpeak": None,
        "coverage_day": 1.0,
        "coverage_evening": 1.0,
        "coverage_night": 1.0,
        "lafmax_day": 71.2,
        "lafmax_evening": 68.0,
        "lafmax_night": 66.5,
        "la90_day": 60.0,
        "la90_evening": 60.0,
        "la90_night": 60.0,
        "n_events_65": 0,
        "n_events_65_night": 0,
        "n_events_70": 0,
        "n_events_70_night": 0,
        "nat70": 0,
        "nat70_night": 0,
        "nat75": 0,
        "nat75_night": 0,
        "nat80": 0,
        "nat80_night": 0,
        "facade": True,
        "target_profile": "dk-road",
        "lden_limit_db": 58.0,
        "lden_value_db": 63.67,
        "lden_margin_db": -5.67,
        "lden_exceeded": True,
        "lnight_limit_db": None,
        "lnight_value_db": None,
        "lnight_margin_db": None,
        "lnight_exceeded": None,
        "indicative": True,
        "targets": [TARGET_EXAMPLE],
    }
]


@router.get(
    "/{sensor_id}/daily",
    summary="Daily records (Lden, Lday, Levening, Lnight, LAeq,24h, LAFmax, LA10..LA95, coverage)",
    description=(
        "One record per date from `start` to `end` (both included, at most 366 days), every date present "
        "(null levels and zero coverage where nothing was measured). The record of date D covers the "
        "noise day from D `day_start` (default: the scheme's day start, 07:00) to D+1 `day_start`, so its "
        "Lnight is one whole night (8 or 10 h when daylight saving changes); `day_start=00:00` gives "
        "calendar days. Levels are energy means of the readings in each period; Lden uses the scheme's "
        "nominal hours and penalties; a period without data makes its level and Lden null. `valid`: every "
        "period has at least the coverage threshold (`coverage`). Per period: `lafmax_day`, "
        "`lafmax_evening`, `lafmax_night` (the loudest moment) and `la90_day`, `la90_evening`, `la90_night` "
        "(LA90 of that period alone: the background level, to 0.1 dB classes, equal from raw readings and "
        "from the hourly rollups); "
        "events (`threshold`, `merge_gap_s`, `min_duration_s`) counted per day and night as "
        "`n_events_65`, `n_events_70` (and the requested threshold) and NAT (`nat70`, `nat75`, `nat80`: "
        "events whose max reaches 70/75/80 dB). "
        "`targets` compares the levels with the sensor's target profile (façade-mounted sensors are lowered "
        "by the façade correction first; a single day is always indicative against a long-term limit). "
        "CSV columns (then this request's event counts before `facade`): "
        + ",".join(h for _, h in view.DAILY_COLUMNS)
    ),
    responses={200: {"content": {"application/json": {"example": DAILY_EXAMPLE}, "text/csv": {}}}},
)
def daily(
    sensor: VisibleSensor,
    store: StoreDep,
    options: MetricOptionsDep,
    profiles: ProfilesDep,
    as_csv: AsCsv,
    start: Annotated[date, Query(description="First local date, YYYY-MM-DD", examples=["2026-06-01"])],
    end: Annotated[
        date, Query(description="Last local date (included), YYYY-MM-DD", examples=["2026-06-30"])
    ],
) -> Any:
    limits = sensor_limits(profiles, sensor)
    rows = view.daily_records(store, sensor, start, end, options, limits)
    return respond(rows, as_csv, view.daily_columns(rows), f"{sensor.sensor_id}-daily")


@router.get(
    "/{sensor_id}/annual",
    summary="Annual Lden, Lday, Levening, Lnight of a calendar year, with coverage",
    description=(
        "Annual period levels use all data of each period in the (local) calendar year, and Lden is formed "
        "from them (Directive 2002/49/EC Annex I) - not an average of daily Lden values. `indicative` is "
        "true when any period's coverage is below the threshold. `lden_ci95`, `l<period>_ci95`: 95 % "
        "intervals [low, high] from a day-block bootstrap over the year's measured days (docs/trials.md). "
        "CSV columns: " + ",".join(h for _, h in view.ANNUAL_COLUMNS)
    ),
)
def annual(
    sensor: VisibleSensor,
    store: StoreDep,
    options: MetricOptionsDep,
    profiles: ProfilesDep,
    as_csv: AsCsv,
    year: Annotated[
        int, Query(ge=EARLIEST.year, le=LATEST.year, description="Calendar year", examples=[2026])
    ],
) -> Any:
    limits = sensor_limits(profiles, sensor)
    rows = view.annual_records(store, sensor, year, options, limits)
    if as_csv:
        rows = view.interval_cells(rows)
    return respond(rows, as_csv, view.ANNUAL_COLUMNS, f"{sensor.sensor_id}-annual-{year}")
