"""Assessment periods (day, evening, night) as data, and the mapping of readings onto them.

A :class:`PeriodScheme` is a list of :class:`Period` rows covering the 24 local clock hours, each with a
nominal duration (its weight in Lden) and a penalty. Periods are half-open ``[start, end)`` in local clock
time and may wrap midnight (night 22–07). Each reading belongs to the local date and period of its *start*.

Schemes shipped (SPEC §5; reference/metrics.md §1):

==========  =============  ==============  ==============  =====================
scheme      day            evening         night           source
==========  =============  ==============  ==============  =====================
``dk``      07–19, 12 h    19–22, 3 h +5   22–07, 9 h +10  MST vejl. 4/2007
``eu``      07–19, 12 h    19–23, 4 h +5   23–07, 8 h +10  Directive 2002/49/EC Annex I
``ldn``     07–22, 15 h    —               22–07, 9 h +10  US DNL / ISO 1996-1
==========  =============  ==============  ==============  =====================

The noise day (SPEC §5). Readings are assigned to a *day* that starts at ``day_start_h`` local time: by
default the scheme's day start (07:00 in ``dk``/``eu``), so day D runs from D 07:00 to D+1 07:00 and its
night is one whole night (22:00 D → 07:00 D+1 in ``dk``). A daylight-saving change then falls inside a
night, which lasts 8 or 10 hours (``dk``) instead of 9; the day has 23 or 25 hours. ``day_start_h=0`` gives
calendar dates (the night of D is then D's 00–07 plus 22–24). Periods always follow the actual local
clock hour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from noiselab.processing.localtime import DAY_S, EPOCH_ORDINAL, HOUR_S, ZoneOffsets, hour_starts, zone_offsets

__all__ = [
    "SCHEMES",
    "LocalAssignment",
    "Period",
    "PeriodScheme",
    "assign",
    "date_seconds",
    "period_seconds",
]


@dataclass(frozen=True)
class Period:
    """One assessment period: local hours ``[start_h, end_h)`` (wrapping midnight when end <= start)."""

    name: str
    start_h: int
    end_h: int
    weight_h: float
    penalty_db: float

    def hours(self) -> list[int]:
        """Local clock hours (0..23) inside the period."""
        if self.end_h > self.start_h:
            return list(range(self.start_h, self.end_h))
        return list(range(self.start_h, 24)) + list(range(0, self.end_h))


@dataclass(frozen=True)
class PeriodScheme:
    """Periods covering each of the 24 local hours exactly once, with nominal weights summing to 24 h.

    The composite rating level of a scheme (ISO 1996-1:2016 eq. 6–7; Lden of Directive 2002/49/EC Annex I):

        L_R = 10·log10( (1/Σd_i) · Σ_i d_i·10^((L_i + K_i)/10) )

    with d_i the nominal period durations (``weight_h``) and K_i the penalties (``penalty_db``).
    """

    name: str
    periods: tuple[Period, ...]

    def __post_init__(self) -> None:
        seen: list[int] = []
        for p in self.periods:
            if not (0 <= p.start_h < 24 and 0 <= p.end_h <= 24):
                raise ValueError(f"period {p.name!r}: hours must be within 0..24")
            seen.extend(p.hours())
        if sorted(seen) != list(range(24)):
            raise ValueError(f"scheme {self.name!r}: periods must cover each local hour exactly once")
        if any(p.weight_h <= 0 for p in self.periods):
            raise ValueError(f"scheme {self.name!r}: weights must be positive")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.periods)

    def index(self, name: str) -> int | None:
        """Position of the period called ``name``, or None."""
        return self.names.index(name) if name in self.names else None

    def hour_table(self) -> NDArray[np.intp]:
        """Array of 24 period indices, one per local clock hour."""
        table = np.empty(24, dtype=np.intp)
        for i, p in enumerate(self.periods):
            table[p.hours()] = i
        return table

    @property
    def day_start_h(self) -> int:
        """Local hour at which the scheme's day period begins (the default start of a noise day)."""
        i = self.index("day")
        return self.periods[i if i is not None else 0].start_h

    def day_hour_table(self, day_start_h: int) -> NDArray[np.intp]:
        """Period index of each hour k = 0..23 of a day that starts at local hour ``day_start_h``."""
        return np.roll(self.hour_table(), -day_start_h)

    @property
    def weights_h(self) -> NDArray[np.float64]:
        return np.asarray([p.weight_h for p in self.periods], dtype=np.float64)

    @property
    def penalties_db(self) -> NDArray[np.float64]:
        return np.asarray([p.penalty_db for p in self.periods], dtype=np.float64)


