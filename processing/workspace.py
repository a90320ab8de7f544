"""Reusable chunk buffers and the per-reading arithmetic of the raw-data passes (energies, classes, hours).

The raw passes (:mod:`processing.daysums`, :mod:`processing.events`) walk the readings in fixed-size chunks.
Every per-reading step writes into buffers allocated once per pass (``out=``), so a pass of any length makes
no large temporaries: fresh arrays of a few hundred kB are served by the operating system page by page,
which costs more than the arithmetic on them.

Energy of a level, with its 0.1 dB class ``c = round(10·L)`` (half to even):

    10^(L/10) = 10^(c/100) · exp(y),   y = ln10·(10·L − c)/100,   |y| ≤ ln10/200 ≈ 0.0116

The first factor comes from a table, the second from its Taylor series to degree 6 (remainder < 5e-18), so
the result agrees with ``np.power(10, L/10)`` to a few ulp at a fraction of its cost, and the class that
the percentile histogram needs comes for free.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from numpy.typing import NDArray

from noiselab.processing.localtime import HOUR_S, ZoneOffsets

__all__ = ["Workspace"]

_CLASS_LO = -3_000  # table of 10**(c/100) from -300 dB ...
_CLASS_HI = 30_800  # ... to 3080 dB (10**308, below float64 overflow)
_LN10_100 = float(np.log(10.0) / 100.0)
_EXP_TAYLOR = (1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0)


@cache
def _class_table() -> NDArray[np.float64]:
    """``10**(c/100)`` for classes ``_CLASS_LO..._CLASS_HI`` (built once, 270 kB)."""
    return np.power(10.0, np.arange(_CLASS_LO, _CLASS_HI + 1, dtype=np.float64) / 100.0)


class Workspace:
    """Float and integer buffers of ``size`` elements, reused chunk after chunk."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._f = [np.empty(size, dtype=np.float64) for _ in range(4)]
        self._i = [np.empty(size, dtype=np.intp) for _ in range(4)]

    def levels(self, chunk: NDArray[np.generic]) -> NDArray[np.float64]:
        """The chunk as float64 (a view when it already is, else a copy into a buffer)."""
        if chunk.dtype == np.float64:
            return np.asarray(chunk, dtype=np.float64)
        out = self._f[3][: chunk.shape[0]]
        np.copyto(out, chunk, casting="unsafe")
        return out

    def seconds(self, chunk: NDArray[np.generic]) -> NDArray[np.int64]:
        """Whole UTC seconds (floor) of start times: a view for int64 input, else a workspace copy.

        Offsets are whole seconds, so the local hour of ``floor(t)`` is that of ``t``.
        """
        if chunk.dtype == np.int64:
            return np.asarray(chunk, dtype=np.int64)
        out = self._i[3][: chunk.shape[0]]
        if np.issubdtype(chunk.dtype, np.integer):
            np.copyto(out, chunk, casting="unsafe")
        else:
            tmp = self._f[0][: chunk.shape[0]]
            np.floor(chunk, out=tmp)
            np.copyto(out, tmp, casting="unsafe")
        return out

    def energies(self, levels_db: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
        """Energies ``10**(L/10)`` and unclipped 0.1 dB classes of finite float64 levels (module docstring).

        Both results are views into the workspace, valid until the next call.
        """
        n = levels_db.shape[0]
        x, p, tab = self._f[0][:n], self._f[1][:n], self._f[2][:n]
        cls, idx = self._i[0][:n], self._i[1][:n]
        np.multiply(levels_db, 10.0, out=x)
        np.rint(x, out=p)
        np.copyto(cls, p, casting="unsafe")
        np.subtract(x, p, out=x)
        x *= _LN10_100
        p.fill(_EXP_TAYLOR[0])
        for coef in _EXP_TAYLOR[1:]:  # Horner, in place
            p *= x
            p += coef
        if n and (int(cls.min()) < _CLASS_LO or int(cls.max()) > _CLASS_HI):
            np.divide(levels_db, 10.0, out=p)
            np.power(10.0, p, out=p)
            return p, cls
        np.subtract(cls, _CLASS_LO, out=idx)
        np.take(_class_table(), idx, out=tab)
        p *= tab
        return p, cls

    def hours(self, start_s: NDArray[np.int64], offsets: ZoneOffsets, base_s: int) -> NDArray[np.intp]:
        """Local clock hours since local wall time ``base_s`` (a multiple of 3600) of integer UTC seconds.

        One offset for the whole chunk when no offset change falls inside it (the usual case), else a
        ``searchsorted`` over the zone's few changes. The result is a workspace view.
        """
        n = start_s.shape[0]
        out = self._i[2][:n]
        starts = offsets.starts_s
        last = len(starts) - 1
        if n == 0:
            return out
        k0 = min(max(int(np.searchsorted(starts, start_s.min(), side="right")) - 1, 0), last)
        k1 = min(max(int(np.searchsorted(starts, start_s.max(), side="right")) - 1, 0), last)
        if k0 == k1:
            np.add(start_s, int(offsets.offsets_s[k0]) - base_s, out=out)
        else:
            idx = self._i[1][:n]
            idx[...] = np.searchsorted(starts, start_s, side="right")
            idx -= 1
            np.clip(idx, 0, last, out=idx)
            np.take(offsets.offsets_s, idx, out=out)
            out += start_s
            out -= base_s
        np.floor_divide(out, HOUR_S, out=out)
        return out
