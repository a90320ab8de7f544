"""The report's inputs as canonical bytes, and their SHA-256 (the hash printed in every report).

A compliance report rests on the sensor's **hourly rollups** of the report's period and the **pass-by
events** that start in it (:class:`noiselab.api.views.daily.DailyInputs`, the very arrays ``/daily`` is
computed from). Its input hash is the SHA-256 of this serialisation of them, "noiselab report inputs v1":
UTF-8 text, lines ending in ``\\n``, comma-separated, no quoting::

    noiselab-report-inputs,1
    sensor_id,vall-01
    range_utc,2026-06-01T05:00:00Z,2026-06-06T05:00:00Z          [start, end) of the report's days
    event_params,70,5,3,65 70                                     threshold, merge gap s, min s, counted
    hours,120                                                     then one line per hour with data:
    2026-06-01T05:00:00Z,3600,62.042381,80.1,,605:12 606:31 ...   UTC hour, seconds, LAeq, LAFmax, LCpeak,
    ...                                                            histogram (0.1-dB class:seconds, ascending)
    events,2                                                      then one line per event:
    70,2026-06-03T21:00:00Z,2026-06-03T21:05:00Z,5,80,97.7712     threshold, start, end, readings, max, SEL
    ...

Hours ascending; events by threshold, then start. Times are UTC ISO 8601 with ``Z`` (milliseconds only when
there are some). Numbers are rounded to 6 decimals (levels, dB) or 3 decimals (seconds) as
``rint(x·10^d)`` and written without trailing zeros (``3600``, ``62.5``); a value never reported is an
empty cell. LAeq of an hour is ``10·log10(energy/seconds)`` of the rollup; a histogram class ``k`` holds
the seconds of readings with ``round(10·LAeq) = k``. Rounding makes the text independent of the order in
which a store summed the energies (the last bits of a float sum), so the same readings give the same hash
whichever way they arrived; any change of a stored reading's level, interval or maximum changes it.

``noiselab report ... --print-inputs`` writes exactly these bytes, so ``sha256sum`` of its output is the
report's hash. Everything is formatted in bulk (numpy string operations, a few passes per column), in
blocks of hours, so a year of hourly rollups with two million histogram classes takes about a second.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np
from numpy.typing import NDArray

from noiselab.api.views.daily import DailyInputs
from noiselab.cli.commands.readings_csv import format_times
from noiselab.processing.decibel import level
from noiselab.processing.events import EventParams

VERSION = 1
DB_DECIMALS = 6
SECONDS_DECIMALS = 3
BLOCK_HOURS = 2000


def fixed(values: NDArray[np.float64], decimals: int) -> NDArray[np.object_]:
    """Each value rounded to ``decimals`` (``rint(x·10^d)``) as text without trailing zeros; NaN -> ''."""
    v = np.asarray(values, dtype=np.float64)
    out = np.full(v.shape, "", dtype=object)
    ok = np.isfinite(v)
    if not ok.any():
        return out
    k = np.rint(v[ok] * 10.0**decimals).astype(np.int64)
    negative = k < 0
    k = np.abs(k)
    text = (k // 10**decimals).astype("U").astype(object)
    part = k % 10**decimals != 0  # only these get a fraction (whole seconds, the usual case, do not)
    if part.any():
        frac = np.strings.rstrip(np.strings.zfill((k[part] % 10**decimals).astype("U"), decimals), "0")
        text[part] = text[part] + "." + frac.astype(object)
    if negative.any():
        text[negative] = "-" + text[negative]
    out[ok] = text
    return out


def _times(seconds: NDArray[np.float64]) -> NDArray[np.object_]:
    return format_times(np.rint(np.asarray(seconds, dtype=np.float64) * 1000.0).astype(np.int64))


def _join(cols: list[NDArray[np.object_]]) -> NDArray[np.object_]:
    line = cols[0]
    for col in cols[1:]:
        line = line + "," + col
    return line


def _header(inputs: DailyInputs, params: EventParams) -> str:
    counted = " ".join(fixed(np.array(sorted({*params.thresholds_db, params.threshold_db})), DB_DECIMALS))
    head = [params.threshold_db, params.merge_gap_s, params.min_duration_s]
    lo, hi = _times(np.array([inputs.start_ms, inputs.end_ms]) / 1000.0)
    return (
        f"noiselab-report-inputs,{VERSION}\n"
        f"sensor_id,{inputs.sensor_id}\n"
        f"range_utc,{lo},{hi}\n"
        f"event_params,{','.join(fixed(np.array(head), DB_DECIMALS))},{counted}\n"
        f"hours,{len(inputs.rollups)}\n"
    )


def _hour_lines(inputs: DailyInputs) -> Iterator[str]:
    r = inputs.rollups
    order = np.argsort(r.bucket_s, kind="stable")
    rank = np.empty(len(r), dtype=np.int64)
    rank[order] = np.arange(len(r))
    h_row = rank[r.hist_row]  # histogram entries by hour in time order, then class
    h_order = np.lexsort((r.hist_bin, h_row))
    h_row, h_bin, h_sec = h_row[h_order], r.hist_bin[h_order].astype(np.int64), r.hist_seconds[h_order]
    first = np.searchsorted(h_row, np.arange(len(r) + 1))  # entries of hour i: first[i]:first[i + 1]
    for lo in range(0, len(r), BLOCK_HOURS):
        hi = min(lo + BLOCK_HOURS, len(r))
        rows = order[lo:hi]
        seconds = r.seconds[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            laeq = level(r.energy[rows] / np.where(seconds > 0, seconds, np.nan))
        heads = _join(
            [
                _times(r.bucket_s[rows].astype(np.float64)),
                fixed(seconds, SECONDS_DECIMALS),
                fixed(laeq, DB_DECIMALS),
                fixed(r.lafmax[rows], DB_DECIMALS),
                fixed(r.lcpeak[rows], DB_DECIMALS),
            ]
        )
        a, b = int(first[lo]), int(first[hi])
        counts = np.diff(first[lo : hi + 1])
        starts_row = np.zeros(b - a, dtype=bool)
        starts_row[(first[lo:hi] - a)[counts > 0]] = True
        tokens = np.where(starts_row, "", " ").astype(object) + (
            h_bin[a:b].astype("U").astype(object) + ":" + fixed(h_sec[a:b], SECONDS_DECIMALS)
        )
        # pieces in order: each hour's head + ",", its tokens, "\n"
        pieces = np.empty(2 * (hi - lo) + (b - a), dtype=object)
        head_pos = 2 * np.arange(hi - lo) + (first[lo:hi] - a)
        pieces[head_pos] = heads + ","
        pieces[head_pos + 1 + counts] = "\n"
        token_row = np.repeat(np.arange(hi - lo), counts)
        pieces[np.arange(b - a) + 2 * token_row + 1] = tokens
        yield "".join(pieces.tolist())


def _event_lines(inputs: DailyInputs) -> str:
    ev = inputs.events
    order = np.lexsort((ev.start_s, ev.threshold_db))
    lines = _join(
        [
            fixed(ev.threshold_db[order], DB_DECIMALS),
            _times(ev.start_s[order]),
            _times(ev.end_s[order]),
            ev.n_readings[order].astype("U").astype(object),
            fixed(ev.max_db[order], DB_DECIMALS),
            fixed(ev.sel_db[order], DB_DECIMALS),
        ]
    )
    body = "\n".join(lines.tolist()) + "\n" if len(ev) else ""
    return f"events,{len(ev)}\n{body}"


def blocks(inputs: DailyInputs, params: EventParams) -> Iterator[bytes]:
    """The canonical serialisation, block by block (concatenated: the bytes the hash is of)."""
    yield _header(inputs, params).encode("utf-8")
    for text in _hour_lines(inputs):
        yield text.encode("utf-8")
    yield _event_lines(inputs).encode("utf-8")


def sha256(inputs: DailyInputs, params: EventParams) -> str:
    """SHA-256 (hex) of :func:`blocks`: the report's input hash."""
    digest = hashlib.sha256()
    for block in blocks(inputs, params):
        digest.update(block)
    return digest.hexdigest()


def write(inputs: DailyInputs, params: EventParams, out: BinaryIO) -> None:
    """Write the canonical bytes (``noiselab report --print-inputs``)."""
    for block in blocks(inputs, params):
        out.write(block)
