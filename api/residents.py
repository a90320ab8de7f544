"""The residents' views of public sensors: level now, last night, yesterday, 24 h per minute, 30 days of Lden.

A shell around :mod:`processing`: it reads the store, calls the pure metrics and shapes plain JSON for the
resident page and widget (``api/routes/public.py``). Levels compared with a target are façade-corrected
first (SPEC §5). Completed days and nights do not change, so their results are cached for a few minutes.

    now         energy mean of the last 60 s of readings up to the latest one (LAeq,1min)
    last night  the latest completed night period of the scheme (22–07 local in ``dk``): LAeq over it
                (Lnight), coverage, number of pass-by events (the settings' event parameters, the same
                events as the API's ``/events``: at or above the threshold, dips bridged, short runs dropped)
    yesterday   the daily record of the previous local date (Lden, coverage, valid)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import numpy as np

from noiselab.api.resident_words import BAND_IDS, Target, band, band_text, summary, target_for
from noiselab.domain.settings import Settings
from noiselab.processing.daily import daily_from_raw, daily_from_rollups
from noiselab.processing.decibel import energy_mean, level
from noiselab.processing.events import EventParams, Events, facade_correction, find_events
from noiselab.processing.periods import SCHEMES, PeriodScheme, assign
from noiselab.processing.rollups import rollup
from noiselab.store.base import ReadingColumns, ReadingStore
from noiselab.store.registry import Sensor
from noiselab.store.registry.base import TargetRegistry

T = TypeVar("T")
NOW_WINDOW_S = 60


class TtlCache:
    """A small thread-safe cache of computed values, each kept ``ttl_s`` seconds."""

    def __init__(self, ttl_s: float = 300.0, max_items: int = 4096) -> None:
        self.ttl_s, self.max_items = ttl_s, max_items
        self._items: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T], *, ttl_s: Callable[[T], float] | None = None) -> T:
        """The cached value of ``key``, else ``compute()``, kept ``ttl_s(value)`` seconds when given (a day
        that may still fill in, from a backfill or a late sensor, is kept only briefly)."""
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit and hit[0] > now:
                return hit[1]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            if len(self._items) >= self.max_items:
                self._items = {k: v for k, v in self._items.items() if v[0] > now}
                if len(self._items) >= self.max_items:
                    self._items.clear()
            self._items[key] = (now + (ttl_s(value) if ttl_s else self.ttl_s), value)
        return value


def iso(t_s: float) -> str:
    return datetime.fromtimestamp(t_s, UTC).isoformat().replace("+00:00", "Z")


def _r(x: float | None, nd: int = 1) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


def _read(store: ReadingStore, sensor_id: str, start_s: float, end_s: float) -> ReadingColumns:
    return store.read(sensor_id, int(start_s * 1000), int(end_s * 1000))


def _start_s(cols: ReadingColumns) -> np.ndarray:
    return cols.start_ms.astype(np.float64) / 1000.0


def _loud_events(cols: ReadingColumns, params: EventParams) -> Events:
    """Pass-by events at ``params.threshold_db`` in one sensor's readings (merge gap, minimum duration)."""
    sensor = np.zeros(len(cols), dtype=np.int64)
    return find_events(
        sensor,
        _start_s(cols),
        cols.interval_s,
        cols.laeq,
        cols.lafmax,
        thresholds_db=(params.threshold_db,),
        merge_gap_s=params.merge_gap_s,
        min_duration_s=params.min_duration_s,
    )


