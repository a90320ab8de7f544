"""The alert evaluator: one per deployment, on live data from the store, at most ``alert_eval_interval_s``
(≤ 60 s) behind.

Every tick: take or renew the registry lease ``alert-evaluator`` (compare-and-set on one row with an expiry,
so with several API hosts exactly one evaluates; another takes over when the holder stops renewing), then
for each rule and sensor compute the value, run the pure state machine
(:func:`noiselab.processing.alerting.step`), and write the new state, the alert and one pending delivery per
channel in one registry transaction; finally try the deliveries that are due (:mod:`.delivery`).

Values per kind:

- ``level``: the energy mean LAeq of the readings that start in the last ``window_s`` (calibration offsets
  applied by :class:`~noiselab.store.calibrated.CalibratedStore`), against ``above_db`` / ``clear_below_db``;
- ``health``: the sensor's health (:mod:`noiselab.api.sensor_health`) as a severity (ok 0, warning 1,
  fault 2; unknown changes nothing), firing at ``min_status``; computed at most once a minute per sensor;
- ``daily``: the last complete day's Lden or Lnight against ``above_db``, else the sensor's target (the
  strictest limit for that metric; the façade-corrected level, as compliance compares it).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import numpy as np

from noiselab.api.alerting.delivery import EmailSender, Sender, WebhookSender, deliver_due
from noiselab.api.alerting.rules import quiet_hours
from noiselab.api.options import options_from_settings
from noiselab.api.sensor_health import iso, sensor_health
from noiselab.api.views.compliance import range_levels
from noiselab.api.views.targets import daily_target
from noiselab.domain.errors import NoiselabError
from noiselab.domain.settings import Settings
from noiselab.domain.targets import compare
from noiselab.processing.alerting import AlertLimits, AlertState, Notification, step
from noiselab.processing.decibel import energy_mean
from noiselab.store.base import ReadingStore
from noiselab.store.calibrated import CalibratedStore
from noiselab.store.registry import Registry
from noiselab.store.registry.alerts import AlertRow, DeliveryRow

log = logging.getLogger(__name__)

LEASE = "alert-evaluator"
SEVERITY = {"ok": 0.0, "warning": 1.0, "fault": 2.0}
HEALTH_EVERY_S = 60.0


def payload(n: Notification, *, kind: str, detail: str | None = None) -> dict[str, Any]:
    """The webhook body of SPEC §11 (plus ``kind`` and, for health rules, ``detail``)."""
    numeric = kind != "health"
    body: dict[str, Any] = {
        "alert_id": n.alert_id,
        "rule_id": n.rule_id,
        "sensor_id": n.sensor_id,
        "state": n.state,
        "value_db": n.value_db if numeric else None,
        "threshold_db": n.threshold_db if numeric else None,
        "started_at": iso(n.started_s),
        "ended_at": iso(n.ended_s),
        "kind": kind,
    }
    if detail:
        body["detail"] = detail
    return body


class Evaluator:
    def __init__(
        self,
        store: ReadingStore,
        registry: Registry,
        settings: Settings,
        *,
        holder: str | None = None,
        clock: Callable[[], float] = time.time,
        senders: dict[str, Sender] | None = None,
    ) -> None:
        self.store = cast(ReadingStore, CalibratedStore(store, registry.history))  # offsets on read
        self.registry = registry
        self.settings = settings
        self.clock = clock
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.senders: dict[str, Sender] = senders or {
            "webhook": WebhookSender(settings.alert_allow_private_urls, settings.alert_send_timeout_s),
            "email": EmailSender.from_settings(settings),
        }
        self._health: dict[str, tuple[float, dict[str, Any]]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- one evaluation -----------------------------------------------------------------------------
    def tick(self, now_s: float | None = None) -> bool:
        """Evaluate every rule and deliver what is due, if this process holds the lease."""
        now = self.clock() if now_s is None else now_s
        now_ms = int(now * 1000)
        ttl_ms = int(self.settings.alert_lease_ttl_s * 1000)
        if not self.registry.leases.acquire(LEASE, self.holder, now_ms=now_ms, ttl_ms=ttl_ms):
            return False
        for rule in self.registry.alerts.rules():
            try:
                self._evaluate(rule, now)
            except NoiselabError as exc:
                log.warning("alert rule %s not evaluated: %s", rule.get("rule_id"), exc)
        deliver_due(
            self.registry.alerts,
            self.senders,
            now_s=now,
            retry_base_s=self.settings.alert_retry_base_s,
            retry_max_s=self.settings.alert_retry_max_s,
        )
        return True

    def _evaluate(self, rule: dict[str, Any], now_s: float) -> None:
        rule_id, kind = rule["rule_id"], rule["kind"]
        states = self.registry.alerts.states(rule_id)
        quiet = quiet_hours(rule, self.settings.tz)
        for sensor_id in rule["sensor_ids"]:
            value, above, clear, detail = self._value(rule, sensor_id, now_s)
            if above is None or clear is None:
                continue
            limits = AlertLimits(rule_id, sensor_id, above, clear, rule["for_s"], rule["cooldown_s"])
            before = AlertState(**states[sensor_id]) if sensor_id in states else AlertState()
            after, notes = step(limits, before, value, now_s, quiet=quiet)
            if after == before and not notes:
                continue
            alerts, deliveries = [], []
            for n in notes:
                body = json.dumps(payload(n, kind=kind, detail=detail), separators=(",", ":"))
                alerts.append(
                    AlertRow(
                        n.alert_id,
                        rule_id,
                        sensor_id,
                        n.state,
                        n.value_db if kind != "health" else None,
                        n.threshold_db if kind != "health" else None,
                        round(n.started_s * 1000),
                        None if n.ended_s is None else round(n.ended_s * 1000),
                    )
                )
                for index, channel in enumerate(rule["channels"]):
                    deliveries.append(
                        DeliveryRow(
                            n.alert_id,
                            n.state,
                            index,
                            channel["type"],
                            json.dumps(channel),
                            body,
                            round(n.release_s * 1000),
                        )
                    )
            self.registry.alerts.apply(
                rule_id, sensor_id, asdict(after), alerts, deliveries, now_ms=int(now_s * 1000)
            )

    def _value(
        self, rule: dict[str, Any], sensor_id: str, now_s: float
    ) -> tuple[float | None, float | None, float | None, str | None]:
        """(value, above, clear_below, detail) of one rule for one sensor now."""
        kind = rule["kind"]
        if kind == "level":
            return (
                self._level(sensor_id, now_s, rule["window_s"]),
                rule["above_db"],
                rule["clear_below_db"],
                None,
            )
        if kind == "health":
            health = self._sensor_health(sensor_id, now_s)
            threshold = SEVERITY[rule["min_status"]]
            bad = [
                f"{c['check']}: {c['detail']}"
                for c in health["checks"]
                if c["status"] in SEVERITY and c["status"] != "ok"
            ]
            return SEVERITY.get(health["status"]), threshold, threshold, "; ".join(bad) or None
        return self._daily(rule, sensor_id, now_s)

    def _level(self, sensor_id: str, now_s: float, window_s: float) -> float | None:
        end_ms = int(now_s * 1000)
        cols = self.store.read(sensor_id, end_ms - int(window_s * 1000), end_ms)
        if not len(cols):
            return None
        value = float(energy_mean(cols.laeq, weights=cols.interval_s))
        return value if np.isfinite(value) else None

    def _sensor_health(self, sensor_id: str, now_s: float) -> dict[str, Any]:
        cached = self._health.get(sensor_id)
        if cached is None or now_s - cached[0] >= HEALTH_EVERY_S or now_s < cached[0]:
            cached = (now_s, sensor_health(self.store, self.registry, self.settings, sensor_id, now_s=now_s))
            self._health[sensor_id] = cached
        return cached[1]

    def _daily(
        self, rule: dict[str, Any], sensor_id: str, now_s: float
    ) -> tuple[float | None, float | None, float | None, str | None]:
        local = datetime.fromtimestamp(now_s, UTC).astimezone(ZoneInfo(self.settings.tz))
        options = options_from_settings(self.settings)
        # the last complete day: its record ends at the next day's day start
        day: date = local.date() - timedelta(days=1 if local.hour >= options.day_start_h else 2)
        metric = rule["metric"]
        values, _ = range_levels(self.store, sensor_id, day, day, options)
        value, what = values.get(metric), f"{metric} of {day.isoformat()}"
        if rule.get("above_db") is not None:  # the admin's own number, against the measured level
            return value, float(rule["above_db"]), float(rule["above_db"]), what
        sensor = self.registry.get_sensor(sensor_id)
        target = None if sensor is None else daily_target(self.registry.profiles, sensor, metric)
        if sensor is None or target is None:
            return None, None, None, f"no {metric} target for {sensor_id}"
        # a target is a free-field limit: compare it with the façade-corrected level, as compliance does
        compared = compare(
            value, target, facade=sensor.facade, correction_db=options.facade_correction_db, indicative=False
        )
        facade = f", façade level {compared['facade_correction_db']:+g} dB" if sensor.facade else ""
        detail = f"{what}{facade} against {target.profile_id} {target.label} ({target.value_db:g} dB)"
        return compared["value_db"], target.value_db, target.value_db, detail

    # --- the loop -----------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="alert-evaluator", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except NoiselabError as exc:  # registry or store away: try again next tick
                log.warning("alert evaluation skipped: %s", exc)
            self._stop.wait(self.settings.alert_eval_interval_s)

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        self.registry.leases.release(LEASE, self.holder)
