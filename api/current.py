"""The 'how loud is it now' view of one sensor: latest reading, last-hour LAeq, live/stale."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from noiselab.processing.decibel import energy_mean
from noiselab.store.base import ReadingStore


def iso_utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def current_view(
    store: ReadingStore, sensor_id: str, *, now_s: float, stale_after_s: float
) -> dict[str, Any]:
    """Status ``live`` or ``stale`` by the age of the latest reading; ``no_data`` (``latest`` null) for a
    sensor that has sent nothing yet, such as one an admin has just registered."""
    latest = store.latest(sensor_id)
    if latest is None:
        return {
            "sensor_id": sensor_id,
            "latest": None,
            "laeq_last_hour": None,
            "seconds_last_hour": 0.0,
            "status": "no_data",
            "age_s": None,
        }
    end_ms = int(now_s * 1000) + 1
    hour = store.read(sensor_id, end_ms - 3_600_000, end_ms)
    last_hour = round(float(energy_mean(hour.laeq, weights=hour.interval_s)), 1) if len(hour) else None
    age_s = now_s - (latest.start_ms / 1000 + latest.interval_s)
    return {
        "sensor_id": sensor_id,
        "latest": {
            "ts": iso_utc(latest.start_ms),
            "interval_s": latest.interval_s,
            "laeq": latest.laeq,
            "lafmax": latest.lafmax,
            "lafmin": latest.lafmin,
            "lcpeak": latest.lcpeak,
        },
        "laeq_last_hour": last_hour,
        "seconds_last_hour": float(hour.interval_s.sum()) if len(hour) else 0.0,
        "status": "live" if age_s <= stale_after_s else "stale",
        "age_s": round(max(age_s, 0.0), 1),
    }
