"""processing.rollups.group equals np.unique with inverse, on dense and sparse keys; rollups in any order."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from noiselab.processing.rollups import group, merge, rollup


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-(2**40), 2**40), max_size=300), st.integers(1, 10**6))
def test_group_equals_unique(values: list[int], spread: int) -> None:
    keys = np.array(values, dtype=np.int64) // spread  # dense (large spread) and sparse keys alike
    uniq, inverse = group(keys)
    want_uniq, want_inverse = np.unique(keys, return_inverse=True)
    assert np.array_equal(uniq, want_uniq)
    assert np.array_equal(inverse, want_inverse.reshape(-1))
    assert np.array_equal(uniq[inverse], keys)


def test_rollup_of_shuffled_readings_equals_rollup_of_sorted_ones() -> None:
    rng = np.random.default_rng(5)
    n = 20_000
    sensor = rng.integers(0, 3, n)
    start = 1_780_000_000 + rng.integers(0, 5 * 86400, n).astype(np.float64)
    laeq = rng.uniform(30, 90, n).round(1)
    fmax = laeq + 5
    whole = rollup(sensor, start, 1.0, laeq, fmax, bucket_s=900)
    order = rng.permutation(n)
    half = n // 2
    a, b = order[:half], order[half:]
    parts = merge(
        rollup(sensor[a], start[a], 1.0, laeq[a], fmax[a], bucket_s=900),
        rollup(sensor[b], start[b], 1.0, laeq[b], fmax[b], bucket_s=900),
    )
    assert len(whole) == len(np.unique(sensor * 10**7 + start // 900))
    for name in ("sensor", "bucket_s", "seconds", "lafmax", "hist_row", "hist_bin", "hist_seconds"):
        assert np.array_equal(getattr(whole, name), getattr(parts, name)), name
    assert np.allclose(whole.energy, parts.energy, rtol=1e-12)
    assert whole.seconds.sum() == n
