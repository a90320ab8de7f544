"""Living-lab trials: the insertion loss of a product under test, from hourly LAeq, with a day-block interval.

Methods (SPEC §10; ISO 10847:1997 direct method with a reference microphone; CEN/TS 16272-7:2015):

    baci            IL = (Lt_before − Lr_before) − (Lt_after − Lr_after)
    control_impact  IL = Lr_after − Lt_after                 (equivalent site, after period only)
    before_after    IL = Lt_before − Lt_after                (no reference: changes at the source are not
                                                              controlled, always with a warning)

Positive IL = quieter after. Each L is an energy mean over the *matched hours* of one period (before, after)
of one group (t = treated, r = reference):

    L_g,P = 10·log10( (1/|M_P|) Σ_{h ∈ M_P} (1/|g|) Σ_{s ∈ g} 10^(L_s,h/10) )

A matched hour is a UTC hour of the period's local dates in which every sensor the method uses has a finite
hourly LAeq and reaches the coverage threshold, and which passes the optional filters (local clock ``hours``,
``weekdays`` with Monday = 0, weather conditions). Because every group is present in every matched hour, the
treated and reference means cover exactly the same hours: the difference Lt − Lr cancels what the source
did in those hours, which is what makes BACI robust to traffic changes between the periods.

Per assessment period (day, evening, night of the trial's :class:`PeriodScheme`) the same formula runs over
the matched hours of that period only.

Uncertainty: a 95 % percentile interval from a day-block bootstrap (:mod:`processing.bootstrap`), resampling
whole local days independently within the before and the after period, seeded from the SHA-256 of the inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from noiselab.processing.bootstrap import day_counts, digest, percentile_interval, seed_from
from noiselab.processing.decibel import level
from noiselab.processing.periods import SCHEMES, PeriodScheme, assign
from noiselab.processing.rollups import sum_by
from noiselab.processing.weather import HourlyWeather, WeatherConditions, weather_differences, weather_mask

__all__ = [
    "METHODS",
    "LocalHours",
    "PeriodEffect",
    "TrialDesign",
    "TrialInputs",
    "TrialResult",
    "TrialWarning",
    "local_hours",
    "trial_effect",
]

METHODS = ("baci", "control_impact", "before_after")
_BEFORE, _AFTER = 0, 1
_MAX_NAN_SHARE = 0.05  # more undefined resamples than this: no interval


@dataclass(frozen=True)
class LocalHours:
    """Local date ordinal, local clock hour (0..23) and weekday (Monday = 0) of each UTC hour start."""

    date_ordinal: NDArray[np.int64]
    hour: NDArray[np.intp]
    weekday: NDArray[np.intp]


def local_hours(hour_s: ArrayLike, tz: str) -> LocalHours:
    """Local date, hour and weekday of UTC hour starts ``hour_s`` in zone ``tz`` (vectorised)."""
    a = assign(np.asarray(hour_s, dtype=np.int64), SCHEMES["dk"], tz)
    # proleptic ordinal 1 (0001-01-01) was a Monday
    return LocalHours(a.date_ordinal, a.hour, ((a.date_ordinal - 1) % 7).astype(np.intp))


@dataclass(frozen=True)
class TrialInputs:
    """Hourly data on one grid of UTC hour starts ``hour_s`` (shape H); levels NaN where nothing was measured.

    ``*_db`` and ``*_coverage`` have shape (sensors, H); coverage is measured seconds / 3600 (0..1).
    ``weather`` (optional) is aligned to ``hour_s`` with :meth:`HourlyWeather.on`.
    """

    hour_s: NDArray[np.int64]
    local: LocalHours
    treated_db: NDArray[np.float64]
    treated_coverage: NDArray[np.float64]
    reference_db: NDArray[np.float64]
    reference_coverage: NDArray[np.float64]
    weather: HourlyWeather | None = None


@dataclass(frozen=True)
class TrialDesign:
    """What to compare: periods as inclusive local date ordinals, filters, thresholds.

    ``sensor_changes`` are (sensor id, local date ordinal) of moves, recalibrations and replacements.
    """

    method: str
    after: tuple[int, int]
    before: tuple[int, int] | None = None
    scheme: PeriodScheme = SCHEMES["dk"]
    hours: tuple[int, ...] | None = None
    weekdays: tuple[int, ...] | None = None
    conditions: WeatherConditions | None = None
    coverage_threshold: float = 0.75
    sensor_changes: tuple[tuple[str, int], ...] = ()
    resamples: int = 2000
    min_days: int = 7
    reference_shift_db: float = 3.0


@dataclass(frozen=True)
class TrialWarning:
    code: str
    message: str


@dataclass(frozen=True)
class PeriodEffect:
    """Insertion loss over one assessment period ("all" or a scheme period) with its 95 % interval."""

    period: str
    db: float | None
    ci95: tuple[float, float] | None
    hours_before: int
    hours_after: int
    days_before: int
    days_after: int
    levels_db: dict[str, float | None]  # treated_before, reference_before, treated_after, reference_after


@dataclass(frozen=True)
class TrialResult:
    method: str
    effects: tuple[PeriodEffect, ...]
    warnings: tuple[TrialWarning, ...]
    inputs_sha256: str
    resamples: int
    # matched hours, for reports: UTC hour start, period (0 before, 1 after), group levels
    matched_hour_s: NDArray[np.int64] = field(repr=False)
    matched_period: NDArray[np.int64] = field(repr=False)
    matched_treated_db: NDArray[np.float64] = field(repr=False)
    matched_reference_db: NDArray[np.float64] = field(repr=False)


def _validate(inputs: TrialInputs, design: TrialDesign) -> None:
    if design.method not in METHODS:
        raise ValueError(f"unknown method {design.method!r}; one of {', '.join(METHODS)}")
    if inputs.treated_db.shape[0] == 0:
        raise ValueError("a trial needs at least one treated sensor")
    if design.method != "before_after" and inputs.reference_db.shape[0] == 0:
        raise ValueError(f"method {design.method} needs at least one reference sensor")
    if design.method != "control_impact" and design.before is None:
        raise ValueError(f"method {design.method} needs a before period")
    for name, p in (("after", design.after), ("before", design.before)):
        if p is not None and p[0] > p[1]:
            raise ValueError(f"{name} period ends before it starts")
    if (
        design.before is not None
        and design.method != "control_impact"
        and design.before[1] >= design.after[0]
    ):
        raise ValueError("the before period must end before the after period starts")
    if design.conditions is not None and design.conditions.any and inputs.weather is None:
        raise ValueError("weather conditions need imported weather data")
    if not 0.0 <= design.coverage_threshold <= 1.0:
        raise ValueError("coverage_threshold must be within 0..1")
    if design.resamples < 1:
        raise ValueError("resamples must be at least 1")


def _matched(inputs: TrialInputs, design: TrialDesign) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
    """Mask of matched hours and the period (before 0 / after 1 / -1) of every grid hour."""
    d = inputs.local.date_ordinal
    stratum = np.full(d.shape, -1, dtype=np.int64)
    if design.before is not None and design.method != "control_impact":
        stratum[(d >= design.before[0]) & (d <= design.before[1])] = _BEFORE
    stratum[(d >= design.after[0]) & (d <= design.after[1])] = _AFTER
    groups = [(inputs.treated_db, inputs.treated_coverage)]
    if design.method != "before_after":
        groups.append((inputs.reference_db, inputs.reference_coverage))
    ok = stratum >= 0
    for lv, cov in groups:
        ok &= np.all(np.isfinite(lv) & (np.nan_to_num(cov) >= design.coverage_threshold), axis=0)
    if design.hours is not None:
        ok &= np.isin(inputs.local.hour, np.asarray(design.hours, dtype=np.intp))
    if design.weekdays is not None:
        ok &= np.isin(inputs.local.weekday, np.asarray(design.weekdays, dtype=np.intp))
    if design.conditions is not None and design.conditions.any and inputs.weather is not None:
        ok &= weather_mask(inputs.weather, design.conditions)
    return ok, stratum


def _group_energy(levels_db: NDArray[np.float64], mask: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Mean energy 10^(L/10) across a group's sensors in each masked hour."""
    if levels_db.shape[0] == 0:
        return np.zeros(int(mask.sum()))
    return np.asarray(np.mean(np.power(10.0, levels_db[:, mask] / 10.0), axis=0), dtype=np.float64)