SCHEMES: dict[str, PeriodScheme] = {
    "dk": PeriodScheme(
        "dk",
        (Period("day", 7, 19, 12, 0.0), Period("evening", 19, 22, 3, 5.0), Period("night", 22, 7, 9, 10.0)),
    ),
    "eu": PeriodScheme(
        "eu",
        (Period("day", 7, 19, 12, 0.0), Period("evening", 19, 23, 4, 5.0), Period("night", 23, 7, 8, 10.0)),
    ),
    "ldn": PeriodScheme("ldn", (Period("day", 7, 22, 15, 0.0), Period("night", 22, 7, 9, 10.0))),
}


@dataclass(frozen=True)
class LocalAssignment:
    """(Noise) day (ordinal), period index and local clock hour of each reading's start."""

    date_ordinal: NDArray[np.int64]
    period: NDArray[np.intp]
    hour: NDArray[np.intp]


def assign(
    start_s: ArrayLike,
    scheme: PeriodScheme,
    tz: str,
    *,
    offsets: ZoneOffsets | None = None,
    day_start_h: int = 0,
) -> LocalAssignment:
    """Map UTC epoch seconds to (day ordinal, period index, local hour) in IANA zone ``tz``.

    The day is the one starting at local ``day_start_h``:00 at or before the instant (0: calendar date).

    Vectorised: one ``searchsorted`` over the zone's offset changes in the range, then integer arithmetic on
    local seconds. A time in the repeated fall-back hour maps to that hour (e.g. 02) on both passes.
    ``offsets`` (from :func:`zone_offsets` over a range covering ``start_s``) avoids recomputing them.
    """
    t = np.asarray(start_s)
    if not np.issubdtype(t.dtype, np.integer):
        t = np.asarray(t, dtype=np.float64)
    if t.size == 0:
        empty = np.zeros(0, dtype=np.intp)
        return LocalAssignment(np.zeros(0, dtype=np.int64), empty, empty)
    if offsets is None:
        offsets = zone_offsets(tz, float(np.min(t)), float(np.max(t)))
    # whole seconds: offsets are whole seconds, so floor(t) has t's local date and hour; integer division
    # is many times cheaper than float floor_divide
    whole = t.astype(np.int64) if np.issubdtype(t.dtype, np.integer) else np.floor(t).astype(np.int64)
    idx = np.searchsorted(offsets.starts_s, whole, side="right") - 1
    np.clip(idx, 0, len(offsets.starts_s) - 1, out=idx)
    loc = whole + offsets.offsets_s[idx]
    cal = loc // DAY_S
    hour = ((loc - cal * DAY_S) // HOUR_S).astype(np.intp)
    days = cal if day_start_h == 0 else (loc - day_start_h * HOUR_S) // DAY_S
    return LocalAssignment(days + EPOCH_ORDINAL, scheme.hour_table()[hour], hour)


def date_seconds(date_ordinals: ArrayLike, tz: str, *, day_start_h: int = 0) -> NDArray[np.int64]:
    """Actual length in seconds of each (noise) day (82 800, 86 400 or 90 000 around DST changes)."""
    b = hour_starts(date_ordinals, tz, day_start_h=day_start_h)
    return np.asarray(b[:, 24] - b[:, 0], dtype=np.int64)


def period_seconds(
    date_ordinals: ArrayLike, scheme: PeriodScheme, tz: str, *, day_start_h: int = 0
) -> NDArray[np.int64]:
    """Actual length in seconds of each period of each (noise) day, shape ``(n_dates, n_periods)``.

    With ``day_start_h=7`` and ``dk``, the night of the day of the spring change lasts 8 h, of the autumn
    change 10 h; with ``day_start_h=0`` the 23/25-h date's night is the one that is shorter/longer.
    """
    b = hour_starts(date_ordinals, tz, day_start_h=day_start_h)
    hour_len = np.diff(b, axis=1)
    table = scheme.day_hour_table(day_start_h)
    out = np.zeros((b.shape[0], len(scheme.periods)), dtype=np.int64)
    for i in range(len(scheme.periods)):
        out[:, i] = hour_len[:, table == i].sum(axis=1)
    return out
