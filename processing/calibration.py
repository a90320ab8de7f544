"""Field calibration offsets, applied on read.

A field check with an acoustic calibrator (IEC 60942) at a reference level ``L_ref`` measures ``L_meas``;
the offset ``L_ref − L_meas`` (or the one the engineer decides to apply) corrects every level the sensor
reported from the check's time until its next check. Stored readings are never rewritten: readers add the
offset in force at each reading's start.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["offsets_at"]


def offsets_at(times_s: ArrayLike, from_s: ArrayLike, offset_db: ArrayLike) -> NDArray[np.float64]:
    """The offset in force at each of ``times_s``: that of the latest check at or before it, else 0.

    ``from_s``/``offset_db`` are the checks' times (ascending) and offsets.
    """
    t = np.asarray(times_s, dtype=np.float64)
    starts = np.asarray(from_s, dtype=np.float64)
    values = np.concatenate([[0.0], np.asarray(offset_db, dtype=np.float64)])
    if starts.shape[0] + 1 != values.shape[0]:
        raise ValueError("from_s and offset_db must have the same length")
    return np.asarray(values[np.searchsorted(starts, t, side="right")], dtype=np.float64)