@dataclass(frozen=True)
class _Stratum:
    sums: NDArray[np.float64]  # (days, 3K): treated energy K, reference energy K, hours K
    n_days: int


def _stratum_sums(
    day: NDArray[np.int64], col: NDArray[np.intp], et: NDArray[np.float64], er: NDArray[np.float64], k: int
) -> _Stratum:
    days, day_idx = np.unique(day, return_inverse=True)
    n = days.shape[0]
    out = np.zeros((n, 3 * k))
    for block, weights in enumerate((et, er, np.ones_like(et))):
        for c in range(k):  # loop over assessment periods (≤ 4), not hours
            sel = col[c]
            out[:, block * k + c] = sum_by(day_idx[sel], weights[sel], n)
    return _Stratum(out, n)


def _levels(totals: NDArray[np.float64], k: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(Lt, Lr) per assessment period from summed columns (last axis 3K)."""
    hours = totals[..., 2 * k : 3 * k]
    with np.errstate(invalid="ignore", divide="ignore"):
        lt = level(totals[..., 0:k] / np.where(hours > 0, hours, np.nan))
        lr = level(totals[..., k : 2 * k] / np.where(hours > 0, hours, np.nan))
    return lt, lr


def _il(
    method: str,
    b: tuple[NDArray[np.float64], NDArray[np.float64]] | None,
    a: tuple[NDArray[np.float64], NDArray[np.float64]],
) -> NDArray[np.float64]:
    lt_a, lr_a = a
    if method == "control_impact":
        return np.asarray(lr_a - lt_a, dtype=np.float64)
    assert b is not None
    lt_b, lr_b = b
    if method == "before_after":
        return np.asarray(lt_b - lt_a, dtype=np.float64)
    return np.asarray((lt_b - lr_b) - (lt_a - lr_a), dtype=np.float64)


def _opt(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def trial_effect(inputs: TrialInputs, design: TrialDesign) -> TrialResult:
    """Insertion loss overall and per assessment period, with day-block 95 % intervals and warnings."""
    _validate(inputs, design)
    weather = inputs.weather
    parts: list[NDArray[np.generic] | str] = [
        inputs.hour_s, inputs.treated_db, inputs.treated_coverage, inputs.reference_db,
        inputs.reference_coverage, inputs.local.date_ordinal, repr(design),
    ]  # fmt: skip
    if weather is not None:
        parts += [weather.wind_speed_ms, weather.wind_dir_deg, weather.precip_mm, weather.temp_c]
    sha = digest(parts)
    rng = np.random.default_rng(seed_from(sha))
    matched, stratum = _matched(inputs, design)
    et = _group_energy(inputs.treated_db, matched)
    er = _group_energy(inputs.reference_db, matched) if design.method != "before_after" else et
    names = ("all", *design.scheme.names)
    k = len(names)
    period_of = design.scheme.hour_table()[inputs.local.hour[matched]]
    m_stratum = stratum[matched]
    m_day = inputs.local.date_ordinal[matched]
    used = (_BEFORE, _AFTER) if design.method != "control_impact" else (_AFTER,)
    strata: dict[int, _Stratum] = {}
    point: dict[int, tuple[NDArray[np.float64], NDArray[np.float64]]] = {}
    boot: dict[int, tuple[NDArray[np.float64], NDArray[np.float64]]] = {}
    for s in used:
        sel = m_stratum == s
        pcol = period_of[sel]
        cols = [np.ones(pcol.shape, dtype=np.bool_)] + [pcol == j for j in range(k - 1)]
        st = _stratum_sums(m_day[sel], np.asarray(cols), et[sel], er[sel], k)
        strata[s] = st
        point[s] = _levels(st.sums.sum(axis=0), k)
        boot[s] = _levels(day_counts(rng, st.n_days, design.resamples) @ st.sums, k)
    il = _il(design.method, point.get(_BEFORE), point[_AFTER])
    il_boot = _il(design.method, boot.get(_BEFORE), boot[_AFTER])
    ci = percentile_interval(il_boot, axis=0)
    nan_share = np.mean(~np.isfinite(il_boot), axis=0) if il_boot.size else np.ones(k)
    effects: list[PeriodEffect] = []
    hours = {s: strata[s].sums[:, 2 * k :] for s in strata}
    for j, name in enumerate(names):
        n_hours = {s: int(h[:, j].sum()) for s, h in hours.items()}
        n_days = {s: int(np.count_nonzero(h[:, j])) for s, h in hours.items()}
        lv: dict[str, float | None] = {}
        for s, label in ((_BEFORE, "before"), (_AFTER, "after")):
            lt, lr = point.get(s, (np.full(k, np.nan), np.full(k, np.nan)))
            lv[f"treated_{label}"] = _opt(float(lt[j]))
            lv[f"reference_{label}"] = None if design.method == "before_after" else _opt(float(lr[j]))
        has_ci = bool(np.isfinite(il[j]) and nan_share[j] <= _MAX_NAN_SHARE and np.all(np.isfinite(ci[j])))
        effects.append(
            PeriodEffect(
                period=name,
                db=_opt(float(il[j])),
                ci95=(float(ci[j, 0]), float(ci[j, 1])) if has_ci else None,
                hours_before=n_hours.get(_BEFORE, 0),
                hours_after=n_hours.get(_AFTER, 0),
                days_before=n_days.get(_BEFORE, 0),
                days_after=n_days.get(_AFTER, 0),
                levels_db=lv,
            )
        )
    return TrialResult(
        method=design.method,
        effects=tuple(effects),
        warnings=tuple(_warnings(inputs, design, effects[0], matched, stratum)),
        inputs_sha256=sha,
        resamples=design.resamples,
        matched_hour_s=inputs.hour_s[matched],
        matched_period=m_stratum,
        matched_treated_db=np.asarray(level(et), dtype=np.float64),
        matched_reference_db=np.asarray(level(er), dtype=np.float64)
        if design.method != "before_after"
        else np.full(et.shape, np.nan),
    )


def _warnings(
    inputs: TrialInputs,
    design: TrialDesign,
    overall: PeriodEffect,
    matched: NDArray[np.bool_],
    stratum: NDArray[np.int64],
) -> list[TrialWarning]:
    out: list[TrialWarning] = []
    labels = ("before", "after") if design.method != "control_impact" else ("after",)
    for label in labels:
        days = overall.days_before if label == "before" else overall.days_after
        if days == 0:
            out.append(
                TrialWarning("no_matched_hours", f"The {label} period has no matched hours: no result.")
            )
        elif days < design.min_days:
            out.append(
                TrialWarning(
                    "few_days",
                    f"Only {days} matched days in the {label} period (fewer than {design.min_days}).",
                )
            )
    if design.method == "before_after":
        out.append(
            TrialWarning(
                "no_reference",
                "Method before_after has no reference: changes at the source (traffic, speed, "
                "fleet) between the periods are not controlled and appear in the result.",
            )
        )
    lv = overall.levels_db
    rb, ra = lv.get("reference_before"), lv.get("reference_after")
    if (
        design.method == "baci"
        and rb is not None
        and ra is not None
        and abs(ra - rb) > design.reference_shift_db
    ):
        out.append(
            TrialWarning(
                "reference_changed",
                f"The reference level changed by {ra - rb:+.1f} dB between the periods: the "
                "traffic or the source changed; the BACI difference corrects for it only if the change is "
                "the same at the treated sensors.",
            )
        )
    if inputs.weather is not None and design.method != "control_impact":
        b, a = matched & (stratum == _BEFORE), matched & (stratum == _AFTER)
        diffs = weather_differences(inputs.weather, b, a)
        if diffs:
            out.append(
                TrialWarning(
                    "weather_differs", "The weather differed between the periods: " + "; ".join(diffs) + "."
                )
            )
    start = (
        design.before[0]
        if design.before is not None and design.method != "control_impact"
        else design.after[0]
    )
    for sensor_id, ordinal in design.sensor_changes:
        if start < ordinal <= design.after[1]:
            out.append(
                TrialWarning(
                    "sensor_changed",
                    f"Sensor {sensor_id} was changed (moved, recalibrated or replaced) during the "
                    "trial; levels before and after the change may not be comparable.",
                )
            )
    return out
