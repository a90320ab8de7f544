"""The readings CSV of SPEC §5, both ways: parse one row into a Reading, format a Reading as a row.

Header: ``sensor_id,ts,laeq`` required, ``lafmax,lafmin,lcpeak,interval_s`` optional, any order, names
case-insensitive (``LAeq`` works). ``ts`` is the start of the interval: ISO 8601 with a zone or epoch
seconds. Empty optional cells mean "not reported". Export writes every column, ``ts`` in UTC with a ``Z``,
numbers in their shortest exact form, so ``import`` of an export stores the very same readings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import numpy as np

from noiselab.domain.errors import InvalidReading
from noiselab.domain.readings import Reading, make_reading, parse_time_s

REQUIRED = ("sensor_id", "ts", "laeq")
OPTIONAL = ("lafmax", "lafmin", "lcpeak", "interval_s")
COLUMNS = ("sensor_id", "ts", "laeq", "lafmax", "lafmin", "lcpeak", "interval_s")


class HeaderError(ValueError):
    """The header row lacks a required column (nothing can be imported)."""


def column_index(header: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    """Map known column names to positions; returns (index, ignored column names)."""
    names = [h.strip().lower() for h in header]
    index = {n: i for i, n in enumerate(names) if n in REQUIRED or n in OPTIONAL}
    missing = [c for c in REQUIRED if c not in index]
    if missing:
        raise HeaderError(
            f"the header row lacks {', '.join(missing)}; expected {','.join(REQUIRED)}"
            f" and optionally {','.join(OPTIONAL)}, got {','.join(header) or '(empty)'}"
        )
    return index, [h for h, n in zip(header, names, strict=True) if n not in index]


def _number(name: str, text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidReading("bad_type", f"{name} must be a number, got {text[:40]!r}") from None


def _time_s(text: str) -> float:
    text = text.strip()
    if not text:
        raise InvalidReading("missing_field", "ts is required")
    try:
        return parse_time_s(float(text))
    except ValueError:
        return parse_time_s(text)


def parse_row(
    row: Sequence[str],
    index: dict[str, int],
    *,
    now_s: float,
    default_interval: Callable[[str], float] = lambda _sensor: 1.0,
    source: str = "import",
) -> Reading:
    """One CSV row -> a validated Reading; raises InvalidReading with a reason and a precise detail."""

    def cell(name: str) -> str:
        i = index.get(name)
        return row[i] if i is not None and i < len(row) else ""

    if len(row) < len(index) and not any(c.strip() for c in row):
        raise InvalidReading("empty_row", "the row is empty")
    sensor_id = cell("sensor_id").strip()
    interval = _number("interval_s", cell("interval_s"))
    laeq = _number("laeq", cell("laeq"))
    return make_reading(
        sensor_id=sensor_id,
        start_s=_time_s(cell("ts")),
        interval_s=interval if interval is not None else default_interval(sensor_id),
        laeq=laeq,
        lafmax=_number("lafmax", cell("lafmax")),
        lafmin=_number("lafmin", cell("lafmin")),
        lcpeak=_number("lcpeak", cell("lcpeak")),
        now_s=now_s,
        source=source,
    )


def format_number(value: float | None) -> str:
    """Shortest exact text of a float ('' for missing/NaN); whole numbers without '.0'."""
    if value is None or value != value:  # NaN
        return ""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def format_time(start_ms: int) -> str:
    """UTC ISO 8601 with 'Z'; milliseconds only when there are some."""
    dt = datetime.fromtimestamp(start_ms // 1000, tz=UTC)
    ms = start_ms % 1000
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + (f".{ms:03d}" if ms else "") + "Z"


def format_row(
    sensor_id: str,
    start_ms: int,
    laeq: float,
    lafmax: float | None,
    lafmin: float | None,
    lcpeak: float | None,
    interval_s: float,
) -> list[str]:
    """A row in :data:`COLUMNS` order."""
    return [
        sensor_id,
        format_time(start_ms),
        format_number(laeq),
        format_number(lafmax),
        format_number(lafmin),
        format_number(lcpeak),
        format_number(interval_s),
    ]


# --- many rows at once (export, the report's input hash) ---------------------------------------------------
_MAX_FIXED = 2.0**52 / 10**4  # below this, v·10^m (m ≤ 4) is exact enough for the decimal test below


def format_numbers(values: np.ndarray) -> np.ndarray:
    """:func:`format_number` of every value (a str array), vectorised for the usual values.

    A value v ≥ 0 with ``rint(v·10^m)/10^m == v`` for the smallest m ≤ 4 is the double nearest to that
    m-decimal number, and no shorter decimal gives it back, so its ``repr`` is that number (without ``.0``
    for whole numbers, as :func:`format_number` writes it). Other values go through :func:`format_number`.
    """
    v = np.asarray(values, dtype=np.float64)
    out = np.full(v.shape, "", dtype=object)
    done = np.isnan(v)  # not reported: an empty cell
    todo = np.isfinite(v) & ~np.signbit(v) & (v < _MAX_FIXED) & ((v == 0) | (v >= 1e-4))
    safe = np.where(todo, v, 0.0)  # no overflow warnings from values left to format_number
    for m in range(5):
        scale = 10.0**m
        k = np.rint(safe * scale)
        hit = todo & (k / scale == v)
        if hit.any():
            ks = k[hit].astype(np.int64)
            text = (ks // 10**m).astype("U")
            if m:
                frac = np.strings.zfill((ks % 10**m).astype("U"), m)
                text = np.strings.add(np.strings.add(text, "."), frac)
            out[hit] = text
        todo &= ~hit
        done |= hit
    for i in np.flatnonzero(~done).tolist():
        out[i] = format_number(float(v[i]))
    return out


def format_times(start_ms: np.ndarray) -> np.ndarray:
    """:func:`format_time` of every start (a str array)."""
    ms = np.asarray(start_ms, dtype=np.int64)
    whole = ms % 1000 == 0
    out = np.empty(ms.shape, dtype=object)
    out[whole] = np.strings.add(np.datetime_as_string(ms[whole].astype("datetime64[ms]"), unit="s"), "Z")
    out[~whole] = np.strings.add(np.datetime_as_string(ms[~whole].astype("datetime64[ms]"), unit="ms"), "Z")
    return out


def format_block(
    sensor_id: str,
    start_ms: np.ndarray,
    laeq: np.ndarray,
    lafmax: np.ndarray,
    lafmin: np.ndarray,
    lcpeak: np.ndarray,
    interval_s: np.ndarray,
) -> str:
    """The rows of :func:`format_row` (NaN = missing) as ``api.csv.csv_writer`` writes them: comma-separated,
    each ending in ``\\n`` (none of these cells needs quoting: sensor ids and numbers; a negative number,
    which no stored level or interval is, gets the writer's apostrophe)."""
    n = len(start_ms)
    if n == 0:
        return ""
    cols = [format_times(start_ms)]
    for values in (laeq, lafmax, lafmin, lcpeak, interval_s):
        text = format_numbers(values)
        negative = np.signbit(values) & ~np.isnan(values)
        text[negative] = "'" + text[negative]  # what the formula-safe CSV writer does to a leading '-'
        cols.append(text)
    line = np.full(n, sensor_id, dtype=object)
    for col in cols:
        line = line + "," + col
    return "\n".join(line.tolist()) + "\n"
