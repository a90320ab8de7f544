"""Hourly rollup rows as the stores keep them: the histogram encoding and the incremental update.

A stored row is one sensor and one UTC hour: ``energy`` (Σ interval_s·10^(LAeq/10)), ``seconds``
(Σ interval_s), ``lafmax`` and ``lcpeak`` (maxima, NULL/absent when never reported) and ``hist``, the
measured seconds per 0.1 dB class of LAeq, encoded losslessly in the smallest of two layouts::

    dense:  kind = w (1, 2 or 4) | lowest class int16 | seconds of each class from it, uint{8w}, 0 = empty
    sparse: kind = 0             | (class int16, seconds float64) pairs

all little-endian. Whole-second data (every class holds an integer number of seconds, the usual case) is
dense: a noisy hour of 1-s readings spanning 30 dB is ~300 bytes instead of 2 400. Fractional seconds keep
their exact float64 value in the sparse layout, so no rounding is introduced either way. The layout before
this one (sparse pairs, no kind byte) is read by :func:`hist_from_legacy`.

A batch update merges the stored rows of the affected hours with the batch's new readings in one vectorised
pass (:func:`updated_rows`): energies and seconds add (stored + new, as ``processing.rollups.merge`` does),
maxima take the maximum, histograms add per class. Classes are ``processing.rollups.level_bins``, so the rows
equal ``processing.rollups.rollup`` of all the readings of the hour.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from operator import attrgetter

import numpy as np

from noiselab.domain.readings import Reading
from noiselab.processing.rollups import Rollups, group, level_bins, sum_by
from noiselab.store.base import HOUR_S

LEGACY_DTYPE = np.dtype([("bin", "<i2"), ("seconds", "<f8")])  # also the sparse layout's pairs
SPARSE = 0
_WIDTHS = (1, 2, 4)
_N_BINS = 2048  # classes are 0..2000 (level_bins clips to 0–200 dB)
_TEXT_PREFIX = "2:"  # InfluxDB field text: "2:" + base64 of the blob; no prefix = the legacy layout


@dataclass(frozen=True, slots=True)
class HourRow:
    """One stored rollup row; ``lafmax``/``lcpeak`` are None when never reported."""

    sensor_id: str
    hour_s: int
    energy: float
    seconds: float
    lafmax: float | None
    lcpeak: float | None
    hist: bytes


# --- histogram blobs ---------------------------------------------------------------------------------
def encode_hist(bins: np.ndarray, seconds: np.ndarray) -> bytes:
    """Classes (ascending, distinct) and their seconds -> the smaller lossless layout."""
    bins = np.asarray(bins, dtype=np.int64)
    seconds = np.asarray(seconds, dtype=np.float64)
    sparse_size = 1 + LEGACY_DTYPE.itemsize * bins.size
    if bins.size:
        top = float(seconds.max())
        lo, span = int(bins[0]), int(bins[-1] - bins[0]) + 1
        if top < 2**32 and float(seconds.min()) > 0 and np.array_equal(seconds, np.floor(seconds)):
            width = 1 if top < 2**8 else 2 if top < 2**16 else 4
            if 3 + span * width <= sparse_size:
                dense = np.zeros(span, dtype=f"<u{width}")
                dense[bins - lo] = seconds
                return struct.pack("<Bh", width, lo) + dense.tobytes()
    pairs = np.empty(bins.size, dtype=LEGACY_DTYPE)
    pairs["bin"] = bins
    pairs["seconds"] = seconds
    return bytes((SPARSE,)) + pairs.tobytes()


def _payload(buf: np.ndarray, lengths: np.ndarray, chosen: np.ndarray, header: int) -> np.ndarray:
    """The bytes after the ``header`` bytes of the chosen blobs, concatenated (one boolean mask, no index)."""
    counts = np.empty(2 * lengths.size, dtype=np.int64)
    counts[0::2] = np.where(chosen, header, lengths)
    counts[1::2] = np.where(chosen, lengths - header, 0)
    keep = np.repeat(np.tile(np.array([False, True]), lengths.size), counts)
    payload: np.ndarray = buf[keep]
    return payload


_Part = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # blobs, entries per blob, classes, seconds


def _decode_dense(
    buf: np.ndarray, lengths: np.ndarray, starts: np.ndarray, chosen: np.ndarray, width: int
) -> _Part:
    sel = np.flatnonzero(chosen)
    lo = buf[starts[sel] + 1].astype(np.int64) | (buf[starts[sel] + 2].astype(np.int64) << 8)
    lo = np.where(lo >= 2**15, lo - 2**16, lo)  # int16
    if width == 1 and sel.size == lengths.size:  # the usual case: use the buffer in place, headers masked
        values, first = buf, starts[sel] + 3
        occupied = values != 0
        occupied[starts] = occupied[starts + 1] = occupied[starts + 2] = False
    else:
        values = _payload(buf, lengths, chosen, 3).view(f"<u{width}")
        count = (lengths[sel] - 3) // width
        first = np.cumsum(count) - count  # index of each blob's first value
        occupied = values != 0
    at = np.flatnonzero(occupied)
    per_blob = np.diff(np.searchsorted(at, np.append(first, values.size)))
    classes = np.empty(at.size, dtype=np.int16)
    np.subtract(at, np.repeat(first - lo, per_blob), out=classes, casting="unsafe")
    return sel, per_blob, classes, values.take(at).astype(np.float64)


def decode_hists(blobs: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Many blobs at once -> (blob index int64, class int16, seconds float64), ordered by blob then class."""
    n = len(blobs)
    lengths = np.fromiter(map(len, blobs), dtype=np.int64, count=n)
    buf = np.frombuffer(b"".join(blobs), dtype=np.uint8)
    starts = np.cumsum(lengths) - lengths
    kinds = buf[starts] if n else np.zeros(0, dtype=np.uint8)
    parts: list[_Part] = []
    for kind in np.unique(kinds).tolist():
        chosen = kinds == kind
        if kind in _WIDTHS:
            parts.append(_decode_dense(buf, lengths, starts, chosen, kind))
        elif kind == SPARSE:
            pairs = _payload(buf, lengths, chosen, 1).view(LEGACY_DTYPE)
            per_blob = (lengths[chosen] - 1) // LEGACY_DTYPE.itemsize
            parts.append((np.flatnonzero(chosen), per_blob, pairs["bin"].copy(), pairs["seconds"].copy()))
        else:
            raise ValueError(f"unknown histogram layout {kind}")
    entries = np.zeros(n, dtype=np.int64)
    for sel, per_blob, _, _ in parts:
        entries[sel] = per_blob
    row = np.repeat(np.arange(n, dtype=np.int64), entries)
    if len(parts) == 1:
        return row, parts[0][2], parts[0][3]
    cls = np.empty(row.size, dtype=np.int16)  # interleave the layouts back into blob order
    sec = np.empty(row.size, dtype=np.float64)
    offset = np.cumsum(entries) - entries
    for sel, per_blob, part_cls, part_sec in parts:
        first = np.cumsum(per_blob) - per_blob
        at = np.repeat(offset[sel] - first, per_blob) + np.arange(part_cls.size)
        cls[at], sec[at] = part_cls, part_sec
    return row, cls, sec


