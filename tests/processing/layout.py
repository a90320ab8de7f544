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
    return local_midnight_utc(day, tz), local_midnight_utc(day + timedelta(days=1), tz)


def hourly_profile_readings(
    day: date, levels_by_hour: list[float], tz: str = CPH
) -> tuple[np.ndarray, np.ndarray]:
    """One 3600-s reading per local hour 00..23 of a normal (24 h) day: (start_s, laeq)."""
    t0 = local_midnight_utc(day, tz)
    return t0 + 3600 * np.arange(24, dtype=np.int64), np.asarray(levels_by_hour, dtype=np.float64)
