"""Everything a compliance report shows, computed from the hourly rollups and the pass-by events of one
sensor and period: the inputs of ``/daily`` (:func:`noiselab.api.views.daily.daily_inputs`), never a scan of
the raw readings, so a report costs about the same for a month or a year of 1-s data.

The report's days are noise days (SPEC §5): local date D runs from D's day start (07:00 by default, the
settings' ``day_start``) to D+1's, so each record's Lnight is one whole night; the inputs are the hours and
events of [first day's start, the day after the last day's start). Events are the pass-bys of the settings'
event parameters (:class:`noiselab.processing.events.EventParams`): those the store keeps at write time, as
the API's, else found on the loud readings. The input hash is the SHA-256 of the canonical text of those
inputs (:mod:`noiselab.cli.report.inputs`; ``noiselab report --print-inputs`` writes it). The metrics come
from ``processing`` (energy arithmetic throughout):

    daily records        api.views.daily.daily_table -> processing.daily.daily_from_rollups (Lden, periods,
                         coverage, validity, LA_N, event counts), the same as /daily
    L_p over the period  10·log10( Σ_days s_{d,p}·10^(L_{d,p}/10) / Σ_days s_{d,p} ), s = measured seconds
    Lden over the period composite of those L_p with the scheme's nominal hours and penalties
    hourly profile       10·log10( Σ_{UTC hours in local hour h} energy / Σ seconds ) of the hourly rollups
                         (exact where the zone's offset is whole hours, which daily records need too)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from noiselab.api.options import MetricOptions
from noiselab.api.views.daily import DailyInputs, daily_inputs, daily_table
from noiselab.cli.report import inputs as canonical
from noiselab.domain import targets
from noiselab.processing.daily import DailyTable, composite_level, resolve_day_start
from noiselab.processing.decibel import level
from noiselab.processing.events import DEFAULT_EVENTS, EventParams
from noiselab.processing.periods import SCHEMES, PeriodScheme, assign, period_seconds
from noiselab.processing.rollups import sum_by
from noiselab.store.base import ReadingStore
from noiselab.store.registry import Registry, Sensor


@dataclass(frozen=True)
class ReportRequest:
    sensor_id: str
    first_day: date
    last_day: date  # included
    scheme: str = "dk"
    tz: str = "Europe/Copenhagen"
    coverage_threshold: float = 0.75
    facade_correction_db: float = 3.0
    target_id: str | None = None
    day_start_h: int | None = None  # None: the scheme's day start (the noise day); 0: calendar days
    events: EventParams = DEFAULT_EVENTS

    @property
    def day_start_hour(self) -> int:
        return resolve_day_start(SCHEMES[self.scheme], self.day_start_h)

    def bounds(self) -> tuple[datetime, datetime]:
        """The local times the report's first day starts and the day after its last day starts."""
        zone = ZoneInfo(self.tz)
        h = self.day_start_hour
        end = self.last_day + timedelta(days=1)
        lo = datetime(self.first_day.year, self.first_day.month, self.first_day.day, h, tzinfo=zone)
        return lo, datetime(end.year, end.month, end.day, h, tzinfo=zone)

    def bounds_ms(self) -> tuple[int, int]:
        lo, hi = self.bounds()
        return int(lo.timestamp() * 1000), int(hi.timestamp() * 1000)

    @property
    def event_thresholds(self) -> tuple[float, ...]:
        """The thresholds counted per night: the usual ones and the settings' threshold."""
        return tuple(sorted({*self.events.thresholds_db, self.events.threshold_db}))

    @property
    def n_days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def options(self) -> MetricOptions:
        """The request as the API's metric options (what /daily would be asked with)."""
        return MetricOptions(
            tz=self.tz,
            scheme=SCHEMES[self.scheme],
            day_start_h=self.day_start_hour,
            coverage_threshold=self.coverage_threshold,
            events=self.events,
            facade_correction_db=self.facade_correction_db,
        )