def hist_from_legacy(blob: bytes) -> bytes:
    """A blob of the previous layout (bare (int16, float64) pairs) -> the current layout."""
    pairs = np.frombuffer(blob, dtype=LEGACY_DTYPE)
    order = np.argsort(pairs["bin"], kind="stable")
    return encode_hist(pairs["bin"][order], pairs["seconds"][order])


def hist_to_text(blob: bytes) -> str:
    """A blob as an InfluxDB string field."""
    return _TEXT_PREFIX + base64.b64encode(blob).decode("ascii")


def hist_from_text(text: str) -> bytes:
    """An InfluxDB string field -> a blob of the current layout (legacy points are converted)."""
    if text.startswith(_TEXT_PREFIX):
        return base64.b64decode(text[len(_TEXT_PREFIX) :])
    return hist_from_legacy(base64.b64decode(text))


# --- rows <-> Rollups --------------------------------------------------------------------------------
def rollups_from_columns(
    hour_s: Sequence[int],
    energy: Sequence[float],
    seconds: Sequence[float],
    lafmax: Sequence[float | None],
    lcpeak: Sequence[float | None],
    hist: Sequence[bytes],
    sensor: Sequence[int] | None = None,
) -> Rollups:
    """Stored columns (one entry per row) -> Rollups; ``sensor`` indices default to 0."""
    n = len(hour_s)
    if n == 0:
        return Rollups.empty(bucket_s=HOUR_S)
    hist_row, hist_bin, hist_seconds = decode_hists(hist)
    return Rollups(
        sensor=np.zeros(n, dtype=np.int64) if sensor is None else np.asarray(sensor, dtype=np.int64),
        bucket_s=np.asarray(hour_s, dtype=np.int64),
        energy=np.asarray(energy, dtype=np.float64),
        seconds=np.asarray(seconds, dtype=np.float64),
        lafmax=np.array(lafmax, dtype=np.float64),  # None -> nan
        lcpeak=np.array(lcpeak, dtype=np.float64),
        hist_row=hist_row,
        hist_bin=hist_bin,
        hist_seconds=hist_seconds,
        bucket_size_s=HOUR_S,
    )


