"""Daily records (SPEC §5) and annual values of one sensor, with the comparison against its target profile.

Levels in the records are as measured. The ``targets`` list compares them with the sensor's limit values:
free-field limits, so a façade-mounted sensor's levels are lowered by the façade correction first
(``facade_correction_db`` says by how much). A single day is always ``indicative`` against a limit (limits
are long-term, annual values); an annual value is indicative when its coverage is below the threshold.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from noiselab.api.views.query import date_range_ms
from noiselab.api.views.source import hourly_rollups
from noiselab.domain.settings import Settings
from noiselab.domain.targets import Limit, compare
from noiselab.processing.annual import annual_from_sums
from noiselab.processing.daily import daily_from_rollups
from noiselab.processing.daysums import day_sums_from_rollups
from noiselab.processing.periods import SCHEMES
from noiselab.store.base import ReadingStore
from noiselab.store.registry import Sensor

MAX_DAYS = 366

DAILY_COLUMNS = [
    ("sensor_id", "sensor_id"),
    ("date", "date_local"),
    ("lden", "lden_db"),
    ("lday", "lday_db"),
    ("levening", "levening_db"),
    ("lnight", "lnight_db"),
    ("laeq24", "laeq24_db"),
    ("lafmax", "lafmax_db"),
    ("la10", "la10_db"),
    ("la50", "la50_db"),
    ("la90", "la90_db"),
    ("la95", "la95_db"),
    ("coverage", "coverage_ratio"),
    ("valid", "valid"),
    ("lcpeak", "lcpeak_db"),
    ("coverage_day", "coverage_day_ratio"),
    ("coverage_evening", "coverage_evening_ratio"),
    ("coverage_night", "coverage_night_ratio"),
    ("facade", "facade_mounted"),
    ("target_profile", "target_profile"),
    ("lden_limit_db", "lden_limit_db"),
    ("lden_value_db", "lden_free_field_db"),
    ("lden_margin_db", "lden_margin_db"),
    ("lden_exceeded", "lden_exceeded"),
    ("lnight_limit_db", "lnight_limit_db"),
    ("lnight_value_db", "lnight_free_field_db"),
    ("lnight_margin_db", "lnight_margin_db"),
    ("lnight_exceeded", "lnight_exceeded"),
    ("indicative", "indicative"),
]

ANNUAL_COLUMNS = [
    ("sensor_id", "sensor_id"),
    ("year", "year"),
    ("lden", "lden_db"),
    ("lday", "lday_db"),
    ("levening", "levening_db"),
    ("lnight", "lnight_db"),
    ("coverage", "coverage_ratio"),
    ("coverage_day", "coverage_day_ratio"),
    ("coverage_evening", "coverage_evening_ratio"),
    ("coverage_night", "coverage_night_ratio"),
    *DAILY_COLUMNS[18:],
    # 95 % day-block bootstrap intervals (processing.annual), appended so that older columns keep their place
    ("lden_ci95_low", "lden_ci95_low_db"),
    ("lden_ci95_high", "lden_ci95_high_db"),
    ("lnight_ci95_low", "lnight_ci95_low_db"),
    ("lnight_ci95_high", "lnight_ci95_high_db"),
]


def interval_cells(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows for CSV: each ``<metric>_ci95: [low, high]`` also as ``<metric>_ci95_low`` / ``_high`` cells."""
    out = []
    for rec in rows:
        flat = dict(rec)
        for key, value in rec.items():
            if key.endswith("_ci95"):
                flat[f"{key}_low"], flat[f"{key}_high"] = value if value else (None, None)
        out.append(flat)
    return out


def _attach_targets(
    rec: dict[str, Any], sensor: Sensor, limits: list[Limit], settings: Settings, *, indicative: bool
) -> dict[str, Any]:
    targets = [
        compare(
            rec.get(lim.metric),
            lim,
            facade=sensor.facade,
            correction_db=settings.facade_correction_db,
            indicative=indicative,
        )
        for lim in limits
    ]
    rec["facade"] = sensor.facade
    rec["target_profile"] = limits[0].profile_id if limits else None
    for metric in ("lden", "lnight"):
        # the CSV's fixed columns: the first non-label limit of the metric
        first = next((t for t in targets if t["metric"] == metric and t["kind"] != "label"), None)
        for key in ("limit_db", "value_db", "margin_db", "exceeded"):
            rec[f"{metric}_{key}"] = first[key] if first else None
    rec["indicative"] = indicative
    rec["targets"] = targets
    return rec


def daily_records(
    store: ReadingStore, sensor: Sensor, start: date, end: date, settings: Settings, limits: list[Limit]
) -> list[dict[str, Any]]:
    start_ms, end_ms = date_range_ms(start, end, settings.tz, max_days=MAX_DAYS)
    r = hourly_rollups(store, sensor.sensor_id, start_ms, end_ms)
    table = daily_from_rollups(
        r,
        sensor_ids=[sensor.sensor_id],
        scheme=settings.scheme,
        tz=settings.tz,
        valid_threshold=settings.coverage_threshold,
    )
    return [_attach_targets(rec, sensor, limits, settings, indicative=True) for rec in table.to_records()]


def annual_records(
    store: ReadingStore, sensor: Sensor, year: int, settings: Settings, limits: list[Limit]
) -> list[dict[str, Any]]:
    start_ms, end_ms = date_range_ms(date(year, 1, 1), date(year, 12, 31), settings.tz, max_days=MAX_DAYS)
    r = hourly_rollups(store, sensor.sensor_id, start_ms, end_ms)
    sums = day_sums_from_rollups(r, scheme=SCHEMES[settings.scheme], tz=settings.tz)
    table = annual_from_sums(sums, sensor_ids=[sensor.sensor_id], valid_threshold=settings.coverage_threshold)
    return [
        _attach_targets(rec, sensor, limits, settings, indicative=bool(rec["indicative"]))
        for rec in table.to_records()
    ]