@dataclass
class ReportData:
    request: ReportRequest
    sensor: Sensor
    scheme: PeriodScheme
    inputs: DailyInputs  # the hourly rollups and events everything below is computed from
    input_sha256: str  # of their canonical text (cli.report.inputs)
    days: list[date]  # every date of the period, with or without data
    daily: dict[str, NDArray[np.float64]]  # columns aligned with ``days`` (NaN without data)
    period_levels: dict[str, float]  # lday/levening/lnight/lden over the whole period, as measured
    period_coverage: float  # measured seconds / seconds of the report
    period_coverages: dict[str, float]  # per period (day/evening/night) over the whole report
    hourly_db: NDArray[np.float64]  # 24 energy-averaged levels, local hours 0..23
    hourly_seconds: NDArray[np.float64]
    limits: list[targets.Limit] = field(default_factory=list)
    comparisons: list[dict[str, Any]] = field(default_factory=list)
    profile: dict[str, Any] | None = None

    @property
    def lden_limit(self) -> targets.Limit | None:
        """The Lden guideline the table leads with (the lowest that is not a mere label)."""
        rows = [lim for lim in self.limits if lim.metric == "lden" and lim.kind != "label"]
        return min(rows, key=lambda lim: lim.value_db) if rows else None

    @property
    def facade_offset_db(self) -> float:
        """What is added to a measured level to give the free-field value (−3 dB on a façade, else 0)."""
        return -self.request.facade_correction_db if self.sensor.facade else 0.0

    def free_field(self, name: str) -> NDArray[np.float64]:
        """A daily level column as a free-field value (the façade correction applied)."""
        return self.daily[name] + self.facade_offset_db

    @property
    def free_field_levels(self) -> dict[str, float]:
        return {k: v + self.facade_offset_db for k, v in self.period_levels.items()}

    @property
    def n_hours(self) -> int:
        """Hours with data (hourly rollup rows) the report rests on."""
        return len(self.inputs.rollups)

    @property
    def n_events(self) -> int:
        """Events (every counted threshold) the report rests on."""
        return len(self.inputs.events)

    @property
    def measured_s(self) -> float:
        return float(np.sum(self.inputs.rollups.seconds))

    def events_total(self, *, night: bool) -> int:
        """Events at the settings' threshold over the report (in the nights only with ``night``)."""
        key = f"n_events_{self.request.events.threshold_db:g}" + ("_night" if night else "")
        return int(np.nansum(self.daily.get(key, np.zeros(len(self.days)))))


