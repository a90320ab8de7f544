"""CSV exports: the header lines are a contract; they must not change silently."""

from __future__ import annotations

import csv
import io

import pytest

from tests.api.conftest import Api

T = "start=2026-06-10T00:00:00Z&end=2026-06-10T01:00:00Z"
DAILY = (
    "sensor_id,date_local,lden_db,lday_db,levening_db,lnight_db,laeq24_db,lafmax_db,la10_db,la50_db,la90_db,"
    "la95_db,coverage_ratio,valid,lcpeak_db,coverage_day_ratio,coverage_evening_ratio,coverage_night_ratio,"
    "lafmax_day_db,lafmax_evening_db,lafmax_night_db,n_events_65,n_events_65_night,n_events_70,"
    "n_events_70_night,nat70,nat70_night,nat75,nat75_night,nat80,nat80_night,facade_mounted,target_profile,lden_limit_db,lden_free_field_db,lden_margin_db,lden_exceeded,"
    "lnight_limit_db,lnight_free_field_db,lnight_margin_db,lnight_exceeded,indicative"
)
ANNUAL = (
    "sensor_id,year,lden_db,lday_db,levening_db,lnight_db,coverage_ratio,coverage_day_ratio,"
    "coverage_evening_ratio,coverage_night_ratio,facade_mounted,target_profile,lden_limit_db,"
    "lden_free_field_db,lden_margin_db,lden_exceeded,lnight_limit_db,lnight_free_field_db,lnight_margin_db,"
    "lnight_exceeded,indicative,lden_ci95_low_db,lden_ci95_high_db,lnight_ci95_low_db,lnight_ci95_high_db"
)
LEVELS = "start_utc,interval_s,laeq_db,lafmax_db,lcpeak_db,measured_s,coverage_ratio"
EVENTS = "sensor_id,start_utc,end_utc,duration_s,n_readings,max_db,sel_db,threshold_db"
COMPLIANCE = (
    "sensor_id,start_date_local,end_date_local,metric,measured_db,facade_correction_db,free_field_db,limit_db,"
    "margin_db,exceeded,coverage_ratio,indicative,profile,profile_version,limit_kind,limit_label,source_url"
)

CASES = [
    ("/v1/sensors/fac-1/daily?start=2026-06-10&end=2026-06-10&day_start=00:00", DAILY, 1),
    ("/v1/sensors/fac-1/annual?year=2026", ANNUAL, 1),
    (f"/v1/sensors/pub-1/levels?{T}&interval=15min", LEVELS, 4),
    (f"/v1/sensors/pub-1/levels?{T}&interval=raw", LEVELS, 60),
    (f"/v1/sensors/pub-1/events?{T}&threshold=59", EVENTS, 1),
    ("/v1/compliance?start=2026-06-10&end=2026-06-10&day_start=00:00", COMPLIANCE, 6),
]


@pytest.mark.parametrize(("url", "header", "n_rows"), CASES)
def test_csv_header_is_stable(api: Api, url: str, header: str, n_rows: int) -> None:
    resp = api.get(url + "&format=csv", "engineer")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/csv; charset=utf-8"
    lines = resp.text.splitlines()
    assert lines[0] == header
    assert len(lines) == n_rows + 1
    by_accept = api.get(url, "engineer", headers={"Accept": "text/csv"})
    assert by_accept.text == resp.text


def test_csv_cells(api: Api) -> None:
    url = "/v1/sensors/fac-1/daily?start=2026-06-10&end=2026-06-10&day_start=00:00&format=csv"
    text = api.get(url, "engineer").text
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["lden_db"] == "66.67" and row["lcpeak_db"] == "" and row["valid"] == "true"
    assert row["lden_free_field_db"] == "63.67" and row["facade_mounted"] == "true"


def test_json_is_the_default(api: Api) -> None:
    resp = api.get("/v1/sensors/pub-1/daily?start=2026-06-10&end=2026-06-10", "engineer")
    assert resp.headers["content-type"] == "application/json"


def test_annual_csv_carries_the_interval_beside_the_value(api: Api) -> None:
    text = api.get("/v1/sensors/fac-1/annual?year=2026&format=csv", "engineer").text
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["lden_ci95_low_db"] == row["lden_db"] == row["lden_ci95_high_db"]  # one constant day
    assert row["lnight_ci95_low_db"] == row["lnight_db"]