class Residents:
    """Everything the public feed needs, with the settings and cache it works with."""

    def __init__(
        self, store: ReadingStore, settings: Settings, cache: TtlCache, profiles: TargetRegistry | None = None
    ) -> None:
        self.store, self.settings, self.cache = store, settings, cache
        self.profiles = profiles
        self.tz = settings.tz
        self.zone = ZoneInfo(settings.tz)
        self.events = settings.event_params  # the API's event defaults, so the page shows the same events
        self.scheme: PeriodScheme = SCHEMES.get(settings.scheme, SCHEMES["dk"])

    # --- helpers
    def target(self, sensor: Sensor) -> Target:
        """The sensor's target, custom profiles included (the engineers' views use the same lookup)."""
        return target_for(sensor, self.profiles.latest() if self.profiles is not None else ())

    def compared(self, sensor: Sensor, level_db: float | None) -> float | None:
        """The level compared with free-field targets: façade-corrected when the sensor is on a façade."""
        if level_db is None:
            return None
        corr = -abs(self.settings.facade_correction_db)
        return float(facade_correction([level_db], facade=sensor.facade, correction_db=corr)[0])

    def margin(self, sensor: Sensor, level_db: float | None, limit_db: float) -> float | None:
        c = self.compared(sensor, level_db)
        return None if c is None else c - limit_db

    def midnight(self, d: date) -> float:
        return datetime.combine(d, dtime(0), tzinfo=self.zone).timestamp()

    def local_date(self, t_s: float) -> date:
        return datetime.fromtimestamp(t_s, self.zone).date()

    def last_night_window(self, now_s: float) -> tuple[float, float]:
        """(start, end) UTC seconds of the latest night period of the scheme that has ended by ``now_s``."""
        night = self.scheme.periods[self.scheme.index("night") or 0]
        local = datetime.fromtimestamp(now_s, self.zone)
        end_day = local.date() if local.hour >= night.end_h else local.date() - timedelta(days=1)
        start_day = end_day - timedelta(days=1) if night.start_h >= night.end_h else end_day
        start = datetime.combine(start_day, dtime(night.start_h), tzinfo=self.zone).timestamp()
        end = datetime.combine(end_day, dtime(night.end_h), tzinfo=self.zone).timestamp()
        return start, end

    # --- the level now
    def now(self, sensor: Sensor, target: Target, *, now_s: float, lang: str) -> dict[str, Any]:
        latest = self.store.latest(sensor.sensor_id)
        if latest is None:
            return {"laeq_db": None, "status": "none", "band": "none", "band_text": band_text("none", lang)}
        end_s = latest.start_ms / 1000 + latest.interval_s
        cols = _read(self.store, sensor.sensor_id, end_s - NOW_WINDOW_S, end_s)
        lv = float(energy_mean(cols.laeq, weights=cols.interval_s)) if len(cols) else latest.laeq
        live = now_s - end_s <= self.settings.stale_after_s
        period = self.scheme.periods[int(assign([end_s - 1], self.scheme, self.tz).period[0])]
        m = self.margin(sensor, lv, target.lden_db - period.penalty_db) if live else None
        b = band(m)
        return {
            "laeq_db": _r(lv),
            "window_s": NOW_WINDOW_S,
            "ts": iso(end_s),
            "latest_ms": latest.start_ms,
            "status": "live" if live else "stale",
            "period": period.name,
            "period_limit_db": target.lden_db - period.penalty_db,
            "margin_db": _r(m),
            "band": b,
            "band_text": band_text(b, lang),
        }

    # --- last night and completed days
    def last_night(self, sensor: Sensor, *, now_s: float) -> dict[str, Any]:
        start, end = self.last_night_window(now_s)

        def compute() -> dict[str, Any]:
            cols = _read(self.store, sensor.sensor_id, start, end)
            measured = float(cols.interval_s.sum()) if len(cols) else 0.0
            lv = float(energy_mean(cols.laeq, weights=cols.interval_s)) if len(cols) else None
            ev = _loud_events(cols, self.events)
            return {
                "start": iso(start),
                "end": iso(end),
                "lnight_db": _r(lv),
                "coverage": round(min(1.0, measured / (end - start)), 3),
                "events_70": len(ev),  # the name is the page's; the threshold is the next key
                "event_threshold_db": self.events.threshold_db,
            }

        return self.cache.get(("night", sensor.sensor_id, start), compute, ttl_s=self._ttl_for)

    def day(self, sensor: Sensor, d: date) -> dict[str, Any] | None:
        """The daily record of local date ``d`` (SPEC §5 keys, levels rounded), or None without readings.

        Levels come from the store's hourly rollups and event counts from the loud readings alone (readings
        at or above the event threshold), so a month of 1-s data is not read row by row."""

        def compute() -> dict[str, Any] | None:
            start_ms, end_ms = int(self.midnight(d) * 1000), int(self.midnight(d + timedelta(days=1)) * 1000)
            at_or_above = float(np.nextafter(self.events.threshold_db, -np.inf))  # the store's is "above"
            loud = self.store.read(sensor.sensor_id, start_ms, end_ms, min_laeq_db=at_or_above)
            events = _loud_events(loud, self.events)
            options: dict[str, Any] = {
                "sensor_ids": [sensor.sensor_id],
                "scheme": self.scheme,
                "tz": self.tz,
                "valid_threshold": self.settings.coverage_threshold,
                "day_start_h": 0,  # the card's day is the calendar date read above (midnight to midnight)
                "event_thresholds": (self.events.threshold_db,),
                "event_params": self.events,
            }
            hours = self.store.rollups(sensor.sensor_id, start_ms, end_ms)
            try:
                table = daily_from_rollups(hours, events=events, **options)
            except ValueError:  # a zone whose midnights are not whole UTC hours: compute from raw readings
                cols = _read(self.store, sensor.sensor_id, start_ms / 1000, end_ms / 1000)
                table = daily_from_raw(
                    np.zeros(len(cols), dtype=np.int64),
                    _start_s(cols),
                    cols.interval_s,
                    cols.laeq,
                    cols.lafmax,
                    cols.lcpeak,
                    **options,
                )
            recs = [r for r in table.to_records(decimals=1) if r["date"] == d.isoformat()]
            return recs[0] if recs and recs[0]["coverage"] else None

        return self.cache.get(("day", sensor.sensor_id, d.toordinal()), compute, ttl_s=self._ttl_for)

    def _ttl_for(self, result: dict[str, Any] | None) -> float:
        """Complete days and nights do not change: kept the cache's time. One with little or no data may
        still be filling in (history being backfilled, a sensor sending late): kept only 10 s."""
        complete = result is not None and result.get("coverage", 0.0) >= self.settings.coverage_threshold
        return self.cache.ttl_s if complete else min(10.0, self.cache.ttl_s)

    def day_view(self, sensor: Sensor, d: date, target: Target) -> dict[str, Any]:
        rec = self.day(sensor, d) or {}
        lden = rec.get("lden")
        return {
            "date": d.isoformat(),
            "lden_db": lden,
            "lnight_db": rec.get("lnight"),
            "coverage": rec.get("coverage", 0.0),
            "valid": rec.get("valid", False),
            "events_70": rec.get(f"n_events_{self.events.threshold_db:g}", 0),
            "events_70_night": rec.get(f"n_events_{self.events.threshold_db:g}_night", 0),
            "event_threshold_db": self.events.threshold_db,
            "margin_db": _r(self.margin(sensor, lden, target.lden_db)),
            "band": band(self.margin(sensor, lden, target.lden_db)),
        }

    # --- public views
    def sensor_card(self, sensor: Sensor, *, now_s: float, lang: str) -> dict[str, Any]:
        target = self.target(sensor)
        night = self.last_night(sensor, now_s=now_s)
        if target.night_db is not None:
            nm = self.margin(sensor, night["lnight_db"], target.night_db)
            night = {**night, "limit_db": target.night_db, "margin_db": _r(nm), "band": band(nm)}
        yesterday = self.day_view(sensor, self.local_date(now_s) - timedelta(days=1), target)
        return {
            "sensor_id": sensor.sensor_id,
            "name": sensor.name or sensor.sensor_id,
            "lat": sensor.lat,
            "lon": sensor.lon,
            "area_category": sensor.area_category,
            "facade": sensor.facade,
            "target": target.as_dict(lang),
            "now": self.now(sensor, target, now_s=now_s, lang=lang),
            "last_night": night,
            "yesterday": yesterday,
            "summary": summary(night, yesterday, target, lang),
        }

    def overview(self, sensors: list[Sensor], *, now_s: float, lang: str) -> dict[str, Any]:
        return {
            "generated_at": iso(now_s),
            "lang": lang,
            "tz": self.tz,
            "scheme": self.scheme.name,
            "bands": [{"id": k, "text": band_text(k, lang)} for k in BAND_IDS],
            "sensors": [self.sensor_card(s, now_s=now_s, lang=lang) for s in sensors],
        }

    def minutes(self, sensor: Sensor, *, now_s: float) -> dict[str, Any]:
        """The last 24 h as 1-min LAeq (energy mean per minute; null where nothing was measured)."""
        step = 60
        t0 = (int(now_s) // step + 1) * step - 86_400
        cols = _read(self.store, sensor.sensor_id, t0, now_s + 1)
        laeq: list[float | None] = [None] * (86_400 // step)
        measured = 0.0
        if len(cols):
            r = rollup(
                np.zeros(len(cols), dtype=np.int64), _start_s(cols), cols.interval_s, cols.laeq, bucket_s=step
            )
            lv = level(r.energy / r.seconds)
            for b, v in zip(((r.bucket_s - t0) // step).tolist(), lv.tolist(), strict=True):
                if 0 <= b < len(laeq):
                    laeq[b] = round(v, 1)
            measured = float(r.seconds.sum())
        ev = _loud_events(cols, self.events)
        events = [
            {"start": iso(s), "duration_s": round(d, 1), "max_db": round(m, 1)}
            for s, d, m in zip(ev.start_s.tolist(), ev.duration_s.tolist(), ev.max_db.tolist(), strict=True)
        ]
        return {
            "start": iso(t0),
            "step_s": step,
            "laeq_db": laeq,
            "coverage": round(min(1.0, measured / 86_400), 3),
            "events": events[-100:],
            "events_total": len(events),
            "event_threshold_db": self.events.threshold_db,
        }

    def detail(self, sensor: Sensor, *, now_s: float, lang: str, days: int = 30) -> dict[str, Any]:
        card = self.sensor_card(sensor, now_s=now_s, lang=lang)
        target = self.target(sensor)
        today = self.local_date(now_s)
        card["periods"] = [
            {"name": p.name, "start_h": p.start_h, "end_h": p.end_h, "penalty_db": p.penalty_db}
            for p in self.scheme.periods
        ]
        card["tz"] = self.tz
        card["last_24h"] = self.minutes(sensor, now_s=now_s)
        card["days"] = [self.day_view(sensor, today - timedelta(days=k), target) for k in range(days, 0, -1)]
        return card

    def changed_levels(
        self, sensors: list[Sensor], sent: dict[str, tuple[int, str]], *, now_s: float, lang: str
    ) -> list[dict[str, Any]]:
        """Levels now of sensors whose latest reading or status changed since ``sent`` (updated in place)."""
        out = []
        for s in sensors:
            latest = self.store.latest(s.sensor_id)
            key = (latest.start_ms if latest else -1, "")
            if latest is not None:
                live = now_s - (latest.start_ms / 1000 + latest.interval_s) <= self.settings.stale_after_s
                key = (latest.start_ms, "live" if live else "stale")
            if sent.get(s.sensor_id) == key:
                continue
            sent[s.sensor_id] = key
            target = self.target(s)
            out.append({"sensor_id": s.sensor_id, "now": self.now(s, target, now_s=now_s, lang=lang)})
        return out
