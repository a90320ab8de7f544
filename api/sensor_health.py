"""Sensor health, the shell around :mod:`noiselab.processing.health` and :mod:`noiselab.processing.drift`:
gather a sensor's recent readings, hourly rollups, arrival/battery status, calibration history and
pairs from the store and the registry, call the pure checks, and shape the answer of SPEC §11.

Also sets the Prometheus gauges ``noiselab_sensor_health`` (0 ok, 1 warning, 2 fault, -1 unknown) and
``noiselab_sensor_last_reading_age_seconds`` per sensor whenever a sensor's health is computed (the
alert evaluator does so for every sensor once a minute).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import numpy as np
from prometheus_client import Gauge

from noiselab.domain.settings import Settings
from noiselab.processing.decibel import level
from noiselab.processing.drift import DriftLimits, pair_drift
from noiselab.processing.health import (
    Check,
    HealthLimits,
    battery_check,
    calibration_check,
    clipped_check,
    clock_check,
    frozen_check,
    gaps_check,
    overall_status,
    stale_check,
)
from noiselab.store.base import ReadingStore
from noiselab.store.registry import Registry

HEALTH_GAUGE = Gauge(
    "noiselab_sensor_health", "Sensor health: 0 ok, 1 warning, 2 fault, -1 unknown", ["sensor_id"]
)
AGE_GAUGE = Gauge(
    "noiselab_sensor_last_reading_age_seconds",
    "Seconds since the sensor's latest reading ended",
    ["sensor_id"],
)
GAUGE_VALUE = {"ok": 0, "warning": 1, "fault": 2, "unknown": -1}


def health_limits(s: Settings) -> HealthLimits:
    return HealthLimits(
        stale_warning_s=s.stale_after_s,
        stale_fault_s=s.health_stale_fault_s,
        frozen_run_s=s.health_frozen_run_s,
        frozen_fault_s=s.health_frozen_fault_s,
        frozen_std_db=s.health_frozen_std_db,
        frozen_min_readings=s.health_min_readings,
        clip_fraction=s.health_clip_fraction,
        clip_tolerance_db=s.health_clip_tolerance_db,
        clock_future_s=s.health_clock_future_s,
        clock_behind_s=s.health_clock_behind_s,
        gaps_warning=s.health_gaps_warning,
        gaps_fault=s.health_gaps_fault,
        battery_warning_pct=s.health_battery_warning_pct,
        battery_fault_pct=s.health_battery_fault_pct,
        calibration_interval_days=s.calibration_interval_days,
        calibration_due_days=s.calibration_due_days,
    )


def drift_limits(s: Settings) -> DriftLimits:
    return DriftLimits(
        drift_db=s.health_drift_db,
        drift_fault_db=s.health_drift_fault_db,
        recent_s=s.health_drift_recent_h * 3600.0,
        baseline_days=s.health_drift_baseline_days,
        min_recent_hours=max(1, s.health_drift_recent_h // 4),
        min_baseline_hours=48,
    )


def iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def hourly(
    store: ReadingStore, registry: Registry, sensor_id: str, start_s: float, end_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hour starts (s), hourly LAeq (dB) and measured seconds per hour. Calibration offsets are the
    store's business (the API and the evaluator read through ``CalibratedStore``)."""
    r = store.rollups(sensor_id, int(start_s * 1000), int(end_s * 1000))
    hours = r.bucket_s.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        laeq = level(np.where(r.seconds > 0, r.energy / np.where(r.seconds > 0, r.seconds, 1.0), 0.0))
    return hours, laeq, r.seconds


def _drift_checks(
    store: ReadingStore, registry: Registry, sensor_id: str, now_s: float, limits: DriftLimits
) -> list[Check]:
    checks: list[Check] = []
    start_s = now_s - limits.baseline_days * 86400.0
    pairs = registry.history.pairs(sensor_id)
    if not pairs:
        return checks
    own_hours, own_laeq, _ = hourly(store, registry, sensor_id, start_s, now_s)
    for a, b, relation in pairs:
        partner = b if a == sensor_id else a
        hours, laeq, _ = hourly(store, registry, partner, start_s, now_s)
        check = pair_drift(
            own_hours, own_laeq, hours, laeq, partner=f"{partner} ({relation})", now_s=now_s, limits=limits
        )
        checks.append(check)
    return checks


