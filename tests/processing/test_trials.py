"""Trials core: recovery under traffic change, honest intervals, hand-worked cases, invariants, warnings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from noiselab.processing.bootstrap import day_counts, percentile_interval
from noiselab.processing.trials import TrialDesign, TrialInputs, local_hours, trial_effect
from noiselab.processing.weather import HourlyWeather, WeatherConditions
from tests.processing.trialdata import synthetic

D0 = date(2027, 3, 1).toordinal()


def _by(result: object) -> dict[str, object]:
    return {e.period: e for e in result.effects}  # type: ignore[attr-defined]


def _codes(result: object) -> list[str]:
    return [w.code for w in result.warnings]  # type: ignore[attr-defined]


def test_baci_recovers_the_insertion_loss_where_a_naive_before_after_is_fooled_by_traffic() -> None:
    true_il, shift = 4.0, 5.0  # traffic 5 dB louder after (e.g. a reopened lane)
    for seed in range(5):
        s = synthetic(seed, il_db=true_il, shift_db=shift, days_before=90, days_after=90, site_sd=0.5)
        baci = trial_effect(s.inputs(), TrialDesign(method="baci", before=s.before, after=s.after))
        naive = trial_effect(s.inputs(), TrialDesign(method="before_after", before=s.before, after=s.after))
        il, naive_il = baci.effects[0].db, naive.effects[0].db
        assert il is not None and naive_il is not None
        assert abs(il - true_il) < 0.3, (seed, il)
        assert abs(naive_il - (true_il - shift)) < 0.5  # the naive answer sees the traffic, not the product
        assert naive_il < 0  # "the barrier made it louder": wrong
        lo, hi = baci.effects[0].ci95 or (np.nan, np.nan)
        assert lo <= il <= hi
        assert "reference_changed" in _codes(baci) and "no_reference" in _codes(naive)
        for e in baci.effects[1:]:  # each period recovers it too, with a wider interval
            assert e.db is not None and abs(e.db - true_il) < 0.6


def test_the_95_percent_interval_covers_the_truth_in_90_to_99_percent_of_200_seeds() -> None:
    true_il = 3.0
    hits = []
    widths = []
    for seed in range(200):
        s = synthetic(1000 + seed, il_db=true_il, shift_db=2.0)
        r = trial_effect(
            s.inputs(), TrialDesign(method="baci", before=s.before, after=s.after, resamples=1000)
        )
        lo, hi = r.effects[0].ci95 or (np.nan, np.nan)
        hits.append(lo <= true_il <= hi)
        widths.append(hi - lo)
    coverage = float(np.mean(hits))
    assert 0.90 <= coverage <= 0.99, coverage
    assert 0.5 < float(np.median(widths)) < 3.0  # not trivially wide


def test_same_data_give_the_same_interval_and_other_data_another() -> None:
    s = synthetic(7)
    design = TrialDesign(method="baci", before=s.before, after=s.after)
    a, b = trial_effect(s.inputs(), design), trial_effect(s.inputs(), design)
    assert a.effects == b.effects and a.inputs_sha256 == b.inputs_sha256
    other = trial_effect(replace(s, treated_db=s.treated_db + 1e-9).inputs(), design)
    assert other.inputs_sha256 != a.inputs_sha256


def _grid(days: int, *, tz: str = "UTC") -> tuple[np.ndarray, object]:
    t0 = int(datetime(2027, 3, 1, tzinfo=UTC).timestamp())
    hour_s = t0 + 3600 * np.arange(days * 24, dtype=np.int64)
    return hour_s, local_hours(hour_s, tz)


def _inputs(treated: np.ndarray, reference: np.ndarray, days: int, **kw: object) -> TrialInputs:
    hour_s, local = _grid(days)
    t = np.atleast_2d(treated).astype(float)
    r = np.atleast_2d(reference).astype(float)
    return TrialInputs(hour_s, local, t, np.ones_like(t), r, np.ones_like(r), **kw)  # type: ignore[arg-type]


def test_hand_worked_constant_levels_for_each_method() -> None:
    days = 20
    after = np.arange(days * 24) >= 10 * 24
    treated = np.where(after, 55.0, 60.0)
    reference = np.full(days * 24, 70.0)
    inp = _inputs(treated, reference, days)
    before_p, after_p = (D0, D0 + 9), (D0 + 10, D0 + 19)
    baci = trial_effect(inp, TrialDesign(method="baci", before=before_p, after=after_p))
    assert baci.effects[0].db == pytest.approx(5.0, abs=1e-9)
    assert baci.effects[0].ci95 == pytest.approx((5.0, 5.0), abs=1e-9)
    assert (baci.effects[0].hours_before, baci.effects[0].days_after) == (240, 10)
    night = _by(baci)["night"]
    assert night.hours_before == 90 and night.db == pytest.approx(5.0)  # type: ignore[attr-defined]
    ci = trial_effect(inp, TrialDesign(method="control_impact", after=after_p))
    assert ci.effects[0].db == pytest.approx(70.0 - 55.0)
    assert ci.effects[0].hours_before == 0 and "no_reference" not in _codes(ci)
    ba = trial_effect(inp, TrialDesign(method="before_after", before=before_p, after=after_p))
    assert ba.effects[0].db == pytest.approx(5.0) and _codes(ba) == ["no_reference"]


def test_hand_worked_energy_means_over_hours_and_over_sensors() -> None:
    days = 20
    h = np.arange(days * 24)
    after = h >= 10 * 24
    # before: treated alternates 60/70 dB hour by hour -> energy mean 10·log10((1e6 + 1e7)/2) = 67.404 dB
    treated = np.where(after, 60.0, np.where(h % 2 == 0, 60.0, 70.0))
    inp = _inputs(treated, np.full(days * 24, 70.0), days)
    r = trial_effect(inp, TrialDesign(method="baci", before=(D0, D0 + 9), after=(D0 + 10, D0 + 19)))
    expected = 10 * np.log10((1e6 + 1e7) / 2) - 60.0
    assert r.effects[0].db == pytest.approx(expected, abs=1e-9)
    assert r.effects[0].levels_db["treated_before"] == pytest.approx(67.40362689, abs=1e-6)
    # two treated sensors at 60 and 70 dB in every hour form a group at the same 67.40 dB
    two = np.stack([np.where(after, 60.0, 60.0), np.where(after, 60.0, 70.0)])
    r2 = trial_effect(
        _inputs(two, np.full(days * 24, 70.0), days),
        TrialDesign(method="baci", before=(D0, D0 + 9), after=(D0 + 10, D0 + 19)),
    )
    assert r2.effects[0].levels_db["treated_before"] == pytest.approx(67.40362689, abs=1e-6)
    assert r2.effects[0].levels_db["treated_after"] == pytest.approx(60.0)


def test_an_hour_below_the_coverage_threshold_is_dropped_from_both_groups() -> None:
    days = 20
    inp = _inputs(np.full(days * 24, 60.0), np.full(days * 24, 70.0), days)
    cov = inp.reference_coverage.copy()
    cov[0, :5] = 0.5  # five reference hours of the before period are poorly covered
    treated = inp.treated_db.copy()
    treated[0, :5] = 90.0  # a loud treated value in exactly those hours must not count
    inp = replace(inp, reference_coverage=cov, treated_db=treated)
    r = trial_effect(inp, TrialDesign(method="baci", before=(D0, D0 + 9), after=(D0 + 10, D0 + 19)))
    assert r.effects[0].hours_before == 235 and r.effects[0].db == pytest.approx(0.0)
    lower = trial_effect(
        inp, TrialDesign(method="baci", before=(D0, D0 + 9), after=(D0 + 10, D0 + 19), coverage_threshold=0.5)
    )
    assert lower.effects[0].hours_before == 240 and lower.effects[0].db is not None
    assert lower.effects[0].db > 1.0


def test_hour_and_weekday_filters_select_local_hours() -> None:
    days = 28
    inp = _inputs(np.full(days * 24, 60.0), np.full(days * 24, 70.0), days)
    design = TrialDesign(
        method="baci", before=(D0, D0 + 13), after=(D0 + 14, D0 + 27), hours=(22, 23, 0), weekdays=(0, 6)
    )
    r = trial_effect(inp, design)
    assert date.fromordinal(D0).weekday() == 0  # 2027-03-01 is a Monday
    # two Mondays and two Sundays per 14 days, three hours each
    assert (r.effects[0].hours_before, r.effects[0].days_before) == (12, 4)
    assert _by(r)["day"].hours_before == 0 and _by(r)["day"].db is None  # type: ignore[attr-defined]
    assert "few_days" in _codes(r)


def test_a_dst_day_inside_a_period_has_23_local_hours() -> None:
    s = synthetic(
        3, start=date(2027, 3, 20), days_before=14, gap_days=1, days_after=14, tz="Europe/Copenhagen"
    )
    r = trial_effect(s.inputs(), TrialDesign(method="baci", before=s.before, after=s.after))
    assert r.effects[0].hours_before == 14 * 24 - 1  # 2027-03-28 springs forward
    assert r.effects[0].days_before == 14 and r.effects[0].db is not None


def test_a_missing_reference_day_removes_that_day_from_both_groups() -> None:
    s = synthetic(4)
    ref = s.reference_db.copy()
    ref[:, s.inputs().local.date_ordinal == s.before[0] + 3] = np.nan
    r = trial_effect(
        replace(s, reference_db=ref).inputs(), TrialDesign(method="baci", before=s.before, after=s.after)
    )
    assert r.effects[0].days_before == 29 and r.effects[0].hours_before == 29 * 24


def test_warnings_few_days_no_hours_sensor_change_and_weather() -> None:
    s = synthetic(5, days_before=5, days_after=30)
    change = ("vb-01", s.after[0] + 2)
    early = ("vb-02", s.before[0] - 10)  # before the trial: harmless
    r = trial_effect(
        s.inputs(), TrialDesign(method="baci", before=s.before, after=s.after, sensor_changes=(change, early))
    )
    assert _codes(r) == ["few_days", "sensor_changed"] and "vb-01" in r.warnings[1].message
    empty = trial_effect(s.inputs(), TrialDesign(method="baci", before=(D0 - 40, D0 - 35), after=s.after))
    assert "no_matched_hours" in _codes(empty) and empty.effects[0].db is None
    assert empty.effects[0].ci95 is None
    local = s.inputs().local
    after = local.date_ordinal >= s.after[0]
    windy = HourlyWeather(s.hour_s, np.where(after, 8.0, 3.0), np.full(s.hour_s.size, 270.0),
                          np.zeros(s.hour_s.size), np.full(s.hour_s.size, 8.0))  # fmt: skip
    w = trial_effect(s.inputs(windy), TrialDesign(method="baci", before=s.before, after=s.after))
    assert "weather_differs" in _codes(w) and "wind" in w.warnings[-1].message


def test_weather_conditions_filter_hours() -> None:
    s = synthetic(6)
    n = s.hour_s.size
    rain = np.where(np.arange(n) % 4 == 0, 1.2, 0.0)
    weather = HourlyWeather(s.hour_s, np.full(n, 3.0), np.full(n, 90.0), rain, np.full(n, 10.0))
    dry = trial_effect(
        s.inputs(weather),
        TrialDesign(
            method="baci", before=s.before, after=s.after, conditions=WeatherConditions(dry_only=True)
        ),
    )
    assert dry.effects[0].hours_before == 30 * 24 * 3 // 4
    sector = WeatherConditions(max_wind_ms=5.0, wind_sector_deg=(300.0, 60.0))  # wind from the east fails
    none = trial_effect(
        s.inputs(weather), TrialDesign(method="baci", before=s.before, after=s.after, conditions=sector)
    )
    assert none.effects[0].hours_before == 0 and "no_matched_hours" in _codes(none)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"method": "anova"}, "unknown method"),
        ({"before": (D0 + 20, D0 + 25)}, "before period must end before"),
        ({"before": (D0 + 5, D0)}, "ends before it starts"),
        ({"before": None}, "needs a before period"),
        ({"conditions": WeatherConditions(dry_only=True)}, "need imported weather"),
        ({"coverage_threshold": 1.5}, "coverage_threshold"),
        ({"resamples": 0}, "resamples"),
    ],
)
def test_bad_designs_are_refused(change: dict[str, object], message: str) -> None:
    inp = _inputs(np.full(480, 60.0), np.full(480, 70.0), 20)
    design = replace(TrialDesign(method="baci", before=(D0, D0 + 9), after=(D0 + 10, D0 + 19)), **change)
    with pytest.raises(ValueError, match=message):
        trial_effect(inp, design)


def test_baci_without_reference_sensors_is_refused() -> None:
    inp = _inputs(np.full(480, 60.0), np.zeros((0, 480)), 20)
    with pytest.raises(ValueError, match="reference sensor"):
        trial_effect(inp, TrialDesign(method="baci", before=(D0, D0 + 9), after=(D0 + 10, D0 + 19)))


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    c=st.floats(-20, 20, allow_nan=False),
    step=st.floats(-10, 10, allow_nan=False),
)
def test_invariants(seed: int, c: float, step: float) -> None:
    s = synthetic(seed, days_before=8, gap_days=0, days_after=8)
    design = TrialDesign(method="baci", before=s.before, after=s.after, resamples=50)
    base = trial_effect(s.inputs(), design).effects[0].db
    assert base is not None
    # a constant added to every level of every sensor changes nothing
    moved = trial_effect(
        replace(s, treated_db=s.treated_db + c, reference_db=s.reference_db + c).inputs(), design
    )
    assert moved.effects[0].db == pytest.approx(base, abs=1e-9)
    # the treated sensor `step` dB quieter in the after period: IL grows by exactly `step`
    after = s.inputs().local.date_ordinal >= s.after[0]
    quieter = trial_effect(replace(s, treated_db=s.treated_db - step * after).inputs(), design)
    assert quieter.effects[0].db == pytest.approx(base + step, abs=1e-9)
    # swapping the roles of treated and reference negates the BACI insertion loss
    swapped = trial_effect(replace(s, treated_db=s.reference_db, reference_db=s.treated_db).inputs(), design)
    assert swapped.effects[0].db == pytest.approx(-base, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(n_days=st.integers(0, 50), n_resamples=st.integers(0, 30), seed=st.integers(0, 2**32))
def test_day_counts_rows_draw_n_days(n_days: int, n_resamples: int, seed: int) -> None:
    c = day_counts(np.random.default_rng(seed), n_days, n_resamples)
    assert c.shape == (n_resamples, n_days)
    assert np.all(c.sum(axis=1) == n_days) and np.all(c >= 0)


def test_percentile_interval_ignores_nan_and_handles_all_nan() -> None:
    samples = np.array([[1.0, np.nan], [2.0, np.nan], [3.0, np.nan], [np.nan, np.nan]])
    ci = percentile_interval(samples, level=0.5)
    assert ci[0] == pytest.approx([1.5, 2.5]) and np.all(np.isnan(ci[1]))
