"""Weather per hour: hand-worked aggregation of 10-minute series, the filters, and the grid alignment."""

from __future__ import annotations

import numpy as np
import pytest

from noiselab.processing.weather import (
    HourlyWeather,
    WeatherConditions,
    hourly_weather,
    in_sector,
    weather_mask,
)


def test_ten_minute_values_aggregate_to_hours() -> None:
    t = 3600 * 10 + 600 * np.arange(12)  # two hours of 10-minute observations
    speed = np.array([2, 4, 2, 4, 2, 4, 5, 5, 5, 5, 5, np.nan])
    direction = np.array([350, 10, 350, 10, 350, 10, 90, 90, 90, 90, 90, 90])
    precip = np.array([0, 0, 0.2, 0, 0.1, 0, 0, 0, 0, 0, 0, 0])
    temp = np.array([10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0])
    h = hourly_weather(t, wind_speed_ms=speed, wind_dir_deg=direction, precip_mm=precip, temp_c=temp)
    assert h.hour_s.tolist() == [36000, 39600]
    assert h.wind_speed_ms.tolist() == pytest.approx([3.0, 5.0])
    # 350° and 10° average to north (0°), not to 180°; the stronger 10° winds pull it slightly east
    assert h.wind_dir_deg[0] == pytest.approx(
        np.rad2deg(np.arctan2(3 * (4 - 2) * np.sin(np.deg2rad(10)), 3 * (4 + 2) * np.cos(np.deg2rad(10))))
    )
    assert h.wind_dir_deg[1] == pytest.approx(90.0)
    assert h.precip_mm.tolist() == pytest.approx([0.3, 0.0]) and h.temp_c.tolist() == pytest.approx(
        [12.5, 0.0]
    )


def test_an_hour_with_no_value_of_a_field_has_nan() -> None:
    h = hourly_weather([0, 600, 3600], wind_speed_ms=[np.nan, np.nan, 3], wind_dir_deg=[np.nan, 1, 2],
                       precip_mm=[np.nan, np.nan, 0], temp_c=[1, 2, np.nan])  # fmt: skip
    assert np.isnan(h.wind_speed_ms[0]) and np.isnan(h.precip_mm[0])
    assert h.wind_dir_deg[0] == pytest.approx(1.0)  # a direction without a speed still counts (unit weight)
    assert h.temp_c[0] == 1.5 and np.isnan(h.temp_c[1])
    empty = hourly_weather([], wind_speed_ms=[], wind_dir_deg=[], precip_mm=[], temp_c=[])
    assert len(empty) == 0


def test_sectors_wrap_north_and_filters_fail_unknown_fields() -> None:
    assert in_sector([0, 59, 61, 299, 301, np.nan], (300, 60)).tolist() == [
        True,
        True,
        False,
        False,
        True,
        False,
    ]
    assert in_sector([90, 180, 271], (90, 270)).tolist() == [True, True, False]
    w = HourlyWeather(np.arange(4) * 3600, np.array([3.0, 9.0, np.nan, 3.0]), np.array([0.0, 0, 0, 180]),
                      np.array([0.0, 0, 0, 0.5]), np.zeros(4))  # fmt: skip
    assert weather_mask(w, WeatherConditions(max_wind_ms=5)).tolist() == [True, False, False, True]
    assert weather_mask(w, WeatherConditions(dry_only=True)).tolist() == [True, True, True, False]
    both = WeatherConditions(max_wind_ms=5, wind_sector_deg=(300, 60), dry_only=True)
    assert weather_mask(w, both).tolist() == [True, False, False, False]
    assert weather_mask(w, WeatherConditions()).all() and not WeatherConditions().any


def test_on_another_grid_gives_nan_where_the_series_has_no_hour() -> None:
    w = HourlyWeather(
        np.array([3600, 10800]), np.array([1.0, 3.0]), np.array([10.0, 30]), np.zeros(2), np.ones(2)
    )
    g = w.on([0, 3600, 7200, 10800, 14400])
    assert np.isnan(g.wind_speed_ms[[0, 2, 4]]).all() and g.wind_speed_ms[[1, 3]].tolist() == [1.0, 3.0]
    none = HourlyWeather(np.zeros(0, np.int64), *(np.zeros(0) for _ in range(4))).on([0, 3600])
    assert np.isnan(none.temp_c).all()
