"""Trial results (SPEC §10): gather hourly rollups, weather and sensor changes, call the core, shape JSON/CSV.

Shell only: the arithmetic is :func:`noiselab.processing.trials.trial_effect`. Inputs are the store's hourly
rollups of each treated and reference sensor over the trial's local dates (never a raw scan when the store
keeps rollups; :func:`api.views.source.hourly_rollups`), the registry's hourly weather when the trial has
weather conditions (or when there is any, for the weather warning), and the sensors' recorded changes
(moves, calibrations, replacements) from the registry's sensor history.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import numpy as np
from fastapi import HTTPException

from noiselab.api.catalog import text
from noiselab.api.views.query import date_range_ms
from noiselab.api.views.source import hourly_rollups
from noiselab.domain.settings import Settings
from noiselab.processing.decibel import level
from noiselab.processing.periods import SCHEMES
from noiselab.processing.trials import TrialDesign, TrialInputs, TrialResult, local_hours, trial_effect
from noiselab.processing.weather import HourlyWeather, WeatherConditions
from noiselab.store.base import ReadingStore
from noiselab.store.registry import Registry

MAX_TRIAL_DAYS = 1100  # before.start .. after.end: three years of hourly rollups at most
HOUR_S = 3600

CSV_COLUMNS = [
    ("trial_id", "trial_id"),
    ("method", "method"),
    ("period", "period"),
    ("db", "insertion_loss_db"),
    ("ci95_low", "ci95_low_db"),
    ("ci95_high", "ci95_high_db"),
    ("hours_before", "hours_before"),
    ("hours_after", "hours_after"),
    ("days_before", "days_before"),
    ("days_after", "days_after"),
    ("treated_before", "treated_before_db"),
    ("reference_before", "reference_before_db"),
    ("treated_after", "treated_after_db"),
    ("reference_after", "reference_after_db"),
    ("warnings", "warnings"),
    ("inputs_sha256", "inputs_sha256"),
]


def _ordinal(text: str) -> int:
    return date.fromisoformat(text).toordinal()


def _hourly(store: ReadingStore, sensor_id: str, start_ms: int, end_ms: int, grid: np.ndarray) -> tuple[
    np.ndarray, np.ndarray
]:  # fmt: skip
    """Hourly LAeq and coverage of one sensor on the UTC hour grid (NaN / 0 where nothing was measured)."""
    r = hourly_rollups(store, sensor_id, start_ms, end_ms)
    levels = np.full(grid.shape, np.nan)
    coverage = np.zeros(grid.shape)
    if len(r):
        pos = ((r.bucket_s - grid[0]) // HOUR_S).astype(np.int64)
        ok = (pos >= 0) & (pos < grid.size) & (r.seconds > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            levels[pos[ok]] = level(r.energy[ok] / r.seconds[ok])
        coverage[pos[ok]] = np.minimum(1.0, r.seconds[ok] / HOUR_S)
    return levels, coverage


def _weather(registry: Registry, grid: np.ndarray, needed: bool) -> HourlyWeather | None:
    role = getattr(registry, "weather", None)
    start_s, end_s = int(grid[0]), int(grid[-1]) + HOUR_S
    rows = role.hours(start_s, end_s) if role is not None else []
    if not rows:
        if needed:
            raise HTTPException(
                422,
                "this trial filters hours by weather (conditions), but no weather data covers its periods; "
                "import a station's series with `noiselab import-weather FILE.csv`",
            )
        return None
    cols = np.array([[np.nan if v is None else v for v in r[:5]] for r in rows], dtype=np.float64)
    series = HourlyWeather(cols[:, 0].astype(np.int64), cols[:, 1], cols[:, 2], cols[:, 3], cols[:, 4])
    return series.on(grid)


def _changes(registry: Registry, sensor_ids: list[str], start_ms: int, end_ms: int, tz: str) -> tuple[
    tuple[str, int], ...
]:  # fmt: skip
    history = getattr(registry, "history", None)
    if history is None:
        return ()
    out: list[tuple[str, int]] = []
    for sid in sensor_ids:
        for rec in history.changes_between(sid, start_ms, end_ms):
            if rec.get("kind") in ("placement", "calibration", "replacement", "move"):
                out.append(
                    (
                        sid,
                        int(local_hours([int(rec["at_ms"]) // 1000 // HOUR_S * HOUR_S], tz).date_ordinal[0]),
                    )
                )
    return tuple(out)


def conditions_of(body: dict[str, Any]) -> WeatherConditions | None:
    c = body.get("conditions") or None
    if c is None:
        return None
    sector = c.get("wind_sector_deg")
    return WeatherConditions(
        max_wind_ms=c.get("max_wind_ms"),
        wind_sector_deg=None if sector is None else (float(sector[0]), float(sector[1])),
        dry_only=bool(c.get("dry_only", False)),
    )


def compute(store: ReadingStore, registry: Registry, settings: Settings, body: dict[str, Any]) -> TrialResult:
    """The trial's result from the store's hourly rollups (422 when the data cannot answer it)."""
    method = body["method"]
    after = (_ordinal(body["after"]["start"]), _ordinal(body["after"]["end"]))
    before = (
        None
        if body.get("before") is None
        else (_ordinal(body["before"]["start"]), _ordinal(body["before"]["end"]))
    )
    first = before[0] if before is not None and method != "control_impact" else after[0]
    start_ms, end_ms = date_range_ms(date.fromordinal(first), date.fromordinal(after[1]), settings.tz,
                                     max_days=MAX_TRIAL_DAYS)  # fmt: skip
    grid = np.arange(start_ms // 1000, end_ms // 1000, HOUR_S, dtype=np.int64)
    treated = list(body["treated"])
    reference = list(body.get("reference") or []) if method != "before_after" else []
    t = [_hourly(store, s, start_ms, end_ms, grid) for s in treated]
    r = [_hourly(store, s, start_ms, end_ms, grid) for s in reference]
    empty = np.zeros((0, grid.size))
    conditions = conditions_of(body)
    inputs = TrialInputs(
        hour_s=grid,
        local=local_hours(grid, settings.tz),
        treated_db=np.array([x[0] for x in t]),
        treated_coverage=np.array([x[1] for x in t]),
        reference_db=np.array([x[0] for x in r]) if r else empty,
        reference_coverage=np.array([x[1] for x in r]) if r else empty,
        weather=_weather(registry, grid, conditions is not None and conditions.any),
    )
    design = TrialDesign(
        method=method,
        after=after,
        before=before,
        scheme=SCHEMES[body.get("scheme") or settings.scheme],
        hours=None if body.get("hours") is None else tuple(body["hours"]),
        weekdays=None if body.get("weekdays") is None else tuple(body["weekdays"]),
        conditions=conditions,
        coverage_threshold=float(body.get("coverage_threshold") or settings.coverage_threshold),
        sensor_changes=_changes(registry, treated + reference, start_ms, end_ms, settings.tz),
    )
    try:
        return trial_effect(inputs, design)
    except ValueError as exc:  # a design the body validation let through: still the caller's input
        raise HTTPException(422, str(exc)) from exc


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def result_json(body: dict[str, Any], result: TrialResult) -> dict[str, Any]:
    return {
        "trial_id": body["trial_id"],
        "method": result.method,
        "insertion_loss": [
            {
                "period": e.period,
                "db": _r(e.db),
                "ci95": None if e.ci95 is None else [round(e.ci95[0], 2), round(e.ci95[1], 2)],
                "hours_before": e.hours_before,
                "hours_after": e.hours_after,
                "days_before": e.days_before,
                "days_after": e.days_after,
                "levels_db": {k: _r(v) for k, v in e.levels_db.items()},
            }
            for e in result.effects
        ],
        "warnings": [{"code": w.code, "message": w.message} for w in result.warnings],
        "resamples": result.resamples,
        "inputs_sha256": result.inputs_sha256,
    }


def result_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One CSV row per period of a :func:`result_json` document."""
    codes = ";".join(w["code"] for w in doc["warnings"])
    rows = []
    for e in doc["insertion_loss"]:
        ci = e["ci95"] or [None, None]
        rows.append({
            "trial_id": doc["trial_id"], "method": doc["method"], **{k: e[k] for k in (
                "period", "db", "hours_before", "hours_after", "days_before", "days_after")},
            "ci95_low": ci[0], "ci95_high": ci[1], **e["levels_db"], "warnings": codes,
            "inputs_sha256": doc["inputs_sha256"],
        })  # fmt: skip
    return rows