def hourly_profile(
    bucket_s: NDArray[np.int64], energy: NDArray[np.float64], seconds: NDArray[np.float64], tz: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Energy-averaged LAeq per local clock hour (0..23) and the seconds measured in each, from rollup
    buckets (each counted in the local hour its start falls in; exact for buckets that align with it)."""
    hour = assign(np.asarray(bucket_s, dtype=np.float64), SCHEMES["dk"], tz).hour.astype(np.int64)
    secs = sum_by(hour, seconds, 24)
    total = sum_by(hour, energy, 24)
    with np.errstate(invalid="ignore", divide="ignore"):
        return level(total / np.where(secs > 0, secs, np.nan)), secs


def _align(
    table: DailyTable, days: list[date], scheme: PeriodScheme, tz: str, day_start_h: int
) -> dict[str, NDArray[np.float64]]:
    """Daily columns on every date of the period (NaN where a date has no data), plus measured seconds."""
    cols = table.columns()
    pos = {d.toordinal(): i for i, d in enumerate(days)}
    out: dict[str, NDArray[np.float64]] = {}
    for name, col in cols.items():
        arr = np.full(len(days), np.nan)
        for row, ordinal in enumerate(table.date_ordinal.tolist()):
            if ordinal in pos:
                arr[pos[ordinal]] = float(col[row])
        out[name] = arr
    lengths = period_seconds([d.toordinal() for d in days], scheme, tz, day_start_h=day_start_h)
    for i, p in enumerate(scheme.names):  # measured seconds per period, for the period-wide levels
        cov = np.nan_to_num(out.get(f"coverage_{p}", np.zeros(len(days))))
        out[f"seconds_{p}"] = cov * lengths[:, i]
    return out


def period_wide(daily: dict[str, NDArray[np.float64]], scheme: PeriodScheme) -> dict[str, float]:
    """L_p over all days (time-weighted energy mean of the daily L_p) and their Lden composite."""
    levels = []
    out: dict[str, float] = {}
    for p in scheme.names:
        lv = daily.get(f"l{p}", np.full(len(daily["lden"]), np.nan))
        sec = daily[f"seconds_{p}"]
        ok = np.isfinite(lv) & (sec > 0)
        total = float(np.sum(sec[ok]))
        value = float(level(np.sum(sec[ok] * np.power(10.0, lv[ok] / 10.0)) / total)) if total else np.nan
        out[f"l{p}"] = value
        levels.append(value)
    out["lden"] = float(composite_level(np.array(levels), scheme))
    return out


def _coverages(
    daily: dict[str, NDArray[np.float64]], days: list[date], scheme: PeriodScheme, tz: str, day_start_h: int
) -> dict[str, float]:
    """Measured seconds / actual seconds of each period over every day of the report."""
    lengths = period_seconds([d.toordinal() for d in days], scheme, tz, day_start_h=day_start_h)
    return {
        p: float(np.sum(daily[f"seconds_{p}"]) / np.sum(lengths[:, i])) if len(days) else 0.0
        for i, p in enumerate(scheme.names)
    }


def read_inputs(store: ReadingStore, req: ReportRequest) -> DailyInputs:
    """The hourly rollups and events of the report's period, read as ``/daily`` reads them."""
    lo, hi = req.bounds_ms()
    return daily_inputs(store, req.sensor_id, lo, hi, req.options())


def gather(store: ReadingStore, registry: Registry, req: ReportRequest) -> ReportData:
    """Read the period's hourly rollups and events once and compute every table and series of the report.

    Raises ValueError for a zone whose offset is not whole hours (hourly rollups cannot be split into its
    local periods; /daily refuses it too) and for an unknown ``target_id``.
    """
    scheme = SCHEMES[req.scheme]
    sensor = registry.get_sensor(req.sensor_id) or Sensor(sensor_id=req.sensor_id)
    inputs = read_inputs(store, req)
    try:
        table = daily_table(inputs, req.options(), event_thresholds=req.event_thresholds)
    except ValueError as exc:  # hourly buckets that straddle local periods (a +05:45 zone)
        raise ValueError(
            f"a report is computed from hourly rollups, which split into the local periods of {req.tz} "
            f"only when its UTC offset is whole hours ({exc})"
        ) from exc
    days = [req.first_day + timedelta(days=i) for i in range(req.n_days)]
    daily = _align(table, days, scheme, req.tz, req.day_start_hour)
    r = inputs.rollups
    hourly_db, hourly_s = hourly_profile(r.bucket_s, r.energy, r.seconds, req.tz)
    lo, hi = req.bounds_ms()
    data = ReportData(
        request=req,
        sensor=sensor,
        scheme=scheme,
        inputs=inputs,
        input_sha256=canonical.sha256(inputs, req.events),
        days=days,
        daily=daily,
        period_levels=period_wide(daily, scheme),
        period_coverage=float(np.sum(r.seconds)) / ((hi - lo) / 1000.0),
        period_coverages=_coverages(daily, days, scheme, req.tz, req.day_start_hour),
        hourly_db=hourly_db,
        hourly_seconds=hourly_s,
    )
    _compare(data, req)
    return data


def _compare(data: ReportData, req: ReportRequest) -> None:
    profiles = targets.all_profiles()
    pid = req.target_id or targets.profile_id_for(data.sensor.target_profile, data.sensor.source_type)
    data.profile = profiles.get(pid or "")
    if req.target_id and data.profile is None:
        raise ValueError(f"unknown target profile {req.target_id!r}; known: {', '.join(sorted(profiles))}")
    data.limits = targets.limits_for(data.profile, data.sensor.area_category)
    # anything shorter than a year is indicative when compared with a limit value (SPEC §5)
    lowest = min(data.period_coverages.values(), default=0.0)
    indicative = req.n_days < 365 or lowest < req.coverage_threshold
    for lim in data.limits:
        value = data.period_levels.get(lim.metric)
        data.comparisons.append(
            targets.compare(
                value,
                lim,
                facade=data.sensor.facade,
                correction_db=req.facade_correction_db,
                indicative=indicative,
            )
        )
