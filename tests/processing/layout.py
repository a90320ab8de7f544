"""Helpers for the processing unit tests: readings laid out on local clock time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

CPH = "Europe/Copenhagen"


def local_midnight_utc(day: date, tz: str = CPH) -> int:
    """UTC epoch seconds of local 00:00 on ``day`` (midnight exists in Copenhagen)."""
    return int(datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz)).timestamp())


def day_span_s(day: date, tz: str = CPH) -> tuple[int, int]:
    """The calendar date ``day`` as UTC [start, end) epoch seconds."""
    return local_midnight_utc(day, tz), local_midnight_utc(day + timedelta(days=1), tz)


def noise_day_span_s(day: date, tz: str = CPH, day_start_h: int = 7) -> tuple[int, int]:
    """The noise day ``day`` (local ``day_start_h``:00 to the next day's) as UTC [start, end) epoch s."""
    nxt = day + timedelta(days=1)
    return (
        int(datetime(day.year, day.month, day.day, day_start_h, tzinfo=ZoneInfo(tz)).timestamp()),
        int(datetime(nxt.year, nxt.month, nxt.day, day_start_h, tzinfo=ZoneInfo(tz)).timestamp()),
    )


def hourly_profile_readings(
    day: date, levels_by_hour: list[float], tz: str = CPH
) -> tuple[np.ndarray, np.ndarray]:
    """One 3600-s reading per local hour of the noise day ``day`` (07:00 to 07:00, a normal 24-h day):
    (start_s, laeq), the reading of local hour h at ``levels_by_hour[h]``."""
    t0, _ = noise_day_span_s(day, tz)
    hours = (7 + np.arange(24)) % 24
    return t0 + 3600 * np.arange(24, dtype=np.int64), np.asarray(levels_by_hour, dtype=np.float64)[hours]
