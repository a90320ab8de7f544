from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from noiselab.processing.daysums import day_sums_from_raw
from noiselab.processing.events import event_starts, find_events
from noiselab.processing.periods import SCHEMES
from noiselab.processing.rollups import level_bins
from noiselab.processing.workspace import Workspace


@given(st.lists(st.floats(-400, 400, allow_nan=False), min_size=1, max_size=200))
def test_energies_match_power_and_classes_match_level_bins(levels: list[float]) -> None:
    lv = np.asarray([*levels, 65.25, 65.35, 0.05, -0.05, 199.95], dtype=np.float64)
    energy, cls = Workspace(lv.size).energies(lv)
    # 1e-13 relative is 4e-13 dB; both results carry the rounding of L·10 (resp. L/10), which grows with |L|
    np.testing.assert_allclose(energy, np.power(10.0, lv / 10.0), rtol=1e-13)
    np.testing.assert_array_equal(np.clip(cls, 0, 2000), level_bins(lv))


def test_float32_levels_give_float64_classes() -> None:
    lv32 = np.asarray([65.25, 60.05, 59.95], dtype=np.float32)
    ws = Workspace(8)
    _, cls = ws.energies(ws.levels(lv32))
    np.testing.assert_array_equal(cls, level_bins(lv32.astype(np.float64)))


def test_sorted_and_shuffled_chunks_give_the_same_sums(rng: np.random.Generator) -> None:
    n = 20_000
    s = np.repeat([0, 1], n // 2)
    t = np.tile(1_774_000_000 + np.arange(0, 10 * (n // 2), 10), 2)  # spans the spring DST change
    lv = rng.normal(60, 6, n)
    lv[::97] = np.nan
    perm = rng.permutation(n)
    kw = {"scheme": SCHEMES["dk"], "tz": "Europe/Copenhagen"}
    a = day_sums_from_raw(s, t, 10, lv, **kw)
    b = day_sums_from_raw(s[perm], t[perm], 10, lv[perm], chunk_rows=512, **kw)
    np.testing.assert_array_equal(a.seconds, b.seconds)
    np.testing.assert_array_equal(a.hist_seconds, b.hist_seconds)
    np.testing.assert_allclose(a.energy, b.energy, rtol=1e-12)


def test_event_starts_are_those_of_find_events(rng: np.random.Generator) -> None:
    t = 1_780_000_000 + np.arange(5000)
    lv = rng.normal(66, 3, t.size)
    s = np.zeros(t.size, dtype=np.int32)
    ev = find_events(s, t, 1, lv)
    thr, sensor, start = event_starts(s, t, 1, lv)
    np.testing.assert_array_equal(thr, ev.threshold_db)
    np.testing.assert_array_equal(sensor, ev.sensor)
    np.testing.assert_array_equal(start, ev.start_s)
