"""Exceedance levels LA_N on 0.1 dB classes, identical from raw readings and from merged histograms.

``LA_N`` is the level exceeded N % of the time (ISO 1996-1:2016 §3.4.5 "N percent exceedance level"), i.e. the
time-weighted (100 − N)th percentile of the readings' LAeq. We fix the method so that raw data and rollup
histograms give the same number by construction:

1. each LAeq is quantised to its 0.1 dB class ``c = round(10·L)/10`` (meters report 0.1 dB; B&K uses
   0.2 dB classes);
2. with ``F(c)`` = (seconds in classes ≤ c) / (all seconds), ``LA_N = min{ c : F(c) ≥ (100 − N)/100 }``,
   the inverted-CDF rule (Hyndman & Fan 1996 definition 1; numpy ``method="inverted_cdf"``).

The comparison ``F(c) ≥ p`` is evaluated as ``100·cum ≥ (100 − N)·total`` to avoid rounding 0.9·100 upwards.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["exceedance_levels"]


def exceedance_levels(
    group: NDArray[np.int64],
    bin_: NDArray[np.int64],
    seconds: NDArray[np.float64],
    n_groups: int,
    percents: Sequence[float],
) -> NDArray[np.float64]:
    """LA_N per group from a histogram sorted by (group, bin) (unique entries); shape ``(n_groups, len(N))``.

    ``bin_`` holds 0.1 dB classes (``round(10·L)``). Groups without histogram time give NaN.
    """
    out = np.full((n_groups, len(percents)), np.nan, dtype=np.float64)
    if group.size == 0:
        return out
    keep = seconds > 0
    group, bin_, seconds = group[keep], bin_[keep], seconds[keep]
    if group.size == 0:
        return out
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    present = group[starts]
    cum = np.cumsum(seconds)
    base = np.r_[0.0, cum][starts]
    seg = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, group.size]))
    cum_in = cum - base[seg]
    total = cum_in[np.r_[starts[1:], group.size] - 1]
    positions = np.arange(group.size)
    for j, n in enumerate(percents):
        reached = 100.0 * cum_in >= (100.0 - float(n)) * total[seg]
        first = np.minimum.reduceat(np.where(reached, positions, group.size), starts)
        out[present, j] = bin_[first] / 10.0
    return out
