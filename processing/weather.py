"""Weather per UTC hour from a station's 10-minute or hourly series, and the hour filters trials use.

Aggregation of the observations whose time falls in the UTC hour ``[h, h + 3600)``:

    wind_speed_ms  arithmetic mean of the speeds
    wind_dir_deg   direction of the mean wind vector, atan2(Σ v·sin θ, Σ v·cos θ) in 0..360 (a plain mean of
                   350° and 10° would give 180°), v = 1 where the speed is unknown; NaN when it vanishes
    precip_mm      sum of the precipitation (10-min sums add up to the hour; an hourly value is kept)
    temp_c         arithmetic mean

NaN observations are ignored per field; an hour with no finite value of a field has NaN for that field.
Directions follow the meteorological convention (where the wind comes *from*, clockwise from north).

Filters (ISO 1996-2:2017 §7 and CEN/TS 16272-7 ask for measurements under comparable, favourable
propagation conditions; the trial chooses which): an hour passes when every field a condition needs is
known and

    max_wind_ms         wind_speed_ms <= max_wind_ms
    wind_sector_deg     wind_dir_deg in the clockwise sector [from, to] (it may wrap north: (300, 60))
    dry_only            precip_mm == 0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from noiselab.processing.rollups import sum_by

__all__ = ["HourlyWeather", "WeatherConditions", "hourly_weather", "weather_differences", "weather_mask"]

# "different weather" between two sets of hours (our thresholds, see docs/trials.md)
WIND_DIFF_MS = 2.0
WET_SHARE_DIFF = 0.15
TEMP_DIFF_C = 10.0

HOUR_S = 3600


@dataclass(frozen=True)
class HourlyWeather:
    """Weather per UTC hour start ``hour_s`` (sorted, unique)."""

    hour_s: NDArray[np.int64]
    wind_speed_ms: NDArray[np.float64]
    wind_dir_deg: NDArray[np.float64]
    precip_mm: NDArray[np.float64]
    temp_c: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.hour_s.shape[0])

    def on(self, hour_s: ArrayLike) -> HourlyWeather:
        """The same fields on another grid of hour starts (NaN where this series has no hour)."""
        grid = np.asarray(hour_s, dtype=np.int64)
        pos = np.searchsorted(self.hour_s, grid)
        pos_c = np.clip(pos, 0, max(len(self) - 1, 0))
        hit = (pos < len(self)) & (self.hour_s[pos_c] == grid) if len(self) else np.zeros(grid.shape, bool)

        def take(a: NDArray[np.float64]) -> NDArray[np.float64]:
            if not len(self):
                return np.full(grid.shape, np.nan)
            return np.where(hit, a[pos_c], np.nan)

        return HourlyWeather(
            grid, take(self.wind_speed_ms), take(self.wind_dir_deg), take(self.precip_mm), take(self.temp_c)
        )


@dataclass(frozen=True)
class WeatherConditions:
    """Optional hour filters; None means "no condition on this field"."""

    max_wind_ms: float | None = None
    wind_sector_deg: tuple[float, float] | None = None
    dry_only: bool = False

    @property
    def any(self) -> bool:
        return self.max_wind_ms is not None or self.wind_sector_deg is not None or self.dry_only


def _mean_by(index: NDArray[np.intp], values: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    ok = np.isfinite(values)
    total = sum_by(index[ok], values[ok], n)
    count = sum_by(index[ok], np.ones(int(ok.sum())), n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def hourly_weather(
    time_s: ArrayLike,
    *,
    wind_speed_ms: ArrayLike,
    wind_dir_deg: ArrayLike,
    precip_mm: ArrayLike,
    temp_c: ArrayLike,
) -> HourlyWeather:
    """Aggregate observations at UTC epoch seconds ``time_s`` to UTC hours (see the module docstring)."""
    t = np.asarray(time_s, dtype=np.float64)
    n_obs = t.shape[0]
    fields = [
        np.broadcast_to(np.asarray(a, dtype=np.float64), (n_obs,))
        for a in (wind_speed_ms, wind_dir_deg, precip_mm, temp_c)
    ]
    if n_obs == 0:
        e = np.zeros(0, dtype=np.float64)
        return HourlyWeather(np.zeros(0, dtype=np.int64), e, e, e, e)
    if not np.all(np.isfinite(t)):
        raise ValueError("weather times must be finite")
    hour = (np.floor_divide(t, HOUR_S) * HOUR_S).astype(np.int64)
    hours, inv = np.unique(hour, return_inverse=True)
    inv = inv.reshape(-1).astype(np.intp)
    n = hours.shape[0]
    speed, direction, precip, temp = fields
    rad = np.deg2rad(direction)
    ok_dir = np.isfinite(direction)
    # weight each direction by its speed (unit weight where the speed is unknown); calm carries no direction
    weight = np.where(np.isfinite(speed), speed, 1.0)
    u = sum_by(inv[ok_dir], (weight * np.sin(rad))[ok_dir], n)
    v = sum_by(inv[ok_dir], (weight * np.cos(rad))[ok_dir], n)
    n_dir = sum_by(inv[ok_dir], np.ones(int(ok_dir.sum())), n)
    vanished = (n_dir == 0) | (np.hypot(u, v) < 1e-9)
    mean_dir = np.where(vanished, np.nan, np.mod(np.rad2deg(np.arctan2(u, v)), 360.0))
    ok_p = np.isfinite(precip)
    precip_sum = sum_by(inv[ok_p], precip[ok_p], n)
    n_p = sum_by(inv[ok_p], np.ones(int(ok_p.sum())), n)
    return HourlyWeather(
        hour_s=hours.astype(np.int64),
        wind_speed_ms=_mean_by(inv, speed, n),
        wind_dir_deg=mean_dir,
        precip_mm=np.where(n_p > 0, precip_sum, np.nan),
        temp_c=_mean_by(inv, temp, n),
    )


def in_sector(direction_deg: ArrayLike, sector_deg: tuple[float, float]) -> NDArray[np.bool_]:
    """Whether each direction lies in the clockwise sector ``[from, to]`` (wrapping through north)."""
    d = np.mod(np.asarray(direction_deg, dtype=np.float64), 360.0)
    lo, hi = (float(x) % 360.0 for x in sector_deg)
    with np.errstate(invalid="ignore"):
        inside = (d >= lo) & (d <= hi) if lo <= hi else (d >= lo) | (d <= hi)
    return np.asarray(inside & np.isfinite(d), dtype=np.bool_)


def weather_mask(weather: HourlyWeather, conditions: WeatherConditions) -> NDArray[np.bool_]:
    """True for the hours of ``weather`` that pass every condition (an unknown field fails its condition)."""
    ok = np.ones(len(weather), dtype=np.bool_)
    with np.errstate(invalid="ignore"):
        if conditions.max_wind_ms is not None:
            ok &= np.isfinite(weather.wind_speed_ms) & (weather.wind_speed_ms <= conditions.max_wind_ms)
        if conditions.wind_sector_deg is not None:
            ok &= in_sector(weather.wind_dir_deg, conditions.wind_sector_deg)
        if conditions.dry_only:
            ok &= np.isfinite(weather.precip_mm) & (weather.precip_mm == 0.0)
    return ok


def _mean_of(values: NDArray[np.float64], mask: NDArray[np.bool_]) -> float:
    v = values[mask]
    v = v[np.isfinite(v)]
    return float(np.mean(v)) if v.size else float("nan")


def weather_differences(
    weather: HourlyWeather, first: NDArray[np.bool_], second: NDArray[np.bool_]
) -> list[str]:
    """Plain descriptions of how the weather of two sets of hours differs beyond our thresholds.

    Compared: mean wind speed (> 2 m/s apart), share of wet hours (> 15 points), mean temperature (> 10 °C).
    An unknown field is not compared.
    """
    out: list[str] = []
    wind = [_mean_of(weather.wind_speed_ms, m) for m in (first, second)]
    wet_hours = np.where(np.isfinite(weather.precip_mm), (weather.precip_mm > 0).astype(np.float64), np.nan)
    wet = [_mean_of(wet_hours, m) for m in (first, second)]
    temp = [_mean_of(weather.temp_c, m) for m in (first, second)]
    if abs(wind[1] - wind[0]) > WIND_DIFF_MS:
        out.append(f"mean wind speed {wind[0]:.1f} m/s before, {wind[1]:.1f} m/s after")
    if abs(wet[1] - wet[0]) > WET_SHARE_DIFF:
        out.append(f"wet hours {wet[0]:.0%} before, {wet[1]:.0%} after")
    if abs(temp[1] - temp[0]) > TEMP_DIFF_C:
        out.append(f"mean temperature {temp[0]:.1f} °C before, {temp[1]:.1f} °C after")
    return out
