from __future__ import annotations

import math
import warnings

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from noiselab.processing.decibel import energy_mean, energy_sum, level

with warnings.catch_warnings():
    # acoustic-toolbox registers a matplotlib scale the old way; matplotlib 3.11 warns at import time
    warnings.simplefilter("ignore", PendingDeprecationWarning)
    from acoustic_toolbox.decibel import dbmean, dbsum


def test_two_equal_levels_sum_to_plus_3_01_db() -> None:
    assert abs(float(energy_sum([70.0, 70.0])) - (70 + 10 * math.log10(2))) < 1e-12  # 73.0103 dB


def test_energy_mean_of_60_and_80_is_77_03_not_70() -> None:
    # 10*log10((10**6 + 10**8) / 2) = 10*log10(5.05e7) = 77.0329 dB; the arithmetic mean would be 70
    assert abs(float(energy_mean([60.0, 80.0])) - 77.03291378) < 1e-8


def test_time_weights_are_durations() -> None:
    # 59 s at 50 dB and 1 s at 90 dB == sixty 1-s readings
    weighted = energy_mean([50.0, 90.0], weights=[59.0, 1.0])
    flat = energy_mean([50.0] * 59 + [90.0])
    assert abs(float(weighted) - float(flat)) < 1e-12


def test_nan_is_a_gap_not_silence() -> None:
    assert float(energy_mean([60.0, np.nan, 60.0])) == 60.0
    assert np.isnan(energy_mean([np.nan, np.nan]))
    assert np.isnan(energy_mean([]))


def test_axis() -> None:
    x = np.array([[60.0, 60.0], [70.0, np.nan]])
    np.testing.assert_allclose(energy_mean(x, axis=1), [60.0, 70.0])
    np.testing.assert_allclose(energy_sum(x, axis=0), [70.4139, 60.0], atol=1e-4)


def test_stable_for_very_high_levels_and_long_series() -> None:
    lv = np.full(10_000_000 // 100, 1000.0)  # 10^100 energy ratios would overflow without the shift
    assert abs(float(energy_mean(lv)) - 1000.0) < 1e-9
    # the same +3.01 dB and the same 60/80 mean far above float range (10**300 overflows a double)
    assert abs(float(energy_sum([3000.0, 3000.0])) - (3000 + 10 * math.log10(2))) < 1e-9
    assert abs(float(energy_mean([3060.0, 3080.0])) - 3077.03291378) < 1e-7
    assert (
        abs(
            float(energy_mean([3050.0, 3090.0], weights=[59.0, 1.0]))
            - float(energy_mean([50.0, 90.0], weights=[59.0, 1.0]))
            - 3000
        )
        < 1e-9
    )


def test_level_of_zero_energy_is_nan_without_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero RuntimeWarning from log10(0)
        assert np.isnan(level(0.0))
        assert np.isnan(level(np.zeros(3))).all()


@given(st.lists(st.floats(15, 145), min_size=1, max_size=50))
def test_sum_and_mean_agree_with_acoustic_toolbox(levels: list[float]) -> None:
    """An independent implementation: acoustic-toolbox's dbsum and dbmean (python-acoustics' successor)."""
    assert abs(float(energy_sum(levels)) - float(dbsum(levels))) < 1e-9
    assert abs(float(energy_mean(levels)) - float(dbmean(levels))) < 1e-9


@given(st.lists(st.floats(15, 145), min_size=1, max_size=50), st.floats(15, 145))
def test_adding_energy_never_lowers_the_sum(levels: list[float], extra: float) -> None:
    assert float(energy_sum([*levels, extra])) >= float(energy_sum(levels)) - 1e-9


@given(st.lists(st.floats(15, 145), min_size=1, max_size=50))
def test_mean_between_min_and_max(levels: list[float]) -> None:
    m = float(energy_mean(levels))
    assert min(levels) - 1e-9 <= m <= max(levels) + 1e-9
