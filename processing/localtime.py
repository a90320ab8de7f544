"""Local clock time of UTC instants in any IANA zone, vectorised.

A zone's UTC offset is piecewise constant between transitions (daylight saving, legal changes). We find the
transitions that fall in the range of interest once, with :mod:`zoneinfo` (a loop over half-days of the range,
then a bisection to the exact second of each change), and map arrays of UTC epoch seconds to local seconds
with one ``searchsorted`` over that short table: no Python loop over readings.

Local calendar dates are counted as proleptic Gregorian ordinals (``datetime.date.toordinal``). A local date
runs from the first instant the local clock shows 00:00 to the first instant it shows 00:00 on the next date,
so it lasts 23 h on the spring-forward day and 25 h on the fall-back day in Europe. A wall-clock time that
does not exist (in a spring-forward gap) is reached at the transition; one that occurs twice is reached
at its first occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import ArrayLike, NDArray

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
DAY_S = 86_400
HOUR_S = 3_600
_STEP_S = 6 * HOUR_S
_MARGIN_S = 3 * DAY_S

__all__ = ["DAY_S", "EPOCH_ORDINAL", "HOUR_S", "ZoneOffsets", "hour_starts", "local_seconds", "zone_offsets"]


@dataclass(frozen=True)
class ZoneOffsets:
    """UTC offsets of a zone over a range: ``offsets_s[k]`` applies from ``starts_s[k]`` to ``starts_s[k+1]``.

    ``starts_s[0]`` is the start of the covered range; instants before it use the first offset too.
    """

    zone: str
    starts_s: NDArray[np.int64]
    offsets_s: NDArray[np.int64]


def _offset_at(zone: ZoneInfo, t: int) -> int:
    off = datetime.fromtimestamp(t, tz=UTC).astimezone(zone).utcoffset()
    return 0 if off is None else int(off.total_seconds())


def zone_offsets(tz: str, start_s: float, end_s: float) -> ZoneOffsets:
    """Offsets of zone ``tz`` from ``start_s`` to ``end_s`` (UTC epoch seconds), with three days of margin.

    Loops over 6-hour steps of the range (not over readings); each detected change is bisected to the second.
    """
    zone = ZoneInfo(tz)
    lo = int(np.floor(start_s)) - _MARGIN_S
    hi = int(np.ceil(end_s)) + _MARGIN_S
    starts = [lo]
    offsets = [_offset_at(zone, lo)]
    prev_t = lo
    for t in range(lo + _STEP_S, hi + _STEP_S, _STEP_S):
        off = _offset_at(zone, t)
        if off != offsets[-1]:
            a, b = prev_t, t  # offset(a) == offsets[-1], offset(b) differs
            while b - a > 1:
                mid = (a + b) // 2
                if _offset_at(zone, mid) == offsets[-1]:
                    a = mid
                else:
                    b = mid
            starts.append(b)
            offsets.append(off)
        prev_t = t
    return ZoneOffsets(tz, np.asarray(starts, dtype=np.int64), np.asarray(offsets, dtype=np.int64))


def local_seconds(start_s: ArrayLike, offsets: ZoneOffsets) -> NDArray[np.float64]:
    """Local wall-clock seconds since 1970-01-01T00:00 local for UTC epoch seconds ``start_s``."""
    t = np.asarray(start_s, dtype=np.float64)
    idx = np.searchsorted(offsets.starts_s, t, side="right") - 1
    np.clip(idx, 0, len(offsets.starts_s) - 1, out=idx)
    return np.asarray(t + offsets.offsets_s[idx], dtype=np.float64)


def wall_to_utc(wall_s: ArrayLike, offsets: ZoneOffsets) -> NDArray[np.int64]:
    """First UTC instant at which the local clock shows at least wall time ``wall_s`` (local epoch seconds).

    Vectorised over ``wall_s``; a loop over the (few) offset segments only.
    """
    w = np.asarray(wall_s, dtype=np.int64)
    starts = offsets.starts_s
    offs = offsets.offsets_s
    out = np.full(w.shape, np.iinfo(np.int64).max, dtype=np.int64)
    found = np.zeros(w.shape, dtype=bool)
    n = len(starts)
    for k in range(n):
        seg_start = starts[k] if k > 0 else np.iinfo(np.int64).min // 4
        seg_end = starts[k + 1] if k + 1 < n else np.iinfo(np.int64).max // 4
        cand = np.where(w <= seg_start + offs[k], seg_start, w - offs[k])
        ok = ~found & (cand < seg_end)
        out[ok] = cand[ok]
        found |= ok
    return out


def hour_starts(date_ordinals: ArrayLike, tz: str, *, day_start_h: int = 0) -> NDArray[np.int64]:
    """UTC instants at which the clock of each (noise) day reaches its 25 hour marks.

    Day D runs from D's local ``day_start_h``:00 to D+1's (``day_start_h=0``: the calendar date; 7: the
    noise day 07:00 → 07:00). Returns shape ``(n, 25)``: the instants the local clock reaches
    ``day_start_h + k`` hours after D's local midnight, k = 0..24. A skipped (spring-forward) hour has zero
    length; a repeated (fall-back) hour lasts two hours. ``diff`` along axis 1 gives each hour's length.
    """
    if not 0 <= day_start_h < 24:
        raise ValueError("day_start_h must be within 0..23")
    d = np.asarray(date_ordinals, dtype=np.int64)
    if d.size == 0:
        return np.zeros((0, 25), dtype=np.int64)
    hours = np.arange(day_start_h, day_start_h + 25, dtype=np.int64)
    wall = (d[:, None] - EPOCH_ORDINAL) * DAY_S + hours[None, :] * HOUR_S
    offsets = zone_offsets(tz, float(wall.min()) - DAY_S, float(wall.max()) + DAY_S)
    return wall_to_utc(wall, offsets)
