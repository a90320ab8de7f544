"""CSV exports: the header lines are a contract; they must not change silently."""

from __future__ import annotations

import csv
import io

import pytest

from tests.api.conftest import Api

T = "start=2026-06-10T00:00:00Z&end=2026-06-10T01:00:00Z"
DAILY = (
    "sensor_id,date,lden,lday,levening,lnight,laeq24,lafmax,la10,la50,la90,la95,coverage,valid,lcpeak,"
    "coverage_day,coverage_evening,coverage_night,lafmax_day,lafmax_evening,lafmax_night,la90_day,la90_evening,"
    "la90_night,n_events_65,"
    "n_events_65_night,n_events_70,n_events_70_night,nat70,nat70_night,nat75,nat75_night,nat80,nat80_night,"
    "facade,target_profile,lden_limit_db,lden_value_db,lden_margin_db,lden_exceeded,lnight_limit_db,"
    "lnight_value_db,lnight_margin_db,lnight_exceeded,indicative"
)
ANNUAL = (
    "sensor_id,year,lden,lday,levening,lnight,coverage,coverage_day,coverage_evening,coverage_night,facade,"
    "target_profile,lden_limit_db,lden_value_db,lden_margin_db,lden_exceeded,lnight_limit_db,lnight_value_db,"
    "lnight_margin_db,lnight_exceeded,indicative,lden_ci95_low,lden_ci95_high,lnight_ci95_low,lnight_ci95_high"
)
LEVELS = "start,interval_s,laeq,lafmax,lcpeak,seconds,coverage"
EVENTS = "sensor_id,start,end,duration_s,n_readings,max_db,sel_db,threshold_db"
COMPLIANCE = (
    "sensor_id,start,end,metric,measured_db,facade_correction_db,value_db,limit_db,margin_db,exceeded,coverage,"
    "indicative,profile,profile_version,kind,label,source_url"
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
    """fac-1: a constant 60 dB calendar day on a façade, dk-road 58 dB (hand-worked in test_endpoints)."""
    url = "/v1/sensors/fac-1/daily?start=2026-06-10&end=2026-06-10&day_start=00:00&format=csv"
    text = api.get(url, "engineer").text
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert (row["sensor_id"], row["date"]) == ("fac-1", "2026-06-10")
    assert row["lden"] == "66.67" and row["lcpeak"] == "" and row["valid"] == "true"
    assert row["lday"] == row["levening"] == row["lnight"] == row["laeq24"] == row["la90"] == "60.0"
    assert row["lafmax"] == "65.0" and row["coverage"] == "1.0" and row["coverage_night"] == "1.0"
    assert row["lden_value_db"] == "63.67" and row["facade"] == "true"  # 66.67 - 3 dB façade correction
    assert (row["lden_limit_db"], row["lden_margin_db"], row["lden_exceeded"]) == ("58.0", "-5.67", "true")
    assert row["lnight_limit_db"] == "" and row["lnight_exceeded"] == ""  # dk-road sets no Lnight limit
    assert row["n_events_65"] == "0" and row["indicative"] == "true"


def _cell(value: object) -> str:
    """How docs/api.md says a JSON value is written in CSV: null empty, booleans true/false, numbers as
    in JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@pytest.mark.parametrize(("url", "header", "n_rows"), CASES)
def test_csv_rows_are_the_json_rows(api: Api, url: str, header: str, n_rows: int) -> None:
    """Every cell of every row is the JSON answer's value under the same key (intervals as _low/_high)."""
    records = api.get(url, "engineer").json()
    rows = list(csv.DictReader(io.StringIO(api.get(url + "&format=csv", "engineer").text)))
    assert len(rows) == len(records) == n_rows
    for rec, row in zip(records, rows, strict=True):
        flat = dict(rec)
        for key, value in rec.items():
            if key.endswith("_ci95"):
                flat[f"{key}_low"], flat[f"{key}_high"] = value if value is not None else (None, None)
        assert {k: row[k] for k in row} == {k: _cell(flat[k]) for k in row}


def test_json_is_the_default(api: Api) -> None:
    resp = api.get("/v1/sensors/pub-1/daily?start=2026-06-10&end=2026-06-10", "engineer")
    assert resp.headers["content-type"] == "application/json"


def test_annual_csv_carries_the_interval_beside_the_value(api: Api) -> None:
    text = api.get("/v1/sensors/fac-1/annual?year=2026&format=csv", "engineer").text
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["lden_ci95_low"] == row["lden"] == row["lden_ci95_high"]  # one constant day
    assert row["lnight_ci95_low"] == row["lnight"]
