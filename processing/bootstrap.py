"""Day-block bootstrap: resample whole local days, deterministically for the same data.

Hours of one day are not independent (traffic, weather and a sensor's mood persist for hours), so an
interval from resampled *hours* is far too narrow. A block bootstrap with whole local days as blocks (Efron &
Tibshirani 1993 §8.6; Künsch 1989) keeps the within-day dependence and treats days as the independent units:

    for r = 1..R:  draw n days with replacement from the n days of a stratum (e.g. the before period),
                   recompute the statistic from the sums of the drawn days
    interval      = the 2.5 % and 97.5 % percentiles of the R statistics (percentile interval)

Statistics here are ratios of sums (energy means), so one resample is a count vector ``c`` over days and a
matrix product ``c @ sums_per_day``: R = 2 000 resamples of a year cost one (R × days) @ (days × k) product.

The random generator is seeded from a SHA-256 of the inputs (:func:`seed_from`), so the same data give the
same interval on every machine and every call, and different data give independent draws.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["day_counts", "digest", "percentile_interval", "seed_from"]


def digest(parts: Iterable[ArrayLike | str | float | int | None]) -> str:
    """Hex SHA-256 over the bytes of arrays (dtype, shape and contents) and the text of scalars, in order."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, str | float | int) or part is None:
            h.update(repr(part).encode("utf-8"))
        else:
            a = np.ascontiguousarray(np.asarray(part))
            h.update(f"{a.dtype.str}{a.shape}".encode())
            h.update(a.tobytes())
        h.update(b"\x00")
    return h.hexdigest()


def seed_from(hex_digest: str) -> int:
    """A 64-bit seed from a hex digest (its first 16 hex digits)."""
    return int(hex_digest[:16], 16)


def day_counts(rng: np.random.Generator, n_days: int, n_resamples: int) -> NDArray[np.float64]:
    """How often each of ``n_days`` days is drawn in each resample: shape ``(n_resamples, n_days)``.

    Each row sums to ``n_days`` (n draws with replacement). ``n_days == 0`` gives shape ``(R, 0)``.
    """
    if n_days < 0 or n_resamples < 0:
        raise ValueError("n_days and n_resamples must be non-negative")
    if n_days == 0:
        return np.zeros((n_resamples, 0), dtype=np.float64)
    draws = rng.integers(0, n_days, size=(n_resamples, n_days), dtype=np.int64)
    flat = draws + (np.arange(n_resamples, dtype=np.int64) * n_days)[:, None]
    counts = np.bincount(flat.ravel(), minlength=n_resamples * n_days)
    return np.asarray(counts.reshape(n_resamples, n_days), dtype=np.float64)


def percentile_interval(samples: ArrayLike, *, level: float = 0.95, axis: int = 0) -> NDArray[np.float64]:
    """Percentile interval ``[q((1-level)/2), q((1+level)/2)]`` along ``axis``, ignoring NaN resamples.

    Returns an array with a new last axis of length 2 (NaN where every resample is NaN).
    """
    if not 0.0 < level < 1.0:
        raise ValueError("level must be in (0, 1)")
    s = np.asarray(samples, dtype=np.float64)
    lo_q, hi_q = (1.0 - level) / 2.0, (1.0 + level) / 2.0
    s = np.moveaxis(s, axis, -1)
    out = np.full((*s.shape[:-1], 2), np.nan, dtype=np.float64)
    finite = np.isfinite(s)
    has = finite.any(axis=-1)
    if s.shape[-1] == 0 or not has.any():
        return out
    filled = np.where(finite, s, np.nan)
    q = np.nanquantile(filled[has], [lo_q, hi_q], axis=-1)
    out[has, 0] = q[0]
    out[has, 1] = q[1]
    return out
