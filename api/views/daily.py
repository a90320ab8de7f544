"""Daily records (SPEC §5) and annual values of one sensor, with the comparison against its target profile.

Levels in the records are as measured. The ``targets`` list compares them with the sensor's limit values:
free-field limits, so a façade-mounted sensor's levels are lowered by the façade correction first
(``facade_correction_db`` says by how much). A single day is always ``indicative`` against a limit (limits
are long-term, annual values); an annual value is indicative when its coverage is below the threshold.

Days start at the request's day start (the noise day 07:00 -> 07:00 by default). Every date of the range has
a row: a date without readings has null levels, zero coverage and zero event counts. Event counts and NAT
come from the loud readings alone (:func:`noiselab.api.views.events.loud_events`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from noiselab.api.csv import key_columns
from noiselab.api.options import MetricOptions
from noiselab.api.views.events import loud_events
from noiselab.api.views.query import date_range_ms
from noiselab.api.views.source import hourly_rollups
from noiselab.domain.targets import Limit, compare
from noiselab.processing.annual import annual_from_sums
from noiselab.processing.daily import DAILY_KEYS as RECORD_COLUMNS
from noiselab.processing.daily import DailyTable, daily_from_rollups
from noiselab.processing.daysums import day_sums_from_rollups
from noiselab.processing.events import Events
from noiselab.processing.rollups import Rollups
from noiselab.store.base import ReadingStore
from noiselab.store.registry import Sensor

MAX_DAYS = 366

# CSV headers are the record keys (SPEC §5), the same as JSON and ``noiselab compute``; units: docs/api.md
DAILY_KEYS = key_columns(*RECORD_COLUMNS)
_TARGETS = key_columns(
    "facade",
    "target_profile",
    "lden_limit_db",
    "lden_value_db",
    "lden_margin_db",
    "lden_exceeded",
    "lnight_limit_db",
    "lnight_value_db",
    "lnight_margin_db",
    "lnight_exceeded",
    "indicative",
)
DAILY_COLUMNS = [*DAILY_KEYS, *_TARGETS]

ANNUAL_COLUMNS = key_columns(
    "sensor_id",
    "year",
    "lden",
    "lday",
    "levening",
    "lnight",
    "coverage",
    "coverage_day",
    "coverage_evening",
    "coverage_night",
    *(key for key, _ in _TARGETS),
    # 95 % day-block bootstrap intervals (processing.annual), appended so that older columns keep their place
    "lden_ci95_low",
    "lden_ci95_high",
    "lnight_ci95_low",
    "lnight_ci95_high",
)


def record_columns(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The daily record's columns (``noiselab compute`` writes these): the fixed ones, then this request's
    event counts and NAT (``n_events_70``, ``n_events_70_night``, ``nat80``, ...)."""
    counts = key_columns(*(k for k in (records[0] if records else {}) if k.startswith(("n_events_", "nat"))))
    return [*DAILY_KEYS, *counts]


def daily_columns(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The daily CSV columns of the API: the record's columns, then the target comparison."""
    return [*record_columns(records), *_TARGETS]


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
    rec: dict[str, Any], sensor: Sensor, limits: list[Limit], options: MetricOptions, *, indicative: bool
) -> dict[str, Any]:
    targets = [
        compare(
            rec.get(lim.metric),
            lim,
            facade=sensor.facade,
            correction_db=options.facade_correction_db,
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


def _empty_day(sensor_id: str, day: date, keys: list[str]) -> dict[str, Any]:
    rec: dict[str, Any] = {"sensor_id": sensor_id, "date": day.isoformat()}
    for key in keys:
        counted = key.startswith(("n_events_", "nat")) or key.startswith("coverage")
        rec[key] = 0 if counted else None
    rec["valid"] = False
    return rec


@dataclass(frozen=True)
class DailyInputs:
    """What daily records rest on: the hourly rollups of [start_ms, end_ms) (the store's, or built from raw
    readings when it keeps none) and the pass-by events that start in it (kept, or found on loud readings)."""

    sensor_id: str
    start_ms: int
    end_ms: int
    rollups: Rollups
    events: Events


def daily_inputs(
    store: ReadingStore, sensor_id: str, start_ms: int, end_ms: int, options: MetricOptions
) -> DailyInputs:
    return DailyInputs(
        sensor_id,
        start_ms,
        end_ms,
        hourly_rollups(store, sensor_id, start_ms, end_ms),
        loud_events(store, sensor_id, start_ms, end_ms, options.events),
    )


def daily_table(
    inputs: DailyInputs, options: MetricOptions, *, event_thresholds: Sequence[float] | None = None
) -> DailyTable:
    """Daily records of the inputs (rows only for days with data); event counts at ``event_thresholds``
    (default: the options' ``thresholds_db``, as /daily; ``noiselab report`` adds the event threshold)."""
    return daily_from_rollups(
        inputs.rollups,
        sensor_ids=[inputs.sensor_id],
        scheme=options.scheme,
        tz=options.tz,
        valid_threshold=options.coverage_threshold,
        day_start_h=options.day_start_h,
        events=inputs.events,
        event_thresholds=options.events.thresholds_db if event_thresholds is None else event_thresholds,
        event_params=options.events,
    )


def daily_records(
    store: ReadingStore,
    sensor: Sensor,
    start: date,
    end: date,
    options: MetricOptions,
    limits: list[Limit],
) -> list[dict[str, Any]]:
    """One record per date start..end (both included), empty where nothing was measured."""
    start_ms, end_ms = date_range_ms(
        start, end, options.tz, max_days=MAX_DAYS, day_start_h=options.day_start_h
    )
    table = daily_table(daily_inputs(store, sensor.sensor_id, start_ms, end_ms, options), options)
    found = {rec["date"]: rec for rec in table.to_records()}
    keys = list(table.columns())
    days = [date.fromordinal(d) for d in range(start.toordinal(), end.toordinal() + 1)]
    return [
        _attach_targets(
            found.get(d.isoformat()) or _empty_day(sensor.sensor_id, d, keys),
            sensor,
            limits,
            options,
            indicative=True,
        )
        for d in days
    ]


def annual_records(
    store: ReadingStore, sensor: Sensor, year: int, options: MetricOptions, limits: list[Limit]
) -> list[dict[str, Any]]:
    """Annual values of the calendar year (SPEC §5: annual values use the calendar year, not noise days)."""
    start_ms, end_ms = date_range_ms(date(year, 1, 1), date(year, 12, 31), options.tz, max_days=MAX_DAYS)
    r = hourly_rollups(store, sensor.sensor_id, start_ms, end_ms)
    sums = day_sums_from_rollups(r, scheme=options.scheme, tz=options.tz, day_start_h=0)
    table = annual_from_sums(sums, sensor_ids=[sensor.sensor_id], valid_threshold=options.coverage_threshold)
    return [
        _attach_targets(rec, sensor, limits, options, indicative=bool(rec["indicative"]))
        for rec in table.to_records()
    ]
