"""Incremental pass-by events: which stored events a batch of new readings can change, and their new values.

Events (:mod:`processing.events`) are runs of loud readings (LAeq at or above the threshold) joined while
the silence between consecutive loud readings is shorter than ``merge_gap_s``. Call such a maximal run at
the LOWEST threshold a *chain* (whether or not it lasts ``min_duration_s``). New readings only add loud
readings, so they can only extend or join chains, never split one, and a chain at a higher threshold lies
inside one at the lowest. Hence, after a batch:

- the events that change are exactly those that start inside the chains (at the lowest threshold) that
  contain a new loud reading, in the state AFTER the batch, and
- recomputing :func:`processing.events.find_events` on the loud readings of those chains gives their new
  values, which replace every stored event (any threshold) that starts inside the chains' span.

Everything else stays as stored, so stored events equal a recomputation from all raw readings. A batch
without a new loud reading changes nothing. The caller (a store) reads the loud readings of a window around
the batch and asks :func:`affected_span` which span to recompute; when a chain may continue past the window
(the loud reading just before or after it bridges to the chain), the answer says so and the caller widens
the window. Pure numpy: no I/O; times are UTC epoch seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from noiselab.processing.events import Events, find_events

__all__ = ["Span", "affected_span", "bridged", "events_in_span"]


@dataclass(frozen=True)
class Span:
    """The stored events starting in ``[start_s, end_s]`` are replaced by the recomputed ones; when
    ``widen_left``/``widen_right`` is set, a chain may continue past the window: read more and ask again."""

    start_s: float
    end_s: float
    widen_left: bool = False
    widen_right: bool = False


def bridged(
    start_s: NDArray[np.float64], end_s: NDArray[np.float64], merge_gap_s: float, tolerance_s: float = 1e-6
) -> NDArray[np.bool_]:
    """For consecutive loud readings (sorted by start): is reading i+1 in the same run as reading i?

    The rule of :func:`processing.events.find_events`: the gap from the end of the previous loud reading to
    the next start is shorter than ``merge_gap_s`` (or zero within ``tolerance_s``).
    """
    gap = start_s[1:] - end_s[:-1]
    out: NDArray[np.bool_] = (gap <= tolerance_s) | (gap < merge_gap_s - tolerance_s)
    return out


def _joins(end_s: float, next_start_s: float, merge_gap_s: float, tolerance_s: float) -> bool:
    gap = next_start_s - end_s
    return bool(gap <= tolerance_s or gap < merge_gap_s - tolerance_s)


def affected_span(
    start_s: ArrayLike,
    interval_s: ArrayLike,
    is_new: ArrayLike,
    *,
    merge_gap_s: float,
    before: tuple[float, float] | None = None,
    after: float | None = None,
    tolerance_s: float = 1e-6,
) -> Span | None:
    """The span of the chains containing new loud readings, or None when no reading is new.

    ``start_s``, ``interval_s``: the loud readings (LAeq ≥ the lowest threshold) of one sensor in the
    window read, after the batch, sorted by start; ``is_new``: which of them the batch added.
    ``before``: (start, interval) of the last loud reading before the window, ``after``: the start of the
    first after it (None when there is none). A chain that reaches the window's first reading and is
    bridged from ``before`` (or its last and bridged to ``after``) sets ``widen_left``/``widen_right``.
    """
    t = np.asarray(start_s, dtype=np.float64)
    end = t + np.asarray(interval_s, dtype=np.float64)
    new = np.asarray(is_new, dtype=bool)
    if not new.any():
        return None
    link = bridged(t, end, merge_gap_s, tolerance_s)
    chain = np.concatenate([[0], np.cumsum(~link)])  # chain number of each loud reading
    touched = np.unique(chain[new])
    first_chain, last_chain = int(touched[0]), int(touched[-1])
    lo = int(np.searchsorted(chain, first_chain, side="left"))
    hi = int(np.searchsorted(chain, last_chain, side="right")) - 1
    widen_left = (
        lo == 0 and before is not None and _joins(before[0] + before[1], t[0], merge_gap_s, tolerance_s)
    )
    widen_right = hi == t.size - 1 and after is not None and _joins(end[-1], after, merge_gap_s, tolerance_s)
    return Span(float(t[lo]), float(t[hi]), widen_left, widen_right)


def events_in_span(
    span: Span,
    start_s: ArrayLike,
    interval_s: ArrayLike,
    laeq: ArrayLike,
    lafmax: ArrayLike | None,
    *,
    thresholds_db: Sequence[float],
    merge_gap_s: float,
    min_duration_s: float,
) -> Events:
    """The events (every threshold) of the loud readings whose start lies in the span: the replacements for
    the stored events that start in it. ``sensor`` is 0 in the result."""
    t = np.asarray(start_s, dtype=np.float64)
    inside = (t >= span.start_s) & (t <= span.end_s)
    return find_events(
        np.zeros(int(inside.sum()), dtype=np.int64),
        t[inside],
        np.asarray(interval_s, dtype=np.float64)[inside],
        np.asarray(laeq, dtype=np.float64)[inside],
        None if lafmax is None else np.asarray(lafmax, dtype=np.float64)[inside],
        thresholds_db=thresholds_db,
        merge_gap_s=merge_gap_s,
        min_duration_s=min_duration_s,
    )
