"""Pass-by events against hand-built 1-s sequences: dips, isolated spikes, merge and duration edges."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from noiselab.processing.events import EventParams, detect_passbys, event_starts, find_events

T0 = 1_780_000_000
P = EventParams()  # 70 dB, merge gap 5 s, min duration 3 s


def seq(*parts: tuple[float, int]) -> tuple[np.ndarray, np.ndarray]:
    """1-s readings from (level, seconds) parts, starting at T0."""
    lv = np.concatenate([np.full(n, level) for level, n in parts])
    return T0 + np.arange(lv.size, dtype=np.int64), lv


def test_defaults_are_the_spec_values() -> None:
    assert (P.threshold_db, P.merge_gap_s, P.min_duration_s) == (70.0, 5.0, 3.0)
    assert 65.0 in P.thresholds_db and P.nat_levels_db == (70.0, 75.0, 80.0)


def test_a_short_dip_is_bridged_and_sel_sums_the_loud_readings() -> None:
    t, lv = seq((60, 10), (72, 4), (60, 2), (74, 3), (60, 20))  # dip of 2 s < 5 s
    ev = detect_passbys(t, lv, 1, params=P)
    assert len(ev) == 1
    assert ev.start_s[0] == T0 + 10 and ev.end_s[0] == T0 + 19 and ev.duration_s[0] == 9
    assert ev.n_readings[0] == 7 and ev.max_db[0] == 74
    sel = 10 * np.log10(4 * 10**7.2 + 3 * 10**7.4)
    assert ev.sel_db[0] == pytest.approx(sel, abs=1e-9)


def test_a_dip_of_exactly_merge_gap_splits_and_one_second_less_merges() -> None:
    t, lv = seq((60, 3), (75, 3), (60, 5), (75, 3), (60, 3))
    ev = detect_passbys(t, lv, 1, params=P)
    assert ev.start_s.tolist() == [T0 + 3, T0 + 11] and ev.duration_s.tolist() == [3, 3]
    t, lv = seq((60, 3), (75, 3), (60, 4), (75, 3), (60, 3))
    ev = detect_passbys(t, lv, 1, params=P)
    assert ev.start_s.tolist() == [T0 + 3] and ev.duration_s.tolist() == [10]


def test_isolated_spikes_are_not_events_and_min_duration_is_inclusive() -> None:
    t, lv = seq((60, 10), (90, 1), (60, 10), (71, 2), (60, 10), (71, 3), (60, 10))
    ev = detect_passbys(t, lv, 1, params=P)
    assert ev.start_s.tolist() == [T0 + 33] and ev.duration_s.tolist() == [3]
    ev = detect_passbys(t, lv, 1, params=EventParams(min_duration_s=0))
    assert ev.duration_s.tolist() == [1, 2, 3]


def test_spikes_merged_into_one_event_reach_the_min_duration() -> None:
    # three 1-s spikes 2 s apart: each alone is too short; bridged they last 1+2+1+2+1 = 7 s
    t, lv = seq((60, 5), (80, 1), (60, 2), (80, 1), (60, 2), (80, 1), (60, 5))
    ev = detect_passbys(t, lv, 1, params=P)
    assert len(ev) == 1 and ev.duration_s[0] == 7 and ev.n_readings[0] == 3


def test_threshold_is_at_or_above_and_a_hole_in_the_data_is_a_dip() -> None:
    t, lv = seq((69.9, 5), (70.0, 4), (69.9, 5))
    assert detect_passbys(t, lv, 1, params=P).duration_s.tolist() == [4]
    t, lv = seq((72, 4), (72, 3), (72, 4))
    keep = np.r_[np.ones(4, bool), np.zeros(3, bool), np.ones(4, bool)]  # 3 s without readings
    ev = detect_passbys(t[keep], lv[keep], 1, params=P)
    assert ev.duration_s.tolist() == [11] and ev.n_readings.tolist() == [8]
    ev = detect_passbys(t[keep], lv[keep], 1, params=EventParams(merge_gap_s=0))
    assert ev.duration_s.tolist() == [4, 4]


def test_max_is_lafmax_when_reported_else_laeq() -> None:
    t, lv = seq((60, 2), (72, 5), (60, 2))
    fmax = np.full(t.size, np.nan)
    fmax[3] = 84.5
    assert detect_passbys(t, lv, 1, fmax, params=P).max_db.tolist() == [84.5]
    assert detect_passbys(t, lv, 1, None, params=P).max_db.tolist() == [72.0]


def test_loud_readings_alone_give_the_same_events() -> None:
    rng = np.random.default_rng(3)
    lv = rng.normal(66, 5, 20_000)
    t = T0 + np.arange(lv.size)
    loud = lv >= P.threshold_db
    a, b = detect_passbys(t, lv, 1, params=P), detect_passbys(t[loud], lv[loud], 1, params=P)
    for name in ("start_s", "end_s", "n_readings", "max_db", "sel_db"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert 0 < len(a) < loud.sum()


def test_several_sensors_and_thresholds_do_not_mix() -> None:
    t, lv = seq((66, 4), (60, 3), (71, 4))
    s = np.r_[np.zeros(t.size, int), np.ones(t.size, int)]
    ev = find_events(s, np.r_[t, t], 1, np.r_[lv, lv], thresholds_db=(65, 70))
    assert ev.sensor.tolist() == [0, 1, 0, 1]
    assert ev.threshold_db.tolist() == [65, 65, 70, 70]
    assert ev.duration_s.tolist() == [11, 11, 4, 4]
    thr, sensor, start = event_starts(s, np.r_[t, t], 1, np.r_[lv, lv], thresholds_db=(65, 70))
    np.testing.assert_array_equal(start, ev.start_s)
    np.testing.assert_array_equal(sensor, ev.sensor)
    np.testing.assert_array_equal(thr, ev.threshold_db)


@pytest.mark.parametrize(
    "bad", [{"merge_gap_s": -1.0}, {"min_duration_s": float("nan")}, {"threshold_db": float("inf")}]
)
def test_bad_parameters_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        EventParams(**bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        find_events([0], [T0], 1, [80.0], merge_gap_s=bad.get("merge_gap_s", -1.0))


@given(st.lists(st.floats(50, 90), min_size=1, max_size=200))
def test_order_of_readings_does_not_matter(levels: list[float]) -> None:
    lv = np.asarray(levels)
    t = T0 + np.arange(lv.size)
    perm = np.random.default_rng(len(levels)).permutation(lv.size)
    a, b = detect_passbys(t, lv, 1, params=P), detect_passbys(t[perm], lv[perm], 1, params=P)
    np.testing.assert_array_equal(a.start_s, b.start_s)
    np.testing.assert_array_equal(a.sel_db, b.sel_db)
    assert np.all(a.duration_s >= P.min_duration_s)
    assert np.all(a.start_s[1:] - a.end_s[:-1] >= P.merge_gap_s)
