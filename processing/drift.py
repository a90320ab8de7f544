"""Drift between two co-located or neighbouring sensors, from their hourly LAeq.

Two microphones side by side (or close neighbours on the same road) hear nearly the same sound, so the
difference of their hourly levels ``d_h = L_a,h − L_b,h`` stays in a narrow, stable band. When one
microphone's sensitivity drifts (a wet or damaged capsule, a failing preamplifier) the whole band moves.

Method (robust, explainable):

- baseline: the hours of the last ``baseline_days`` that are older than the recent window; its centre is
  the median ``m₀`` of ``d_h`` and its spread the normalised MAD ``σ = 1.4826·median(|d_h − m₀|)``;
- recent: the hours that end within the last ``recent_s`` (a day by default, one whole traffic cycle),
  median ``m₁``;
- shift ``Δ = m₁ − m₀``. The recent median's own noise is about ``1.2533·σ/√n`` (the asymptotic standard
  error of a median), so the shift counts only when ``|Δ|`` is at least ``drift_db`` AND more than three
  times that noise; ``fault`` when ``|Δ| ≥ drift_fault_db``.

Only hours where both sensors measured are compared. ``unknown`` when the baseline has fewer than
``min_baseline_hours`` or the recent window fewer than ``min_recent_hours`` common hours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from noiselab.processing.health import Check

__all__ = ["DriftLimits", "pair_drift"]


@dataclass(frozen=True, slots=True)
class DriftLimits:
    drift_db: float
    drift_fault_db: float
    recent_s: float
    baseline_days: float
    min_recent_hours: int
    min_baseline_hours: int


def pair_drift(
    hours_a_s: ArrayLike,
    laeq_a_db: ArrayLike,
    hours_b_s: ArrayLike,
    laeq_b_db: ArrayLike,
    *,
    partner: str,
    now_s: float,
    limits: DriftLimits,
) -> Check:
    """The ``drift`` check of sensor a against ``partner`` (sensor b), from hourly LAeq series.

    ``hours_*_s`` are the hour starts (epoch seconds) and ``laeq_*_db`` the hourly energy-mean levels
    (NaN where the hour has no data); the detail is written from sensor a's side (``a − b``).
    """
    ha = np.asarray(hours_a_s, dtype=np.float64)
    hb = np.asarray(hours_b_s, dtype=np.float64)
    la = np.asarray(laeq_a_db, dtype=np.float64)
    lb = np.asarray(laeq_b_db, dtype=np.float64)
    common, ia, ib = np.intersect1d(ha, hb, assume_unique=False, return_indices=True)
    diff = la[ia] - lb[ib]
    ok = np.isfinite(diff) & (common >= now_s - limits.baseline_days * 86400.0) & (common < now_s)
    common, diff = common[ok], diff[ok]
    recent = common + 3600.0 > now_s - limits.recent_s  # hours that end inside the recent window
    base, rec = diff[~recent], diff[recent]
    if base.shape[0] < limits.min_baseline_hours or rec.shape[0] < limits.min_recent_hours:
        return Check(
            "drift",
            "unknown",
            f"vs {partner}: {base.shape[0]} baseline and {rec.shape[0]} recent common hours; too few",
        )
    m0 = float(np.median(base))
    sigma = 1.4826 * float(np.median(np.abs(base - m0)))
    m1 = float(np.median(rec))
    shift = m1 - m0
    noise = 1.2533 * sigma / np.sqrt(rec.shape[0])
    usual = f"usual {m0:+.1f} ± {sigma:.1f} dB over {base.shape[0]} h"
    text = f"vs {partner}: hourly difference {m1:+.1f} dB, moved {shift:+.1f} dB ({usual})"
    if abs(shift) >= limits.drift_db and abs(shift) > 3.0 * noise:
        status = "fault" if abs(shift) >= limits.drift_fault_db else "warning"
        return Check("drift", status, text, since_s=float(common[recent][0]))
    return Check("drift", "ok", text)
