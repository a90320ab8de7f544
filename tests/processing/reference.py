"""A deliberately plain per-reading Python implementation of the daily metrics, for cross-checks.

No numpy, no vectorisation: datetime + zoneinfo for each reading, dicts of sums, math.log10.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

PERIODS = {
    "dk": {"day": (7, 19, 12, 0), "evening": (19, 22, 3, 5), "night": (22, 7, 9, 10)},
    "eu": {"day": (7, 19, 12, 0), "evening": (19, 23, 4, 5), "night": (23, 7, 8, 10)},
}


def period_of(hour: int, scheme: str) -> str:
    for name, (start, end, _, _) in PERIODS[scheme].items():
        if (start <= hour < end) if start < end else (hour >= start or hour < end):
            return name
    raise AssertionError(hour)


def exceeded(classes: list[tuple[int, float]], percent: float) -> float | None:
    """LA_N of (0.1 dB class, seconds) pairs: the lowest class whose cumulative share of the time reaches
    (100 − N) % (the inverted CDF), plainly: sort, add up, stop."""
    total = sum(sec for _, sec in classes)
    if total <= 0:
        return None
    cum = 0.0
    for cls, sec in sorted(classes):
        cum += sec
        if 100.0 * cum >= (100.0 - percent) * total:
            return cls / 10
    raise AssertionError("cumulative share never reached")


def daily(
    readings: list[tuple[str, float, float, float]], scheme: str, tz: str, day_start_h: int = 0
) -> dict[tuple[str, str], dict[str, float | None]]:
    """(sensor_id, start_s, interval_s, laeq) rows -> {(sensor, date): {lday, ..., lden, laeq24,
    la90_day, la90_evening, la90_night}}.

    The date of a reading is that of its local wall-clock time minus ``day_start_h`` hours (the noise day).
    """
    zone = ZoneInfo(tz)
    energy: dict[tuple[str, str, str], float] = defaultdict(float)
    seconds: dict[tuple[str, str, str], float] = defaultdict(float)
    classes: dict[tuple[str, str, str], list[tuple[int, float]]] = defaultdict(list)
    keys = set()
    for sensor, start, interval, laeq in readings:
        local = datetime.fromtimestamp(start, tz=UTC).astimezone(zone)
        day = (local.replace(tzinfo=None) - timedelta(hours=day_start_h)).date().isoformat()
        p = period_of(local.hour, scheme)
        energy[sensor, day, p] += interval * 10 ** (laeq / 10)
        seconds[sensor, day, p] += interval
        classes[sensor, day, p].append((round(laeq * 10), interval))
        keys.add((sensor, day))
    out: dict[tuple[str, str], dict[str, float | None]] = {}
    for sensor, day in keys:
        rec: dict[str, float | None] = {}
        total_e = total_s = 0.0
        lden_sum = 0.0
        complete = True
        for name, (_, _, hours, penalty) in PERIODS[scheme].items():
            s = seconds.get((sensor, day, name), 0.0)
            e = energy.get((sensor, day, name), 0.0)
            total_e += e
            rec["la90_" + name] = exceeded(classes.get((sensor, day, name), []), 90)
            total_s += s
            if s > 0:
                rec["l" + name] = 10 * math.log10(e / s)
                lden_sum += hours * 10 ** ((rec["l" + name] + penalty) / 10)  # type: ignore[operator]
            else:
                rec["l" + name] = None
                complete = False
        rec["lden"] = 10 * math.log10(lden_sum / 24) if complete else None
        rec["laeq24"] = 10 * math.log10(total_e / total_s)
        out[sensor, day] = rec
    return out


def exceedance_level(levels: list[float], seconds: list[float], n: float) -> float:
    """LA_N as documented (processing/percentiles.py, ISO 1996-1): each level in its 0.1 dB class, the
    lowest class whose cumulative share of the time reaches (100 - N) %. A loop over sorted classes."""
    by_class: dict[int, float] = defaultdict(float)
    for level, s in zip(levels, seconds, strict=True):
        by_class[round(level * 10)] += s
    total = sum(by_class.values())
    cumulative = 0.0
    for c in sorted(by_class):
        cumulative += by_class[c]
        if 100 * cumulative >= (100 - n) * total:
            return c / 10
    raise AssertionError("no time")