def _num(x: float, lang: str) -> str:
    return f"{x:.1f}".replace(".", text(lang, "trial.decimal"))


def resident_line(doc: dict[str, Any], kind: str, lang: str) -> str | None:
    """One plain sentence about a trial's overall insertion loss with its 95 % interval, or None when there
    is no interval (residents see a result with its uncertainty or not at all)."""
    overall = next((e for e in doc["insertion_loss"] if e["period"] == "all"), None)
    if overall is None or overall["db"] is None or overall["ci95"] is None:
        return None
    db, (lo, hi) = overall["db"], overall["ci95"]
    product = text(lang, f"trial.product.{kind}")
    words: dict[str, Any] = {"product": product, "product_lower": product[0].lower() + product[1:]}
    if lo > 0:
        line = text(lang, "trial.quieter", db=_num(db, lang), lo=_num(lo, lang), hi=_num(hi, lang), **words)
    elif hi < 0:
        line = text(lang, "trial.louder", db=_num(-db, lang), lo=_num(-hi, lang), hi=_num(-lo, lang), **words)
    else:
        line = text(lang, "trial.unclear", lo=_num(lo, lang), hi=_num(hi, lang), **words)
    return line.replace(" dB", "\u00a0dB")


def public_trial_lines(
    store: ReadingStore, registry: Registry, settings: Settings, cache: Any, lang: str
) -> list[dict[str, Any]]:
    """Public trials with a residents' line each (cached with the residents' views); trials whose data cannot
    give an interval, or cannot be computed, are left out."""
    out = []
    for body in registry.trials.list(public_only=True):
        key = ("trial", body["trial_id"], json.dumps(body, sort_keys=True))

        def result(b: dict[str, Any] = body) -> dict[str, Any] | None:
            try:
                return result_json(b, compute(store, registry, settings, b))
            except HTTPException:
                return None

        doc = cache.get(key, result)
        line = None if doc is None else resident_line(doc, body.get("kind") or "other", lang)
        if line is not None:
            out.append({"trial_id": body["trial_id"], "name": body.get("name"), "text": line})
    return out
