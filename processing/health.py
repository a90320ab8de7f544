"""Sensor health: pure checks over a sensor's recent readings, hourly coverage and reported status.

Each check returns a :class:`Check` with a status ``ok``, ``warning``, ``fault`` or ``unknown`` (not enough
data to tell), the time the condition began when known, and a sentence for people (SPEC §11):

===============  ==========================================================================================
``stale``        no reading has ended for longer than ``stale_warning_s`` (fault after ``stale_fault_s``)
``frozen``       the latest readings are one identical LAeq for at least ``frozen_run_s`` of measured time
                 (fault after ``frozen_fault_s``), or their standard deviation over the window is below
                 ``frozen_std_db`` (a microphone or ADC stuck near one value)
``clipped``      at least ``clip_fraction`` of the window's readings sit at its lowest or highest value
                 (within ``clip_tolerance_db``) while the rest vary: a noise floor or an overload ceiling
``clock``        readings stamped more than ``clock_future_s`` after their arrival, or arriving more than
                 ``clock_behind_s`` after they ended
``gaps``         measured seconds in the last 24 h (or since the sensor was registered) over elapsed
                 seconds: warning below ``gaps_warning``, fault below ``gaps_fault``
``battery``      the latest battery level a LoRaWAN payload reported: warning / fault below the limits
``calibration``  the last field calibration check is older than the interval (fault, overdue) or will be
                 within ``calibration_due_days`` (warning, due)
===============  ==========================================================================================

The ``drift`` check lives in :mod:`processing.drift`. A sensor's status is the worst of its known
checks (``fault`` > ``warning`` > ``ok``); it is ``unknown`` only when every check is.

Nothing here reads a clock or settings: ``now_s`` and :class:`HealthLimits` are parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "STATUSES",
    "Check",
    "HealthLimits",
    "battery_check",
    "calibration_check",
    "clipped_check",
    "clock_check",
    "frozen_check",
    "gaps_check",
    "overall_status",
    "stale_check",
]

STATUSES = ("ok", "warning", "fault", "unknown")
_SEVERITY = {"ok": 0, "warning": 1, "fault": 2}
DAY_S = 86400.0


@dataclass(frozen=True, slots=True)
class Check:
    """One check's verdict. ``since_s`` (epoch seconds) is when the condition began, if known."""

    check: str
    status: str
    detail: str
    since_s: float | None = None


@dataclass(frozen=True, slots=True)
class HealthLimits:
    """Thresholds of every check (the shell builds this from the settings; no defaults here)."""

    stale_warning_s: float
    stale_fault_s: float
    frozen_run_s: float
    frozen_fault_s: float
    frozen_std_db: float
    frozen_min_readings: int
    clip_fraction: float
    clip_tolerance_db: float
    clock_future_s: float
    clock_behind_s: float
    gaps_warning: float
    gaps_fault: float
    battery_warning_pct: float
    battery_fault_pct: float
    calibration_interval_days: float
    calibration_due_days: float


def overall_status(checks: Sequence[Check]) -> str:
    """The worst known status among ``checks``; ``unknown`` when none is known."""
    known = [c.status for c in checks if c.status in _SEVERITY]
    if not known:
        return "unknown"
    return max(known, key=lambda s: _SEVERITY[s])


def _fmt_duration(seconds: float) -> str:
    s = abs(seconds)
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    if s < 2 * DAY_S:
        return f"{s / 3600:.1f} h"
    return f"{s / DAY_S:.1f} days"


def stale_check(latest_end_s: float | None, *, now_s: float, limits: HealthLimits) -> Check:
    """How long ago the latest reading ended (its start + interval)."""
    if latest_end_s is None:
        return Check("stale", "unknown", "no readings yet")
    age_s = now_s - latest_end_s
    if age_s > limits.stale_fault_s:
        status = "fault"
    elif age_s > limits.stale_warning_s:
        status = "warning"
    else:
        return Check("stale", "ok", f"last reading ended {_fmt_duration(max(age_s, 0.0))} ago")
    return Check("stale", status, f"no reading for {_fmt_duration(age_s)}", since_s=latest_end_s)


