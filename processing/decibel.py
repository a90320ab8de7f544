"""Decibel arithmetic in the energy domain.

A level L in dB stands for the energy ratio ``10**(L/10)``; levels are combined by adding or averaging
energies, never by averaging decibels (ISO 1996-1:2016 §3.1, ISO/TR 25417:2007 eq. for L_eq,T):

    energy sum   L_sum  = 10·log10( Σ_i w_i·10^(L_i/10) )
    energy mean  L_mean = 10·log10( Σ_i w_i·10^(L_i/10) / Σ_i w_i )

with ``w_i`` the duration of reading i (``interval_s``), or 1 for plain level lists. Both are computed
logsumexp-style: the largest level is factored out before exponentiation, so year-long series of high levels
neither overflow nor lose the quiet readings to rounding. NaN readings are ignored (a gap is not silence);
a slice with no finite reading gives NaN.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

__all__ = ["FloatArray", "energy", "energy_mean", "energy_sum", "level"]


def energy(levels_db: ArrayLike) -> FloatArray:
    """Energy ratio ``10**(L/10)`` of levels in dB (NaN stays NaN)."""
    return np.power(10.0, np.asarray(levels_db, dtype=np.float64) / 10.0)


def level(energies: ArrayLike) -> FloatArray:
    """Level ``10·log10(E)`` in dB of energy ratios; 0 or negative (no energy) gives NaN, without warnings."""
    e = np.asarray(energies, dtype=np.float64)
    out = np.full(e.shape, np.nan, dtype=np.float64)
    np.log10(e, out=out, where=e > 0)
    return np.asarray(out * 10.0, dtype=np.float64)


def _weighted_log_energy(
    levels_db: ArrayLike, weights: ArrayLike | None, axis: int | None
) -> tuple[FloatArray, FloatArray]:
    """Return (10·log10 Σ w·10^(L/10), Σ w) over ``axis``, NaN-aware and max-shifted."""
    lv = np.asarray(levels_db, dtype=np.float64)
    w = (
        np.ones_like(lv)
        if weights is None
        else np.broadcast_to(np.asarray(weights, dtype=np.float64), lv.shape)
    )
    ok = np.isfinite(lv) & (w > 0)
    safe = np.where(ok, lv, -np.inf)
    peak = np.asarray(np.max(safe, axis=axis, keepdims=True, initial=-np.inf), dtype=np.float64)
    shift = np.where(np.isfinite(peak), peak, 0.0)
    scaled = np.where(ok, np.where(ok, w, 0.0) * np.power(10.0, (np.where(ok, lv, 0.0) - shift) / 10.0), 0.0)
    total = np.sum(scaled, axis=axis, keepdims=True)
    wsum = np.sum(np.where(ok, w, 0.0), axis=axis, keepdims=True)
    log_total = level(total) + shift
    if axis is None:
        return np.asarray(log_total.reshape(()), dtype=np.float64), np.asarray(
            wsum.reshape(()), dtype=np.float64
        )
    return (
        np.asarray(np.squeeze(log_total, axis=axis), dtype=np.float64),
        np.asarray(np.squeeze(wsum, axis=axis), dtype=np.float64),
    )


def energy_sum(
    levels_db: ArrayLike, *, weights: ArrayLike | None = None, axis: int | None = None
) -> FloatArray:
    """Energy sum ``10·log10(Σ w_i·10^(L_i/10))`` in dB; two equal levels give L + 3.01 dB.

    With ``weights`` in seconds this is the sound exposure level (SEL, L_AE re 1 s) of the readings.
    Source: ISO 1996-1:2016 §3.1.6 (SEL), ISO/TR 25417:2007.
    """
    total, _ = _weighted_log_energy(levels_db, weights, axis)
    return total


def energy_mean(
    levels_db: ArrayLike, *, weights: ArrayLike | None = None, axis: int | None = None
) -> FloatArray:
    """Energy (time-weighted) mean ``10·log10(Σ w_i·10^(L_i/10) / Σ w_i)`` in dB: L_eq,T.

    ``weights`` are the readings' durations (``interval_s``); default equal weights.
    Source: ISO 1996-1:2016 §3.2.1 (equivalent continuous sound pressure level).
    """
    total, wsum = _weighted_log_energy(levels_db, weights, axis)
    return np.asarray(total - level(wsum), dtype=np.float64)
