"""``noiselab import-weather FILE.csv``: a weather station's 10-minute or hourly series into the registry.

Accepted CSV shapes (header row; columns in any order; docs/trials.md has the details):

- wide, noiselab names: ``time, wind_speed_ms, wind_dir_deg, precip_mm, temp_c``
- wide, DMI open-data parameter names: ``observed`` (or ``time``), ``wind_speed``, ``wind_dir``,
  ``precip_past10min`` (or ``precip_past1h``), ``temp_dry``
- long, as DMI's metObs API delivers observations: ``observed, parameterId, value`` (other columns such as
  ``stationId`` are ignored); the parameter ids above become the columns

Times are ISO 8601 with a zone (``Z`` or an offset) or epoch seconds; a time without a zone is refused.
Values are aggregated to UTC hours by :func:`noiselab.processing.weather.hourly_weather` and upserted, so a
re-import replaces the hours it covers. Any bad line refuses the whole file (nothing is stored) with the line
numbers, so a half-imported series never filters a trial.
"""

from __future__ import annotations

import csv
import math
from datetime import datetime
from pathlib import Path

import click
import numpy as np

from noiselab.cli.wiring import open_registry
from noiselab.domain.settings import Settings
from noiselab.processing.weather import hourly_weather

FIELDS = ("wind_speed_ms", "wind_dir_deg", "precip_mm", "temp_c")
ALIASES = {
    "time": "time", "observed": "time", "ts": "time",
    "wind_speed_ms": "wind_speed_ms", "wind_speed": "wind_speed_ms",
    "wind_dir_deg": "wind_dir_deg", "wind_dir": "wind_dir_deg",
    "precip_mm": "precip_mm", "precip_past10min": "precip_mm", "precip_past1h": "precip_mm",
    "temp_c": "temp_c", "temp_dry": "temp_c",
}  # fmt: skip
RANGES = {"wind_speed_ms": (0.0, 80.0), "wind_dir_deg": (0.0, 360.0), "precip_mm": (0.0, 300.0),
          "temp_c": (-60.0, 60.0)}  # fmt: skip
MAX_ERRORS_SHOWN = 10


class WeatherFileError(click.ClickException):
    """The file cannot be imported; ``message`` says where and why."""


def _time_s(text: str) -> float:
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError(f"time {text!r} has no zone (add Z or an offset)")
    return t.timestamp()


def _value(field: str, text: str) -> float:
    if text.strip() == "":
        return math.nan  # not observed
    v = float(text)
    lo, hi = RANGES[field]
    if not (math.isfinite(v) and lo <= v <= hi):
        raise ValueError(f"{field} {text!r} outside {lo:g}..{hi:g}")
    return v


def read_observations(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Times (epoch s) and the four fields (NaN where not observed) of every observation in the file."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        long = {"parameterId", "value"} <= set(header) and ("observed" in header or "time" in header)
        cols = {h: ALIASES[h] for h in header if h in ALIASES}
        if not long and ("time" not in cols.values() or not set(FIELDS) & set(cols.values())):
            raise WeatherFileError(
                f"{path}: header needs a time column (time or observed) and at least one of "
                f"{', '.join(FIELDS)} (or DMI's wind_speed, wind_dir, precip_past10min, temp_dry), "
                "or the long form observed,parameterId,value"
            )
        by_time: dict[float, dict[str, float]] = {}  # one observation per time (the long form spreads it)
        errors: list[str] = []
        for line, row in enumerate(reader, start=2):
            row = {k.strip(): (v or "") for k, v in row.items() if k is not None}
            try:
                if long:
                    field = ALIASES.get(row["parameterId"].strip())
                    if field is None or field == "time":
                        continue  # a parameter trials do not use (humidity, pressure, ...)
                    obs = {field: _value(field, row["value"])}
                    t = _time_s(row.get("observed") or row.get("time") or "")
                else:
                    t = _time_s(row[next(h for h, f in cols.items() if f == "time")])
                    obs = {f: _value(f, row[h]) for h, f in cols.items() if f != "time"}
            except (ValueError, KeyError) as exc:
                errors.append(f"line {line}: {exc}")
                continue
            by_time.setdefault(t, {}).update(obs)
    if errors:
        shown = "\n".join(errors[:MAX_ERRORS_SHOWN])
        more = f"\n... and {len(errors) - MAX_ERRORS_SHOWN} more" if len(errors) > MAX_ERRORS_SHOWN else ""
        raise WeatherFileError(f"{path}: {len(errors)} bad lines, nothing imported:\n{shown}{more}")
    times = sorted(by_time)
    values = {f: np.asarray([by_time[t].get(f, math.nan) for t in times], dtype=np.float64) for f in FIELDS}
    return np.asarray(times, dtype=np.float64), values


def run(settings: Settings, path: Path, *, station: str | None) -> int:
    """Import the file; returns the number of hours stored."""
    times, values = read_observations(path)
    hourly = hourly_weather(times, **values)

    def cell(a: np.ndarray, i: int) -> float | None:
        return None if not np.isfinite(a[i]) else round(float(a[i]), 3)

    rows = [
        (int(hourly.hour_s[i]), cell(hourly.wind_speed_ms, i), cell(hourly.wind_dir_deg, i),
         cell(hourly.precip_mm, i), cell(hourly.temp_c, i), station)
        for i in range(len(hourly))
    ]  # fmt: skip
    registry = open_registry(settings)
    try:
        n = registry.weather.upsert(rows)
    finally:
        registry.close()
    click.echo(
        f"imported {len(times)} observations as {n} hours of weather" + (f" ({station})" if station else "")
    )
    return n