def _trailing_run(laeq: np.ndarray) -> int:
    """Length of the run of identical values at the end of ``laeq`` (0 for an empty array)."""
    n = laeq.shape[0]
    if n == 0:
        return 0
    differs = np.nonzero(laeq != laeq[-1])[0]
    return int(n - (differs[-1] + 1)) if differs.shape[0] else n


def frozen_check(
    start_s: ArrayLike, interval_s: ArrayLike, laeq_db: ArrayLike, *, limits: HealthLimits
) -> Check:
    """A trailing run of identical LAeq values, or near-zero variance over the readings given.

    ``start_s``/``interval_s``/``laeq_db`` are the recent readings ordered by start (the shell passes
    the last hour or so). The run is measured in seconds of readings, so it means the same for 1-s
    and 60-s sensors; at least ``frozen_min_readings`` readings are needed either way.
    """
    starts = np.asarray(start_s, dtype=np.float64)
    iv = np.asarray(interval_s, dtype=np.float64)
    lv = np.asarray(laeq_db, dtype=np.float64)
    if lv.shape[0] < limits.frozen_min_readings:
        return Check("frozen", "unknown", f"{lv.shape[0]} recent readings; too few to judge")
    run = _trailing_run(lv)
    run_s = float(iv[-run:].sum())
    if run >= limits.frozen_min_readings and run_s >= limits.frozen_run_s:
        status = "fault" if run_s >= limits.frozen_fault_s else "warning"
        return Check(
            "frozen",
            status,
            f"{run} identical readings ({lv[-1]:.1f} dB) in a row, {_fmt_duration(run_s)}",
            since_s=float(starts[-run]),
        )
    std_db = float(np.std(lv))
    if std_db < limits.frozen_std_db:
        return Check(
            "frozen",
            "warning",
            f"{lv.shape[0]} readings vary by only {std_db:.3f} dB (standard deviation)",
            since_s=float(starts[0]),
        )
    return Check("frozen", "ok", f"readings vary (standard deviation {std_db:.1f} dB)")


def clipped_check(laeq_db: ArrayLike, *, limits: HealthLimits) -> Check:
    """Readings piled up at the window's lowest or highest value while the others vary.

    A sensor at its noise floor or overload limit reports the same extreme value again and again; a
    sensor stuck at one value everywhere is ``frozen``, not clipped, so a window without spread is ok
    here.
    """
    lv = np.asarray(laeq_db, dtype=np.float64)
    n = lv.shape[0]
    if n < limits.frozen_min_readings:
        return Check("clipped", "unknown", f"{n} recent readings; too few to judge")
    lo, hi = float(lv.min()), float(lv.max())
    tol = limits.clip_tolerance_db
    if hi - lo <= tol:
        return Check("clipped", "ok", "no spread to clip (see frozen)")
    at_floor = float(np.count_nonzero(lv <= lo + tol)) / n
    at_ceiling = float(np.count_nonzero(lv >= hi - tol)) / n
    if max(at_floor, at_ceiling) >= limits.clip_fraction:
        where, value, share = (
            ("floor", lo, at_floor) if at_floor >= at_ceiling else ("ceiling", hi, at_ceiling)
        )
        return Check("clipped", "warning", f"{share:.0%} of {n} readings at the {where} {value:.1f} dB")
    return Check("clipped", "ok", f"at most {max(at_floor, at_ceiling):.0%} of readings at an extreme")