def sensor_health(
    store: ReadingStore, registry: Registry, settings: Settings, sensor_id: str, *, now_s: float
) -> dict[str, Any]:
    """The health of one sensor as in SPEC §11 (plus ``last_reading_age_s``)."""
    limits = health_limits(settings)
    now_ms = int(now_s * 1000)
    recent = store.read(sensor_id, now_ms - int(settings.health_window_s * 1000), now_ms + 1)
    latest = store.latest(sensor_id)
    latest_end_s = None if latest is None else latest.start_ms / 1000 + latest.interval_s
    status = registry.status.get(sensor_id)
    sensor = registry.get_sensor(sensor_id)
    starts_s = recent.start_ms.astype(np.float64) / 1000
    hours, _, seconds = hourly(store, registry, sensor_id, now_s - 86400 - 3600, now_s)
    checks = [
        stale_check(latest_end_s, now_s=now_s, limits=limits),
        frozen_check(starts_s, recent.interval_s, recent.laeq, limits=limits),
        clipped_check(recent.laeq, limits=limits),
        clock_check(
            None if status is None or status.arrival_ms is None else status.arrival_ms / 1000,
            None if status is None or status.reading_end_ms is None else status.reading_end_ms / 1000,
            latest_start_s=None if latest is None else latest.start_ms / 1000,
            now_s=now_s,
            limits=limits,
        ),
        gaps_check(
            hours,
            seconds,
            now_s=now_s,
            registered_s=sensor.created_ms / 1000 if sensor and sensor.created_ms else None,
            limits=limits,
        ),
    ]
    if status is not None:
        battery = battery_check(
            status.battery_pct, None if status.battery_ms is None else status.battery_ms / 1000, limits=limits
        )
        if battery is not None:
            checks.append(battery)
    checks += _drift_checks(store, registry, sensor_id, now_s, drift_limits(settings))
    last_cal = registry.history.last_calibration_ms(sensor_id)
    checks.append(
        calibration_check(None if last_cal is None else last_cal / 1000, now_s=now_s, limits=limits)
    )
    overall = overall_status(checks)
    age_s = None if latest_end_s is None else round(max(now_s - latest_end_s, 0.0), 1)
    HEALTH_GAUGE.labels(sensor_id).set(GAUGE_VALUE[overall])
    if age_s is not None:
        AGE_GAUGE.labels(sensor_id).set(age_s)
    return {
        "sensor_id": sensor_id,
        "status": overall,
        "last_reading_age_s": age_s,
        "checks": [
            {"check": c.check, "status": c.status, "since": iso(c.since_s), "detail": c.detail}
            for c in checks
        ],
    }


def all_health(
    store: ReadingStore, registry: Registry, settings: Settings, *, now_s: float
) -> list[dict[str, Any]]:
    return [
        sensor_health(store, registry, settings, s.sensor_id, now_s=now_s) for s in registry.list_sensors()
    ]


# checks that make the levels themselves doubtful (the residents' page says "the measurements are uncertain
# right now"); stale, gaps and battery are not about the levels shown. A calibration counts only when
# overdue (fault) and the clock only when it runs ahead (fault): readings that arrive late (a warning) are
# a buffering gateway or a backfill, such as the demo's history, and their levels are as good as any.
DOUBTFUL = frozenset({"frozen", "clipped", "drift"})
DOUBTFUL_WHEN_FAULT = frozenset({"calibration", "clock"})


def levels_doubtful(health: dict[str, Any]) -> bool:
    """True when a check says the sensor's levels cannot be trusted now."""
    return any(
        (c["check"] in DOUBTFUL and c["status"] in ("warning", "fault"))
        or (c["check"] in DOUBTFUL_WHEN_FAULT and c["status"] == "fault")
        for c in health["checks"]
    )


class HealthCache:
    """Sensor health computed at most once per ``ttl_s`` per sensor (sensor lists, the residents' page)."""

    def __init__(self, ttl_s: float = 60.0) -> None:
        self.ttl_s = ttl_s
        self._items: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(
        self, store: ReadingStore, registry: Registry, settings: Settings, sensor_id: str, *, now_s: float
    ) -> dict[str, Any]:
        with self._lock:
            hit = self._items.get(sensor_id)
        if hit is not None and 0 <= now_s - hit[0] < self.ttl_s:
            return hit[1]
        health = sensor_health(store, registry, settings, sensor_id, now_s=now_s)
        with self._lock:
            self._items[sensor_id] = (now_s, health)
        return health


def health_summary(health: dict[str, Any]) -> dict[str, Any]:
    """Status and the checks that are not ok, for lists."""
    problems = [
        f"{c['check']}: {c['detail']}" for c in health["checks"] if c["status"] in ("warning", "fault")
    ]
    return {"status": health["status"], "problems": problems, "uncertain": levels_doubtful(health)}


def health_cache(app: Any) -> HealthCache:
    """The app's :class:`HealthCache` (made on first use)."""
    cache = getattr(app.state, "health_cache", None)
    if cache is None:
        cache = app.state.health_cache = HealthCache()
    return cache
