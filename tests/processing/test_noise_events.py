from __future__ import annotations

import itertools
import math
from datetime import date

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from noiselab.processing.daily import daily_from_raw
from noiselab.processing.events import emergence, facade_correction, find_events, intermittency_ratio
from tests.processing.layout import local_midnight_utc, noise_day_span_s


def im_ratio_db_port(levels: list[float], c: float = 3.0) -> float:
    """Straight port of NOISEtools im_ratio_dB: event energy over the FULL N, relative to the total."""
    n = len(levels)
    leq_tot = 10 * math.log10(sum(10 ** (x / 10) for x in levels) / n)
    k = leq_tot + c
    ev = sum(10 ** (x / 10) for x in levels if x > k)
    if ev == 0:
        return 0.0
    leq_ev = 10 * math.log10(ev / n)
    return 10 ** ((leq_ev - leq_tot) / 10) * 100


@given(st.lists(st.floats(30, 100), min_size=1, max_size=300))
def test_intermittency_ratio_matches_noisetools_port(levels: list[float]) -> None:
    assert abs(float(intermittency_ratio(levels)) - im_ratio_db_port(levels)) < 1e-7


def test_intermittency_ratio_axis_and_weights() -> None:
    x = np.array([[50.0] * 9 + [80.0], [60.0] * 10])
    ir = intermittency_ratio(x, axis=1)
    assert abs(ir[0] - im_ratio_db_port(x[0].tolist())) < 1e-9 and ir[1] == 0.0
    weighted = intermittency_ratio([50.0, 80.0], weights=[9, 1])
    assert abs(float(weighted) - float(ir[0])) < 1e-9


def test_events_runs_gaps_and_thresholds() -> None:
    t0 = 1_780_000_000
    t = t0 + np.arange(20)
    lv = np.array([60, 66, 67, 71, 66, 60, 72, 72, 60, 60, 66, 66, 66, 60, 60, 60, 60, 60, 60, 60], float)
    keep = np.ones(20, bool)
    keep[11] = False  # a hole in the data
    # no bridging, no minimum duration: plain runs of contiguous readings at or above the threshold
    ev = find_events(np.zeros(keep.sum(), int), t[keep], 1, lv[keep], merge_gap_s=0, min_duration_s=0)
    at65 = ev.threshold_db == 65
    assert ev.start_s[at65].tolist() == [t0 + 1, t0 + 6, t0 + 10, t0 + 12]
    assert ev.duration_s[at65].tolist() == [4, 2, 1, 1]
    assert ev.max_db[at65].tolist() == [71, 72, 66, 66]
    sel = 10 * np.log10(sum(10 ** (x / 10) for x in [66, 67, 71, 66]))
    assert abs(ev.sel_db[at65][0] - sel) < 1e-9
    at70 = ev.threshold_db == 70
    assert ev.start_s[at70].tolist() == [t0 + 3, t0 + 6] and ev.duration_s[at70].tolist() == [1, 2]
    # the defaults (merge gaps < 5 s, at least 3 s): one pass-by per threshold
    ev = find_events(np.zeros(keep.sum(), int), t[keep], 1, lv[keep])
    assert ev.start_s.tolist() == [t0 + 1, t0 + 3] and ev.duration_s.tolist() == [12, 5]
    assert ev.n_readings.tolist() == [8, 3]


def test_event_max_uses_lafmax_when_reported_and_order_does_not_matter() -> None:
    """Three loud 10-s readings (70, 71, 72 dB; LAFmax 84 reported on the middle one) and a quiet one whose
    LAFmax of 90 dB is outside the event: in every order of the readings, one event from t0 for 30 s with
    max 84 dB and SEL = 10*log10(10*(10**7.0 + 10**7.1 + 10**7.2)) = 85.85 dB re 1 s
    (10**7 * (1 + 1.259 + 1.585) * 10 = 3.84e8)."""
    t0 = 1_780_000_000
    t = t0 + 10 * np.arange(4)
    lv = np.array([70.0, 71.0, 72.0, 60.0])
    fmax = np.array([np.nan, 84.0, np.nan, 90.0])
    sel = 10 * math.log10(10 * (10**7.0 + 10**7.1 + 10**7.2))
    assert round(sel, 2) == 85.85
    for perm in itertools.permutations(range(4)):
        p = list(perm)
        ev = find_events(np.zeros(4, int)[p], t[p], 10, lv[p], fmax[p], thresholds_db=[65])
        assert len(ev) == 1, perm
        got = (ev.start_s[0], ev.end_s[0], ev.duration_s[0], ev.n_readings[0], ev.max_db[0])
        assert got == (t0, t0 + 30, 30, 3, 84.0), perm
        assert abs(ev.sel_db[0] - sel) < 1e-9 and ev.threshold_db[0] == 65
    # where the loudest reading reports no LAFmax its LAeq is the maximum (78 dB, above the reported 74)
    ev = find_events(
        np.zeros(3, int),
        t0 + 10 * np.arange(3),
        10,
        [70.0, 71.0, 78.0],
        [72.0, 74.0, np.nan],
        thresholds_db=[65],
    )
    assert ev.max_db.tolist() == [78.0]


def test_daily_event_counts_nat_and_night_maximum() -> None:
    day = date(2026, 6, 10)
    t0, t1 = noise_day_span_s(day)  # 07:00 June 10 -> 07:00 June 11 local
    t = np.arange(t0, t1, 1)
    lv = np.full(t.size, 55.0)
    fmax = np.full(t.size, np.nan)
    clock = (7 + (t - t0) // 3600) % 24  # local clock hour (no DST in June)
    for hour, level_db in [(2, 68.0), (3, 75.0), (12, 75.0), (23, 66.0)]:  # 02 and 03 are on June 11
        run = np.flatnonzero(clock == hour)[100:110]
        lv[run] = level_db
        fmax[run] = level_db + 6.0
    fmax[np.flatnonzero(clock == 3)[500]] = 71.0  # a reported LAFmax outside any event still counts as max
    (rec,) = daily_from_raw(np.zeros(t.size, int), t, 1, lv, fmax).to_records()
    assert rec["date"] == "2026-06-10"
    assert rec["n_events_65"] == 4 and rec["n_events_65_night"] == 3
    assert rec["n_events_70"] == 2 and rec["n_events_70_night"] == 1
    # NAT at the 70 dB threshold by event max (LAFmax 81 dB for both 75-dB runs)
    assert (rec["nat70"], rec["nat75"], rec["nat80"]) == (2, 2, 2)
    assert (rec["nat70_night"], rec["nat80_night"]) == (1, 1)
    assert rec["lafmax_night"] == 81.0 and rec["lafmax_day"] == 81.0 and rec["lafmax_evening"] is None
    # calendar days: the night events of 02:00 and 03:00 belong to June 11
    recs = daily_from_raw(np.zeros(t.size, int), t, 1, lv, fmax, day_start_h=0).to_records()
    assert [r["n_events_65"] for r in recs] == [2, 2]
    assert local_midnight_utc(day) < t0


def test_emergence_and_facade() -> None:
    assert float(emergence(62.0, 48.5)) == 13.5
    np.testing.assert_allclose(facade_correction([60.0, 60.0], facade=[True, False]), [57.0, 60.0])
    assert float(facade_correction(60.0, correction_db=-2.5)) == 57.5
