"""Daily records (SPEC §5) and annual values, with the comparison against the sensor's target profile."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from noiselab.api.csv import AsCsv, respond
from noiselab.api.deps import SettingsDep, StoreDep
from noiselab.api.views import daily as view
from noiselab.api.views.query import VisibleSensor
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
        "One record per local calendar date (settings tz, 23/24/25 h around DST) from `start` to `end` "
        "(both included, at most 366 days); dates without data are left out. Levels are energy means of "
        "the readings in each period; Lden uses the scheme's nominal hours and penalties; a period without "
        "data makes its level and Lden null. `valid`: every period has at least the coverage threshold. "
        "`targets` compares the levels with the sensor's target profile (façade-mounted sensors are lowered "
        "by the façade correction first; a single day is always indicative against a long-term limit). "
        "CSV columns: " + ",".join(h for _, h in view.DAILY_COLUMNS)
    ),
    responses={200: {"content": {"application/json": {"example": DAILY_EXAMPLE}, "text/csv": {}}}},
)
def daily(
    sensor: VisibleSensor,
    store: StoreDep,
    settings: SettingsDep,
    profiles: ProfilesDep,
    as_csv: AsCsv,
    start: Annotated[date, Query(description="First local date, YYYY-MM-DD", examples=["2026-06-01"])],
    end: Annotated[
        date, Query(description="Last local date (included), YYYY-MM-DD", examples=["2026-06-30"])
    ],
) -> Any:
    limits = sensor_limits(profiles, sensor)
    rows = view.daily_records(store, sensor, start, end, settings, limits)
    return respond(rows, as_csv, view.DAILY_COLUMNS, f"{sensor.sensor_id}-daily")


@router.get(
    "/{sensor_id}/annual",
    summary="Annual Lden, Lday, Levening, Lnight of a calendar year, with coverage",
    description=(
        "Annual period levels use all data of each period in the (local) calendar year, and Lden is formed "
        "from them (Directive 2002/49/EC Annex I) - not an average of daily Lden values. `indicative` is "
        "true when any period's coverage is below the threshold. `lden_ci95`, `l<period>_ci95`: 95 % "
        "intervals [low, high] from a day-block bootstrap over the year's measured days (docs/trials.md). "
        "CSV columns: "
        + ",".join(h for _, h in view.ANNUAL_COLUMNS)
    ),
)
def annual(
    sensor: VisibleSensor,
    store: StoreDep,
    settings: SettingsDep,
    profiles: ProfilesDep,
    as_csv: AsCsv,
    year: Annotated[int, Query(ge=1970, le=2100, description="Calendar year", examples=[2026])],
) -> Any:
    limits = sensor_limits(profiles, sensor)
    rows = view.annual_records(store, sensor, year, settings, limits)
    if as_csv:
        rows = view.interval_cells(rows)
    return respond(rows, as_csv, view.ANNUAL_COLUMNS, f"{sensor.sensor_id}-annual-{year}")