def rollups_from_rows(rows: Sequence[HourRow]) -> Rollups:
    """Stored rows of one sensor -> Rollups (sensor index 0)."""
    return rollups_from_columns(
        [r.hour_s for r in rows],
        [r.energy for r in rows],
        [r.seconds for r in rows],
        [r.lafmax for r in rows],
        [r.lcpeak for r in rows],
        [r.hist for r in rows],
    )


# --- the incremental update ----------------------------------------------------------------------------
_SENSOR_SHIFT = 2**40  # key = sensor index · 2^40 + hour index + 2^39 (hours since 1970, ± 62 million years)
_HOUR_OFFSET = 2**39
_START_MS = attrgetter("start_ms")


def _floats(readings: Sequence[Reading], name: str) -> np.ndarray:
    """One attribute of every reading as float64, None -> NaN."""
    values = list(map(attrgetter(name), readings))
    if None in values:
        values = [np.nan if v is None else v for v in values]
    return np.fromiter(values, dtype=np.float64, count=len(values))


def _none_if_nan(v: float) -> float | None:
    return None if v != v else v  # NaN is the only value unequal to itself


@dataclass(frozen=True)
class BatchRollup:
    """A batch of new readings rolled up: one entry per (sensor, hour); histogram keys row·2048 + class."""

    sensor_ids: list[str]
    keys: np.ndarray  # sorted (sensor, hour) keys
    energy: np.ndarray
    seconds: np.ndarray
    lafmax: np.ndarray
    lcpeak: np.ndarray
    hist_keys: np.ndarray
    hist_seconds: np.ndarray

    def hours(self) -> list[tuple[str, int]]:
        """(sensor_id, hour_s) of each entry: the stored rows a store must load for :func:`merged_rows`."""
        sensor = (self.keys // _SENSOR_SHIFT).tolist()
        hour_s = (((self.keys % _SENSOR_SHIFT) - _HOUR_OFFSET) * HOUR_S).tolist()
        return [(self.sensor_ids[i], h) for i, h in zip(sensor, hour_s, strict=True)]


def rollup_batch(new_readings: Sequence[Reading]) -> BatchRollup:
    """Roll new readings up per (sensor, UTC hour), as ``processing.rollups.rollup`` does.

    Readings with a non-finite LAeq or a non-positive interval are not measured time and are left out.
    """
    n = len(new_readings)
    sensor_of = [r.sensor_id for r in new_readings]
    ids = sorted(set(sensor_of))
    index = {s: i for i, s in enumerate(ids)}
    return rollup_columns(
        ids,
        np.fromiter(map(index.__getitem__, sensor_of), dtype=np.int64, count=n),
        np.fromiter(map(_START_MS, new_readings), dtype=np.int64, count=n),
        _floats(new_readings, "interval_s"),
        _floats(new_readings, "laeq"),
        _floats(new_readings, "lafmax"),
        _floats(new_readings, "lcpeak"),
    )


def rollup_columns(
    sensor_ids: Sequence[str],
    sensor: np.ndarray,
    start_ms: np.ndarray,
    interval_s: np.ndarray,
    laeq: np.ndarray,
    lafmax: np.ndarray,
    lcpeak: np.ndarray,
) -> BatchRollup:
    """:func:`rollup_batch` of readings given as columns; ``sensor`` indexes ``sensor_ids``."""
    lv, dur = np.asarray(laeq, dtype=np.float64), np.asarray(interval_s, dtype=np.float64)
    ok = np.isfinite(lv) & np.isfinite(dur) & (dur > 0)
    sensor = np.asarray(sensor, dtype=np.int64)[ok]
    start_s = np.asarray(start_ms, dtype=np.int64)[ok] // 1000
    lv, dur = lv[ok], dur[ok]
    keys, row = group(sensor * _SENSOR_SHIFT + start_s // HOUR_S + _HOUR_OFFSET)
    m = keys.size
    fmax = np.full(m, np.nan)
    cpk = np.full(m, np.nan)
    np.fmax.at(fmax, row, np.asarray(lafmax, dtype=np.float64)[ok])
    np.fmax.at(cpk, row, np.asarray(lcpeak, dtype=np.float64)[ok])
    hist_keys, hist_row = group(row * _N_BINS + level_bins(lv).astype(np.int64))
    return BatchRollup(
        sensor_ids=list(sensor_ids),
        keys=keys,
        energy=sum_by(row, dur * np.power(10.0, lv / 10.0), m),
        seconds=sum_by(row, dur, m),
        lafmax=fmax,
        lcpeak=cpk,
        hist_keys=hist_keys,
        hist_seconds=sum_by(hist_row, dur, hist_keys.size),
    )


def merged_rows(batch: BatchRollup, stored: Sequence[HourRow]) -> list[HourRow]:
    """Rows to write back: the stored rows of ``batch.hours()`` (others are ignored) plus the batch.

    Sums are stored + new (as ``processing.rollups.merge``), maxima the larger, histograms add per class.
    """
    m = batch.keys.size
    energy, seconds = batch.energy.copy(), batch.seconds.copy()
    lafmax, lcpeak = batch.lafmax.copy(), batch.lcpeak.copy()
    hkeys, hsec = batch.hist_keys, batch.hist_seconds
    index = {s: i for i, s in enumerate(batch.sensor_ids)}
    skeys = np.array(
        [index.get(s.sensor_id, -1) * _SENSOR_SHIFT + s.hour_s // HOUR_S + _HOUR_OFFSET for s in stored],
        dtype=np.int64,
    )
    pos = np.minimum(np.searchsorted(batch.keys, skeys), max(m - 1, 0))
    ours = (batch.keys[pos] == skeys) if m else np.zeros(len(stored), dtype=bool)
    if not ours.all():  # rows of hours without measured time in the batch stay as they are
        stored, pos = [s for s, keep in zip(stored, ours.tolist(), strict=True) if keep], pos[ours]
    if stored:
        old = np.array([(s.energy, s.seconds, s.lafmax, s.lcpeak) for s in stored], dtype=np.float64)
        energy[pos] = old[:, 0] + energy[pos]
        seconds[pos] = old[:, 1] + seconds[pos]
        lafmax[pos] = np.fmax(old[:, 2], lafmax[pos])
        lcpeak[pos] = np.fmax(old[:, 3], lcpeak[pos])
        srow, sbin, ssec = decode_hists([s.hist for s in stored])
        both = np.concatenate([pos[srow] * _N_BINS + sbin, hkeys])
        hkeys, inv = np.unique(both, return_inverse=True)
        hsec = sum_by(inv.reshape(-1), np.concatenate([ssec, hsec]), hkeys.size)
    bounds = np.searchsorted(hkeys, np.arange(m + 1) * _N_BINS).tolist()
    hbins = hkeys % _N_BINS
    hists = [encode_hist(hbins[a:b], hsec[a:b]) for a, b in pairwise(bounds)]
    columns = (energy.tolist(), seconds.tolist(), lafmax.tolist(), lcpeak.tolist(), hists)
    return [
        HourRow(sid, hour_s, e, s, _none_if_nan(fmax), _none_if_nan(cpk), h)
        for (sid, hour_s), e, s, fmax, cpk, h in zip(batch.hours(), *columns, strict=True)
    ]


def updated_rows(new_readings: Sequence[Reading], stored: Sequence[HourRow]) -> list[HourRow]:
    """The rows to write back after ``new_readings``, given the stored rows of ``affected_hours(new)``."""
    return merged_rows(rollup_batch(new_readings), stored) if new_readings else []


def affected_hours(readings: Sequence[Reading]) -> dict[str, list[int]]:
    """UTC hour starts (epoch s) touched by the readings, per sensor."""
    out: dict[str, set[int]] = {}
    for r in readings:
        out.setdefault(r.sensor_id, set()).add((r.start_ms // 1000) // HOUR_S * HOUR_S)
    return {s: sorted(h) for s, h in out.items()}