def clock_check(
    arrival_s: float | None,
    reading_end_s: float | None,
    *,
    latest_start_s: float | None,
    now_s: float,
    limits: HealthLimits,
) -> Check:
    """Compare when the latest message arrived with when its newest reading ended.

    ``reading_end_s`` after ``arrival_s`` (by more than ``clock_future_s``) means the sensor's clock
    runs ahead; a reading that ended more than ``clock_behind_s`` before it arrived means a clock that
    lags, or a buffered sensor. A stored reading that starts after ``now_s`` is also in the future.
    """
    if latest_start_s is not None and latest_start_s > now_s + limits.clock_future_s:
        return Check(
            "clock",
            "fault",
            f"latest reading starts {_fmt_duration(latest_start_s - now_s)} in the future",
            since_s=now_s,
        )
    if arrival_s is None or reading_end_s is None:
        return Check("clock", "unknown", "no arrival time recorded")
    lead_s = reading_end_s - arrival_s
    if lead_s > limits.clock_future_s:
        return Check(
            "clock",
            "fault",
            f"readings stamped {_fmt_duration(lead_s)} after they arrived (sensor clock ahead)",
            since_s=arrival_s,
        )
    if -lead_s > limits.clock_behind_s:
        return Check(
            "clock",
            "warning",
            f"readings arrive {_fmt_duration(-lead_s)} after they end (clock behind, or buffered)",
            since_s=arrival_s,
        )
    return Check("clock", "ok", f"readings arrive {_fmt_duration(max(-lead_s, 0.0))} after they end")


def gaps_check(
    hour_start_s: ArrayLike,
    seconds: ArrayLike,
    *,
    now_s: float,
    registered_s: float | None,
    limits: HealthLimits,
) -> Check:
    """Coverage of the last 24 h: measured seconds / elapsed seconds.

    ``hour_start_s``/``seconds`` are hourly buckets (rollups) of the sensor; hours that start before
    ``now − 24 h`` are left out and the elapsed time is counted from the later of ``now − 24 h`` and
    the sensor's registration, so a sensor installed an hour ago is not a gap.
    """
    window_start = now_s - DAY_S
    if registered_s is not None:
        window_start = max(window_start, registered_s)
    elapsed = now_s - window_start
    if elapsed < 3600:
        return Check("gaps", "unknown", "registered less than an hour ago")
    hours = np.asarray(hour_start_s, dtype=np.float64)
    secs = np.asarray(seconds, dtype=np.float64)
    keep = (hours >= np.floor(window_start / 3600) * 3600) & (hours < now_s)
    coverage = min(float(secs[keep].sum()) / elapsed, 1.0)
    text = f"{coverage:.0%} of the last {_fmt_duration(elapsed)} measured"
    if coverage < limits.gaps_fault:
        return Check("gaps", "fault", text)
    if coverage < limits.gaps_warning:
        return Check("gaps", "warning", text)
    return Check("gaps", "ok", text)


def battery_check(battery_pct: float | None, at_s: float | None, *, limits: HealthLimits) -> Check | None:
    """The latest reported battery level; ``None`` (no check) for sensors that never report one."""
    if battery_pct is None:
        return None
    text = f"battery {battery_pct:.0f} %"
    if battery_pct < limits.battery_fault_pct:
        return Check("battery", "fault", text, since_s=at_s)
    if battery_pct < limits.battery_warning_pct:
        return Check("battery", "warning", text, since_s=at_s)
    return Check("battery", "ok", text)


def calibration_check(last_check_s: float | None, *, now_s: float, limits: HealthLimits) -> Check:
    """Field calibration due (within ``calibration_due_days`` of the interval) or overdue."""
    if last_check_s is None:
        return Check("calibration", "unknown", "no field calibration check recorded")
    due_s = last_check_s + limits.calibration_interval_days * DAY_S
    left_s = due_s - now_s
    if left_s < 0:
        return Check("calibration", "fault", f"overdue by {_fmt_duration(-left_s)}", since_s=due_s)
    if left_s <= limits.calibration_due_days * DAY_S:
        since_s = due_s - limits.calibration_due_days * DAY_S
        return Check("calibration", "warning", f"due in {_fmt_duration(left_s)}", since_s=since_s)
    return Check("calibration", "ok", f"next check due in {_fmt_duration(left_s)}")
